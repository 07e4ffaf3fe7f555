"""The catalog database: open (and upgrade), upsert by (prefix, fsn), find.

Every statement is built by SQLAlchemy with bound parameters; operator text
(titles, sample names, patterns) never becomes SQL. URLs are only ever shown
with the password hidden.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any, NoReturn, cast

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy import (
    column as sql_column,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sardana_nxsas.catalog.schema import (
    COLUMNS,
    STATUSES,
    TEXT_TABLE,
    CatalogError,
    CatalogRow,
    exposures,
    text_index,
    upgrade,
)
from sardana_nxsas.catalog.sqlite_mode import use_wal, wants_wal
from sardana_nxsas.errors import NxsError

CATALOG_FILE = "catalog.sqlite"
PROBE_CAP = 1000  # SQLite: a glob with this many matches is "common" (see _glob_terms)


def catalog_url(root: Path | None, url: str | None) -> str:
    """``url`` if given, else the SQLite file in the data root."""
    if url:
        return str(url)
    if root is None:
        raise NxsError("no catalog: give the data root (--data / NxsDataRoot) or a URL (--url)")
    return f"sqlite:///{Path(root) / CATALOG_FILE}"


def safe_url(url: str) -> str:
    """The URL as it may be printed: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable catalog URL>"


def one_line(exc: BaseException, url: str) -> str:
    """A database error as one line, without SQL, parameters or the password."""
    inner = getattr(exc, "orig", None) or exc
    text = " ".join(str(inner).split()) or type(inner).__name__
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text[:300]


def glob_to_like(pattern: str) -> str:
    r"""``*`` and ``?`` become ``%`` and ``_``; a literal ``%``, ``_`` or ``\`` matches itself."""
    out = []
    for char in pattern:
        if char in "\\%_":
            out.append("\\" + char)
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        else:
            out.append(char)
    return "".join(out)


class Catalog:
    """The exposure catalog behind a SQLAlchemy URL (a context manager)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = safe_url(url)
        self.text_index = "none"  # the trigram index the catalog has (schema.text_index)
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise CatalogError(
                "the catalog URL cannot be parsed: give e.g. sqlite:////data/catalog.sqlite "
                "or postgresql+psycopg://user:password@host/db"
            ) from None
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = 3  # never hang an exposure on a dead server
        elif parsed.get_backend_name() == "sqlite":
            connect_args["timeout"] = 10  # wait for another writer's transaction
        try:
            self.engine: Engine = create_engine(
                parsed, pool_pre_ping=True, connect_args=connect_args
            )
        except (ArgumentError, ImportError, SQLAlchemyError) as exc:
            raise CatalogError(f"catalog {self.where}: {one_line(exc, url)}") from None
        if parsed.get_backend_name() == "sqlite" and wants_wal(parsed.database):
            event.listen(self.engine, "connect", use_wal)
        self._open()

    def _open(self) -> None:
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    upgrade(conn, self.where)
                    self.text_index = text_index(conn)
                return
            except SQLAlchemyError as exc:
                # two processes creating a new catalog at once: the loser finds it made
                if attempt == 2 or "already exists" not in str(exc):
                    self._fail("cannot be opened", exc)
                time.sleep(0.1)

    def _fail(self, what: str, exc: SQLAlchemyError) -> NoReturn:
        raise CatalogError(
            f"catalog {self.where} {what}: {one_line(exc, self.url)}: "
            "check that the database is reachable and writable"
        ) from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            self._fail("failed", exc)

    def upsert(self, rows: Iterable[CatalogRow]) -> int:
        """Insert or update each row by (prefix, fsn), in order, in one transaction.

        Only the columns a row has are written: a later, fuller row completes an earlier one.
        """
        rows = [check_row(row) for row in rows]
        if not rows:
            return 0
        try:
            with self.engine.begin() as conn:
                # consecutive rows with the same columns share one statement (executemany),
                # which keeps the order of rows of one exposure
                for keys, group in groupby(rows, key=lambda r: tuple(sorted(r))):
                    conn.execute(self._upsert_statement(keys), list(group))
        except SQLAlchemyError as exc:
            self._fail("refused the rows", exc)
        return len(rows)

    def _upsert_statement(self, keys: tuple[str, ...]) -> Any:
        dialect = self.engine.dialect.name
        # the two dialects' own Insert: the generic one has no ON CONFLICT
        stmt: sqlite.Insert | postgresql.Insert
        if dialect == "sqlite":
            stmt = sqlite.insert(exposures)
        elif dialect == "postgresql":
            stmt = postgresql.insert(exposures)
        else:
            raise CatalogError(
                f"catalog {self.where}: the {dialect} database is not supported: "
                "use SQLite or PostgreSQL"
            )
        update = {k: stmt.excluded[k] for k in keys if k not in ("prefix", "fsn")}
        if not update:
            return stmt.on_conflict_do_nothing(index_elements=["prefix", "fsn"])
        return stmt.on_conflict_do_update(index_elements=["prefix", "fsn"], set_=update)

    def _glob(self, column: Any, like: str) -> Any:
        """Case-insensitive LIKE in the form the dialect's indexes serve (schema v2, v3)."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return column.like(like, escape="\\")  # SQLite's LIKE folds ASCII case itself
        if dialect == "postgresql":  # pg_trgm's GIN index and the text_pattern_ops one
            return func.lower(column).like(func.lower(like), escape="\\")
        return column.ilike(like, escape="\\")

    def _text_match(self, globs: dict[str, str]) -> tuple[Any, Any] | None:
        """SQLite: (the FTS5 trigram table, a MATCH for the rows whose title/sample hold
        every literal run of 3+ characters of the globs); None when no run is long enough.
        A pre-filter only: the exact LIKE still decides (FTS5 folds case more widely). The
        query is a bound parameter; each run is an FTS5 string, its quotes doubled."""
        if self.text_index != "fts5":
            return None
        phrases = [
            f'{name} : "{run.replace(chr(34), chr(34) * 2)}"'
            for name, pattern in globs.items()
            for run in re.split(r"[*?]", pattern)
            if len(run) >= 3
        ]
        if not phrases:
            return None
        text_table = table(TEXT_TABLE, sql_column("rowid"))
        return text_table, literal_column(TEXT_TABLE).op("MATCH")(" AND ".join(phrases))

    def _glob_terms(self, conn: Connection, globs: dict[str, str], limit: int | None) -> list[Any]:
        """The WHERE terms of the title/sample globs, shaped for the plan that fits.

        PostgreSQL's planner weighs its trigram and prefix indexes by their statistics.
        SQLite's cannot tell a rare glob from a common one, so with a limit we count the
        index's candidates up to ``PROBE_CAP`` first: fewer, and the matches are read
        through the index (FTS5, or NOCASE for a glob not starting with a wildcard) and
        sorted; more (or no index serves the glob), and the ``start_time`` index is walked
        newest first until ``limit`` rows match.
        """
        c = exposures.c
        exact = [self._glob(c[name], glob_to_like(p)) for name, p in globs.items()]
        if not exact or self.engine.dialect.name != "sqlite":
            return exact
        text = self._text_match(globs)
        indexed = exact
        if text is not None:
            indexed = [*exact, c.id.in_(select(text[0].c.rowid).where(text[1]))]
        if limit is None:
            return indexed
        if text is not None:
            candidates = select(text[0].c.rowid).where(text[1])
        elif not any(p[:1] in ("*", "?") for p in globs.values()):
            candidates = select(c.id).where(*exact)  # the NOCASE index's range
        else:
            candidates = None
        if candidates is not None:
            probe = select(func.count()).select_from(candidates.limit(PROBE_CAP).subquery())
            if conn.execute(probe).scalar_one() < PROBE_CAP:
                return indexed
        # `title || ''` matches as `title` does, but no index serves it
        return [self._glob(c[name].concat(""), glob_to_like(p)) for name, p in globs.items()]

    def _where(self, filters: dict[str, Any]) -> list[Any]:
        """The WHERE terms of every filter but the globs."""
        c = exposures.c
        terms = [c[name] == filters[name] for name in ("project", "prefix", "category")
                 if filters.get(name) is not None]  # fmt: skip
        status = filters.get("status")
        if status is not None:
            if status not in STATUSES:
                raise NxsError(f"status {status!r}: use one of {', '.join(STATUSES)}")
            terms.append(c.status == status)
        for name, column, compare in (
            ("since", c.start_time, "__ge__"),
            ("until", c.start_time, "__le__"),
            ("fsn_min", c.fsn, "__ge__"),
            ("fsn_max", c.fsn, "__le__"),
        ):
            if filters.get(name) is not None:
                terms.append(getattr(column, compare)(filters[name]))
        return terms

    def find(
        self,
        *,
        limit: int | None = None,
        newest_first: bool = False,
        header: bool = True,
        **filters: Any,
    ) -> list[CatalogRow]:
        """Exposures matching every filter given, oldest first (``newest_first``: the reverse;
        ``limit`` counts from that end). Filters: ``title``, ``sample`` (globs, ``*`` ``?``,
        case-insensitive), ``project``, ``prefix``, ``category``, ``status`` (exact),
        ``since``, ``until`` (start time, inclusive), ``fsn_min``, ``fsn_max``. Without
        ``header`` the rows leave out the JSON header (much faster for many rows)."""
        names = [n for n in COLUMNS if header or n != "header"]
        c = exposures.c
        order = (c.start_time, c.prefix, c.fsn)
        query = select(*[c[n] for n in names]).where(*self._where(_known(filters)))
        query = query.order_by(*(o.desc() for o in order) if newest_first else order)
        if limit is not None:
            query = query.limit(limit)
        with self._connect() as conn:
            query = query.where(*self._glob_terms(conn, _globs(filters), limit))
            with _collector_paused():
                return [
                    cast(CatalogRow, dict(zip(names, values, strict=True)))
                    for values in conn.execute(query).all()
                ]

    def count_matching(self, cap: int | None = None, **filters: Any) -> int:
        """How many exposures match the filters of :meth:`find` (at most ``cap``)."""
        matching = select(exposures.c.id).where(*self._where(_known(filters)))
        with self._connect() as conn:
            matching = matching.where(*self._glob_terms(conn, _globs(filters), None))
            if cap is not None:
                matching = matching.limit(cap)
            query = select(func.count()).select_from(matching.subquery())
            return int(conn.execute(query).scalar_one())

    def last(self, n: int, prefix: str | None = None) -> list[CatalogRow]:
        """The ``n`` most recent exposures, oldest first (as a table reads)."""
        return list(reversed(self.find(prefix=prefix, limit=n, newest_first=True)))

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute(select(func.count()).select_from(exposures)).scalar_one())

    def delete(self, keys: Iterable[tuple[str, int]]) -> int:
        """Remove the rows of these (prefix, fsn); returns how many were removed."""
        c = exposures.c
        removed = 0
        with self._connect() as conn:
            for prefix, fsn in keys:
                removed += conn.execute(
                    exposures.delete().where(c.prefix == prefix, c.fsn == fsn)
                ).rowcount
        return removed


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while rows are built: 10^5 new dicts (which hold no
    cycles) would otherwise trigger full collections that cost ~40 % of a large find."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


FILTERS = ("title", "sample", "project", "prefix", "category", "status", "since", "until",
           "fsn_min", "fsn_max")  # fmt: skip


def _known(filters: dict[str, Any]) -> dict[str, Any]:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise NxsError(f"catalog filters {sorted(unknown)} unknown: use {', '.join(FILTERS)}")
    return filters


def _globs(filters: dict[str, Any]) -> dict[str, str]:
    return {n: filters[n] for n in ("title", "sample") if filters.get(n) is not None}


def check_row(row: CatalogRow) -> CatalogRow:
    """``row`` if the catalog can take it, else NxsError (a bug in the caller)."""
    if not isinstance(row, dict):
        raise NxsError(f"catalog row {row!r} is not a dict: fix the caller")
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise NxsError(f"catalog row has unknown columns {sorted(unknown)}: fix the caller")
    if "prefix" not in row or "fsn" not in row:
        raise NxsError("catalog row without prefix and fsn: fix the caller")
    if "status" in row and row["status"] not in STATUSES:
        raise NxsError(f"catalog row status {row['status']!r}: use one of {', '.join(STATUSES)}")
    return row
