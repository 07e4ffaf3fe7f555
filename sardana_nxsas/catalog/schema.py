"""The catalog's tables, and the migrations that bring an older catalog up to date.

The schema version lives in ``catalog_meta`` (key ``schema_version``). Migration
``MIGRATIONS[i]`` takes a catalog from version ``i`` to ``i + 1``; an empty database
is version 0. A migration must keep working when later versions change the
tables, so once a version ships, its migration spells out its own DDL instead of
using the (then newer) table objects below.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

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

from sardana_nxsas.errors import NxsError

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
    UniqueConstraint("prefix", "fsn", name="uq_exposures_prefix_fsn"),
    Index("ix_exposures_title", "title"),
    Index("ix_exposures_sample", "sample"),
    Index("ix_exposures_project", "project"),
    Index("ix_exposures_start_time", "start_time"),
    Index("ix_exposures_status", "status"),
)

COLUMNS: tuple[str, ...] = tuple(c.name for c in exposures.columns if c.name != "id")
UNITS: dict[str, str] = {
    **{name: units for name, units, _ in QUANTITIES},
    **{f"{name}_error": units for name, units, err in QUANTITIES if err},
    "total_counts": "counts",
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


Migration = Callable[[Connection], None]
MIGRATIONS: list[Migration] = [_create_v1, _glob_indexes_v2]


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
        return version
    metadata.create_all(conn, tables=[meta], checkfirst=True)
    for migration in MIGRATIONS[version:]:
        migration(conn)
    conn.execute(meta.delete().where(meta.c.key == "schema_version"))
    conn.execute(meta.insert().values(key="schema_version", value=str(newest)))
    return newest
