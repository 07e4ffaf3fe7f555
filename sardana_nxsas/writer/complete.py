"""The file work of one job: create the exposure file, or complete it from its CBF
(a scan's jobs are done by :mod:`.scan`).

Everything here is idempotent, so a job interrupted by a crash is simply run
again: ``create`` leaves an existing file of the same exposure alone (a file
that HDF5 cannot open is moved aside, never overwritten, and made again), and
``complete`` of a file that already has its final status only refreshes the
catalog row.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py

from sardana_nxsas.catalog import CatalogRow, row_for_running, row_from_file, shared_writer
from sardana_nxsas.catalog.rows import write_catalog_note
from sardana_nxsas.dataroot.cbf import read_cbf, sha256_file
from sardana_nxsas.dataroot.claim import settle_claim
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.description import load_description, resolve
from sardana_nxsas.errors import NxsError
from sardana_nxsas.nexus.exposure.nxsas import (
    ExposureResult,
    ExposureStart,
    FrameFile,
    complete_exposure_file,
    create_exposure_file,
)
from sardana_nxsas.nexus.exposure.readings import end_values, readings_from_json
from sardana_nxsas.nexus.files import busy_or_raise, held_by_a_reader, set_aside
from sardana_nxsas.nexus.mask import bad_pixel_mask, total_counts
from sardana_nxsas.reducer import jobs as reduction_jobs
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.writer.jobs import Job
from sardana_nxsas.writer.scan import run_scan_job
from sardana_nxsas.writer.scan_jobs import SCAN_KINDS

log = logging.getLogger(__name__)


def run_job(root: DataRoot, job: Job) -> list[Path]:
    """Do the job's work; return what to fsync before the job may be deleted.

    FileBusyError while a reader (a viewer, a validate) holds the file: the job waits
    for it, however long, without counting as a failed attempt (sardana_nxsas.jobs.drain).
    """
    try:
        if job.kind in SCAN_KINDS:
            return run_scan_job(root, job)
        return _run_exposure_job(root, job)
    except OSError as exc:
        busy_or_raise(exc, job.path)
        raise


def _run_exposure_job(root: DataRoot, job: Job) -> list[Path]:
    payload = job.load()
    start, catalog_url = payload["start"], payload.get("catalog_url")
    nxs = root.path / start["nxs"]
    if job.kind == "create":
        ensure_file(nxs, start)
        _catalog(root, catalog_url, lambda: row_for_running(
            root, start["prefix"], start["fsn"], start["title"], start.get("sample_name"),
            start["start_time"],
        ))  # fmt: skip
        return [nxs, nxs.parent]
    ensure_file(nxs, start)
    total = None
    if _status(nxs) == "running":
        total = _complete(root, nxs, payload)
        write_catalog_note(nxs, durable=False)  # the header reindex reads in one go
    _catalog(root, catalog_url, lambda: row_from_file(nxs, root, total_counts=total))
    # a complete crd is reduced; the reduce job is flushed with the file
    reduce = reduction_jobs.request_reduction(root, nxs, catalog_url, _status, durable=False)
    return [nxs, nxs.parent] + ([] if reduce is None else [reduce.path, reduce.path.parent])


def ensure_file(nxs: Path, start: dict[str, Any]) -> None:
    """The exposure file exists and HDF5 can open it (made from ``start`` if not)."""
    if nxs.exists():
        try:
            with h5py.File(nxs, "r") as handle:
                if "entry/status" in handle:
                    return
        except OSError as exc:
            if held_by_a_reader(exc):
                raise
        broken = set_aside(nxs)
        log.warning("%s could not be opened; moved to %s and made again", nxs, broken.name)
    sample = start.get("sample")
    create_exposure_file(
        nxs,
        ExposureStart(
            identifier=nxs.stem,
            title=start["title"],
            sample_name=start["sample_name"],
            start_time=datetime.fromisoformat(start["start_time"]),
            sample=None if sample is None else Sample.from_dict(sample),
        ),
    )


def _status(nxs: Path) -> str:
    with h5py.File(nxs, "r") as handle:
        value = handle["entry/status"][()]
    return value.decode() if isinstance(value, bytes) else str(value)


def _complete(root: DataRoot, nxs: Path, payload: dict[str, Any]) -> int | None:
    session = payload["session"]
    status, reason = payload["status"], payload.get("reason")
    frame, frame_file = None, None
    if session.get("frame_file"):
        cbf = Path(session["frame_file"])
        if session.get("frame_source"):  # a claim its macro could not settle
            with contextlib.suppress(OSError):
                settle_claim(Path(session["frame_source"]), cbf)
        try:
            frame, _ = read_cbf(cbf)
            frame_file = FrameFile(cbf, sha256_file(cbf))
        except (OSError, ValueError) as exc:
            status, reason = "failed", f"cannot read the frame {cbf}: {exc}"
    if status == "complete" and frame is None:
        status, reason = "failed", "no frame was recorded (was ct run inside the session?)"
    description = load_description(Path(payload["instrument_file"]))
    start_readings = readings_from_json(session.get("start_readings") or {})
    instrument = resolve(description, start_readings)
    end = None
    if session.get("end_readings"):
        end = end_values(
            description,
            readings_from_json(session["end_readings"]),
            session.get("end_seconds") or 0.0,
            session.get("snapshot_time"),
        )
    bad = None
    if frame is not None:
        try:
            bad = bad_pixel_mask(instrument.detector, frame.shape)
        except (OSError, ValueError, NxsError) as exc:  # never lose an exposure over a mask
            log.warning("%s: bad pixels not marked: %s", nxs, exc)
    complete_exposure_file(
        nxs,
        ExposureResult(
            end_time=datetime.fromisoformat(payload["end_time"]),
            status=status,
            count_time=session.get("count_time"),
            monitor_integral=session.get("monitor"),
            counters=session.get("counters") or {},
            timer=session.get("timer"),
            frame=frame,
            frame_file=frame_file,
            reason=reason,
            compression=payload["compression"],
            instrument=instrument,
            end=end,
            bad_pixels=bad,
        ),
        durable=False,  # the writer fsyncs once, with the rest of its batch
    )
    return None if frame is None else total_counts(frame)


def _catalog(root: DataRoot, url: str | None, row: Callable[[], CatalogRow]) -> None:
    """Queue the catalog row; a catalog problem never fails the file's job."""
    try:
        shared_writer(root, url).submit(row())
    except Exception as exc:  # the file stands; reindex repairs the catalog
        log.warning("catalog row not queued: %s", exc)
