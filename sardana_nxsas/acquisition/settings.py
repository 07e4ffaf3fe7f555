"""Configuration of an instrument, read from the MacroServer environment.

| variable            | meaning                                   | default                 |
|---------------------|-------------------------------------------|-------------------------|
| NxsDataRoot         | the data root (must exist, writable)      | required                |
| NxsInstrumentFile   | the instrument description (TOML)         | required                |
| NxsPrefixes         | prefixes counted independently            | crd scn tra tst gsx     |
| NxsDefaultPrefix    | prefix of ``expose`` without one          | crd                     |
| NxsCompression      | gzip (plugin-free) / bslz4 / none         | gzip                    |
| NxsCatalogUrl       | the catalog's SQLAlchemy URL              | SQLite in the data root |

"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sardana_nxsas import env
from sardana_nxsas.dataroot.layout import DEFAULT_PREFIXES, DataRoot
from sardana_nxsas.errors import ConfigError
from sardana_nxsas.nexus import compression

Getter = Callable[[str], Any]  # raises KeyError when the variable is not set


@dataclass(frozen=True)
class Settings:
    root: DataRoot
    instrument_file: Path
    default_prefix: str = "crd"
    compression: str = compression.DEFAULT
    catalog_url: str | None = None  # None: <data root>/catalog.sqlite

    @classmethod
    def from_getter(cls, get: Getter) -> Settings:
        root = data_root_from_getter(get)
        instrument = _optional(get, env.INSTRUMENT_FILE)
        if not instrument:
            raise ConfigError(
                f"no instrument description: set {env.INSTRUMENT_FILE} "
                f"(senv {env.INSTRUMENT_FILE} /path/instrument.toml)"
            )
        default_prefix = root.prefix(str(_optional(get, env.DEFAULT_PREFIX) or "crd"))
        codec = compression.check(str(_optional(get, env.COMPRESSION) or compression.DEFAULT))
        catalog = _optional(get, env.CATALOG_URL)
        return cls(
            root,
            Path(str(instrument)).expanduser(),
            default_prefix,
            codec,
            catalog and str(catalog),
        )


def data_root_from_getter(get: Getter) -> DataRoot:
    """The data root and its prefixes alone (all that FSN bookkeeping needs)."""
    data_root = _optional(get, env.DATA_ROOT)
    if not data_root:
        raise ConfigError(f"no data root: set {env.DATA_ROOT} (senv {env.DATA_ROOT} /path/to/data)")
    prefixes = words(_optional(get, env.PREFIXES)) or DEFAULT_PREFIXES
    return DataRoot(Path(str(data_root)).expanduser(), tuple(prefixes))


def _optional(get: Getter, key: str) -> Any:
    try:
        return get(key)
    except KeyError:
        return None


def words(value: Any) -> tuple[str, ...]:
    """A list of names given as a list or as one string separated by spaces or commas."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.replace(",", " ").split())
    return tuple(str(item) for item in value)
