"""Schema versions: a new catalog is current, an older one is upgraded, a newer one refused."""

from __future__ import annotations

from pathlib import Path

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
