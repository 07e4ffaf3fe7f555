"""TaurusGui configuration of the sardana-nxsas GUI.

Open it with ``sardana-nxsas gui`` (which sets the Door and the data root), or
``taurus gui taurusgui/nxsas_gui_config.py`` with TANGO_HOST and, if they are not
the defaults, NXSAS_GUI_DOOR, NXSAS_GUI_MACROSERVER, NXSAS_GUI_DATA set.
Besides the sardana-nxsas panels, Sardana's own macro executor, sequencer and
Door output panels come with MACRO_PANELS.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the panels are imported by bare module name
    sys.path.insert(0, _HERE)

from nxsas_gui_context import context  # noqa: E402
from taurus.qt.qtgui.taurusgui.utils import PanelDescription  # noqa: E402

_CTX = context()

GUI_NAME = "sardana-nxsas"
ORGANIZATION = "sardana-nxsas"
MACROSERVER_NAME = _CTX.full_macroserver
DOOR_NAME = _CTX.full_door
MACRO_PANELS = True

exposure = PanelDescription(
    "Exposure", classname="nxsas_gui_exposure:ExposurePanel", floating=False
)
fsn = PanelDescription("FSN", classname="nxsas_gui_fsn:FsnPanel", floating=False)
samples = PanelDescription("Samples", classname="nxsas_gui_samples:SamplesPanel", floating=False)
last_image = PanelDescription(
    "Last image", classname="nxsas_gui_image:LastImagePanel", floating=False
)
exposures = PanelDescription(
    "Exposures", classname="nxsas_gui_catalog:ExposuresPanel", floating=False
)
