"""Where one exposure's time goes in the core library, outside Sardana.

One cycle follows what the macros do, with the core calls:

1. nxsbegin: ``begin_exposure`` (it loads the instrument description itself);
2. ct: the metadata recorder started before counting (``MetadataRecorder``: a
   background thread reads every source of the description, here with a
   constant reader, and writes the instrument group), the detector writing its
   CBF at the session's name (``write_cbf``: the simulated detector's work,
   timed apart, not part of the cycle), the end snapshot of sensors and
   positioners, ``record_counts`` with the frame's path;
3. nxsend: ``end_exposure``.

The steps inside are timed by wrapping, for the duration of the measurement,
the functions they call (a few microseconds of wrapper per call); a function
that does not exist in the version measured is simply not wrapped (0 ms). The
library's code runs unchanged.
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

from sardana_nxsas import exposure
from sardana_nxsas.cbf import write_cbf
from sardana_nxsas.fsn import FsnCounter
from sardana_nxsas.instrument import load_instrument
from sardana_nxsas.layout import DataRoot
from sardana_nxsas.settings import Settings
from sardana_nxsas.simulation import default_geometry, get_detector, simulate_frame
from sardana_nxsas.simulation.instrument_file import simulated_instrument_toml
from sardana_nxsas.system.simulated_instrument import MOTORS

# (label, module or "module:Class", attribute): the wrapped steps
PROBES: tuple[tuple[str, str, str], ...] = (
    ("root_check", "sardana_nxsas.layout:DataRoot", "check"),
    ("ensure_dirs", "sardana_nxsas.layout:DataRoot", "ensure_dirs"),
    ("fsn_allocate", "sardana_nxsas.fsn:FsnCounter", "allocate"),
    ("create_nxs", "sardana_nxsas.exposure", "create_exposure_file"),
    ("description", "sardana_nxsas.exposure", "load_description"),
    ("description_resolve", "sardana_nxsas.exposure", "resolve"),
    ("end_values", "sardana_nxsas.exposure", "end_values"),
    ("instrument_file", "sardana_nxsas.exposure", "load_instrument"),
    ("read_cbf", "sardana_nxsas.exposure", "read_cbf"),
    ("sha256", "sardana_nxsas.exposure", "sha256_file"),
    ("bad_pixels", "sardana_nxsas.exposure", "bad_pixel_mask"),
    ("complete_nxs", "sardana_nxsas.exposure", "complete_exposure_file"),
    ("write_frame", "sardana_nxsas.nexus.nxsas", "_write_frame"),
    ("pixel_mask", "sardana_nxsas.nexus.nxsas", "pixel_mask"),
    ("fsync_nxs", "sardana_nxsas.nexus.nxsas", "_fsync"),
)

Row = Callable[[dict[str, float]], float]


def _begin_rest(s: dict[str, float]) -> float:
    parts = ("root_check", "ensure_dirs", "fsn_allocate", "create_nxs", "begin_description")
    return s["begin"] - sum(s[k] for k in parts)


def _end_rest(s: dict[str, float]) -> float:
    parts = ("read_cbf", "sha256", "end_description", "bad_pixels", "complete_nxs")
    return s["end"] - sum(s[k] for k in parts)


ROWS: tuple[tuple[str, Row], ...] = (
    ("nxsbegin: `begin_exposure`, total", lambda s: s["begin"]),
    ("  instrument description (load_description)", lambda s: s["begin_description"]),
    ("  data-root write test, folders", lambda s: s["root_check"] + s["ensure_dirs"]),
    ("  FSN allocation (flock, store write, 2 fsync)", lambda s: s["fsn_allocate"]),
    ("  .nxs creation (create_exposure_file)", lambda s: s["create_nxs"]),
    ("  rest", _begin_rest),
    ("ct: description again + start of the metadata thread", lambda s: s["meta_start"]),
    (
        "  (metadata thread: snapshot, resolve, instrument group write; beside the count)",
        lambda s: s["meta_thread"],
    ),
    ("ct: end snapshot of sensors and positioners", lambda s: s["end_snapshot"]),
    ("ct: `record_counts` (frame path)", lambda s: s["record"]),
    ("nxsend: `end_exposure`, total", lambda s: s["end"]),
    ("  CBF read (fabio)", lambda s: s["read_cbf"]),
    ("  SHA-256 of the CBF", lambda s: s["sha256"]),
    ("  description again (load, resolve, end values, constants)", lambda s: s["end_description"]),
    ("  pixel mask (bad pixels, gaps)", lambda s: s["bad_pixels"] + s["pixel_mask"]),
    ("  frame (and mask) compression + write, h5py", lambda s: s["write_frame"] - s["pixel_mask"]),
    (
        "  other .nxs fields + close",
        lambda s: s["complete_nxs"] - s["write_frame"] - s["fsync_nxs"],
    ),
    ("  fsync of the .nxs", lambda s: s["fsync_nxs"]),
    ("  rest (total counts, ...)", _end_rest),
    (
        "**critical path** (all but the metadata thread)",
        lambda s: s["begin"] + s["meta_start"] + s["end_snapshot"] + s["record"] + s["end"],
    ),
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


class _Metadata:
    """What ct does around the count for the instrument metadata (core calls only)."""

    def __init__(self) -> None:
        try:
            self.recording = importlib.import_module("sardana_nxsas.recording")
            self.snapshot = importlib.import_module("sardana_nxsas.snapshot")
            self.description = importlib.import_module("sardana_nxsas.description")
        except ImportError:  # a version without metadata recording
            self.recording = None

    @staticmethod
    def read(ref: object) -> float:
        return 1.0  # every source (motor positions here) reads a constant

    def start(self, settings: Settings, nxs: str) -> tuple[Any, list[Any]]:
        if self.recording is None:
            return None, []
        description = self.description.load_description(settings.instrument_file)
        refs = description.sources(list(MOTORS.values()))
        return self.recording.MetadataRecorder(nxs, description, refs, self.read), refs

    def wait(self, recorder: Any, session: exposure.Session) -> None:
        if recorder is not None:
            session.instrument_written = recorder.wait() is not None

    def end(self, recorder: Any, refs: list[Any], session: exposure.Session) -> None:
        if recorder is None:
            return
        end_refs = self.recording.end_refs(refs)
        snap = self.snapshot.take_snapshot(end_refs, self.read)
        session.end_readings = self.recording.readings_to_json(snap.readings)
        session.end_seconds = recorder.seconds()


def _one_cycle(
    settings: Settings, frame: np.ndarray, exposure_time: float, meta: _Metadata
) -> tuple[dict[str, float], list[str]]:
    probes = _Probes()
    marks: dict[str, float] = {}
    with probes.installed():
        t0 = time.perf_counter()
        session, _ = exposure.begin_exposure(settings, settings.default_prefix, "benchmark")
        marks["begin"] = time.perf_counter() - t0
        begin_description = probes.times["description"]
        t0 = time.perf_counter()
        recorder, refs = meta.start(settings, session.nxs)
        t1 = time.perf_counter()
        meta.wait(recorder, session)  # in a real ct the count runs meanwhile
        marks.update(meta_start=t1 - t0, meta_thread=time.perf_counter() - t0)
        header = exposure.cbf_header(
            load_instrument(settings.instrument_file), exposure_time, datetime.now()
        )
        t0 = time.perf_counter()
        write_cbf(Path(session.cbf), frame, header)
        marks["write_cbf"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        meta.end(recorder, refs, session)
        marks["end_snapshot"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        exposure.record_counts(
            session,
            settings,
            count_time=exposure_time,
            monitor=exposure_time,
            counters={"timer": exposure_time},
            frame=session.cbf,
        )
        marks["record"] = time.perf_counter() - t0
        before_end = dict(probes.times)
        t0 = time.perf_counter()
        summary = exposure.end_exposure(session, settings)
        marks["end"] = time.perf_counter() - t0
    if summary.status != "complete":
        raise RuntimeError(f"profile exposure ended {summary.status}")
    times = {label: probes.times.get(label, 0.0) for label, _, _ in PROBES}
    # the description is loaded in begin_exposure, by ct (not wrapped there) and in end_exposure
    times["description"] -= before_end.get("description", 0.0)
    times["description_resolve"] -= before_end.get("description_resolve", 0.0)
    times["begin_description"] = begin_description
    times["end_description"] = sum(
        times[k] for k in ("description", "description_resolve", "end_values", "instrument_file")
    )
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
    meta = _Metadata()
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
                times, missing = _one_cycle(settings, frame, exposure_time, meta)
                result.not_wrapped = missing
                if index:  # the first cycle warms caches and imports up
                    profile.cycles.append(times)
            fsn = FsnCounter(settings.root).last(settings.default_prefix) or 0
            profile.cbf_bytes = settings.root.cbf_path(settings.default_prefix, fsn).stat().st_size
            profile.nxs_bytes = settings.root.nxs_path(settings.default_prefix, fsn).stat().st_size
            result.frames.append(profile)
    return result
