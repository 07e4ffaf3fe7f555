"""Transmission from simulated beamstop-out frames: T, its error, and the refusals."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from sardana_nxsas.acquisition.transmission import (
    BeamRate,
    TransmissionError,
    measure,
    transmission,
)
from sardana_nxsas.dataroot.cbf import MiniCbfHeader, write_cbf
from sardana_nxsas.simulation import SAMPLE_MODELS, default_geometry, get_detector, simulate_frame
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml

DETECTOR = get_detector("pilatus300k")
GEOMETRY = default_geometry(DETECTOR)


@pytest.fixture
def instrument(tmp_path: Path) -> Path:
    path = tmp_path / "instrument.toml"
    path.write_text(simulated_instrument_toml("pilatus300k"))
    return path


def frame_file(folder: Path, name: str, kind: str, seconds: float, seed: int, **kw) -> Path:
    frame = simulate_frame(
        DETECTOR, GEOMETRY, kind, seconds, beamstop_in=False,
        rng=np.random.default_rng(seed), **kw,
    )  # fmt: skip
    header = MiniCbfHeader(
        "Pilatus 300K", (0.172, 0.172), seconds, 0.154, 1000.0,
        (GEOMETRY.beam_center_col, GEOMETRY.beam_center_row), datetime.now().astimezone(),
    )  # fmt: skip
    path = folder / f"{name}.cbf"
    write_cbf(path, frame, header)
    return path


@pytest.mark.parametrize("kind", ["glassy_carbon", "buffer", "agbeh"])
def test_simulated_samples_give_their_transmission(
    tmp_path: Path, instrument: Path, kind: str
) -> None:
    dark = frame_file(tmp_path, "tra_00001", "dark", 0.5, 1)
    empty = frame_file(tmp_path, "tra_00002", "empty_beam", 0.5, 2)
    sample = frame_file(tmp_path, "tra_00003", kind, 0.5, 3)
    result = measure(instrument, [sample], [empty], [dark])
    expected = SAMPLE_MODELS[kind].transmission
    assert abs(result.value - expected) < 3 * result.error
    assert 0 < result.error < 0.01 * expected
    assert result.sample.identifiers == ("tra_00003",)
    assert "tra_00003" in result.line(kind) and f"{result.value:.4f}" in result.line(kind)


def test_more_exposures_and_other_times_count_as_rates(tmp_path: Path, instrument: Path) -> None:
    dark = frame_file(tmp_path, "d", "dark", 1.0, 1)
    empty = frame_file(tmp_path, "e", "empty_beam", 0.25, 2)
    samples = [frame_file(tmp_path, f"s{i}", "glassy_carbon", 0.5, 10 + i) for i in range(3)]
    one = measure(instrument, samples[:1], [empty], [dark])
    three = measure(instrument, samples, [empty], [dark])
    assert three.sample.seconds == 1.5
    assert abs(three.value - 0.55) < 3 * three.error
    assert three.error < one.error


def test_error_propagation_matches_the_formula() -> None:
    s, e, d = BeamRate(4000, 2.0), BeamRate(10000, 1.0), BeamRate(100, 1.0)
    result = transmission(s, e, d)
    assert result.value == pytest.approx((2000 - 100) / (10000 - 100))
    t, beam = result.value, 9900.0
    var = 4000 / 4 + t**2 * 10000 + (t - 1) ** 2 * 100
    assert result.error == pytest.approx(math.sqrt(var) / beam)


@pytest.mark.parametrize(
    ("s", "e", "d", "message"),
    [
        (BeamRate(20000, 1), BeamRate(10000, 1), BeamRate(0, 1), "outside \\(0, 1\\]"),
        (BeamRate(0, 1), BeamRate(10000, 1), BeamRate(0, 1), "outside \\(0, 1\\]"),
        (BeamRate(5, 1), BeamRate(10, 1), BeamRate(10, 1), "not brighter than the dark"),
    ],
)
def test_impossible_transmissions_are_refused(s, e, d, message) -> None:
    with pytest.raises(TransmissionError, match=message):
        transmission(s, e, d)


def test_a_saturated_direct_beam_asks_for_a_shorter_time(tmp_path: Path, instrument: Path) -> None:
    empty = frame_file(tmp_path, "e", "empty_beam", 5.0, 2)  # beyond ~2 s the spot saturates
    dark = frame_file(tmp_path, "d", "dark", 0.5, 1)
    with pytest.raises(TransmissionError, match="saturates.*shorter exposure time"):
        measure(instrument, [dark], [empty], [dark])
