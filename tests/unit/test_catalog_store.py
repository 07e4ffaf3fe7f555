"""The catalog database on SQLite and on PostgreSQL: upsert, find, escaping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from catalog_support import T0, row

from sardana_nxsas.catalog import Catalog, CatalogError, catalog_url, glob_to_like, store
from sardana_nxsas.errors import NxsError


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite'}"
        return
    pg = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(pg.url)
    with engine.begin() as conn:  # every test starts from an empty database
        conn.execute(sa.text("DROP TABLE IF EXISTS exposures, catalog_meta"))
    engine.dispose()
    yield pg.url


@pytest.fixture
def catalog(url: str) -> Iterator[Catalog]:
    with Catalog(url) as opened:
        yield opened


def test_catalog_url() -> None:
    assert catalog_url(Path("/data"), None) == "sqlite:////data/catalog.sqlite"
    assert catalog_url(Path("/data"), "postgresql://h/db") == "postgresql://h/db"
    with pytest.raises(NxsError, match="--data"):
        catalog_url(None, None)


def test_upsert_is_idempotent_and_updates_by_prefix_and_fsn(catalog: Catalog) -> None:
    rows = [row(1, "a"), row(2, "b"), row(1, "a", prefix="tst")]
    assert catalog.upsert(rows) == 3
    catalog.upsert(rows)
    assert catalog.count() == 3
    catalog.upsert([{"prefix": "crd", "fsn": 2, "status": "aborted", "total_counts": 5}])
    (found,) = catalog.find(prefix="crd", fsn_min=2)
    assert (found["title"], found["status"], found["total_counts"]) == ("b", "aborted", 5)


def test_rows_of_one_exposure_apply_in_order(catalog: Catalog) -> None:
    running = {"prefix": "crd", "fsn": 7, "title": "x", "status": "running", "start_time": T0}
    catalog.upsert([running, row(7, "x", total_counts=10), {**running, "status": "failed"}])
    assert catalog.find()[0]["status"] == "failed"
    assert catalog.find()[0]["total_counts"] == 10


def test_times_come_back_timezone_aware(catalog: Catalog) -> None:
    catalog.upsert([row(1)])
    start = catalog.find()[0]["start_time"]
    assert start.tzinfo is not None and start == T0 + timedelta(minutes=1)


NASTY = [
    'say "hi" now',
    'O\'Brien "quoted"',
    "100% water",
    "a_b",
    "aXb",
    "Ångström ☃ 水",
    "x'); DROP TABLE exposures; --",
    "back\\slash",
    "* star",
]


def test_nasty_titles_are_stored_and_found_verbatim(catalog: Catalog) -> None:
    catalog.upsert([row(i, title) for i, title in enumerate(NASTY, start=1)])
    assert catalog.count() == len(NASTY)
    for title in NASTY:
        found = catalog.find(title=title.replace("*", "?"))
        assert title in [f["title"] for f in found], title
    assert [f["title"] for f in catalog.find(title="a_b")] == ["a_b"]  # "_" is no wildcard
    assert [f["title"] for f in catalog.find(title="100%*")] == ["100% water"]
    assert [f["title"] for f in catalog.find(title="*%*")] == ["100% water"]
    assert [f["title"] for f in catalog.find(title="a?b")] == ["a_b", "aXb"]
    assert [f["title"] for f in catalog.find(title="*DROP TABLE*")] == [NASTY[6]]
    assert [f["title"] for f in catalog.find(title="back\\slash")] == ["back\\slash"]
    assert catalog.find(title="o'brien*")[0]["title"] == NASTY[1]  # case-insensitive
    # infix globs go through the trigram index first: the same verbatim semantics
    assert [f["title"] for f in catalog.find(title='*"hi"*')] == [NASTY[0]]
    assert [f["title"] for f in catalog.find(title="*% wat*")] == ["100% water"]
    assert [f["title"] for f in catalog.find(title='*brien "quot*')] == [NASTY[1]]
    assert [f["title"] for f in catalog.find(title="*☃ 水")] == ["Ångström ☃ 水"]
    assert [f["title"] for f in catalog.find(title="*NGSTRöm*")] == ["Ångström ☃ 水"]
    assert [f["title"] for f in catalog.find(title="*table exp*")] == [NASTY[6]]
    assert catalog.find(title="*drop table exposures; --x*") == []
    assert [f["title"] for f in catalog.find(title="*k\\sla*")] == ["back\\slash"]
    assert [f["title"] for f in catalog.find(title="*b_b*")] == []  # "_" is literal


def test_the_trigram_index_is_there(catalog: Catalog) -> None:
    expected = {"sqlite": "fts5", "postgresql": "pg_trgm"}[catalog.engine.dialect.name]
    assert catalog.text_index == expected


@pytest.mark.parametrize("cap", [1, 10**6])  # every glob common / every glob rare
def test_infix_globs_find_the_same_rows_by_either_plan(
    catalog: Catalog, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "PROBE_CAP", cap)
    titles = ["Glassy_Carbon", "glassy carbon 2", "AgBeh", "REV_12_lysozyme", "lysozyme_b", "ab"]
    catalog.upsert([row(i, t) for i, t in enumerate(titles, start=1)])
    found = lambda **f: [r["title"] for r in catalog.find(**f)]  # noqa: E731
    assert found(title="*carbon*") == titles[:2]
    assert found(title="*LYSO*", limit=1, newest_first=True) == ["lysozyme_b"]
    assert found(title="*lysozyme*", limit=5, newest_first=True) == titles[4:2:-1]
    assert found(title="*?_lys*") == ["REV_12_lysozyme"]
    assert found(title="g*carbon*", sample="*2") == ["glassy carbon 2"]
    assert found(title="*ab*") == ["ab"]  # shorter than a trigram: no index, same answer
    assert found(title="*zzz*", limit=3, newest_first=True) == []
    assert catalog.count_matching(title="*a*") == 4
    assert catalog.count_matching(cap=2, title="*a*") == 2
    # the index follows updates and deletes
    catalog.upsert([row(3, "carbon black")])
    assert found(title="*carbon*") == [*titles[:2], "carbon black"]
    assert found(title="*agbeh*") == []
    catalog.delete([("crd", 1)])
    assert found(title="*carbon*") == ["glassy carbon 2", "carbon black"]


def test_glob_to_like() -> None:
    assert glob_to_like("a*b?c%d_e\\") == "a%b_c\\%d\\_e\\\\"


def test_find_filters(catalog: Catalog) -> None:
    catalog.upsert(
        [
            row(1, "Glassy_Carbon", project="P1", category="normalization sample"),
            row(2, "Water", project="P1", status="aborted"),
            row(3, "Water", project="P2"),
            row(1, "Water", prefix="tst", project="P2"),
        ]
    )
    titles = lambda rows: [(r["prefix"], r["fsn"]) for r in rows]  # noqa: E731
    assert titles(catalog.find(title="water")) == [("tst", 1), ("crd", 2), ("crd", 3)]
    assert titles(catalog.find(project="P1")) == [("crd", 1), ("crd", 2)]
    assert titles(catalog.find(status="aborted")) == [("crd", 2)]
    assert titles(catalog.find(category="normalization sample")) == [("crd", 1)]
    assert titles(catalog.find(prefix="crd", fsn_min=2, fsn_max=2)) == [("crd", 2)]
    since, until = T0 + timedelta(minutes=2), T0 + timedelta(minutes=3)
    assert titles(catalog.find(since=since, until=until)) == [("crd", 2), ("crd", 3)]
    assert titles(catalog.find(sample="glassy*")) == [("crd", 1)]
    assert titles(catalog.find(limit=2, newest_first=True)) == [("crd", 3), ("crd", 2)]
    assert titles(catalog.last(2)) == [("crd", 2), ("crd", 3)]
    assert titles(catalog.last(5, prefix="tst")) == [("tst", 1)]
    with pytest.raises(NxsError, match="use one of"):
        catalog.find(status="complete")


def test_bad_rows_are_refused(catalog: Catalog) -> None:
    with pytest.raises(NxsError, match="unknown columns"):
        catalog.upsert([{**row(1), "colour": "red"}])
    with pytest.raises(NxsError, match="status"):
        catalog.upsert([row(1, status="complete")])


def test_unreachable_database_is_one_line_without_password() -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog("postgresql+psycopg://u:secret@127.0.0.1:1/x")
    message = str(caught.value)
    assert "secret" not in message and "\n" not in message and "***" in message


def test_sqlite_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot be opened"):
        Catalog(f"sqlite:///{tmp_path / 'no' / 'catalog.sqlite'}")
