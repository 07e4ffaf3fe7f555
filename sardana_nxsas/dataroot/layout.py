"""The data root: where each exposure's CBF and NeXus file go, and name checks.

Layout under the data root::

    images/<prefix>/<prefix>_<fsn:05d>.cbf
    nexus/<prefix>/<prefix>_<fsn:05d>.nxs
    state/                      bookkeeping (the FSN store is state/fsn/)

Prefixes are the only operator text that ends up in a file name, so they are
held to a strict ASCII syntax; titles only go inside files.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sardana_nxsas import env
from sardana_nxsas.errors import ConfigError, InvalidNameError, UnknownPrefixError

DEFAULT_PREFIXES: tuple[str, ...] = ("crd", "scn", "tra", "tst", "gsx")

TITLE_MAX_CHARS = 200

# fullmatch + explicit ASCII classes: "$" would accept a trailing newline and
# "\d" would accept non-ASCII digits.
_PREFIX_RE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}")
_DATA_FILE_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*)_([0-9]+)\.(?:cbf|nxs)")
# Cc: C0/C1 controls (NUL, newline, ESC...); Cs: lone surrogates (not encodable
# in UTF-8, so h5py would fail later); Zl/Zp: Unicode line/paragraph separators.
_BAD_TITLE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def check_prefix_syntax(prefix: str) -> str:
    """Return ``prefix`` if it is a safe file-name prefix, else raise InvalidNameError."""
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        raise InvalidNameError(
            f"invalid prefix {prefix!r}: use 1 to 16 ASCII letters or digits, starting with a letter"
        )
    return prefix


def check_title(title: str) -> str:
    """Return the stripped title if it is sane, else raise InvalidNameError."""
    if not isinstance(title, str):
        raise InvalidNameError(f"invalid title {title!r}: give the title as text")
    stripped = title.strip()
    if not stripped:
        raise InvalidNameError("empty title: give the sample or measurement a title")
    if len(stripped) > TITLE_MAX_CHARS:
        raise InvalidNameError(
            f"title too long ({len(stripped)} characters): shorten it to at most {TITLE_MAX_CHARS}"
        )
    for char in stripped:
        if unicodedata.category(char) in _BAD_TITLE_CATEGORIES:
            raise InvalidNameError(
                f"title contains the control character {char!r}: "
                "remove it (titles must be a single line of printable text)"
            )
    return stripped


def _check_fsn(fsn: int) -> int:
    # bool is an int subclass; True as an FSN is surely a bug.
    if isinstance(fsn, bool) or not isinstance(fsn, int) or fsn < 0:
        raise InvalidNameError(
            f"invalid FSN {fsn!r}: a file sequence number is a whole number >= 0"
        )
    return fsn


@dataclass(frozen=True)
class DataRoot:
    """The folder holding every exposure of an instrument, and its prefixes."""

    path: Path
    prefixes: tuple[str, ...] = DEFAULT_PREFIXES

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path).expanduser().resolve())
        prefixes = tuple(self.prefixes)
        if not prefixes:
            raise ConfigError(
                f"no prefixes configured: set {env.PREFIXES}, e.g. crd,scn,tra,tst,gsx"
            )
        seen: dict[str, str] = {}
        for prefix in prefixes:
            check_prefix_syntax(prefix)
            # "crd" and "CRD" would share folders on a case-insensitive file system.
            other = seen.get(prefix.lower())
            seen[prefix.lower()] = prefix
            if other is not None:
                raise ConfigError(
                    f"prefix {prefix!r} is configured twice (as {other!r}) in {env.PREFIXES}: "
                    "remove the duplicate"
                )
        object.__setattr__(self, "prefixes", prefixes)

    def check(self) -> None:
        """Raise ConfigError unless the data root exists, is a folder and is writable."""
        where = f"data root {self.path}"
        if not self.path.exists():
            raise ConfigError(f"{where} does not exist: create it or set {env.DATA_ROOT}")
        if not self.path.is_dir():
            raise ConfigError(f"{where} is not a directory: point {env.DATA_ROOT} to a directory")
        # os.access lies for root, ACLs and read-only mounts: really try.
        try:
            fd, tmp = tempfile.mkstemp(prefix=".nxs-write-test-", dir=self.path)
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            raise ConfigError(
                f"{where} is not writable ({exc.strerror or exc}): "
                f"fix its permissions or set {env.DATA_ROOT}"
            ) from None

    def prefix(self, name: str) -> str:
        """Return ``name`` if it is a configured prefix, else raise."""
        check_prefix_syntax(name)
        if name not in self.prefixes:
            raise UnknownPrefixError(
                f"unknown prefix {name!r}: use one of {', '.join(self.prefixes)} "
                f"(configured in {env.PREFIXES})"
            )
        return name

    @staticmethod
    def stem(prefix: str, fsn: int) -> str:
        """The file name without extension: ``<prefix>_<fsn:05d>``."""
        return f"{check_prefix_syntax(prefix)}_{_check_fsn(fsn):05d}"

    def _inside(self, path: Path) -> Path:
        # Belt and braces behind the prefix syntax check. Lexical on purpose:
        # an admin may symlink images/ to a bigger disk, and that is fine.
        if not Path(os.path.normpath(path)).is_relative_to(self.path):
            raise InvalidNameError(f"path {path} lies outside the data root {self.path}")
        return path

    def image_dir(self, prefix: str) -> Path:
        return self._inside(self.path / "images" / self.prefix(prefix))

    def nexus_dir(self, prefix: str) -> Path:
        return self._inside(self.path / "nexus" / self.prefix(prefix))

    def cbf_path(self, prefix: str, fsn: int) -> Path:
        return self._inside(self.image_dir(prefix) / f"{self.stem(prefix, fsn)}.cbf")

    def nxs_path(self, prefix: str, fsn: int) -> Path:
        return self._inside(self.nexus_dir(prefix) / f"{self.stem(prefix, fsn)}.nxs")

    def ensure_dirs(self, prefix: str) -> None:
        """Create images/<prefix>/ and nexus/<prefix>/ if missing."""
        for folder in (self.image_dir(prefix), self.nexus_dir(prefix)):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create {folder} ({exc.strerror or exc}): "
                    "check the permissions of the data root"
                ) from None

    def fsns_on_disk(self, prefix: str) -> set[int]:
        """Every FSN that has a ``<prefix>_<digits>.cbf`` or ``.nxs`` in its folder."""
        found: set[int] = set()
        for folder in (self.image_dir(prefix), self.nexus_dir(prefix)):
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        match = _DATA_FILE_RE.fullmatch(entry.name)
                        if match and match.group(1) == prefix:
                            found.add(int(match.group(2)))
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                # Guessing "nothing there" could hand out a used number: refuse.
                raise ConfigError(
                    f"cannot list {folder} ({exc.strerror or exc}): fix its permissions"
                ) from None
        return found

    def highest_fsn_on_disk(self, prefix: str) -> int | None:
        """The highest FSN with a CBF or NeXus file of ``prefix``, None if there is none."""
        return max(self.fsns_on_disk(prefix), default=None)

    def exists(self, prefix: str, fsn: int) -> bool:
        """True if a CBF or NeXus file (even a dangling symlink) is at that number."""
        return any(
            os.path.lexists(p) for p in (self.cbf_path(prefix, fsn), self.nxs_path(prefix, fsn))
        )

    @property
    def state_dir(self) -> Path:
        """Bookkeeping folder; the FSN store lives in state/fsn/."""
        return self.path / "state"
