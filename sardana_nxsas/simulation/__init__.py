"""Simulated laboratory SAXS: detector frames whose counts follow the physics.

A simulated detector asks :func:`simulate_frame` for the Poisson counts of the sample
that :data:`DEFAULT_HOLDER` puts in the beam, seen through a :class:`Geometry`; the
same geometry goes into the NeXus files, so rings land where the files say.
"""

from sardana_nxsas.simulation.detectors import DETECTORS, DetectorModel, get_detector
from sardana_nxsas.simulation.frames import (
    BEAM_FWHM,
    BEAMSTOP_ARM_WIDTH,
    BEAMSTOP_LEAK,
    BEAMSTOP_RADIUS,
    DEFAULT_FLUX,
    beamstop_mask,
    beamstop_shadow,
    clear_cache,
    direct_beam_spot,
    expected_rate,
    sample_model,
    simulate_frame,
)
from sardana_nxsas.simulation.geometry import CU_KALPHA_NM, Geometry, default_geometry
from sardana_nxsas.simulation.holder import DEFAULT_HOLDER, HolderSlot, SampleHolder
from sardana_nxsas.simulation.samples import (
    AGBEH_D_SPACING,
    SAMPLE_MODELS,
    WATER_CROSS_SECTION,
    SampleModel,
    parasitic_scattering,
    sphere_form_factor,
)

__all__ = [
    "AGBEH_D_SPACING",
    "BEAMSTOP_ARM_WIDTH",
    "BEAMSTOP_LEAK",
    "BEAMSTOP_RADIUS",
    "BEAM_FWHM",
    "CU_KALPHA_NM",
    "DEFAULT_FLUX",
    "DEFAULT_HOLDER",
    "DETECTORS",
    "SAMPLE_MODELS",
    "WATER_CROSS_SECTION",
    "DetectorModel",
    "Geometry",
    "HolderSlot",
    "SampleHolder",
    "SampleModel",
    "beamstop_mask",
    "beamstop_shadow",
    "clear_cache",
    "default_geometry",
    "direct_beam_spot",
    "expected_rate",
    "get_detector",
    "parasitic_scattering",
    "sample_model",
    "simulate_frame",
    "sphere_form_factor",
]
