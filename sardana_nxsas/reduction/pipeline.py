"""reduce_exposure: from a complete exposure file to /entry/reduced and its ASCII file.

The order of the steps is the reference lab's (CREDO, docs/explanation/reduction.md):
mask, /exposure time, - dark, /transmission, - empty beam, solid angle, /thickness,
x absolute factor from glassy carbon; the averaging in q is done once per frame with the
geometry's integrator, and the linear steps act on the averages (see :mod:`.curves`).
A science problem (:class:`ReductionError`) marks the reduction failed in the file;
OSError (the file cannot be written) propagates, so the reducer tries again.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.reduction.absolute import calibrate
from sardana_nxsas.reduction.curves import Curve, dark_level, normalised
from sardana_nxsas.reduction.inputs import Header, ReductionError, Value, read_frame, read_header
from sardana_nxsas.reduction.integrate import average, bins, solid_angle_at_normal
from sardana_nxsas.reduction.masking import beamstop_disc
from sardana_nxsas.reduction.outcome import ReductionOutcome
from sardana_nxsas.reduction.output import write_failure, write_result
from sardana_nxsas.reduction.result import Result
from sardana_nxsas.reduction.shadowref import ShadowMask, shadow_mask
from sardana_nxsas.reduction.standards import ROLES, choose_standards

TRANSMISSION_SIGMAS = 2.0  # a T above 1 by at most this many of its errors is accepted


def reduce_file(root: DataRoot, nxs: Path) -> ReductionOutcome:
    try:
        header = read_header(nxs)
    except ReductionError as exc:
        return _failed(str(exc), None)
    standards: dict[str, Header] = {}
    try:
        result = _reduce(root, header, standards)
        ascii_path = write_result(result)
    except ReductionError as exc:
        reason = _one_line(str(exc))
    except OSError:
        raise  # the file cannot be written: the reducer tries again
    except Exception as exc:  # noqa: BLE001 - a bug must not cost the exposure either
        reason = _one_line(f"reduction error: {type(exc).__name__}: {exc}")
    else:
        q = result.curve.q
        cal = result.calibration
        return ReductionOutcome(
            "done", None,
            None if cal is None else cal.factor.value, None if cal is None else cal.factor.error,
            None if cal is None else cal.flux, float(q.min()), float(q.max()),
            *_ids(standards), ascii_path,
        )  # fmt: skip
    write_failure(header, reason, standards)
    return _failed(reason, standards)


def _ids(standards: dict[str, Header]) -> tuple[str | None, str | None, str | None]:
    dark, empty_beam, glassy_carbon = (
        standards[r].identifier if r in standards else None
        for r in ("dark", "empty_beam", "glassy_carbon")
    )
    return dark, empty_beam, glassy_carbon


def _failed(reason: str, standards: dict[str, Header] | None) -> ReductionOutcome:
    dark, empty, gc = _ids(standards or {})
    return ReductionOutcome("failed", reason, None, None, None, None, None, dark, empty, gc, None)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


def _check_exposure(h: Header, what: str) -> None:
    if h.status != "complete":
        raise ReductionError(f"{what} {h.identifier} is not complete (status {h.status})")
    if h.count_time is None or not h.count_time > 0:
        raise ReductionError(f"{what} {h.identifier} has no counting time")
    if h.geometry is None or h.geometry_problem:
        raise ReductionError(f"{what} {h.identifier}: {h.geometry_problem}")


def _transmission(h: Header, what: str) -> Value:
    t = h.transmission
    if t is None:
        raise ReductionError(
            f"{what} {h.identifier} ({h.sample_name!r}) has no transmission: measure it "
            "(nxstrans) so that the sample record carries it"
        )
    if not (0 < t.value <= 1 + TRANSMISSION_SIGMAS * t.error):
        raise ReductionError(
            f"{what} {h.identifier} ({h.sample_name!r}): transmission {t.value:g} is outside (0, 1]"
        )
    return t


def _thickness(h: Header, what: str) -> Value:
    d = h.thickness
    if d is None or not d.value > 0:
        raise ReductionError(
            f"{what} {h.identifier} ({h.sample_name!r}) has no thickness: give it in the "
            "sample record (nxssample set NAME thickness CM)"
        )
    return d


def _reduce(root: DataRoot, h: Header, standards: dict[str, Header]) -> Result:
    _check_exposure(h, "exposure")
    geometry = h.geometry
    assert geometry is not None and h.count_time is not None
    role = h.role
    if role == "sample":  # before the search, so that the reason names the sample first
        _transmission(h, "sample")
        _thickness(h, "sample")
    chosen = choose_standards(root, h)
    standards.update(chosen.found)
    needed = {"dark": (), "empty_beam": ("dark",)}.get(role, ROLES)
    if any(r not in chosen.found for r in needed):
        raise ReductionError(chosen.missing(h, needed))
    for r in needed:
        if r != "glassy_carbon" or chosen.found[r] is not h:
            _check_exposure(chosen.found[r], r.replace("_", " "))
    for r in list(standards):
        if r not in needed:
            del standards[r]
    # a dark or an empty beam is masked like the samples, if a glassy carbon precedes it
    return _compute(h, standards, shadow_mask(root, h, chosen.found.get("glassy_carbon")))


def _compute(h: Header, standards: dict[str, Header], shaded: ShadowMask) -> Result:
    geometry = h.geometry
    assert geometry is not None and h.count_time is not None
    frames = {"sample": read_frame(h.path)}
    for role, other in standards.items():
        frames[role] = read_frame(other.path)
    invalid = np.zeros(geometry.shape, bool)
    for _, bad in frames.values():
        invalid |= bad
    disc = beamstop_disc(geometry, h.beamstop_size)
    mask = invalid | disc | shaded.mask
    steps = [
        f"mask: {int(invalid.sum())} gap/bad pixels (frames' negative values and pixel_mask), "
        f"beamstop disc of {h.beamstop_size or 0:g} mm ({int((disc & ~invalid).sum())} px), "
        f"{shaded.step()}: {int(mask.sum())} of {mask.size} pixels left out"
    ]
    npt, q_range = bins(geometry, mask)
    omega0 = solid_angle_at_normal(geometry)

    def averaged(role: str, seconds: float):  # counts/s, Poisson variance counts/s^2
        counts = frames[role][0]
        return average(
            geometry, counts / seconds, counts / seconds**2, mask, npt, q_range, 1 / seconds
        )

    sample_avg = averaged("sample", h.count_time)
    steps.append(f"normalise by exposure time: {h.count_time:g} s (variance counts/t^2)")
    dark = Value(0.0)
    if "dark" in standards:
        d = standards["dark"]
        assert d.count_time is not None
        dark = dark_level(frames["dark"][0], mask, d.count_time)
        steps.append(f"dark: level {dark.value:.4g} +- {dark.error:.2g} counts/s/pixel "
                     f"from {d.identifier} ({d.count_time:g} s)")  # fmt: skip
    result = Result(h, Curve(sample_avg.q, sample_avg.value, sample_avg.variance, 0 * sample_avg.q),
                    np.zeros_like(sample_avg.q), "arbitrary", standards, None)  # fmt: skip
    result.terms.update(dark_level=dark.value, dark_level_error=dark.error, **shaded.terms())
    result.units_of.update(dark_level="counts/s", dark_level_error="counts/s",
                           shadow_mask_counting_time="s")  # fmt: skip
    if h.role in ("dark", "empty_beam"):
        curve = normalised(sample_avg, None, dark, Value(1.0), Value(1.0), omega0, None)
        steps.append(f"solid angle: pyFAI, per sr (pixel at normal incidence {omega0:.4g} sr); "
                     "polarisation: unpolarised source")  # fmt: skip
        steps.append(f"not on an absolute scale: {h.role.replace('_', ' ')} exposure, "
                     "counts s^-1 sr^-1 (units 'arbitrary')")  # fmt: skip
        result.curve = curve
    else:
        _absolute(h, standards, frames, sample_avg, dark, omega0, averaged, steps, result)
    result.steps = steps
    keep = (
        (sample_avg.count > 0) & np.isfinite(result.curve.value) & np.isfinite(result.curve.error)
    )
    if int(keep.sum()) < 5:
        raise ReductionError(f"only {int(keep.sum())} q bins have unmasked pixels")
    result.curve = result.curve.select(keep)
    result.qdev = _qdev(h, result.curve.q, npt, q_range)
    result.steps.append(f"azimuthal average: pyFAI {_pyfai_version()}, {npt} bins in "
                        f"{q_range[0]:.4g}-{q_range[1]:.4g} 1/nm, {int(keep.sum())} kept")  # fmt: skip
    return result


def _absolute(h, standards, frames, sample_avg, dark, omega0, averaged, steps, result) -> None:
    t_s, d_s = _transmission(h, "sample"), _thickness(h, "sample")
    eb, gc = standards["empty_beam"], standards["glassy_carbon"]
    t_e = eb.transmission or Value(1.0)
    empty_avg = averaged("empty_beam", eb.count_time)
    steps.append(f"transmission: divide by {t_s.value:.4g} +- {t_s.error:.2g} (sample record)")
    steps.append(f"empty beam: subtract {eb.identifier} ({eb.count_time:g} s, dark-subtracted, "
                 f"divided by its transmission {t_e.value:g})")  # fmt: skip
    steps.append(f"solid angle: pyFAI, per sr (pixel at normal incidence {omega0:.4g} sr); "
                 "polarisation: unpolarised source")  # fmt: skip
    steps.append(f"thickness: divide by {d_s.value:.4g} +- {d_s.error:.2g} cm")
    t_gc, d_gc = _transmission(gc, "glassy carbon"), _thickness(gc, "glassy carbon")
    gc_avg = sample_avg if gc is h else averaged("glassy_carbon", gc.count_time)
    gc_curve = normalised(gc_avg, empty_avg, dark, t_gc, t_e, omega0, d_gc)
    ok = (gc_avg.count > 0) & np.isfinite(gc_curve.value)
    cal = calibrate(gc_curve.select(ok), d_gc, t_gc)
    curve = normalised(sample_avg, empty_avg, dark, t_s, t_e, omega0, d_s)
    result.curve = curve.scaled(cal.factor)
    result.calibration = cal
    result.units = "1/cm"
    steps.append(
        f"absolute scale: x {cal.factor.value:.5g} +- {cal.factor.error:.2g} from glassy carbon "
        f"{gc.identifier} (T {t_gc.value:.4g}, {d_gc.value:g} cm) fitted to the NIST SRM 3600 "
        f"curve over {cal.q_range[0]:.3g}-{cal.q_range[1]:.3g} 1/nm ({cal.points} points, "
        f"chi2_red {cal.chi2_reduced:.3g}); flux {cal.flux:.4g} photons/s"
    )
    result.terms.update(
        transmission=t_s.value, transmission_error=t_s.error, thickness=d_s.value,
        thickness_error=d_s.error, empty_beam_transmission=t_e.value,
        glassy_carbon_transmission=t_gc.value, glassy_carbon_thickness=d_gc.value,
        absolute_factor=cal.factor.value, absolute_factor_error=cal.factor.error,
        flux=cal.flux, calibration_chi2_reduced=cal.chi2_reduced,
    )  # fmt: skip
    result.units_of.update(thickness="cm", thickness_error="cm", glassy_carbon_thickness="cm",
                           flux="1/s")  # fmt: skip


def _qdev(h: Header, q: np.ndarray, npt: int, q_range: tuple[float, float]) -> np.ndarray:
    """Standard uncertainty of each bin's Q: its width (uniform: /sqrt 12) and the file's
    wavelength, distance and beam-centre uncertainties, to first order."""
    g = h.geometry
    assert g is not None
    width = (q_range[1] - q_range[0]) / npt
    rel_geometry = math.hypot(g.wavelength.relative, g.distance.relative)
    centre_px = math.hypot(g.beam_row.error, g.beam_col.error) / math.sqrt(2)
    dq_dpx = (4 * math.pi / g.wavelength.value) * 0.5 * g.pixel_x / g.distance.value
    return np.sqrt(width**2 / 12 + (q * rel_geometry) ** 2 + (dq_dpx * centre_px) ** 2)


def _pyfai_version() -> str:
    import pyFAI

    return str(pyFAI.version)
