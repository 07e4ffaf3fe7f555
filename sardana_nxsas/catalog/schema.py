"""The catalog's tables, and the migrations that bring an older catalog up to date.

The schema version lives in ``catalog_meta`` (key ``schema_version``). Migration
``MIGRATIONS[i]`` takes a catalog from version ``i`` to ``i + 1``; an empty database
is version 0. A migration must keep working when later versions change the
tables, so once a version ships, its migration spells out its own DDL instead of
using the (then newer) table objects below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Required, TypedDict

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

from sardana_nxsas.errors import NxsError

log = logging.getLogger(__name__)

STATUSES = ("running", "done", "aborted", "failed")


class CatalogError(NxsError):
    """The catalog cannot be opened, read or written."""


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware in Python, UTC in the database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # rows that went through the JSON spool
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.astimezone()  # naive means local time, as everywhere in NeXus files
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

meta = Table(
    "catalog_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# (name, units) of the measured columns; each also has "<name>_error" where noted.
QUANTITIES: tuple[tuple[str, str, bool], ...] = (
    ("exposure_time", "s", False),
    ("distance", "mm", True),
    ("wavelength", "nm", True),
    ("beam_center_x", "pixel", True),
    ("beam_center_y", "pixel", True),
    ("thickness", "cm", True),
    ("transmission", "", True),
    ("temperature", "degC", False),
    ("vacuum", "mbar", False),
)

# The on-line reduction's results (schema v4): written by the reducer process.
REDUCTION_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("reduction_status", String(16)),  # "done" or "failed"; NULL: not reduced (yet)
    ("reduction_reason", Text),  # why it failed, in one line
    ("absolute_factor", Float),  # counts -> 1/cm, from the glassy carbon
    ("absolute_factor_error", Float),
    ("flux", Float),  # photons/s (1 / absolute factor)
    ("q_min", Float),  # 1/nm
    ("q_max", Float),
    ("dark_exposure", String(32)),  # the exposures the reduction used, e.g. "crd_00012"
    ("empty_beam_exposure", String(32)),
    ("glassy_carbon_exposure", String(32)),
)
# DDL types of the v4 migration, spelled out (a migration must not follow later changes)
_V4_DDL = (
    ("reduction_status", "VARCHAR(16)"),
    ("reduction_reason", "TEXT"),
    ("absolute_factor", "FLOAT"),
    ("absolute_factor_error", "FLOAT"),
    ("flux", "FLOAT"),
    ("q_min", "FLOAT"),
    ("q_max", "FLOAT"),
    ("dark_exposure", "VARCHAR(32)"),
    ("empty_beam_exposure", "VARCHAR(32)"),
    ("glassy_carbon_exposure", "VARCHAR(32)"),
)

exposures = Table(
    "exposures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("prefix", String(16), nullable=False),
    Column("fsn", Integer, nullable=False),
    Column("nxs_path", Text),  # relative to the data root
    Column("cbf_path", Text),
    Column("title", Text),
    Column("sample", Text),
    Column("category", Text),
    Column("project", Text),
    Column("operator", Text),
    Column("start_time", UtcDateTime),
    Column("end_time", UtcDateTime),
    *[
        column
        for name, _, has_error in QUANTITIES
        for column in (
            [Column(name, Float), Column(f"{name}_error", Float)]
            if has_error
            else [Column(name, Float)]
        )
    ],
    Column("total_counts", BigInteger),
    Column("cbf_sha256", String(64)),
    Column("status", String(16), nullable=False),
    Column("header", JSON().with_variant(JSONB(), "postgresql")),
    *[Column(name, type_) for name, type_ in REDUCTION_COLUMNS],
    UniqueConstraint("prefix", "fsn", name="uq_exposures_prefix_fsn"),
    Index("ix_exposures_title", "title"),
    Index("ix_exposures_sample", "sample"),
    Index("ix_exposures_project", "project"),
    Index("ix_exposures_start_time", "start_time"),
    Index("ix_exposures_status", "status"),
)

COLUMNS: tuple[str, ...] = tuple(c.name for c in exposures.columns if c.name != "id")


class CatalogRow(TypedDict, total=False):
    """A row of ``exposures`` as the code passes it around (no ``id``): what the producers
    build, the spool queues, :meth:`Catalog.upsert` takes and :meth:`Catalog.find` returns.

    A row holds only the columns it sets (a later, fuller row completes an earlier one);
    prefix, fsn and status every producer sets. Times are datetimes, or ISO 8601 strings in
    rows that went through the JSON spool (:class:`UtcDateTime` reads both). Its keys are
    exactly :data:`COLUMNS` (a unit test keeps the two together).
    """

    prefix: Required[str]
    fsn: Required[int]
    nxs_path: str | None
    cbf_path: str | None
    title: str | None
    sample: str | None
    category: str | None
    project: str | None
    operator: str | None
    start_time: datetime | str | None
    end_time: datetime | str | None
    exposure_time: float | None
    distance: float | None
    distance_error: float | None
    wavelength: float | None
    wavelength_error: float | None
    beam_center_x: float | None
    beam_center_x_error: float | None
    beam_center_y: float | None
    beam_center_y_error: float | None
    thickness: float | None
    thickness_error: float | None
    transmission: float | None
    transmission_error: float | None
    temperature: float | None
    vacuum: float | None
    total_counts: int | None
    cbf_sha256: str | None
    status: Required[str]
    header: dict[str, Any] | None
    reduction_status: str | None
    reduction_reason: str | None
    absolute_factor: float | None
    absolute_factor_error: float | None
    flux: float | None
    q_min: float | None
    q_max: float | None
    dark_exposure: str | None
    empty_beam_exposure: str | None
    glassy_carbon_exposure: str | None


UNITS: dict[str, str] = {
    **{name: units for name, units, _ in QUANTITIES},
    **{f"{name}_error": units for name, units, err in QUANTITIES if err},
    "total_counts": "counts",
    "absolute_factor": "1/cm per count",
    "absolute_factor_error": "1/cm per count",
    "flux": "photons/s",
    "q_min": "1/nm",
    "q_max": "1/nm",
}


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[exposures], checkfirst=True)


# Case-insensitive globs on title and sample served by an index: SQLite's LIKE folds ASCII
# case and uses an index in NOCASE collation; PostgreSQL matches lower(x) LIKE lower(pattern)
# against an expression index with text_pattern_ops. (Fixed DDL, no data in it.)
_GLOB_INDEXES = {
    "sqlite": "CREATE INDEX IF NOT EXISTS ix_exposures_{col}_nocase "
    "ON exposures ({col} COLLATE NOCASE)",
    "postgresql": "CREATE INDEX IF NOT EXISTS ix_exposures_{col}_lower "
    "ON exposures (lower({col}) text_pattern_ops)",
}


def _glob_indexes_v2(conn: Connection) -> None:
    ddl = _GLOB_INDEXES.get(conn.dialect.name)
    if ddl is not None:
        for column in ("title", "sample"):
            conn.execute(text(ddl.format(col=column)))


def _text_search_v3(conn: Connection) -> None:
    """Globs of any shape served by an index (a pre-filter; the exact LIKE decides), and
    project + time order served by one index. See decision 0009."""
    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_exposures_project_start ON exposures (project, start_time)"
        )
    )
    create_text_index(conn)


def _reduction_v4(conn: Connection) -> None:
    """The on-line reduction's results. A catalog made at version 1 by this
    sardana-nxsas already has them (``_create_v1`` makes the current table)."""
    have = {c["name"] for c in inspect(conn).get_columns("exposures")}
    for name, ddl in _V4_DDL:
        if name not in have:
            conn.execute(text(f"ALTER TABLE exposures ADD COLUMN {name} {ddl}"))


Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = [_create_v1, _glob_indexes_v2, _text_search_v3, _reduction_v4]

# Trigram indexes on title and sample (fixed DDL, no data in it). SQLite: an FTS5 table with
# the trigram tokenizer (SQLite >= 3.34) kept in step with `exposures` by triggers;
# PostgreSQL: GIN indexes on lower(title) / lower(sample) with pg_trgm's operator class.
TEXT_TABLE = "exposures_text"
_FTS5 = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TEXT_TABLE} USING fts5(title, sample, content='exposures', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TEXT_TABLE}_ai AFTER INSERT ON exposures BEGIN "
    f"INSERT INTO {TEXT_TABLE}(rowid, title, sample) VALUES (new.id, new.title, new.sample); END",
    f"CREATE TRIGGER IF NOT EXISTS {TEXT_TABLE}_ad AFTER DELETE ON exposures BEGIN "
    f"INSERT INTO {TEXT_TABLE}({TEXT_TABLE}, rowid, title, sample) "
    "VALUES ('delete', old.id, old.title, old.sample); END",
    f"CREATE TRIGGER IF NOT EXISTS {TEXT_TABLE}_au AFTER UPDATE OF title, sample ON exposures BEGIN "
    f"INSERT INTO {TEXT_TABLE}({TEXT_TABLE}, rowid, title, sample) "
    "VALUES ('delete', old.id, old.title, old.sample); "
    f"INSERT INTO {TEXT_TABLE}(rowid, title, sample) VALUES (new.id, new.title, new.sample); END",
    f"INSERT INTO {TEXT_TABLE}({TEXT_TABLE}) VALUES ('rebuild')",  # the rows already there
)
_PG_TRGM = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_exposures_title_trgm ON exposures "
    "USING gin (lower(title) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_exposures_sample_trgm ON exposures "
    "USING gin (lower(sample) gin_trgm_ops)",
)
TEXT_INDEX_KEY = "text_index"  # in catalog_meta: "fts5", "pg_trgm" or "none"


def create_text_index(conn: Connection) -> str:
    """Create the dialect's trigram index if the database offers it; record which one.

    Without it (no FTS5 in this SQLite, pg_trgm not installed or not allowed) every glob
    still finds the same rows, by scanning: the kind is recorded as "none", logged, and
    tried again each time the catalog is opened.
    """
    dialect = conn.dialect.name
    statements = {"sqlite": _FTS5, "postgresql": _PG_TRGM}.get(dialect, ())
    kind = {"sqlite": "fts5", "postgresql": "pg_trgm"}.get(dialect, "none")
    try:
        if dialect == "postgresql":  # a failed statement would abort the whole transaction
            with conn.begin_nested():
                for statement in statements:
                    conn.execute(text(statement))
        else:  # SQLite undoes just the failed statement
            for statement in statements:
                conn.execute(text(statement))
    except DBAPIError as exc:
        kind = "none"
        log.warning(
            "catalog: no trigram index for title/sample globs (%s): globs with a leading * "
            "scan every row; see docs/reference/catalog.md",
            " ".join(str(getattr(exc, "orig", exc)).split())[:200],
        )
    if not statements:
        kind = "none"
    conn.execute(meta.delete().where(meta.c.key == TEXT_INDEX_KEY))
    conn.execute(meta.insert().values(key=TEXT_INDEX_KEY, value=kind))
    return kind


def text_index(conn: Connection) -> str:
    """The trigram index this catalog has ("fts5", "pg_trgm" or "none")."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == TEXT_INDEX_KEY)).scalar()
    return str(value) if value else "none"


def current_version() -> int:
    return len(MIGRATIONS)


def stored_version(conn: Connection) -> int:
    if not inspect(conn).has_table("catalog_meta"):
        return 0
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value) if value is not None else 0


def upgrade(conn: Connection, where: str) -> int:
    """Bring the catalog to the current version (inside the caller's transaction)."""
    version = stored_version(conn)
    newest = current_version()
    if version > newest:
        raise CatalogError(
            f"catalog {where} has schema version {version}, newer than this sardana-nxsas "
            f"knows ({newest}): upgrade sardana-nxsas"
        )
    if version == newest:
        if text_index(conn) == "none" and conn.dialect.name in ("sqlite", "postgresql"):
            create_text_index(conn)  # installed since (pg_trgm by the DBA, say)
        return version
    metadata.create_all(conn, tables=[meta], checkfirst=True)
    for migration in MIGRATIONS[version:]:
        migration(conn)
    conn.execute(meta.delete().where(meta.c.key == "schema_version"))
    conn.execute(meta.insert().values(key="schema_version", value=str(newest)))
    return newest
