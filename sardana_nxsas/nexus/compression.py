"""How a frame is stored in HDF5: chunking and the compression filter.

``gzip`` (shuffle + deflate level 1) is the default because every HDF5 reader
can open it without plugins. ``bslz4`` (bitshuffle + LZ4 through hdf5plugin)
is 5-10x faster and compresses SAXS frames better, but readers need the
plugin: a lab chooses it in configuration (``NxsCompression``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sardana_nxsas import env

CHOICES = ("gzip", "bslz4", "none")
DEFAULT = "gzip"
_TARGET_CHUNK_BYTES = 4 << 20


def check(name: str) -> str:
    from sardana_nxsas.errors import ConfigError

    if name not in CHOICES:
        raise ConfigError(
            f"unknown compression {name!r}: set {env.COMPRESSION} to one of {', '.join(CHOICES)}"
        )
    return name


def chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Row blocks of ~4 MiB: one chunk for a Pilatus 1M, ~10 for an Eiger 9M."""
    rows, cols = shape
    per_chunk = max(1, min(rows, _TARGET_CHUNK_BYTES // max(1, cols * itemsize)))
    return (per_chunk, cols)


def dataset_options(name: str, frame: np.ndarray) -> dict[str, Any]:
    """Keyword arguments for ``h5py.Group.create_dataset`` storing ``frame``."""
    check(name)
    options: dict[str, Any] = {"chunks": chunks(frame.shape, frame.dtype.itemsize)}
    if name == "gzip":
        options.update(compression="gzip", compression_opts=1, shuffle=True, fletcher32=True)
    elif name == "bslz4":
        import hdf5plugin

        options.update(hdf5plugin.Bitshuffle(cname="lz4"), fletcher32=True)
    return options
