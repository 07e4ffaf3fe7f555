"""The sample registry: one JSON file in the data root, shared by every Door and process.

``<data root>/state/samples.json``::

    {"schema": 1, "samples": [{"name": "Glassy_Carbon", "thickness": 0.1, ...}, ...]}

Every change reads, modifies and rewrites the file under an exclusive flock
on ``samples.json.lock``, so two processes adding at once never lose an add;
the rewrite is atomic and durable (``durable.write_atomic``), so a crash never
leaves half a registry. Reads take no lock: the file is only ever replaced
whole, and a read-only account can still list the samples.

A registry that cannot be parsed is reported, never rewritten: overwriting it
would lose every sample in it.
"""

from __future__ import annotations

import builtins
import difflib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sardana_nxsas.dataroot.durable import (
    ensure_dir,
    exclusive_lock,
    remove_stale_temps,
    write_atomic,
)
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import ConfigError
from sardana_nxsas.samples.model import (
    Sample,
    SampleError,
    SampleExistsError,
    UnknownSampleError,
    sample_key,
)

SCHEMA = 1
REGISTRY_FILE = "samples.json"
_MAX_BYTES = 64 * 1024 * 1024  # a corrupt or foreign file must not eat the memory

T = TypeVar("T")


def registry_for(root: DataRoot) -> SampleRegistry:
    """The registry of the data root ``root``."""
    return SampleRegistry(root.state_dir / REGISTRY_FILE, data_root=root.path)


def spock_quote(name: str) -> str:
    """``name`` as it is typed in spock: quoted if it has spaces, quotes or brackets."""
    if name and not any(c.isspace() or c in "\"'[]" for c in name):
        return name
    if '"' in name and "'" not in name:
        return f"'{name}'"
    return '"' + name.replace('"', '\\"') + '"'


class SampleRegistry:
    """The samples defined for a data root, persisted in ``path``."""

    def __init__(
        self, path: Path, *, data_root: Path | None = None, lock_timeout: float = 10.0
    ) -> None:
        self.path = Path(path)
        # Folders up to (not including) data_root may be created; the root never.
        self.data_root = Path(data_root) if data_root is not None else self.path.parent
        self.lock_timeout = lock_timeout

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    # -- reading ------------------------------------------------------------

    def list(self) -> list[Sample]:
        """Every sample, sorted by name (case-insensitively)."""
        return sorted(self._load(), key=lambda s: (sample_key(s.name), s.name))

    def find(self, name: str) -> Sample | None:
        """The sample called ``name`` (exactly, else ignoring case), or None."""
        return _find(self._load(), name)

    def get(self, name: str) -> Sample:
        """The sample called ``name``; UnknownSampleError naming close matches."""
        samples = self._load()
        found = _find(samples, name)
        if found is None:
            raise _unknown(name, samples)
        return found

    # -- changing -----------------------------------------------------------

    def add(self, sample: Sample) -> Sample:
        def change(samples: list[Sample]) -> tuple[list[Sample], Sample]:
            existing = _find(samples, sample.name)
            if existing is not None:
                raise SampleExistsError(
                    f"sample {existing.name!r} exists already: change it with "
                    f"nxssample set {spock_quote(existing.name)} <field> <value>"
                )
            return [*samples, sample], sample

        return self._update(change)

    def set(self, name: str, /, **changes: Any) -> Sample:
        """Change fields of the sample ``name`` (``name=`` renames it); the new sample."""

        def change(samples: list[Sample]) -> tuple[list[Sample], Sample]:
            old = _find(samples, name)
            if old is None:
                raise _unknown(name, samples)
            new = old.with_changes(**changes)
            clash = _find([s for s in samples if s is not old], new.name)
            if clash is not None:
                raise SampleExistsError(
                    f"cannot rename {old.name!r} to {new.name!r}: "
                    f"sample {clash.name!r} exists already"
                )
            return [new if s is old else s for s in samples], new

        return self._update(change)

    def rename(self, name: str, new_name: str) -> Sample:
        return self.set(name, name=new_name)

    def remove(self, name: str) -> Sample:
        """Delete the sample ``name``; the sample removed."""

        def change(samples: list[Sample]) -> tuple[list[Sample], Sample]:
            old = _find(samples, name)
            if old is None:
                raise _unknown(name, samples)
            return [s for s in samples if s is not old], old

        return self._update(change)

    # -- the file -----------------------------------------------------------

    # builtins.list: in the class body, a bare ``list`` is the method list() above
    def _update(
        self, change: Callable[[builtins.list[Sample]], tuple[builtins.list[Sample], T]]
    ) -> T:
        with exclusive_lock(
            self.lock_path, self.lock_timeout, "sample registry", prepare=self._ensure_dir
        ):
            samples, result = change(self._load())
            remove_stale_temps(self.path)  # left by a writer killed mid-write
            try:
                write_atomic(self.path, _encode(samples))
            except OSError as exc:
                raise ConfigError(
                    f"cannot write the sample registry {self.path} ({exc.strerror or exc}): "
                    "free space or fix the permissions of the data root"
                ) from None
            return result

    def _ensure_dir(self) -> None:
        ensure_dir(self.path.parent, self.data_root)

    def _load(self) -> builtins.list[Sample]:
        where = f"the sample registry {self.path}"
        try:
            with open(self.path, "rb") as f:
                raw = f.read(_MAX_BYTES + 1)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ConfigError(
                f"cannot read {where} ({exc.strerror or exc}): fix its permissions"
            ) from None
        try:
            if len(raw) > _MAX_BYTES:
                raise ValueError(f"larger than {_MAX_BYTES} bytes")
            doc = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except ValueError as exc:  # also UnicodeDecodeError and JSONDecodeError
            raise ConfigError(
                f"{where} is not valid JSON ({exc}): repair it or restore it from a backup"
            ) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("samples"), list):
            raise ConfigError(f"{where} has no list of samples: repair it or move it away")
        if doc.get("schema") != SCHEMA:
            raise ConfigError(
                f"{where} has schema {doc.get('schema')!r}, this sardana-nxsas reads "
                f"schema {SCHEMA}: use the sardana-nxsas version that wrote it"
            )
        samples: list[Sample] = []
        for entry in doc["samples"]:
            try:
                sample = Sample.from_dict(entry)
            except (SampleError, TypeError) as exc:
                raise ConfigError(f"{where}: {exc} (repair the entry)") from None
            if _find(samples, sample.name) is not None:
                raise ConfigError(f"{where} holds {sample.name!r} twice: remove one")
            samples.append(sample)
        return samples


def _encode(samples: list[Sample]) -> bytes:
    ordered = sorted(samples, key=lambda s: (sample_key(s.name), s.name))
    doc = {"schema": SCHEMA, "samples": [s.to_dict() for s in ordered]}
    # ensure_ascii=False: names stay readable to anyone who opens the file.
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise ValueError(f"the key {dup!r} appears twice in one object")
    return dict(pairs)


def _find(samples: list[Sample], name: str) -> Sample | None:
    for sample in samples:
        if sample.name == name:
            return sample
    key = sample_key(name)
    return next((s for s in samples if sample_key(s.name) == key), None)


def _unknown(name: str, samples: list[Sample]) -> UnknownSampleError:
    names = [s.name for s in samples]
    by_key = {sample_key(n): n for n in names}
    close = difflib.get_close_matches(sample_key(name), list(by_key), n=3, cutoff=0.6)
    if close:
        hint = "did you mean " + ", ".join(repr(by_key[k]) for k in close) + "?"
    elif names:
        hint = "nxssample list shows the samples"
    else:
        hint = "the registry is empty: define it with nxssample add"
    return UnknownSampleError(f"no sample {name!r}: {hint}")
