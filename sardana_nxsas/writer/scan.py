"""The file work of a scan (:mod:`.scan_jobs`): create, append points, finish; catalog rows.

Each job opens the scan file, writes and closes it, so a viewer can read the file
between jobs and a crash leaves a closed file with the points so far. Every job is
idempotent (a point is written at its index, again if need be; ``scan-begin`` leaves the
same scan's file alone and moves a file HDF5 cannot open aside), so a job interrupted by
a crash is simply done again. The catalog rows are built from the file just written,
with the function ``catalog reindex`` uses (:func:`rows_from_scan_file`): live and
rebuilt rows cannot differ.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from sardana_nxsas.catalog import shared_writer
from sardana_nxsas.catalog.scan_rows import rows_from_scan_file
from sardana_nxsas.dataroot.cbf import read_cbf, sha256_file
from sardana_nxsas.dataroot.claim import settle_claim
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.description import load_description, resolve
from sardana_nxsas.errors import FileExistsNxsError
from sardana_nxsas.jobs.queue import Job
from sardana_nxsas.nexus.exposure.readings import readings_from_json
from sardana_nxsas.nexus.files import held_by_a_reader, set_aside
from sardana_nxsas.nexus.mask import total_counts
from sardana_nxsas.nexus.scan.file import (
    FRAME_SUM,
    PointRecord,
    ScanFileEnd,
    ScanFileStart,
    append_points,
    create_scan_file,
    finish_scan_file,
)
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.writer.scan_jobs import (
    SCAN_BEGIN,
    SCAN_POINT,
    ScanBegin,
    ScanEnd,
    ScanPointJob,
)

log = logging.getLogger(__name__)


def run_scan_job(root: DataRoot, job: Job) -> list[Path]:
    """Do a scan job; return what to fsync before the job may be deleted."""
    data = job.load()
    if job.kind == SCAN_BEGIN:
        path = _begin(root, ScanBegin.from_json(data))
    elif job.kind == SCAN_POINT:
        path = _point(root, ScanPointJob.from_json(data))
    else:
        path = _end(root, ScanEnd.from_json(data))
    return [path, path.parent]


def _begin(root: DataRoot, begin: ScanBegin) -> Path:
    path = Path(begin.path)
    if not _made_by(path, begin):
        instrument = None
        if begin.instrument_file is not None:
            description = load_description(Path(begin.instrument_file))
            instrument = resolve(description, readings_from_json(begin.start_readings))
        start = ScanFileStart(
            begin.identifier, begin.number, begin.title,
            datetime.fromisoformat(begin.start_time), begin.columns, begin.plot, instrument,
            None if begin.sample is None else Sample.from_dict(begin.sample),
        )  # fmt: skip
        create_scan_file(path, start, begin.compression)
    _catalog(root, begin.catalog_url, path, points=())
    return path


def _made_by(path: Path, begin: ScanBegin) -> bool:
    """Whether ``path`` is this scan's file, made by an earlier run of the job. A file HDF5
    cannot open is moved aside (kept for a person, never overwritten); another scan's file
    is an error (the recorder checked the name was free)."""
    if not path.exists():
        return False
    try:
        with h5py.File(path, "r") as nxroot:
            made = nxroot.get("entry/entry_identifier")
            start = nxroot.get("entry/start_time")
            ours = (
                made is not None
                and start is not None
                and made.asstr()[()] == begin.identifier
                and start.asstr()[()] == begin.start_time
            )
    except OSError as exc:
        if held_by_a_reader(exc):
            raise
        broken = set_aside(path)
        log.warning("%s could not be opened; moved to %s and made again", path, broken.name)
        return False
    if not ours:
        raise FileExistsNxsError(f"{path} is another scan's file: never overwritten")
    return True


def _point(root: DataRoot, job: ScanPointJob) -> Path:
    path = Path(job.path)
    values = job.measured()
    record = PointRecord(job.index, values)
    if job.frame is not None:
        cbf = Path(job.frame.cbf)
        if job.frame.source:  # a claim whose recorder could not settle it
            with contextlib.suppress(OSError):
                settle_claim(Path(job.frame.source), cbf)
        frame = np.asarray(read_cbf(cbf)[0], dtype=np.int32)
        values[FRAME_SUM] = float(total_counts(frame))
        count_time = job.frame.count_time
        record = PointRecord(
            job.index, values, frame, job.frame.fsn, job.frame.identifier,
            os.path.relpath(cbf, path.parent), sha256_file(cbf),
            np.nan if count_time is None else count_time,
        )  # fmt: skip
    append_points(path, [record], job.compression, job.plot)
    if job.frame is not None:
        _catalog(root, job.catalog_url, path, points=(job.index,), scan_row=False)
    return path


def _end(root: DataRoot, end: ScanEnd) -> Path:
    path = Path(end.path)
    finish = ScanFileEnd(datetime.fromisoformat(end.end_time), end.status, end.reason, end.points)
    finish_scan_file(path, finish)
    _catalog(root, end.catalog_url, path, points=())
    return path


def _catalog(
    root: DataRoot, url: str | None, path: Path, points: tuple[int, ...], scan_row: bool = True
) -> None:
    """Queue the scan's row and those of ``points``' frames, as reindex builds them; a
    catalog problem never fails the file's job (reindex repairs the catalog)."""
    try:
        rows = rows_from_scan_file(path, root, points)
        writer = shared_writer(root, url)
        for row in rows if scan_row else rows[1:]:
            writer.submit(row)
    except Exception as exc:
        log.warning("catalog row of %s not queued: %s", path, exc)
