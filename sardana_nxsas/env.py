"""The MacroServer environment variables this package reads, each named once.

Use the constants, never the literal, so that a name is spelled in one place and a
reader can find every use of a variable (``grep env.DATA_ROOT``). The table of the
configuration variables and their defaults is in ``acquisition/settings.py``.
"""

from __future__ import annotations

from typing import Final

# -- configuration of the instrument (acquisition/settings.py) -------------------

DATA_ROOT: Final = "NxsDataRoot"
"""The data root: the existing, writable directory every file is written under."""

INSTRUMENT_FILE: Final = "NxsInstrumentFile"
"""The path of the instrument description (TOML)."""

PREFIXES: Final = "NxsPrefixes"
"""The file-name prefixes whose FSNs are counted independently (words or a list)."""

DEFAULT_PREFIX: Final = "NxsDefaultPrefix"
"""The prefix of an exposure taken without one."""

COMPRESSION: Final = "NxsCompression"
"""The codec of the frames in the NeXus files: gzip, bslz4 or none."""

CATALOG_URL: Final = "NxsCatalogUrl"
"""The catalog's SQLAlchemy URL; unset: the SQLite catalog in the data root."""

# -- the exposure ----------------------------------------------------------------

SESSION: Final = "NxsSession"
"""The open exposure (nxsbegin .. nxsend) as a plain dict; unset when none is open."""

TITLE: Final = "NxsTitle"
"""The title ``expose`` gives its exposures (``nxssample use`` sets the sample's name)."""

SCAN_SIGNAL: Final = "NxsScanSignal"
"""The signal a scan file plots by default; unset: the first counter (not the timer),
else the frame sum, else the timer."""

# -- samples -----------------------------------------------------------------------

SAMPLE: Final = "NxsSample"
"""The name of the chosen sample in the sample registry; unset: none chosen."""

SAMPLE_MOTORS: Final = "NxsSampleMotors"
"""The x and y sample motors that ``nxssample use NAME move`` drives; unset: samx samy."""

# -- transmission (nxstrans) -------------------------------------------------------

BEAMSTOP_MOTOR: Final = "NxsBeamstopMotor"
"""The beamstop motor; unset: the motor of beam_stop.x in the instrument description."""

BEAMSTOP_OUT: Final = "NxsBeamstopOut"
"""The beamstop motor's position with the beam free (required by nxstrans)."""

BEAMSTOP_IN: Final = "NxsBeamstopIn"
"""The beamstop motor's position in the beam; unset: where it was when nxstrans started."""

DARK_SAMPLE: Final = "NxsDarkSample"
"""The dark sample's name; unset: the registry's only sample of category "Dark"."""

EMPTY_BEAM_SAMPLE: Final = "NxsEmptyBeamSample"
"""The empty beam's name; unset: the registry's only sample of category "Empty beam"."""

# -- the experiment: the defaults of the description's [experiment] section ---------

PROJECT: Final = "NxsProject"
"""The project (proposal) identifier."""

PROJECT_NAME: Final = "NxsProjectName"
"""The project's title."""

OPERATOR: Final = "NxsOperator"
"""Who runs the instrument."""

PROPOSER: Final = "NxsProposer"
"""Who proposed the project."""
