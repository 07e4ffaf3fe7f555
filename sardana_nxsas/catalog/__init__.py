"""The exposure catalog: every exposure findable by SQL, written live.

``Catalog`` is the database (SQLite file in the data root by default, or any
SQLAlchemy URL); ``CatalogWriter`` the durable spool the writer and reducer processes submit rows to,
so that a slow or absent database never stops acquisition; the files stay the
source of truth (``sardana-nxsas catalog reindex`` rebuilds from them).
"""

from sardana_nxsas.catalog.rows import row_for_running, row_from_file
from sardana_nxsas.catalog.schema import STATUSES, CatalogError, CatalogRow
from sardana_nxsas.catalog.spool import CatalogWriter, shared_writer
from sardana_nxsas.catalog.store import Catalog, catalog_url, glob_to_like, safe_url

__all__ = [
    "STATUSES",
    "Catalog",
    "CatalogError",
    "CatalogRow",
    "CatalogWriter",
    "catalog_url",
    "glob_to_like",
    "row_for_running",
    "row_from_file",
    "safe_url",
    "shared_writer",
]
