"""The demo command as a user runs it, including --keep."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from sardana_nxsas.nexus.exposure.validate import validate_exposure
from sardana_nxsas.system.door import DoorClient

CLI = [sys.executable, "-m", "sardana_nxsas.cli.main"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_demo_keep_leaves_a_usable_system_and_says_how_to_stop_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = subprocess.run(
        [*CLI, "demo", "--data", str(data), "--time", "0.1", "--keep"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    pids = [int(p) for p in re.search(r"kill ([\d ]+)", done.stdout).group(1).split()]
    tango_host = re.search(r"TANGO_HOST=(\S+)", done.stdout).group(1)
    try:
        assert "all complete and valid" in done.stdout
        written = sorted(data.glob("nexus/crd/*.nxs"))
        assert len(written) == 7 and all(validate_exposure(p).ok for p in written)
        assert all(alive(pid) for pid in pids)
        door = DoorClient("door/nxsas/1", tango_host)
        try:
            listing = door.run("lsfsn")
            assert re.search(r"crd\s+7\s+8", listing.text)
        finally:
            door.close()
    finally:
        for pid in pids:  # exactly the command the demo printed: kill <pids>
            if alive(pid):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not any(alive(pid) for pid in pids)
