"""Where one exposure's time goes in the core library, outside Sardana.

One cycle follows what the macros and the writer process do, with the core calls:

1. nxsbegin: ``begin_exposure`` (FSN, create job), then the writer's create job;
2. ct: the metadata snapshot started before counting (``BackgroundSnapshot`` with
   a constant reader), the detector saving its CBF in ``images/.incoming``
   (``write_cbf``: the simulated detector's work, timed apart, not in the cycle),
   the end snapshot of sensors and positioners, ``record_counts`` claiming the CBF;
3. nxsend: ``end_exposure`` (the complete job), then the writer's complete job:
   CBF read, SHA-256, metadata resolved, frame compressed and written, catalog
   note and row, then the drain's flush (one fsync per file written, the jobs
   deleted).

The macro path (1–3 without the writer) is what `expose` adds to a count; the
writer's part runs in its own process and sets the time to file. The steps
inside are timed by wrapping the functions they call for the duration of the
measurement; a function that does not exist in the version measured is not
wrapped (0 ms).
"""

from __future__ import annotations

import importlib
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sardana_nxsas.acquisition import exposure
from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.acquisition.snapshot import BackgroundSnapshot
from sardana_nxsas.dataroot.cbf import write_cbf
from sardana_nxsas.dataroot.claim import INCOMING
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.description import load_description, load_instrument
from sardana_nxsas.nexus.exposure.readings import end_refs, readings_to_json
from sardana_nxsas.simulation import default_geometry, get_detector, simulate_frame
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml
from sardana_nxsas.system.simulated_instrument import MOTORS
from sardana_nxsas.writer import drain

WRITER = "sardana_nxsas.writer.complete"
# (label, module or "module:Class", attribute): the wrapped steps
PROBES: tuple[tuple[str, str, str], ...] = (
    ("fsn_allocate", "sardana_nxsas.acquisition.exposure:FsnCounter", "allocate"),
    ("submit", "sardana_nxsas.acquisition.exposure", "submit"),
    ("ensure_file", WRITER, "ensure_file"),
    ("read_cbf", WRITER, "read_cbf"),
    ("sha256", WRITER, "sha256_file"),
    ("description", WRITER, "load_description"),
    ("resolve", WRITER, "resolve"),
    ("end_values", WRITER, "end_values"),
    ("bad_pixels", WRITER, "bad_pixel_mask"),
    ("complete_nxs", WRITER, "complete_exposure_file"),
    ("write_frame", "sardana_nxsas.nexus.exposure.nxsas", "_write_frame"),
    ("pixel_mask", "sardana_nxsas.nexus.exposure.nxsas", "pixel_mask"),
    ("flush", "sardana_nxsas.jobs.drain:Drainer", "_flush"),
    ("total_counts", WRITER, "total_counts"),
    ("status", WRITER, "_status"),
    ("note", WRITER, "write_catalog_note"),
    ("row", WRITER, "row_from_file"),
    ("catalog_submit", WRITER, "_catalog"),
    ("reduction_request", "sardana_nxsas.reducer.jobs", "request_reduction"),
)

Row = Callable[[dict[str, float]], float]


def _macro_path(s: dict[str, float]) -> float:
    return s["begin"] + s["meta_start"] + s["end_snapshot"] + s["record"] + s["end"]


def _complete_rest(s: dict[str, float]) -> float:
    parts = ("ensure_file", "read_cbf", "sha256", "description", "resolve", "end_values")
    parts += ("bad_pixels", "complete_nxs", "total_counts", "status", "note", "catalog_submit")
    parts += ("flush",)
    return s["w_complete"] - sum(s[k] for k in parts) - s["reduction_request"]


ROWS: tuple[tuple[str, Row], ...] = (
    ("nxsbegin: `begin_exposure`, total", lambda s: s["begin"]),
    ("  FSN allocation (flock, store write, fsync)", lambda s: s["fsn_allocate"]),
    ("  create job to disk", lambda s: s["submit_begin"]),
    ("ct: metadata snapshot handed to worker threads", lambda s: s["meta_start"]),
    ("ct: end snapshot of sensors and positioners, collect", lambda s: s["end_snapshot"]),
    ("ct: `record_counts` (claim the detector's CBF)", lambda s: s["record"]),
    ("nxsend: `end_exposure` (complete job to disk, fsync)", lambda s: s["end"]),
    ("**macro path** (core part of what `expose` adds)", _macro_path),
    ("writer, create job: the .nxs with status running, catalog row", lambda s: s["w_create"]),
    ("writer, complete job, total", lambda s: s["w_complete"]),
    ("  CBF read (fabio)", lambda s: s["read_cbf"]),
    ("  SHA-256 of the CBF", lambda s: s["sha256"]),
    (
        "  description, readings resolved, end values",
        lambda s: s["description"] + s["resolve"] + s["end_values"],
    ),
    ("  pixel mask (bad pixels, gaps)", lambda s: s["bad_pixels"] + s["pixel_mask"]),
    ("  frame (and mask) compression + write, h5py", lambda s: s["write_frame"] - s["pixel_mask"]),
    (
        "  other .nxs fields (instrument, sample, ...) + close",
        lambda s: s["complete_nxs"] - s["write_frame"],
    ),
    ("  catalog note in the file (read header, write)", lambda s: s["note"]),
    ("  catalog row from the file + spool", lambda s: s["catalog_submit"]),
    (
        "  rest (status reads, total counts, reduction request, job)",
        lambda s: _complete_rest(s) + s["status"] + s["total_counts"] + s["reduction_request"],
    ),  # fmt: skip
    ("  flush: one fsync per file the drain wrote, then the jobs deleted", lambda s: s["flush"]),
    (
        "**writer total** (create + complete: the time to file's floor)",
        lambda s: s["w_create"] + s["w_complete"],
    ),  # fmt: skip
    (
        "detector side, not in the cycle: `write_cbf` (encode, write, fsync, SHA-256)",
        lambda s: s["write_cbf"],
    ),
)


@dataclass
class FrameProfile:
    """Step times of ``cycles`` exposures of one frame."""

    label: str
    shape: tuple[int, int]
    total_counts: int
    cycles: list[dict[str, float]] = field(default_factory=list)
    cbf_bytes: int = 0
    nxs_bytes: int = 0

    def median_ms(self, row: Row) -> float:
        return 1000.0 * statistics.median(row(c) for c in self.cycles)


@dataclass
class DetectorProfile:
    detector: str
    compression: str
    frames: list[FrameProfile] = field(default_factory=list)
    not_wrapped: list[str] = field(default_factory=list)


def _owner(spec: str) -> object | None:
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, class_name, None) if class_name else module


class _Probes:
    """Accumulates the time spent in each wrapped callable."""

    def __init__(self) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self.missing: list[str] = []

    @contextmanager
    def installed(self) -> Iterator[None]:
        with ExitStack() as stack:
            for label, spec, attr in PROBES:
                owner = _owner(spec)
                if owner is None or not hasattr(owner, attr):
                    self.missing.append(f"{spec}.{attr}")
                    continue
                stack.enter_context(self._wrap(label, owner, attr))
            yield

    @contextmanager
    def _wrap(self, label: str, owner: object, attr: str) -> Iterator[None]:
        original = getattr(owner, attr)
        times = self.times

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                times[label] += time.perf_counter() - t0

        setattr(owner, attr, timed)
        try:
            yield
        finally:
            setattr(owner, attr, original)


def _read(ref: object) -> float:
    return 1.0  # every source (motor positions here) reads a constant


def _nothing() -> None:  # the writer is driven by hand here: drain() after each job
    pass


def _one_cycle(
    settings: Settings, frame: np.ndarray, exposure_time: float
) -> tuple[dict[str, float], list[str]]:
    probes = _Probes()
    marks: dict[str, float] = {}
    root = settings.root
    refs = load_description(settings.instrument_file).sources(list(MOTORS.values()))
    header = exposure.cbf_header(
        load_instrument(settings.instrument_file), exposure_time, datetime.now()
    )
    with probes.installed():
        t0 = time.perf_counter()
        session, _ = exposure.begin_exposure(
            settings, settings.default_prefix, "benchmark", wake=_nothing
        )
        marks["begin"] = time.perf_counter() - t0
        marks["submit_begin"] = probes.times["submit"]
        t0 = time.perf_counter()
        drain(root)
        marks["w_create"] = time.perf_counter() - t0
        before = dict(probes.times)
        t0 = time.perf_counter()
        snapshot = BackgroundSnapshot(refs, _read)
        marks["meta_start"] = time.perf_counter() - t0
        incoming = root.path / "images" / INCOMING / f"frame_{session.fsn:06d}.cbf"
        incoming.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        write_cbf(incoming, frame, header)  # the detector, while the count runs
        marks["write_cbf"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        started = snapshot.result()
        end = BackgroundSnapshot(end_refs(refs), _read).result()
        session.start_readings = readings_to_json(started.readings)
        session.end_readings = readings_to_json(end.readings)
        marks["end_snapshot"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        exposure.record_counts(
            session,
            settings,
            count_time=exposure_time,
            monitor=exposure_time,
            counters={"timer": exposure_time},
            frame=f"file://{incoming}",
        )
        marks["record"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = exposure.end_exposure(session, settings, wake=_nothing)
        marks["end"] = time.perf_counter() - t0
        writer_before = dict(probes.times)
        t0 = time.perf_counter()
        left = drain(root)
        marks["w_complete"] = time.perf_counter() - t0
    if summary.status != "complete" or left:
        raise RuntimeError(f"profile exposure ended {summary.status}, {left} job(s) left")
    # the writer's steps: what the complete job spent (the create job's ensure_file aside)
    times = {
        label: probes.times.get(label, 0.0) - writer_before.get(label, 0.0)
        for label, _, _ in PROBES
    }
    times["fsn_allocate"] = before.get("fsn_allocate", 0.0)
    times.update(marks)
    return times, probes.missing


def profile_detector(
    detector: str,
    frames: list[tuple[str, str, float]],
    cycles: int,
    compression: str = "gzip",
    tmp_dir: Path | None = None,
) -> DetectorProfile:
    """Profile ``cycles`` exposures (after one untimed) per (label, sample kind, time) frame."""
    model = get_detector(detector)
    geometry = default_geometry(model)
    result = DetectorProfile(detector, compression)
    with tempfile.TemporaryDirectory(prefix=f"nxsas-profile-{detector}-", dir=tmp_dir) as tmp:
        root = Path(tmp) / "data"
        root.mkdir()
        instrument_file = Path(tmp) / "instrument.toml"
        instrument_file.write_text(simulated_instrument_toml(detector))
        settings = Settings(DataRoot(root), instrument_file, compression=compression)
        rng = np.random.default_rng(20240605)
        for label, kind, exposure_time in frames:
            frame = simulate_frame(model, geometry, kind, exposure_time, rng=rng)
            profile = FrameProfile(label, model.shape, int(np.clip(frame, 0, None).sum()))
            for index in range(cycles + 1):
                times, missing = _one_cycle(settings, frame, exposure_time)
                result.not_wrapped = missing
                if index:  # the first cycle warms caches and imports up
                    profile.cycles.append(times)
            fsn = FsnCounter(settings.root).last(settings.default_prefix) or 0
            profile.cbf_bytes = settings.root.cbf_path(settings.default_prefix, fsn).stat().st_size
            profile.nxs_bytes = settings.root.nxs_path(settings.default_prefix, fsn).stat().st_size
            result.frames.append(profile)
    return result
