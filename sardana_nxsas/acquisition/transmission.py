"""Transmission from beamstop-out exposures: T = (S - D) / (E - D) and its uncertainty.

``nxstrans`` (macros/nxsas_transmission.py) takes, with the beamstop out, exposures of
the dark (a blocker: what the detector counts without beam), the empty beam and the
sample on the ``tra`` prefix. Each is reduced to one number here: the counts of the
direct beam, summed over a disc of radius ``REGION_RADIUS_MM`` around the beam centre
of the instrument description. The spot of a pinhole camera's direct beam is ~0.7 mm
FWHM on the detector: a 1 mm disc holds 99.7 % of it (the same fraction in all three
exposures, so it cancels in T) and little scattered light, which adds to S only: for
the simulated 20 nm spheres, the strongest forward scatterer, T comes out 0.2 %
high, about one counting error of 0.5 s exposures; glassy carbon 0.002 %. Module gaps (negative pixels) are left
out. Counts become rates (per second of each exposure's own time), so the three may
be counted for different times; the counts are Poisson, so a rate's variance is
counts / time^2, and the three are propagated to T to first order:

    dT/dS = 1 / (E - D),   dT/dE = -T / (E - D),   dT/dD = (T - 1) / (E - D)

A T outside (0, 1] means something else than the sample was measured (the beamstop
was in, the sample not in the beam, the dark not dark) and is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sardana_nxsas import env
from sardana_nxsas.dataroot.cbf import read_cbf
from sardana_nxsas.description import InstrumentDescription, load_instrument
from sardana_nxsas.description.info import DetectorInfo
from sardana_nxsas.description.units import convert
from sardana_nxsas.errors import NxsError
from sardana_nxsas.samples.model import Sample

REGION_RADIUS_MM = 1.0  # the disc around the beam centre whose counts are summed
TRANSMISSION_PREFIX = "tra"


class TransmissionError(NxsError):
    """The transmission cannot be measured from these exposures (one line, for spock)."""


@dataclass(frozen=True)
class BeamRate:
    """Direct-beam counts of one or more exposures and the time they took."""

    counts: float
    seconds: float
    identifiers: tuple[str, ...] = ()

    @property
    def rate(self) -> float:
        return self.counts / self.seconds

    @property
    def variance(self) -> float:  # Poisson: var(counts) = counts
        return self.counts / self.seconds**2


@dataclass(frozen=True)
class Transmission:
    value: float
    error: float
    sample: BeamRate
    empty: BeamRate
    dark: BeamRate

    def line(self, name: str) -> str:
        return (
            f"transmission of {name!r}: {self.value:.4f} +- {self.error:.4f} "
            f"(sample {_ids(self.sample)}, empty beam {_ids(self.empty)}, dark {_ids(self.dark)})"
        )


def _ids(rate: BeamRate) -> str:
    return ",".join(rate.identifiers) or "-"


def transmission(sample: BeamRate, empty: BeamRate, dark: BeamRate) -> Transmission:
    """T = (S - D) / (E - D) with its first-order Poisson uncertainty."""
    beam = empty.rate - dark.rate
    if not beam > 0:
        raise TransmissionError(
            f"the empty beam ({_ids(empty)}: {empty.rate:.4g} counts/s) is not brighter than "
            f"the dark ({_ids(dark)}: {dark.rate:.4g} counts/s): is the beamstop out and the "
            "X-ray source on?"
        )
    value = (sample.rate - dark.rate) / beam
    error = (
        math.sqrt(sample.variance + value**2 * empty.variance + (value - 1) ** 2 * dark.variance)
        / beam
    )
    if not 0 < value <= 1:
        raise TransmissionError(
            f"measured transmission {value:.4g} +- {error:.2g} is outside (0, 1]: was the "
            "sample in the beam, the empty-beam position empty and the dark blocked? "
            "Nothing was stored"
        )
    return Transmission(value, error, sample, empty, dark)


def beam_region(detector: DetectorInfo, shape: tuple[int, ...], radius_mm: float) -> np.ndarray:
    """Bool mask of the pixels within ``radius_mm`` of the description's beam centre."""
    pixel_mm = convert(detector.x_pixel_size.value, detector.x_pixel_size.units, "mm")
    row0, col0 = detector.beam_center_row.value, detector.beam_center_col.value
    rows, cols = shape[0], shape[1]
    if not (0 <= row0 < rows and 0 <= col0 < cols):
        raise TransmissionError(
            f"the beam centre (row {row0:g}, column {col0:g}) of the instrument description "
            f"is off the {rows}x{cols} detector"
        )
    radius = radius_mm / pixel_mm
    r = np.arange(rows)[:, None] - row0
    c = np.arange(cols)[None, :] - col0
    return r**2 + c**2 <= radius**2


def beam_rate(
    cbfs: Sequence[Path], detector: DetectorInfo, radius_mm: float = REGION_RADIUS_MM
) -> BeamRate:
    """The summed direct-beam counts and exposure times of the CBF frames ``cbfs``."""
    counts, seconds = 0.0, 0.0
    for path in cbfs:
        frame, header = read_cbf(Path(path))
        time = header.get("exposure_time")
        if not isinstance(time, float) or not time > 0:
            raise TransmissionError(f"{path}: no exposure time in the CBF header")
        region = beam_region(detector, frame.shape, radius_mm)
        values = frame[region]
        saturation = detector.saturation_value
        if saturation is not None and values.size and values.max() >= saturation:
            raise TransmissionError(
                f"{Path(path).stem}: the direct beam saturates the detector "
                f"({int(values.max())} counts): use a shorter exposure time"
            )
        counts += float(values[values >= 0].sum())  # module gaps (-1) left out
        seconds += time
    if not cbfs:
        raise TransmissionError("no exposure to measure")
    return BeamRate(counts, seconds, tuple(Path(p).stem for p in cbfs))


def measure(
    instrument_file: Path,
    sample: Iterable[Path],
    empty: Iterable[Path],
    dark: Iterable[Path],
    radius_mm: float = REGION_RADIUS_MM,
) -> Transmission:
    """T of the sample from the CBFs of its, the empty beam's and the dark's exposures."""
    detector = load_instrument(Path(instrument_file)).detector
    return transmission(
        beam_rate(list(sample), detector, radius_mm),
        beam_rate(list(empty), detector, radius_mm),
        beam_rate(list(dark), detector, radius_mm),
    )


def beamstop_motor(description: InstrumentDescription, override: str | None = None) -> str:
    """The beamstop motor: ``override`` (NxsBeamstopMotor), else the motor the instrument
    description reads ``beam_stop.x`` (or ``.y``) from."""
    if override:
        return str(override)
    for key in ("beam_stop.x", "beam_stop.y"):
        value = description.values.get(key)
        if value is not None and value.source is not None and value.source.kind == "motor":
            return value.source.target
    raise TransmissionError(
        "no beamstop motor: give beam_stop.x a motor source in the instrument description "
        f"or set {env.BEAMSTOP_MOTOR}"
    )


def reference_sample(samples: Iterable[Sample], category: str, override: str | None) -> Sample:
    """The dark (category "Dark") or empty beam ("Empty beam") of the sample registry:
    ``override`` by name (NxsDarkSample, NxsEmptyBeamSample), else the only sample of
    the category."""
    samples = list(samples)
    if override:
        found = [s for s in samples if s.name == override]
    else:
        found = [s for s in samples if s.category == category]
    if len(found) != 1:
        variable = env.DARK_SAMPLE if category == "Dark" else env.EMPTY_BEAM_SAMPLE
        what = f"{override!r}" if override else f"one sample of category {category!r}"
        raise TransmissionError(
            f"the sample registry has {len(found)} of {what}: add it "
            f"(nxssample add NAME category {category!r} x .. y ..) or set {variable}"
        )
    return found[0]
