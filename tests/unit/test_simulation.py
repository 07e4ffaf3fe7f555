"""The simulated SAXS instrument: detectors, geometry, sample physics, frames and holder."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sardana_nxsas.simulation import (
    AGBEH_D_SPACING,
    BEAMSTOP_RADIUS,
    DEFAULT_FLUX,
    DEFAULT_HOLDER,
    DETECTORS,
    SAMPLE_MODELS,
    Geometry,
    beamstop_mask,
    default_geometry,
    direct_beam_spot,
    expected_rate,
    get_detector,
    parasitic_scattering,
    simulate_frame,
)
from sardana_nxsas.simulation.frames import poisson_counts

P300K = get_detector("pilatus300k")
GEO = default_geometry(P300K)
Q_AGBEH = 2 * math.pi / AGBEH_D_SPACING


def radial_profile(frame: np.ndarray, geometry: Geometry, band: int | None = None) -> np.ndarray:
    """Mean counts per integer radius (pixels) from the beam centre; NaN where no pixel.

    ``band``: only the rows within this many pixels of the beam centre (fast on an Eiger).
    """
    det = next(d for d in DETECTORS.values() if d.shape == frame.shape)
    valid = ~(det.gap_mask() | beamstop_mask(det, geometry))
    if band is not None:
        rows = np.abs(np.arange(frame.shape[0]) - geometry.beam_center_row) > band
        valid = valid & ~rows[:, None]
    rows, cols = np.nonzero(valid)
    radius = np.hypot(rows - geometry.beam_center_row, cols - geometry.beam_center_col)
    bins = np.rint(radius).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(bins, weights=frame[rows, cols]) / np.bincount(bins)


def beam_box(frame: np.ndarray, geometry: Geometry, half: int = 10) -> int:
    r, c = round(geometry.beam_center_row), round(geometry.beam_center_col)
    return int(frame[r - half : r + half + 1, c - half : c + half + 1].sum())


# -- detectors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "shape", "gap_rows", "gap_cols"),
    [
        ("pilatus300k", (619, 487), 2 * 17, 0),
        ("pilatus1m", (1043, 981), 4 * 17, 7),
        ("eiger9m", (3269, 3110), 5 * 37, 2 * 10),
    ],
)
def test_detector_shapes_and_gap_masks(key, shape, gap_rows, gap_cols) -> None:
    det = DETECTORS[key]
    mask = det.gap_mask()
    assert det.shape == shape and mask.shape == shape and mask.dtype == bool
    assert int(mask.all(axis=1).sum()) == gap_rows  # whole dead rows
    assert int(mask.all(axis=0).sum()) == gap_cols
    # The first module is live; the first gap starts right after it.
    mr, mc = det.module_shape
    assert not mask[:mr, :mc].any()
    assert mask[mr, 0] == (gap_rows > 0) and mask[0, mc:].any() == (gap_cols > 0)
    assert det.gap_mask() is mask and not mask.flags.writeable  # cached and shared


@pytest.mark.parametrize("name", ["Pilatus 300K", "pilatus_300k", "PILATUS-300K", "pilatus300k"])
def test_get_detector_ignores_case_and_separators(name: str) -> None:
    assert get_detector(name) is DETECTORS["pilatus300k"]


def test_unknown_detector_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown detector") as exc:
        get_detector("Mythen 1K")
    assert all(key in str(exc.value) for key in DETECTORS)


# -- geometry --------------------------------------------------------------------


@pytest.mark.parametrize("key", list(DETECTORS))
def test_default_geometry_is_usable(key: str) -> None:
    det = DETECTORS[key]
    geo = default_geometry(det)
    assert geo.pixel_size == det.pixel_size and geo.wavelength == pytest.approx(0.15418)
    # The beamstop (and so the beam centre) lies well inside one module.
    r, c = round(geo.beam_center_row), round(geo.beam_center_col)
    stop = math.ceil(BEAMSTOP_RADIUS / det.pixel_size) + 2
    assert not det.gap_mask()[r - stop : r + stop + 1, c - stop : c + stop + 1].any()
    assert (r, c) != (det.shape[0] // 2, det.shape[1] // 2)
    # AgBeh rings 1-3 cross live pixels; glassy carbon's certified q range is seen.
    q = geo.q_map(det.shape)
    live = ~det.gap_mask()
    for n in (1, 2, 3):
        assert np.count_nonzero(live & (np.abs(q - n * Q_AGBEH) < 0.01)) > 100
    assert q[live].max() > 2.5 and geo.q_for_radius(BEAMSTOP_RADIUS / det.pixel_size) < 0.1


def test_q_map_and_ring_radius_agree() -> None:
    q = GEO.q_map(P300K.shape)
    r = GEO.radius_for_q(Q_AGBEH)
    # Along the beam-centre column, q at row (centre + r) is the AgBeh q.
    rows = np.arange(P300K.shape[0]) - GEO.beam_center_row
    q_col = np.interp(r, rows, q[:, round(GEO.beam_center_col)])
    assert q_col == pytest.approx(Q_AGBEH, rel=2e-3)
    # Bragg's law by hand: 2 d sin(theta) = lambda, r = D tan(2 theta) / pixel.
    theta = math.asin(GEO.wavelength / (2 * AGBEH_D_SPACING))
    assert r == pytest.approx(1000.0 * math.tan(2 * theta) / 0.172, rel=1e-9)
    assert GEO.q_for_radius(r) == pytest.approx(Q_AGBEH, rel=1e-9)
    with pytest.raises(ValueError):
        GEO.radius_for_q(100.0)


def test_rate_is_the_absolute_cross_section() -> None:
    """counts/s = flux T t dSigma/dOmega dOmega pol (+ parasitic), checked by hand."""
    gc = SAMPLE_MODELS["glassy_carbon"]
    rate = expected_rate(P300K, GEO, "glassy_carbon")
    two_theta = GEO.two_theta_map(P300K.shape)
    omega = (0.172 / 1000.0) ** 2 * np.cos(two_theta) ** 3
    pol = 0.5 * (1 + np.cos(two_theta) ** 2)
    q = GEO.q_map(P300K.shape)
    open_ = ~(beamstop_mask(P300K, GEO) | P300K.gap_mask())
    per_sr = rate / (DEFAULT_FLUX * gc.transmission * omega * pol) - parasitic_scattering(q)
    measured = per_sr[open_] / gc.thickness
    np.testing.assert_allclose(measured, gc.cross_section(q[open_]), rtol=2e-3)
    # NIST SRM 3600 certificate values (q in 1/nm, 1/cm).
    assert gc.cross_section(np.array([0.0828, 1.0966, 2.474])) == pytest.approx(
        [34.93, 22.47, 4.464], rel=5e-3
    )


# -- frames ----------------------------------------------------------------------


def test_frames_have_minus_one_exactly_in_the_gaps() -> None:
    frame = simulate_frame(P300K, GEO, "glassy_carbon", 1.0, rng=np.random.default_rng(1))
    gaps = P300K.gap_mask()
    assert frame.dtype == np.int32 and frame.shape == P300K.shape
    assert (frame[gaps] == -1).all() and (frame[~gaps] >= 0).all()


def test_eiger_9m_frame_and_first_ring() -> None:
    det = DETECTORS["eiger9m"]
    geo = default_geometry(det)
    frame = simulate_frame(det, geo, "agbeh", 1.0, rng=np.random.default_rng(2))
    assert (frame[det.gap_mask()] == -1).all() and (frame[~det.gap_mask()] >= 0).all()
    r1 = geo.radius_for_q(Q_AGBEH)
    profile = radial_profile(frame, geo, band=100)
    lo = int(r1) - 30
    assert abs(lo + np.nanargmax(profile[lo : lo + 60]) - r1) <= 1.5


@pytest.mark.parametrize("order", [1, 2])
def test_agbeh_rings_land_where_bragg_puts_them(order: int) -> None:
    frame = simulate_frame(P300K, GEO, "agbeh", 1.0, rng=np.random.default_rng(3))
    profile = radial_profile(frame, GEO)
    expected = GEO.radius_for_q(order * Q_AGBEH)
    lo = int(expected) - 25
    window = profile[lo : lo + 50]
    peak = lo + int(np.nanargmax(window))
    assert abs(peak - expected) <= 1.5
    assert np.nanmax(window) > 10 * np.nanmedian(window)  # obvious in 1 s


def test_agbeh_rings_weaken_with_order() -> None:
    rate = expected_rate(P300K, GEO, "agbeh")
    profile = radial_profile(rate, GEO)
    peaks = [np.nanmax(profile[int(GEO.radius_for_q(n * Q_AGBEH)) - 3 :][:7]) for n in (1, 2, 3)]
    assert peaks[0] > peaks[1] > peaks[2]


def test_glassy_carbon_falls_with_q_and_scales_with_time() -> None:
    rng = np.random.default_rng(4)
    short = simulate_frame(P300K, GEO, "glassy_carbon", 1.0, rng=rng)
    long = simulate_frame(P300K, GEO, "glassy_carbon", 10.0, rng=rng)
    profile = radial_profile(long, GEO)
    coarse = [np.nanmean(profile[a:b]) for a, b in [(14, 40), (40, 80), (80, 160), (160, 320)]]
    assert all(x > y for x, y in zip(coarse, coarse[1:], strict=False))
    # The curve is visible in 1 s: hundreds of counts just outside the beamstop.
    rows, cols = np.indices(P300K.shape)
    radius = np.hypot(rows - GEO.beam_center_row, cols - GEO.beam_center_col)
    near = (radius > 14) & (radius < 30) & ~beamstop_mask(P300K, GEO)
    assert short[near].sum() > 300
    n1, n10 = short[short > 0].sum(), long[long > 0].sum()
    sigma = 10 * math.sqrt(1 / n1 + 1 / n10)
    assert abs(n10 / n1 - 10) < 5 * sigma
    expected = expected_rate(P300K, GEO, "glassy_carbon").sum() * 10
    assert abs(n10 - expected) < 5 * math.sqrt(expected)


def test_beamstop_shadow_and_direct_beam() -> None:
    rng = np.random.default_rng(5)
    blocked = simulate_frame(P300K, GEO, "empty_beam", 1.0, rng=rng)
    assert beam_box(blocked, GEO, half=5) <= 5
    spot = direct_beam_spot(P300K, GEO)
    assert spot.sum() == pytest.approx(1.0, abs=1e-6)
    free = simulate_frame(P300K, GEO, "empty_beam", 1.0, beamstop_in=False, rng=rng)
    assert beam_box(free, GEO) == pytest.approx(DEFAULT_FLUX, rel=0.01)
    assert free.max() < P300K.saturation_value  # 1 s of direct beam does not saturate


def test_transmission_from_direct_beam_sums() -> None:
    rng = np.random.default_rng(6)
    sums = {
        kind: beam_box(simulate_frame(P300K, GEO, kind, 0.5, beamstop_in=False, rng=rng), GEO)
        for kind in ("dark", "empty_beam", "glassy_carbon", "buffer")
    }
    for kind in ("glassy_carbon", "buffer"):
        transmission = (sums[kind] - sums["dark"]) / (sums["empty_beam"] - sums["dark"])
        assert transmission == pytest.approx(SAMPLE_MODELS[kind].transmission, rel=0.02)


@pytest.mark.parametrize("beamstop_in", [True, False])
def test_dark_frames_are_zero_outside_the_gaps(beamstop_in: bool) -> None:
    frame = simulate_frame(P300K, GEO, "dark", 300.0, beamstop_in=beamstop_in)
    assert (frame[~P300K.gap_mask()] == 0).all() and (frame[P300K.gap_mask()] == -1).all()


def test_long_exposures_stay_far_below_saturation() -> None:
    outside = ~(beamstop_mask(P300K, GEO) | P300K.gap_mask())
    for kind in ("glassy_carbon", "agbeh", "spheres", "buffer", "empty_beam"):
        peak = 300 * expected_rate(P300K, GEO, kind)[outside].max()
        assert peak < P300K.saturation_value / 20, kind


def test_spheres_first_minimum_at_qr_4493() -> None:
    model = SAMPLE_MODELS["spheres"]
    frame = simulate_frame(P300K, GEO, "spheres", 300.0, rng=np.random.default_rng(7))
    profile = radial_profile(frame, GEO)
    lo, hi = (round(GEO.radius_for_q(x / model.radius)) for x in (3.5, 5.5))
    minimum = lo + int(np.nanargmin(profile[lo:hi]))
    assert abs(minimum - GEO.radius_for_q(4.493 / model.radius)) <= 1.5
    second_max = round(GEO.radius_for_q(5.763 / model.radius))
    assert profile[second_max] > 3 * profile[minimum]


def test_poisson_sampler_statistics() -> None:
    rng = np.random.default_rng(8)
    for mean in (0.02, 0.7, 4.0, 9.9, 25.0):
        draws = poisson_counts(np.full(200_000, mean), rng, cap=10**6)
        assert draws.mean() == pytest.approx(mean, abs=5 * math.sqrt(mean / 200_000))
        assert draws.var() == pytest.approx(mean, rel=0.03 + 5 * math.sqrt(2 / 200_000))
        assert np.mean(draws == 0) == pytest.approx(math.exp(-mean), abs=0.003)
    assert poisson_counts(np.full(10, 1e7), rng, cap=1000).max() == 1000


def test_seeded_frames_are_reproducible() -> None:
    def frame(seed: int) -> np.ndarray:
        return simulate_frame(P300K, GEO, "agbeh", 1.0, rng=np.random.default_rng(seed))

    assert np.array_equal(frame(42), frame(42))
    assert not np.array_equal(frame(42), frame(43))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1 s", None])
def test_bad_exposure_times_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="exposure time"):
        simulate_frame(P300K, GEO, "glassy_carbon", bad)


def test_unknown_sample_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="glassy_carbon"):
        simulate_frame(P300K, GEO, "lysozyme", 1.0)


def test_expected_rate_is_cached_and_read_only() -> None:
    rate = expected_rate(P300K, GEO, "buffer")
    assert expected_rate(P300K, GEO, "buffer") is rate and not rate.flags.writeable
    assert rate.dtype == np.float64 and rate.shape == P300K.shape
    assert (rate[P300K.gap_mask()] == 0).all()


# -- sample holder ---------------------------------------------------------------


def test_holder_positions_map_to_kinds() -> None:
    holder = DEFAULT_HOLDER
    assert set(holder.names) == {
        "Dark", "Empty_Beam", "Glassy_Carbon", "AgBeh", "Buffer", "Spheres_R20nm"
    }  # fmt: skip
    assert holder.slot("Empty_Beam").x == 0 and holder.slot("Empty_Beam").y == 0
    for slot in holder.slots:
        assert holder.kind_at(slot.x, slot.y) == slot.kind
        assert holder.kind_at(slot.x + 1.0, slot.y - 0.5) == slot.kind  # within 1.5 mm
    assert holder.kind_at(20.0, 0.0) == "glassy_carbon"
    assert holder.kind_at(30.0, 0.0) == "agbeh"
    assert holder.kind_at(25.0, 0.0) == "empty_beam"  # between two slots: air
    assert holder.kind_at(20.0, 5.0) == "empty_beam"
    assert {slot.kind for slot in holder.slots} == set(SAMPLE_MODELS)


def test_holder_unknown_slot_lists_the_names() -> None:
    with pytest.raises(KeyError, match="Glassy_Carbon"):
        DEFAULT_HOLDER.slot("Lupolen")
