"""What the Taurus GUI shows and sends, without Qt: form checks, table data, macro lines.

The panels in ``taurusgui/`` are thin Qt widgets over these functions; everything
an operator does there becomes a macro line run through the Door (the same
macros spock runs) or a read of the data root (FSN store, sample registry,
files, catalog). Tested without Qt, Taurus or Tango (tests/unit/test_gui_model.py).
"""

from sardana_nxsas.gui_model.exposure_form import (
    FormCheck,
    check_exposure_form,
    fsn_rows,
    progress,
)
from sardana_nxsas.gui_model.images import LastImage, newest_exposure, read_last_image
from sardana_nxsas.gui_model.queries import (
    CATALOG_COLUMNS,
    catalog_filters,
    query_catalog,
    row_cells,
    row_details,
)
from sardana_nxsas.gui_model.sample_table import (
    SAMPLE_COLUMNS,
    add_macro,
    edit_macro,
    remove_macro,
    sample_rows,
    use_macro,
)

__all__ = [
    "CATALOG_COLUMNS",
    "SAMPLE_COLUMNS",
    "FormCheck",
    "LastImage",
    "add_macro",
    "catalog_filters",
    "check_exposure_form",
    "edit_macro",
    "fsn_rows",
    "newest_exposure",
    "progress",
    "query_catalog",
    "read_last_image",
    "remove_macro",
    "row_cells",
    "row_details",
    "sample_rows",
    "use_macro",
]
