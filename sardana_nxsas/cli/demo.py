"""``sardana-nxsas demo``: a short measurement session on the simulated instrument.

Everything goes through the real Door with the operators' macros: the project
and people, the samples of the holder (``nxssample add``), then the standards
(Dark, Empty_Beam, Glassy_Carbon, AgBeh) with ``nxssample use NAME move`` and
the explicit nxsbegin / ct / nxsend form, then one sample three times with
``expose``. Before the exposures, an alignment scan (``ascan`` of the sample motor
across the glassy carbon) writes one NeXus scan file with a frame per point. Each
sample that scatters gets its transmission measured (``nxstrans``) before its ``crd``
exposures, and every ``crd`` exposure is reduced in the background; the
summary shows T and the reduction status of each. Wired into the main parser by
:func:`add_parser`.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sardana_nxsas import env
from sardana_nxsas.catalog import Catalog, CatalogRow, catalog_url
from sardana_nxsas.catalog.export import table_lines
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import NxsError
from sardana_nxsas.nexus.exposure.summary import exposure_facts, table
from sardana_nxsas.nexus.exposure.validate import validate_exposure
from sardana_nxsas.nexus.scan.summary import is_scan_file, scan_facts, scan_table
from sardana_nxsas.nexus.scan.validate import validate_scan
from sardana_nxsas.reducer import wait_reduced
from sardana_nxsas.samples.store import registry_for
from sardana_nxsas.simulation.holder import DEFAULT_HOLDER
from sardana_nxsas.simulation.samples import SAMPLE_MODELS
from sardana_nxsas.writer import wait_written

if TYPE_CHECKING:
    from sardana_nxsas.system.simulated_instrument import SimulatedInstrument

STANDARDS = ("Dark", "Empty_Beam", "Glassy_Carbon", "AgBeh")
# across the glassy carbon (x = 20, 3 mm wide): the frame sum rises at 18.5, falls at 21.5
ALIGNMENT_SCAN = "ascan samx 17 23 12 0.1"
SAMPLE = "Spheres_R20nm"
MEASURED_T = ("Glassy_Carbon", "AgBeh", SAMPLE)  # nxstrans before their crd exposures
BEAMSTOP_OUT = 10.0  # mm: the simulated beamstop (bsx) is in within 1 mm of 0
TRANSMISSION_TIME = 0.5  # s: the direct beam saturates the Pilatus beyond ~2 s
CATEGORIES = {
    "dark": "Dark",
    "empty_beam": "Empty beam",
    "glassy_carbon": "normalization sample",
    "agbeh": "calibration sample",
    "buffer": "buffer",
    "spheres": "sample+buffer",
}
DETECTORS = ("pilatus300k", "pilatus1m", "eiger9m")
PEOPLE = {
    env.OPERATOR: "Demo Operator",
    env.PROPOSER: "Demo Proposer",
    env.PROJECT: "DEMO-2026-001",
    env.PROJECT_NAME: "sardana-nxsas demonstration",
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    demo = subparsers.add_parser(
        "demo", help="run a measurement session on the simulated instrument"
    )
    demo.add_argument(
        "--data", default="sardana-nxsas-demo-data", help="data root (created if missing)"
    )
    demo.add_argument(
        "--detector", default="pilatus300k", choices=DETECTORS, help="simulated detector size"
    )
    demo.add_argument("--time", type=float, default=0.5, help="exposure time of each frame, s")
    demo.add_argument(
        "--keep", action="store_true", help="leave the system running (prints how to stop it)"
    )
    demo.set_defaults(func=cmd_demo)
    return demo


def cmd_demo(args: argparse.Namespace) -> int:
    if not (args.time > 0):
        raise NxsError(f"--time {args.time}: give a positive number of seconds")
    run_demo(Path(args.data), detector=args.detector, exposure_time=args.time, keep=args.keep)
    return 0


def sample_macro(name: str, known: bool) -> str:
    """``nxssample add`` (or ``set``, on a data root that has it) for a holder slot."""
    slot = DEFAULT_HOLDER.slot(name)
    model = SAMPLE_MODELS[slot.kind]
    words = [f"x {slot.x:g}", f"y {slot.y:g}", f"category {shlex.quote(CATEGORIES[slot.kind])}"]
    if model.thickness > 0 and slot.kind != "dark":
        words.append(f"thickness {model.thickness:g} {model.thickness * 0.01:g}")
    return f"nxssample {'set' if known else 'add'} {name} {' '.join(words)}"


def sequence(exposure_time: float, known_samples: frozenset[str] = frozenset()) -> list[str]:
    """The spock lines of the demo session."""
    lines = [f"senv {key} {shlex.quote(value)}" for key, value in PEOPLE.items()]
    lines += [f"senv {env.BEAMSTOP_OUT} {BEAMSTOP_OUT:g}"]
    lines += [sample_macro(name, name in known_samples) for name in (*STANDARDS, SAMPLE)]
    lines += [ALIGNMENT_SCAN]
    for name in STANDARDS:
        if name in MEASURED_T:
            lines += [f"nxstrans {name} 1 {TRANSMISSION_TIME:g}"]
        lines += [f"nxssample use {name} move", "nxsbegin crd", f"ct {exposure_time}", "nxsend"]
    lines += [f"nxstrans {SAMPLE} 1 {TRANSMISSION_TIME:g}"]
    lines += [f"nxssample use {SAMPLE} move", f"expose {exposure_time} 3", "lsfsn"]
    return lines


def run_demo(
    data_root: Path,
    detector: str = "pilatus300k",
    exposure_time: float = 0.5,
    keep: bool = False,
    say: Callable[[str], None] = print,
) -> list[Path]:
    """Run the demo; return the exposure files written."""
    # tango only when a demo runs: every command's parser imports this module
    from sardana_nxsas.system.simulated_instrument import start_simulated_instrument

    data_root = Path(data_root).resolve()
    workdir = Path(tempfile.mkdtemp(prefix="sardana-nxsas-demo-"))
    say(f"starting a Tango DB + Sardana on 127.0.0.1 (simulated {detector}) in {workdir} ...")
    instrument = start_simulated_instrument(workdir, data_root, detector)
    try:
        before = set(data_root.glob("nexus/*/*.nxs"))
        known = frozenset(s.name for s in registry_for(DataRoot(data_root)).list())
        for line in sequence(exposure_time, known):
            say(f"spock> {line}")
            result = instrument.door.run(line, raise_on_error=True)
            for text in result.output + result.warnings:
                say(f"    {text}")
        if not wait_written(DataRoot(data_root), timeout=120):  # the writer's last files
            raise SystemExit(f"the writer did not finish: see {data_root}/state/writer.log")
        if not wait_reduced(DataRoot(data_root), timeout=600):  # the reducer's last files
            raise SystemExit(f"the reducer did not finish: see {data_root}/state/reducer.log")
        new = sorted(set(data_root.glob("nexus/*/*.nxs")) - before)
        scans = [path for path in new if is_scan_file(path)]
        written = [path for path in new if not is_scan_file(path)]
        _report(written, say)
        _report_scans(scans, say)
        _catalog_view(data_root, len(written), say)
    except BaseException:
        instrument.stop()
        raise
    if keep:
        _print_keep_instructions(instrument, say)
    else:
        instrument.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        say("stopped the Tango DB and Sardana.")
    return written


def _report(written: list[Path], say: Callable[[str], None]) -> None:
    say("")
    say(f"exposures written to {written[0].parents[2] if written else '-'}:")
    for line in table([exposure_facts(path) for path in written]):
        say(f"  {line}")
    bad = [path for path in written if not validate_exposure(path).ok]
    say(
        f"validated {len(written)} files with nexusformat (NXsas) and fabio: "
        + ("all complete and valid" if not bad else f"{len(bad)} with errors: {bad}")
    )
    if bad:
        raise SystemExit(1)


def _report_scans(scans: list[Path], say: Callable[[str], None]) -> None:
    say("")
    say(f"scan files written to {scans[0].parent if scans else '-'}:")
    for line in scan_table([scan_facts(path) for path in scans]):
        say(f"  {line}")
    for path in scans:
        say(f"  {path}")
    bad = [path for path in scans if not validate_scan(path).ok]
    say(
        f"validated {len(scans)} scan file(s) (NeXus base classes, default plot, CBFs): "
        + ("all complete and valid" if not bad else f"{len(bad)} with errors: {bad}")
    )
    if bad:
        raise SystemExit(1)


def _catalog_view(data_root: Path, count: int, say: Callable[[str], None]) -> None:
    """What the SQL catalog (written live by the writer and reducer processes) holds of this session."""
    spool = data_root / "state" / "catalog-spool"
    deadline = time.monotonic() + 30
    while any(spool.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the MacroServer's writer sends its last rows
    with Catalog(catalog_url(data_root, None)) as catalog:
        rows = catalog.last(count)
    say("")
    say(
        f"the catalog ({catalog_url(data_root, None)}): sardana-nxsas catalog find --data {data_root}"
    )
    for line in table_lines(rows):
        say(f"  {line}")
    say("")
    say("transmission and on-line reduction of each exposure (from the catalog):")
    for line in reduction_lines(rows):
        say(f"  {line}")


def reduction_lines(rows: list[CatalogRow]) -> list[str]:
    """exposure, title, T +- error, reduction status (and why it failed)."""
    lines = [f"{'exposure':<12} {'title':<16} {'T':>16}  reduction"]
    for row in sorted(rows, key=lambda r: (r["prefix"], r["fsn"])):
        t, err = row.get("transmission"), row.get("transmission_error")
        trans = "-" if t is None else f"{t:.4f}" + ("" if err is None else f" +- {err:.4f}")
        status = row.get("reduction_status") or ("-" if row["prefix"] != "crd" else "not yet")
        if row.get("reduction_reason"):
            status += f": {row['reduction_reason']}"
        name = f"{row['prefix']}_{row['fsn']:05d}"
        title = str(row.get("title") or "")[:16]
        lines.append(f"{name:<12} {title:<16} {trans:>16}  {status}")
    return lines


def _print_keep_instructions(instrument: SimulatedInstrument, say: Callable[[str], None]) -> None:
    from sardana_nxsas.system.spock import create_spock_profile

    profile = create_spock_profile(
        instrument.server.names.door, instrument.db.tango_host, instrument.workdir / "ipython"
    )
    instrument.detach()
    pids = " ".join(str(p) for p in (instrument.server.pid, instrument.db.pid) if p)
    say("")
    say("the system keeps running. Open spock on its Door with:")
    say(f"  {profile.command}")
    say("stop it (Sardana, then the Tango DB) with:")
    say(f"  kill {pids}")
