"""CBF frames with a Pilatus-style miniCBF header, written and read with fabio.

A real Pilatus writes its CBF itself; the package writes one only when a 2D
channel hands over an array instead of a file reference (and the simulated
detector uses the same writer). Files are never overwritten: the frame goes to
a temporary name in the target folder and is hard-linked into place, which
fails if a file already has that name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import fabio
import numpy as np
from fabio.cbfimage import CbfImage

from sardana_nxsas.errors import FileExistsNxsError

HEADER_CONVENTION = "PILATUS_1.2"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class MiniCbfHeader:
    """The geometry and timing a Pilatus writes into its miniCBF header."""

    detector: str
    pixel_size: tuple[float, float]  # (x, y) in mm
    exposure_time: float  # s
    wavelength: float  # nm
    distance: float  # mm
    beam_xy: tuple[float, float]  # (column, row) in pixels, 0-based as pyFAI/fabio read it
    timestamp: datetime
    count_cutoff: int = 1048575
    sensor: str = "Silicon"
    sensor_thickness: float = 0.45  # mm

    def text(self) -> str:
        """The ``_array_data.header_contents`` lines, SI units as the Pilatus writes them."""
        px, py = self.pixel_size
        lines = [
            f"# Detector: {self.detector}",
            f"# {self.timestamp.isoformat(timespec='milliseconds')}",
            f"# Pixel_size {px * 1e-3:.6g} m x {py * 1e-3:.6g} m",
            f"# {self.sensor} sensor, thickness {self.sensor_thickness * 1e-3:.6f} m",
            f"# Exposure_time {self.exposure_time:.7f} s",
            f"# Exposure_period {self.exposure_time:.7f} s",
            f"# Count_cutoff {self.count_cutoff} counts",
            f"# Wavelength {self.wavelength * 10:.5f} A",
            f"# Detector_distance {self.distance * 1e-3:.5f} m",
            f"# Beam_xy ({self.beam_xy[0]:.2f}, {self.beam_xy[1]:.2f}) pixels",
        ]
        return "\r\n".join(lines)


_NUMBER = r"([-+0-9.eE]+)"
_PATTERNS = {
    "pixel_size": re.compile(rf"Pixel_size {_NUMBER} m x {_NUMBER} m"),
    "exposure_time": re.compile(rf"Exposure_time {_NUMBER} s"),
    "wavelength": re.compile(rf"Wavelength {_NUMBER} A"),
    "distance": re.compile(rf"Detector_distance {_NUMBER} m"),
    "beam_xy": re.compile(rf"Beam_xy \({_NUMBER}, {_NUMBER}\) pixels"),
}


def parse_header(text: str) -> dict[str, float | tuple[float, float]]:
    """The miniCBF fields found in a header, in the units of MiniCbfHeader (mm, nm, s)."""
    found: dict[str, float | tuple[float, float]] = {}
    for key, pattern in _PATTERNS.items():
        match = pattern.search(text)
        if match is None:
            continue
        values = [float(v) for v in match.groups()]
        if key == "pixel_size":
            found[key] = (values[0] * 1e3, values[1] * 1e3)
        elif key == "beam_xy":
            found[key] = (values[0], values[1])
        elif key == "wavelength":
            found[key] = values[0] / 10
        elif key == "distance":
            found[key] = values[0] * 1e3
        else:
            found[key] = values[0]
    return found


def write_cbf(path: Path, frame: np.ndarray, header: MiniCbfHeader) -> str:
    """Write ``frame`` as a CBF at ``path`` (never overwriting); return its SHA-256."""
    path = Path(path)
    if path.exists():
        raise FileExistsNxsError(f"{path} already exists: sardana-nxsas never overwrites a frame")
    image = CbfImage(
        data=np.ascontiguousarray(frame, dtype=np.int32),
        header={
            "_array_data.header_convention": HEADER_CONVENTION,
            "_array_data.header_contents": header.text(),
        },
    )
    # a private folder beside the target: the temporary keeps the final name, which fabio
    # also writes into the file as the CBF data block name
    tmp_dir = Path(tempfile.mkdtemp(prefix=".cbf-", dir=path.parent))
    tmp = tmp_dir / path.name
    try:
        image.write(str(tmp))
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic and exclusive: fails if the name is taken
        except FileExistsError:
            raise FileExistsNxsError(
                f"{path} appeared while writing: sardana-nxsas never overwrites a frame"
            ) from None
    finally:
        tmp.unlink(missing_ok=True)
        tmp_dir.rmdir()
    return sha256_file(path)


def read_cbf(path: Path) -> tuple[np.ndarray, dict[str, float | tuple[float, float]]]:
    """The frame of a CBF and the miniCBF fields of its header."""
    image = fabio.open(str(path))
    return image.data, parse_header(image.header.get("_array_data.header_contents", ""))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
