"""Exposure files of the simulated instrument for the reduction tests (no Tango)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sardana_nxsas.acquisition.exposure import begin_exposure, end_exposure, record_counts
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.simulation import SAMPLE_MODELS, default_geometry, get_detector, simulate_frame
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml

DETECTOR = get_detector("pilatus300k")
GEOMETRY = default_geometry(DETECTOR)

# registry name, simulation kind, category
STANDARDS = {
    "Dark": ("dark", "Dark"),
    "Empty_Beam": ("empty_beam", "Empty beam"),
    "Glassy_Carbon": ("glassy_carbon", "normalization sample"),
    "AgBeh": ("agbeh", "calibration sample"),
    "Spheres_R20nm": ("spheres", "sample"),
    "Buffer": ("buffer", "buffer"),
}


def simulated_settings(folder: Path, toml: str | None = None) -> Settings:
    root = folder / "data"
    root.mkdir(exist_ok=True)
    instrument = folder / "instrument.toml"
    instrument.write_text(toml or simulated_instrument_toml("pilatus300k"))
    return Settings(DataRoot(root), instrument)


def sample_record(name: str, **changes) -> Sample:
    """The registry record of a simulated sample, with its true T and thickness."""
    kind, category = STANDARDS[name]
    model = SAMPLE_MODELS[kind]
    values = {"category": category}
    if kind != "dark":
        values.update(
            transmission=model.transmission, transmission_error=0.002 * model.transmission
        )
    if model.thickness > 0 and kind not in ("dark", "empty_beam"):
        values.update(thickness=model.thickness, thickness_error=0.001 * model.thickness)
    values.update(changes)
    return Sample(name, **{k: v for k, v in values.items() if v is not None})


def expose(
    settings: Settings,
    name: str,
    seconds: float,
    seed: int,
    *,
    sample: Sample | None = None,
    kind: str | None = None,
    prefix: str = "crd",
) -> Path:
    """One complete exposure of a simulated sample; returns the .nxs path."""
    record = sample if sample is not None else sample_record(name)
    frame = simulate_frame(
        DETECTOR, GEOMETRY, kind or STANDARDS[name][0], seconds, rng=np.random.default_rng(seed)
    )
    session, _ = begin_exposure(settings, prefix, name, sample=record)
    record_counts(session, settings, count_time=seconds, monitor=seconds,
                  counters={"timer": seconds}, frame=frame)  # fmt: skip
    end_exposure(session, settings)
    return Path(session.nxs)


def standards(settings: Settings, seconds: float = 600.0) -> dict[str, Path]:
    """Dark, empty beam and glassy carbon, in that order."""
    return {
        name: expose(settings, name, seconds, seed)
        for seed, name in enumerate(("Dark", "Empty_Beam", "Glassy_Carbon"), 1)
    }
