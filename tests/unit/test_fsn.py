"""FSN allocation: never the same number twice, whatever happens."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sardana_nxsas
from sardana_nxsas.dataroot.fsn import Allocation, FsnCounter
from sardana_nxsas.dataroot.layout import DEFAULT_PREFIXES, DataRoot
from sardana_nxsas.errors import ConfigError, UnknownPrefixError

REPO = Path(sardana_nxsas.__file__).resolve().parents[1]
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
}

WORKER = """
import sys, time
from pathlib import Path
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
root, start, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
counter = FsnCounter(DataRoot(root))
print("ready", flush=True)
while not start.exists():
    time.sleep(0.0005)
print(" ".join(str(counter.allocate("crd").fsn) for _ in range(count)), flush=True)
"""

KILLED = """
import os, sys
from pathlib import Path
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
counter = FsnCounter(DataRoot(Path(sys.argv[1])))
with open(sys.argv[2], "a") as log:
    while True:
        fsn = counter.allocate("crd").fsn
        log.write(f"{fsn}\\n")
        log.flush()
        os.fsync(log.fileno())
"""


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path / "data")


@pytest.fixture(autouse=True)
def _data_root_exists(root: DataRoot) -> None:
    root.path.mkdir()


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def store(root: DataRoot, prefix: str = "crd") -> Path:
    return root.state_dir / "fsn" / f"{prefix}.last"


# -- sequence, prefixes, restart -------------------------------------------------


def test_sequential(root: DataRoot) -> None:
    counter = FsnCounter(root)
    assert counter.last("crd") is None and counter.next("crd") == 1
    assert [counter.allocate("crd").fsn for _ in range(3)] == [1, 2, 3]
    assert counter.allocate("crd") == Allocation("crd", 4, ())
    assert store(root).read_text() == "4\n"
    assert counter.last("crd") == 4 and counter.next("crd") == 5


def test_prefixes_are_independent(root: DataRoot) -> None:
    counter = FsnCounter(root)
    assert [counter.allocate(p).fsn for p in ("crd", "scn", "crd", "gsx", "crd")] == [1, 1, 2, 1, 3]
    assert counter.last("tra") is None


def test_restart_and_failed_exposures(root: DataRoot) -> None:
    # No file is ever written here: every exposure "failed", yet no number comes back.
    assert FsnCounter(root).allocate("tst").fsn == 1
    assert FsnCounter(root).allocate("tst").fsn == 2
    store(root, "tst").write_text("100\n")  # the store is ahead of the disk: trust it
    assert FsnCounter(root).allocate("tst").fsn == 101


def test_unknown_prefix(root: DataRoot) -> None:
    with pytest.raises(UnknownPrefixError, match="use one of crd, scn, tra, tst, gsx"):
        FsnCounter(root).allocate("xyz")


# -- concurrency -----------------------------------------------------------------


def test_processes_allocate_distinct_numbers(root: DataRoot, tmp_path: Path) -> None:
    start = tmp_path / "start"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root.path), str(start), "50"],
            stdout=subprocess.PIPE,
            text=True,
            env=CHILD_ENV,
        )
        for _ in range(4)
    ]
    runs = []
    try:
        for proc in procs:  # every worker imported and waits: start them together
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        start.touch()
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            assert proc.returncode == 0
            runs.append([int(n) for n in out.split()])
    finally:
        for proc in procs:  # never leave a worker waiting for the start file
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for run in runs:
        assert len(run) == 50 and run == sorted(run)
    assert sorted(n for run in runs for n in run) == list(range(1, 201))
    assert FsnCounter(root).last("crd") == 200


def test_threads_allocate_distinct_numbers(root: DataRoot) -> None:
    counter = FsnCounter(root)
    barrier = threading.Barrier(8)
    results: list[list[int]] = [[] for _ in range(8)]

    def work(i: int) -> None:
        barrier.wait()
        results[i] = [counter.allocate("scn").fsn for _ in range(25)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(n for r in results for n in r) == list(range(1, 201))


def test_sigkill_never_loses_a_number(root: DataRoot, tmp_path: Path) -> None:
    log = tmp_path / "handed-out.log"
    log.touch()

    def handed_out() -> list[int]:
        return [int(n) for n in log.read_text().split("\n")[:-1]]  # ignore a torn last line

    for delay in (0.0, 0.01, 0.04, 0.07, 0.11, 0.15, 0.22, 0.3):
        before = len(handed_out())
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED, str(root.path), str(log)], env=CHILD_ENV
        )
        deadline = time.monotonic() + 20
        while len(handed_out()) == before:  # wait until it is allocating
            assert child.poll() is None and time.monotonic() < deadline, "child did not start"
            time.sleep(0.002)
        time.sleep(delay)  # hit a different moment of the allocate/log loop each time
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
        logged = handed_out()
        assert logged == sorted(set(logged))  # nothing handed out twice, across kills too
        assert int(store(root).read_text()) >= logged[-1]
        fsn = FsnCounter(root).allocate("crd").fsn
        assert fsn > logged[-1]
        with log.open("a") as f:  # the parent's number counts as handed out too
            f.write(f"{fsn}\n")


def test_lock_held_too_long(root: DataRoot) -> None:
    counter = FsnCounter(root)
    counter.allocate("crd")
    fd = os.open(root.state_dir / "fsn" / "crd.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(ConfigError, match="held by another process") as exc:
            FsnCounter(root, lock_timeout=0.2).allocate("crd")
        assert "\n" not in str(exc.value)
    finally:
        os.close(fd)
    assert counter.allocate("crd").fsn == 2


# -- durability ------------------------------------------------------------------


def test_store_is_fsynced_before_allocate_returns(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync-file")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("replace")
        real_replace(src, dst)

    FsnCounter(root).allocate("crd")  # state/fsn/ exists from now on
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    FsnCounter(root).allocate("crd")
    assert events == ["fsync-file", "replace", "fsync-dir"]


def test_failed_store_write_hands_out_nothing(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ConfigError, match="No space left on device") as exc:
        FsnCounter(root).allocate("crd")
    assert "\n" not in str(exc.value)
    monkeypatch.undo()
    assert FsnCounter(root).allocate("crd").fsn == 1  # 1 was never handed out


# -- store lost or damaged -------------------------------------------------------


def test_deleted_store_resumes_after_disk(root: DataRoot) -> None:
    counter = FsnCounter(root)
    for _ in range(5):
        counter.allocate("crd")
    for fsn in (1, 2, 3, 20):
        touch(root.cbf_path("crd", fsn))
    for fsn in (3, 10, 42):  # the highest, 42, has only its NeXus file
        touch(root.nxs_path("crd", fsn))
    touch(root.cbf_path("scn", 99))
    shutil.rmtree(root.state_dir / "fsn")
    assert counter.last("crd") == 42 and counter.next("crd") == 43
    assert counter.allocate("crd") == Allocation("crd", 43, ())
    assert store(root).read_text() == "43\n"


@pytest.mark.parametrize(
    "content", [b"garbage\n", b"", b"\n", b"-5\n", b" 12 \n", b"1_0\n", b"\x00" * 8, b"7" * 100]
)
def test_garbage_store_resumes_after_disk(
    root: DataRoot, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    FsnCounter(root).allocate("crd")
    touch(root.cbf_path("crd", 7))
    store(root).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="sardana_nxsas.dataroot.fsn"):
        allocation = FsnCounter(root).allocate("crd")
    assert allocation == Allocation("crd", 8, ())
    assert store(root).read_text() == "8\n"
    assert any(
        r.name == "sardana_nxsas.dataroot.fsn" and "garbage" in r.message for r in caplog.records
    )


def test_unreadable_store_resumes_after_disk(
    root: DataRoot, caplog: pytest.LogCaptureFixture
) -> None:
    FsnCounter(root).allocate("crd")
    touch(root.nxs_path("crd", 5))
    store(root).unlink()
    store(root).mkdir()  # reading a directory fails whoever we are; replacing it does too
    with caplog.at_level(logging.WARNING, logger="sardana_nxsas.dataroot.fsn"):
        assert FsnCounter(root).next("crd") == 6
        with pytest.raises(ConfigError, match="cannot record FSN 6"):
            FsnCounter(root).allocate("crd")
    assert any("cannot read FSN store" in r.message for r in caplog.records)


# -- files already on disk -------------------------------------------------------


def test_existing_files_are_skipped(root: DataRoot, caplog: pytest.LogCaptureFixture) -> None:
    counter = FsnCounter(root)
    assert [counter.allocate("crd").fsn for _ in range(2)] == [1, 2]
    touch(root.cbf_path("crd", 3))  # e.g. copied in by hand, or an old store restored
    touch(root.nxs_path("crd", 4))
    assert counter.next("crd") == 5
    with caplog.at_level(logging.WARNING, logger="sardana_nxsas.dataroot.fsn"):
        assert counter.allocate("crd") == Allocation("crd", 5, (3, 4))
    assert "skipped 2 FSN(s)" in caplog.text
    assert store(root).read_text() == "5\n"
    assert counter.allocate("crd") == Allocation("crd", 6, ())


def test_store_behind_disk_never_reuses_gaps(root: DataRoot) -> None:
    counter = FsnCounter(root)
    for _ in range(9):
        counter.allocate("crd")
    for fsn in (2, 9):  # 3..8 went to exposures that failed and left no file
        touch(root.cbf_path("crd", fsn))
    store(root).write_text("1\n")  # an old backup of state/ restored
    assert counter.next("crd") == 10
    assert counter.allocate("crd") == Allocation("crd", 10, (2, 9))


# -- state dir and summary -------------------------------------------------------


def test_state_dir_created_on_first_use(root: DataRoot) -> None:
    assert not root.state_dir.exists()
    FsnCounter(root).allocate("gsx")
    assert (root.state_dir / "fsn").is_dir()


def test_unusable_state_dir(root: DataRoot, tmp_path: Path) -> None:
    root.state_dir.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot create \S*state/fsn") as exc:
        FsnCounter(root).allocate("crd")
    assert "\n" not in str(exc.value)
    with pytest.raises(ConfigError, match="does not exist"):
        FsnCounter(DataRoot(tmp_path / "unmounted")).allocate("crd")
    assert not (tmp_path / "unmounted").exists()  # never created behind the operator's back


def test_summary(root: DataRoot) -> None:
    counter = FsnCounter(root)
    assert counter.summary() == {p: (None, 1) for p in DEFAULT_PREFIXES}
    counter.allocate("crd")
    counter.allocate("crd")
    touch(root.nxs_path("tra", 17))
    summary = counter.summary()
    assert list(summary) == list(DEFAULT_PREFIXES)
    assert summary["crd"] == (2, 3) and summary["tra"] == (17, 18) and summary["scn"] == (None, 1)


# -- series: a reserved block ----------------------------------------------------------


def test_a_series_hands_out_its_block_and_returns_the_rest(root: DataRoot) -> None:
    counter = FsnCounter(root)
    counter.allocate("crd")
    with counter.reserve("crd", 10) as block:
        got = [block.allocate().fsn for _ in range(3)]
        assert counter.summary()["crd"] == (4, 5)  # what the FSN indicator shows meanwhile
        assert counter.reservation_path("crd").read_text() == "11\n"
    assert got == [2, 3, 4]
    assert not counter.reservation_path("crd").exists()
    assert store(root).read_text() == "4\n"
    assert counter.allocate("crd").fsn == 5  # the unused numbers went back


def test_others_allocate_after_a_live_block(root: DataRoot) -> None:
    series, other = FsnCounter(root), FsnCounter(root)
    with series.reserve("crd", 5) as block:
        assert block.allocate().fsn == 1
        assert other.allocate("crd").fsn == 6
        assert [block.allocate().fsn for _ in range(4)] == [2, 3, 4, 5]
        assert block.allocate().fsn == 7  # used up: on as allocate() goes
    assert store(root).read_text() == "7\n"
    assert other.allocate("crd").fsn == 8


def test_files_inside_the_block_are_skipped(root: DataRoot) -> None:
    counter = FsnCounter(root)
    counter.allocate("crd")
    touch(root.nxs_path("crd", 3))  # written meanwhile by somebody who does not ask us
    with counter.reserve("crd", 3) as block:
        first, second = block.allocate(), block.allocate()
    assert (first.fsn, second.fsn, second.skipped) == (2, 4, (3,))


def test_a_stale_block_is_never_reused(root: DataRoot) -> None:
    counter = FsnCounter(root)
    counter.allocate("crd")
    counter.reservation_path("crd").write_text("20\n")  # its process died: nobody holds it
    assert counter.allocate("crd").fsn == 21
    assert not counter.reservation_path("crd").exists()
    assert counter.allocate("crd").fsn == 22


SERIES_KILLED = """
import os, sys
from pathlib import Path
from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
counter = FsnCounter(DataRoot(Path(sys.argv[1])))
with counter.reserve("crd", 50) as block:
    for _ in range(5):
        block.allocate()
    print("ready", flush=True)
    sys.stdin.read()
"""


def test_a_killed_series_leaves_a_gap_never_a_repeat(root: DataRoot) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SERIES_KILLED, str(root.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=CHILD_ENV, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "ready"
        counter = FsnCounter(root)
        assert counter.summary()["crd"] == (5, 6)
        assert counter.allocate("crd").fsn == 51  # the block is alive
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert counter.allocate("crd").fsn == 52
    assert not counter.reservation_path("crd").exists()
