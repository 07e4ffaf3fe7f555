"""Schema versions: a new catalog is current, an older one is upgraded, a newer one refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Required, get_origin, get_type_hints

import pytest
import sqlalchemy as sa
from catalog_support import row

from sardana_nxsas.catalog import Catalog, CatalogError, schema


def _version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT value FROM catalog_meta WHERE key = 'schema_version'")
        ).scalar_one()
    engine.dispose()
    return value


def test_a_new_catalog_has_the_current_version_and_indexes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    Catalog(url).close()
    assert _version(url) == str(schema.current_version())
    engine = sa.create_engine(url)
    indexed = {tuple(i["column_names"]) for i in sa.inspect(engine).get_indexes("exposures")}
    assert {("title",), ("sample",), ("project",), ("start_time",), ("status",)} <= indexed
    engine.dispose()


def test_a_version_0_database_is_upgraded(tmp_path: Path) -> None:
    # version 0 as found in the field: catalog_meta written by hand, no exposures table
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE catalog_meta (key VARCHAR(64) PRIMARY KEY, value TEXT)"))
        conn.execute(sa.text("INSERT INTO catalog_meta VALUES ('schema_version', '0')"))
    engine.dispose()
    with Catalog(url) as catalog:
        catalog.upsert([row(1)])
        assert catalog.count() == 1
    assert _version(url) == str(schema.current_version())


def test_an_older_catalog_is_migrated_keeping_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    with Catalog(url) as catalog:
        catalog.upsert([row(1, "kept")])
    ran: list[int] = []

    def add_note(conn: sa.Connection) -> None:  # a future migration
        conn.execute(sa.text("ALTER TABLE exposures ADD COLUMN note TEXT"))
        ran.append(1)

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, add_note])
    with Catalog(url) as catalog:
        assert [r["title"] for r in catalog.find()] == ["kept"]
    with Catalog(url):
        pass  # already current: the migration does not run again
    assert ran == [1]
    assert _version(url) == str(len(schema.MIGRATIONS))
    engine = sa.create_engine(url)
    assert "note" in {c["name"] for c in sa.inspect(engine).get_columns("exposures")}
    engine.dispose()


def test_a_newer_catalog_asks_to_upgrade_sardana_nxsas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    Catalog(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE catalog_meta SET value = '99' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(CatalogError, match="version 99.*upgrade sardana-nxsas$"):
        Catalog(url)


def test_a_version_2_catalog_gets_its_trigram_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    with monkeypatch.context() as patch:  # a catalog as sardana-nxsas wrote it at version 2
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        with Catalog(url) as catalog:
            catalog.upsert([row(1, "Glassy_Carbon"), row(2, "water")])
            assert catalog.text_index == "none"
    assert _version(url) == "2"
    with Catalog(url) as catalog:
        assert catalog.text_index == "fts5"
        assert [r["title"] for r in catalog.find(title="*carbon")] == ["Glassy_Carbon"]
        catalog.upsert([row(3, "carbon black")])
        assert [r["fsn"] for r in catalog.find(title="*carbon*")] == [1, 3]
    assert _version(url) == str(schema.current_version())
    engine = sa.create_engine(url)
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("exposures")}
    assert "ix_exposures_project_start" in indexes
    with engine.connect() as conn:  # the rows that were there are in the index
        hits = conn.execute(
            sa.text("SELECT rowid FROM exposures_text WHERE exposures_text MATCH 'Glassy'")
        ).all()
    engine.dispose()
    assert len(hits) == 1


def test_without_a_trigram_index_globs_still_work_and_it_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    with monkeypatch.context() as patch:  # as an SQLite built without FTS5
        patch.setattr(schema, "_FTS5", ("CREATE VIRTUAL TABLE t USING no_such_module(a)",))
        with Catalog(url) as catalog:
            assert catalog.text_index == "none"
            catalog.upsert([row(1, "Glassy_Carbon"), row(2, "water")])
            assert [r["fsn"] for r in catalog.find(title="*carbon*", limit=5)] == [1]
    assert "no trigram index" in caplog.text and "no_such_module" in caplog.text
    with Catalog(url) as catalog:  # FTS5 available now
        assert catalog.text_index == "fts5"
        assert [r["fsn"] for r in catalog.find(title="*carbon*", limit=5)] == [1]


def test_postgres_without_pg_trgm_degrades_to_scans(
    postgres_url: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sa.create_engine(postgres_url.url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS exposures, catalog_meta"))
    monkeypatch.setattr(schema, "_PG_TRGM", ("CREATE EXTENSION no_such_extension",))
    with Catalog(postgres_url.url) as catalog:  # the failed statement spoils nothing else
        assert catalog.text_index == "none"
        catalog.upsert([row(1, "Glassy_Carbon"), row(2, "water")])
        assert [r["fsn"] for r in catalog.find(title="*CARBON*")] == [1]
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS exposures, catalog_meta"))
    engine.dispose()


def test_a_version_3_catalog_gets_the_reduction_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    with monkeypatch.context() as patch:  # a catalog as sardana-nxsas wrote it at version 3
        patch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])
        with Catalog(url) as catalog:
            catalog.upsert([row(1, "Glassy_Carbon")])
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # version 3 had no reduction columns
        for name, _ in schema.REDUCTION_COLUMNS:
            conn.execute(sa.text(f"ALTER TABLE exposures DROP COLUMN {name}"))
    engine.dispose()
    assert _version(url) == "3"
    with Catalog(url) as catalog:
        catalog.upsert([{**row(1, "Glassy_Carbon"), "reduction_status": "done", "flux": 1e7}])
        (found,) = catalog.find(title="*carbon")
    assert _version(url) == "4"
    assert (found["reduction_status"], found["flux"], found["q_min"]) == ("done", 1e7, None)
    engine = sa.create_engine(url)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("exposures")}
    engine.dispose()
    assert {name for name, _ in schema.REDUCTION_COLUMNS} <= columns


def test_catalog_row_has_exactly_the_table_columns() -> None:
    """CatalogRow (the rows' type, checked by mypy) and the table cannot drift apart."""
    keys = schema.CatalogRow.__required_keys__ | schema.CatalogRow.__optional_keys__
    assert sorted(keys) == sorted(schema.COLUMNS)
    hints = get_type_hints(schema.CatalogRow, include_extras=True)
    assert list(hints) == list(schema.COLUMNS)  # in the table's order, too
    required = {name for name, hint in hints.items() if get_origin(hint) is Required}
    assert required == {"prefix", "fsn", "status"}


def test_reduction_columns_are_the_rows_reduction_columns() -> None:
    """The reducer's columns (catalog.reduced.ReductionColumns) are CatalogRow's, same types."""
    from sardana_nxsas.catalog.reduced import ReductionColumns

    hints = get_type_hints(ReductionColumns)
    assert list(hints) == [name for name, _ in schema.REDUCTION_COLUMNS]
    row = get_type_hints(schema.CatalogRow)
    assert {name: row[name] for name in hints} == hints
