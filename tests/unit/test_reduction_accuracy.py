"""Reduction accuracy on the simulated instrument: absolute scale, I(q) shape, q calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reduction_support import expose, simulated_settings, standards

from sardana_nxsas.reduction import reduce_exposure
from sardana_nxsas.reduction.export import read_reduced
from sardana_nxsas.reduction.integrate import cached_geometries
from sardana_nxsas.simulation import AGBEH_D_SPACING, DEFAULT_FLUX, SAMPLE_MODELS

pytest.importorskip("pyFAI")


@pytest.fixture(scope="module")
def reduced(tmp_path_factory: pytest.TempPathFactory) -> dict:
    settings = simulated_settings(tmp_path_factory.mktemp("accuracy"))
    files = standards(settings, 600.0)
    files["Spheres_R20nm"] = expose(settings, "Spheres_R20nm", 600.0, 11)
    files["AgBeh"] = expose(settings, "AgBeh", 60.0, 12)
    outcomes = {name: reduce_exposure(settings.root, path) for name, path in files.items()}
    return {"files": files, "outcomes": outcomes}


def test_every_exposure_is_reduced_with_the_standards_by_rule(reduced: dict) -> None:
    outcomes = reduced["outcomes"]
    assert {o.status for o in outcomes.values()} == {"done"}, outcomes
    spheres = outcomes["Spheres_R20nm"]
    assert (spheres.dark, spheres.empty_beam, spheres.glassy_carbon) == (
        "crd_00001", "crd_00002", "crd_00003",
    )  # fmt: skip
    assert outcomes["Glassy_Carbon"].glassy_carbon == "crd_00003"  # its own calibrant
    assert outcomes["Dark"].absolute_factor is None  # standards: not on an absolute scale
    assert cached_geometries() >= 1


def test_the_glassy_carbon_gives_back_the_simulated_flux(reduced: dict) -> None:
    out = reduced["outcomes"]["Spheres_R20nm"]
    assert out.absolute_factor_error > 0
    assert abs(out.absolute_factor * DEFAULT_FLUX - 1) < 0.02
    assert out.flux == pytest.approx(1 / out.absolute_factor)


def test_spheres_match_the_form_factor_on_an_absolute_scale(reduced: dict) -> None:
    curve = read_reduced(reduced["files"]["Spheres_R20nm"]).curve
    assert curve.i_units == "1/cm"
    model = SAMPLE_MODELS["spheres"].cross_section(curve.q)
    weights = 1 / curve.idev**2
    scale = float(np.sum(weights * curve.i * model) / np.sum(weights * model**2))
    assert abs(scale - 1) < 0.05  # the absolute scale within 5 %
    pulls = (curve.i - model) / curve.idev
    assert float(np.mean(pulls**2)) < 1.5  # within the uncertainties, over the whole range
    assert np.mean(np.abs(pulls) < 3) > 0.98
    assert curve.q.min() < 0.1 and curve.q.max() > 3  # the measured range, 1/nm


def test_silver_behenate_first_ring_is_at_its_d_spacing(reduced: dict) -> None:
    curve = read_reduced(reduced["files"]["AgBeh"]).curve
    expected = 2 * math.pi / AGBEH_D_SPACING
    near = np.abs(curve.q - expected) < 0.06
    q, i = curve.q[near], curve.i[near]
    peak = int(np.argmax(i))
    top = slice(max(peak - 3, 0), peak + 4)  # a Gaussian: a parabola in log I near the top
    a, b, _ = np.polyfit(q[top], np.log(i[top]), 2)
    found = -b / (2 * a)
    assert abs(found / expected - 1) < 0.005
