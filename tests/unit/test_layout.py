"""The data-root layout: file names, name checks and the data-root check."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from sardana_nxsas.dataroot.layout import (
    DEFAULT_PREFIXES,
    DataRoot,
    check_prefix_syntax,
    check_title,
)
from sardana_nxsas.errors import ConfigError, InvalidNameError, NxsError, UnknownPrefixError


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path)


def one_line(exc: pytest.ExceptionInfo[NxsError]) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    return message


# -- paths and stems -----------------------------------------------------------


def test_paths(root: DataRoot, tmp_path: Path) -> None:
    base = tmp_path.resolve()
    assert root.path == base
    assert root.cbf_path("crd", 7) == base / "images" / "crd" / "crd_00007.cbf"
    assert root.nxs_path("gsx", 12345) == base / "nexus" / "gsx" / "gsx_12345.nxs"
    assert root.state_dir == base / "state"


def test_relative_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert DataRoot(Path("data")).path == tmp_path.resolve() / "data"


@pytest.mark.parametrize(
    ("fsn", "stem"),
    [(0, "crd_00000"), (1, "crd_00001"), (99999, "crd_99999"), (100000, "crd_100000")],
)
def test_stem_padding(fsn: int, stem: str) -> None:
    assert DataRoot.stem("crd", fsn) == stem


@pytest.mark.parametrize("fsn", [-1, 1.0, "1", True, None])
def test_stem_rejects_bad_fsn(fsn: object) -> None:
    with pytest.raises(InvalidNameError) as exc:
        DataRoot.stem("crd", fsn)  # type: ignore[arg-type]
    assert ">= 0" in one_line(exc)


def test_ensure_dirs(root: DataRoot) -> None:
    root.ensure_dirs("tra")
    root.ensure_dirs("tra")  # idempotent
    assert root.cbf_path("tra", 1).parent.is_dir()
    assert root.nxs_path("tra", 1).parent.is_dir()


# -- prefixes ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["crd", "A", "x1", "a" * 16, "SAXS2024"])
def test_prefix_syntax_ok(prefix: str) -> None:
    assert check_prefix_syntax(prefix) == prefix


@pytest.mark.parametrize(
    "prefix",
    [
        "../x",
        "a/b",
        "",
        "crd ",
        " crd",
        "crd\n",
        "1ab",
        "crd_1",
        "a.b",
        "cr\u00e9",
        "\u0441rd",
        "a" * 17,
        "crd\x00",
    ],
)
def test_prefix_syntax_rejected(prefix: str) -> None:
    with pytest.raises(InvalidNameError) as exc:
        check_prefix_syntax(prefix)
    assert "letters or digits" in one_line(exc)


def test_unknown_prefix_lists_configured(root: DataRoot) -> None:
    with pytest.raises(UnknownPrefixError) as exc:
        root.prefix("xyz")
    message = one_line(exc)
    assert "'xyz'" in message and ", ".join(DEFAULT_PREFIXES) in message
    with pytest.raises(UnknownPrefixError):
        root.cbf_path("xyz", 1)
    assert root.prefix("tst") == "tst"


def test_bad_prefix_never_makes_a_path(root: DataRoot) -> None:
    for bad in ("../x", "a/b", "/etc"):
        with pytest.raises(InvalidNameError):
            root.nxs_path(bad, 1)


def test_custom_prefixes(tmp_path: Path) -> None:
    root = DataRoot(tmp_path, prefixes=("abc",))
    assert root.cbf_path("abc", 1).name == "abc_00001.cbf"
    with pytest.raises(UnknownPrefixError, match="use one of abc "):
        root.prefix("crd")


@pytest.mark.parametrize(
    ("prefixes", "error"),
    [
        (("crd", "crd"), ConfigError),
        (("crd", "CRD"), ConfigError),
        ((), ConfigError),
        (("crd", "../x"), InvalidNameError),
    ],
)
def test_bad_prefix_configuration(tmp_path: Path, prefixes: tuple[str, ...], error: type) -> None:
    with pytest.raises(error) as exc:
        DataRoot(tmp_path, prefixes=prefixes)
    one_line(exc)


# -- titles --------------------------------------------------------------------


def test_title_ok() -> None:
    assert check_title("  AgBeh calibrant, 1 h, 25 °C  ") == "AgBeh calibrant, 1 h, 25 °C"
    assert check_title("x" * 200) == "x" * 200


@pytest.mark.parametrize(
    ("title", "hint"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 201, "at most 200"),
        ("a\nb", "control"),
        ("a\x00b", "control"),
        ("a\tb", "control"),
        ("a\x1b[31mb", "control"),
        ("a\u2028b", "control"),
        ("a\x85b", "control"),
        ("a\ud800b", "control"),
    ],
)
def test_title_rejected(title: str, hint: str) -> None:
    with pytest.raises(InvalidNameError) as exc:
        check_title(title)
    assert hint in one_line(exc)


# -- check() -------------------------------------------------------------------


def test_check_ok(root: DataRoot) -> None:
    root.check()
    assert list(root.path.iterdir()) == []  # the write test leaves nothing behind


def test_check_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        DataRoot(tmp_path / "nope").check()
    assert "does not exist: create it or set NxsDataRoot" in one_line(exc)


def test_check_file_instead_of_dir(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(ConfigError) as exc:
        DataRoot(tmp_path / "f").check()
    assert "not a directory" in one_line(exc)


def test_check_read_only(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        probe = ro / "probe"
        try:
            probe.write_text("")
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("chmod 0o555 does not stop this user (root?) from writing")
        with pytest.raises(ConfigError) as exc:
            DataRoot(ro).check()
        assert "not writable" in one_line(exc)
    finally:
        ro.chmod(0o755)


def test_check_not_writable_message(root: DataRoot, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs even as root, where the chmod test above is skipped.
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ConfigError) as exc:
        root.check()
    assert one_line(exc).endswith(
        "not writable (Permission denied): fix its permissions or set NxsDataRoot"
    )


# -- files on disk -------------------------------------------------------------


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_highest_fsn_on_disk(root: DataRoot) -> None:
    assert root.highest_fsn_on_disk("crd") is None  # no folders at all
    root.ensure_dirs("crd")
    assert root.highest_fsn_on_disk("crd") is None
    touch(root.cbf_path("crd", 3))
    touch(root.nxs_path("crd", 41))
    images, nexus = root.cbf_path("crd", 1).parent, root.nxs_path("crd", 1).parent
    for name in (
        "crd_00999.txt",
        "crd_00998.cbf.tmp",
        ".crd_00997.nxs",
        "scn_00996.cbf",
        "crd_0099a.cbf",
        "crd_995.CBF",
        "xcrd_00994.nxs",
        "crd-00993.cbf",
    ):
        touch(images / name)
    touch(nexus / "tra_50000.nxs")
    (nexus / "crd_00990.nxs.d").mkdir()
    assert root.highest_fsn_on_disk("crd") == 41
    touch(images / "crd_7.cbf")  # unpadded names still count: never reuse a number
    touch(images / "crd_100001.cbf")
    assert root.highest_fsn_on_disk("crd") == 100001
    assert root.highest_fsn_on_disk("scn") is None  # its folders are missing


def test_exists(root: DataRoot) -> None:
    assert not root.exists("crd", 1)
    touch(root.cbf_path("crd", 1))
    touch(root.nxs_path("crd", 2))
    os.symlink("/nonexistent", root.nxs_path("crd", 3))  # dangling: still taken
    assert root.exists("crd", 1) and root.exists("crd", 2) and root.exists("crd", 3)
    assert not root.exists("crd", 4) and not root.exists("scn", 1)
