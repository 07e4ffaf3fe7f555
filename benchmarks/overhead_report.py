"""The Markdown report of exposure_overhead.py: machine, live tables, profile."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import subprocess
from pathlib import Path

import h5py
from overhead_live import STEPS, VARIANTS, LiveRun, Timing
from overhead_profile import ROWS, DetectorProfile
from overhead_stats import median_ms, ms, stat_ms, table

import sardana_nxsas

# The targets for expose T - stock ct T, ms (docs/performance.md): context only, never enforced.
TARGETS_MS = {"pilatus300k": 10.0, "pilatus1m": 15.0, "eiger9m": 40.0}
PACKAGES = ("sardana", "pytango", "taurus", "h5py", "hdf5plugin", "fabio", "numpy", "sardana-nxsas")
DOC_HEADER = """\
# Performance measurements

Raw output of on-demand benchmarks (see `benchmarks/README.md`); the current figures and what
they mean are in `docs/performance.md`. Each dated section is one run of one script on one
machine. Machines are noisy: compare numbers within a section (variants measured interleaved in
the same run), not across sections.
"""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def _filesystem(path: Path) -> str:
    """Type of the file system holding ``path`` (longest mount point of /proc/mounts)."""
    path = path.resolve()
    best, kind = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            if (path == Path(mount) or Path(mount) in path.parents) and len(mount) > len(best):
                best, kind = mount, fstype
    except OSError:
        pass
    return f"{kind} (mounted on {best or '?'})"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git(checkout: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(checkout), *args],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_line() -> str:
    """Which sardana-nxsas was measured: its folder and git commit, if it is a checkout."""
    checkout = Path(sardana_nxsas.__file__).resolve().parent.parent
    commit = _git(checkout, "log", "-1", "--format=%h %cI %s")
    if commit is None:
        return f"- code: sardana_nxsas from {checkout} (not a git checkout)"
    changed = _git(
        checkout, "status", "--porcelain", "--", "sardana_nxsas", "macros", "controllers"
    )
    state = "with uncommitted changes" if changed else "clean"
    return f"- code: sardana_nxsas from {checkout}, commit {commit} ({state})"


def machine_lines(tmp_dir: Path, loads: list[tuple[float, float, float]]) -> list[str]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    load_text = " → ".join("/".join(f"{v:.2f}" for v in load) for load in loads)
    return [
        code_line(),
        f"- machine: nproc {affinity or os.cpu_count()} ({_cpu_model()}), RAM {_memory_gib()}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}; HDF5 {h5py.version.hdf5_version}",
        f"- temporary data roots on {_filesystem(tmp_dir)}",
        f"- load average (1/5/15 min) at start, after each detector: {load_text}",
    ]


def _timing_rows(name: str, timings: list[Timing]) -> list[str]:
    wall = stat_ms([t.wall for t in timings])
    door = stat_ms([t.door for t in timings])
    return [name, str(wall.n), *wall.cells(), *door.cells()]


def _paired(a: list[Timing], b: list[Timing]) -> float:
    """Median over repeats of (a - b), both measured in the same repeat, ms."""
    return 1000.0 * statistics.median(x.wall - y.wall for x, y in zip(a, b, strict=True))


def live_section(run: LiveRun) -> str:
    t = f"{run.exposure_time:g}"
    timings = run.timings
    names = {
        "ct": f"stock `ct {t}` (detector saves its CBF: value referencing)",
        "ct-array": f"stock `ct {t}`, frame as an array (no referencing)",
        "expose": f"`expose {t}`",
        "3-step": f"`nxsbegin` + `ct {t}` + `nxsend` (3 calls)",
    }
    header = ["variant", "n", "wall median", "min", "max", "Door median", "min", "max"]
    rows = [_timing_rows(names[v], timings[v]) for v in VARIANTS]
    rows += [_timing_rows(f"  3-step part: `{s}`", run.steps[s]) for s in STEPS]
    med = {v: median_ms([x.wall for x in timings[v]]) for v in VARIANTS}
    target = TARGETS_MS.get(run.detector)
    comparisons = [
        ("`expose` − stock `ct`", "expose", "ct", f"≤ {target:g}" if target else "–"),
        ("`expose` − stock `ct` with the frame as an array", "expose", "ct-array", "–"),
        ("3 calls − `expose` (2 more Door round trips)", "3-step", "expose", "–"),
        ("stock `ct`: array − referenced CBF", "ct-array", "ct", "–"),
    ]
    comp_rows = [
        [
            label,
            ms(med[a] - med[b]),
            ms(_paired(timings[a], timings[b])),
            f"{med[a] / med[b]:.3f}",
            goal,
        ]
        for label, a, b, goal in comparisons
    ]
    comp_header = [
        "comparison",
        "Δ of medians, ms",
        "median of paired Δ, ms",
        "ratio of medians",
        "target, ms",
    ]
    parts = [
        f"### {run.detector}: live, {run.repeats} interleaved repeats of T = {t} s",
        "",
        f"Sample in the beam: {run.sample}; NxsCompression: {run.compression}; "
        f"{run.warmup} warm-up rounds not counted; instrument start {run.setup_seconds:.1f} s. "
        "Times in ms: wall = client perf_counter around `door.run`, "
        "Door = `MacroResult.seconds`.",
        "",
        table(header, rows),
        "",
        table(comp_header, comp_rows),
        "",
        *(f"- {note}" for note in run.notes),
    ]
    return "\n".join(parts)


def profile_section(profile: DetectorProfile) -> str:
    header = ["step, ms (median)"] + [f"{f.label} ({len(f.cycles)} cycles)" for f in profile.frames]
    rows = [[label] + [ms(f.median_ms(row)) for f in profile.frames] for label, row in ROWS]
    rows.append(["total counts of the frame"] + [f"{f.total_counts:,}" for f in profile.frames])
    rows.append(
        ["CBF / .nxs size, MB"]
        + [f"{f.cbf_bytes / 1e6:.2f} / {f.nxs_bytes / 1e6:.2f}" for f in profile.frames]
    )
    shape = profile.frames[0].shape if profile.frames else ("?", "?")
    absent = ", ".join(profile.not_wrapped)
    note = f" Not in this version, so not timed: {absent}." if absent else ""
    return "\n".join(
        [
            f"### {profile.detector}: where the time goes (core library, outside Sardana)",
            "",
            f"Frame {shape[0]}×{shape[1]} int32; NxsCompression {profile.compression}; "
            f"one untimed cycle first.{note}",
            "",
            table(header, rows),
        ]
    )


def write_doc(path: Path, section: str) -> None:
    """Create ``path`` with its header, or append the dated section to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text() if path.exists() else DOC_HEADER
    path.write_text(existing.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n")
