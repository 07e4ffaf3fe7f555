"""The catalog database: open (and upgrade), upsert by (prefix, fsn), find.

Every statement is built by SQLAlchemy with bound parameters; operator text
(titles, sample names, patterns) never becomes SQL. URLs are only ever shown
with the password hidden.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Connection, Engine, create_engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sardana_nxsas.catalog.schema import COLUMNS, STATUSES, CatalogError, exposures, upgrade
from sardana_nxsas.errors import NxsError

CATALOG_FILE = "catalog.sqlite"


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
        self._open()

    def _open(self) -> None:
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    upgrade(conn, self.where)
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

    def upsert(self, rows: Iterable[dict[str, Any]]) -> int:
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
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
        if insert is None:
            raise CatalogError(
                f"catalog {self.where}: the {dialect} database is not supported: "
                "use SQLite or PostgreSQL"
            )
        stmt = insert(exposures)
        update = {k: stmt.excluded[k] for k in keys if k not in ("prefix", "fsn")}
        if not update:
            return stmt.on_conflict_do_nothing(index_elements=["prefix", "fsn"])
        return stmt.on_conflict_do_update(index_elements=["prefix", "fsn"], set_=update)

    def _glob(self, column: Any, like: str) -> Any:
        """Case-insensitive LIKE in the form the dialect's glob index serves (schema v2)."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            return column.like(like, escape="\\")  # SQLite's LIKE folds ASCII case itself
        if dialect == "postgresql":
            return func.lower(column).like(func.lower(like), escape="\\")
        return column.ilike(like, escape="\\")

    def find(
        self,
        *,
        title: str | None = None,
        sample: str | None = None,
        project: str | None = None,
        prefix: str | None = None,
        category: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        fsn_min: int | None = None,
        fsn_max: int | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[dict[str, Any]]:
        """Exposures matching every filter given; title and sample are globs (``*``, ``?``),
        case-insensitive; ``since`` and ``until`` bound the start time (inclusive)."""
        c = exposures.c
        query = select(*[c[name] for name in COLUMNS])
        for column, pattern in ((c.title, title), (c.sample, sample)):
            if pattern is not None:
                query = query.where(self._glob(column, glob_to_like(pattern)))
        for column, value in ((c.project, project), (c.prefix, prefix), (c.category, category)):
            if value is not None:
                query = query.where(column == value)
        if status is not None:
            if status not in STATUSES:
                raise NxsError(f"status {status!r}: use one of {', '.join(STATUSES)}")
            query = query.where(c.status == status)
        if since is not None:
            query = query.where(c.start_time >= since)
        if until is not None:
            query = query.where(c.start_time <= until)
        if fsn_min is not None:
            query = query.where(c.fsn >= fsn_min)
        if fsn_max is not None:
            query = query.where(c.fsn <= fsn_max)
        order = (c.start_time, c.prefix, c.fsn)
        query = query.order_by(*(o.desc() for o in order) if newest_first else order)
        if limit is not None:
            query = query.limit(limit)
        with self._connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def last(self, n: int, prefix: str | None = None) -> list[dict[str, Any]]:
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


def check_row(row: dict[str, Any]) -> dict[str, Any]:
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
