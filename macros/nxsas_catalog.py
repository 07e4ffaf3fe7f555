"""Catalog macros of sardana-nxsas: ``lsexp`` (the last exposures) and ``findexp`` (by title).

Thin adapters over sardana_nxsas.catalog: the catalog is the SQLite file in the
data root (NxsDataRoot) unless NxsCatalogUrl names another database. Tango
strings are Latin-1: output goes through door_text, typed patterns through
from_door.
"""

from sardana.macroserver.macro import Macro, Optional, Type

from sardana_nxsas import env
from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition.settings import data_root_from_getter
from sardana_nxsas.catalog import Catalog, catalog_url
from sardana_nxsas.catalog.export import table_lines
from sardana_nxsas.samples.text import from_door

DEFAULT_N = 20


def _catalog(macro):
    root = data_root_from_getter(ms.getter(macro))
    return Catalog(catalog_url(root.path, ms.env(macro, env.CATALOG_URL) or None))


def _show(macro, rows, nothing):
    if not rows:
        ms.say(macro, nothing)
        return
    for line in table_lines(rows):
        ms.say(macro, line)  # never as a format string: titles may hold "%"


class lsexp(Macro):
    """The last N exposures of the catalog (all prefixes), oldest first."""

    param_def = [["n", Type.Integer, DEFAULT_N, "how many (default 20)"]]

    def run(self, n):
        with _catalog(self) as catalog:
            rows = catalog.last(max(int(n), 1))
        _show(self, rows, "the catalog has no exposures yet")


class findexp(Macro):
    """The last N exposures whose title matches PATTERN (* and ? as wildcards, any case)."""

    param_def = [
        ["pattern", Type.String, None, "title pattern, e.g. Glassy*"],
        ["n", Type.Integer, Optional, "how many at most (default 20)"],
    ]

    def run(self, pattern, n):
        limit = DEFAULT_N if n is None else max(int(n), 1)
        with _catalog(self) as catalog:
            rows = catalog.find(title=from_door(pattern), limit=limit, newest_first=True)
        rows.reverse()
        _show(self, rows, f"no exposure has a title matching {pattern!r}")
