"""Claiming the detector's frame: a link now, settled after the complete job."""

from __future__ import annotations

from pathlib import Path

import pytest

from sardana_nxsas.dataroot.claim import claim_frame, settle_claim
from sardana_nxsas.errors import FileExistsNxsError


@pytest.fixture
def frame(tmp_path: Path) -> tuple[Path, Path]:
    incoming = tmp_path / "images" / ".incoming"
    incoming.mkdir(parents=True)
    (tmp_path / "images" / "crd").mkdir()
    source = incoming / "frame_000001.cbf"
    source.write_bytes(b"frame")
    return source, tmp_path / "images" / "crd" / "crd_00001.cbf"


def test_a_settled_claim_leaves_one_name(frame: tuple[Path, Path]) -> None:
    source, dest = frame
    assert claim_frame(source, dest) == dest
    assert not source.exists() and dest.read_bytes() == b"frame"


def test_an_unsettled_claim_keeps_both_names_until_settled(frame: tuple[Path, Path]) -> None:
    source, dest = frame
    claim_frame(source, dest, settle=False)
    assert source.samefile(dest)
    settle_claim(source, dest)
    assert not source.exists() and dest.stat().st_nlink == 1
    settle_claim(source, dest)  # again (the writer repeats it): nothing changes
    assert dest.read_bytes() == b"frame"


def test_settling_links_again_a_claim_lost_in_a_power_cut(frame: tuple[Path, Path]) -> None:
    source, dest = frame
    claim_frame(source, dest, settle=False)
    dest.unlink()  # the link was not yet durable
    settle_claim(source, dest)
    assert dest.read_bytes() == b"frame" and not source.exists()


def test_settling_never_drops_a_different_file(frame: tuple[Path, Path]) -> None:
    source, dest = frame
    dest.write_bytes(b"another frame")
    settle_claim(source, dest)
    assert source.read_bytes() == b"frame" and dest.read_bytes() == b"another frame"


def test_a_claim_never_overwrites(frame: tuple[Path, Path]) -> None:
    source, dest = frame
    dest.write_bytes(b"taken")
    with pytest.raises(FileExistsNxsError, match="never overwrites"):
        claim_frame(source, dest, settle=False)
    assert source.exists() and dest.read_bytes() == b"taken"
