"""The ``sardana-nxsas`` command line.

Errors meant for the user are one line on stderr and a non-zero exit status;
nothing prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sardana_nxsas import __version__
from sardana_nxsas.cli import catalog as cli_catalog
from sardana_nxsas.cli import export as cli_export
from sardana_nxsas.cli import instrument as cli_instrument
from sardana_nxsas.cli import pending as cli_pending
from sardana_nxsas.errors import NxsError


def _cmd_validate(args: argparse.Namespace) -> int:
    from sardana_nxsas.nexus.scan.validate import validate_any

    failed = 0
    for name in args.files:
        report = validate_any(Path(name))  # an exposure or a scan file
        verdict = "OK" if report.ok else "ERROR"
        print(f"{verdict:5} {name}  ({report.status})")
        note = None if report.ok else cli_pending.pending_note(Path(name))
        if note:
            print(f"      {note}")
        for message in report.errors:
            print(f"      error: {message}")
        if args.verbose:
            for message in report.warnings:
                print(f"      warning: {message}")
        failed += not report.ok
    if failed:
        print(f"{failed} of {len(args.files)} file(s) have errors", file=sys.stderr)
    return 1 if failed else 0


def _cmd_paths(args: argparse.Namespace) -> int:
    from sardana_nxsas.paths import plugin_dirs

    dirs = plugin_dirs()
    if args.property:
        print(f"PoolPath     {dirs['controllers']}")
        print(f"MacroPath    {dirs['macros']}")
        print(f"RecorderPath {dirs['recorders']}")
    else:
        for kind, path in dirs.items():
            print(f"{kind:<12} {path}")
    return 0


def _cmd_setup(args: argparse.Namespace) -> int:
    from sardana_nxsas.system.plugin_setup import setup_plugin_paths, tango_database

    db = tango_database(args.tango_host)
    done = setup_plugin_paths(db, args.macroserver, args.pool or None, dry_run=args.dry_run)
    for device, props in done.written.items():
        for name, values in props.items():
            print(f"{device}: {name} = {':'.join(map(str, values))}")
    print(done.note)
    return 0


def _cmd_lsfsn(args: argparse.Namespace) -> int:
    from sardana_nxsas.acquisition.settings import words
    from sardana_nxsas.dataroot.fsn import FsnCounter, lsfsn_lines
    from sardana_nxsas.dataroot.layout import DEFAULT_PREFIXES, DataRoot

    prefixes = words(args.prefixes) or DEFAULT_PREFIXES
    root = DataRoot(Path(args.data), prefixes)
    print("\n".join(lsfsn_lines(FsnCounter(root))))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from sardana_nxsas.cli.demo import run_demo

    if not (args.time > 0):
        raise NxsError(f"--time {args.time}: give a positive number of seconds")
    run_demo(Path(args.data), detector=args.detector, exposure_time=args.time, keep=args.keep)
    return 0


def _cmd_gui(args: argparse.Namespace) -> int:
    # Qt and Taurus only here: the GUI lives in the taurusgui/ plugin directory
    from sardana_nxsas.paths import plugin_dir

    sys.path.insert(0, str(plugin_dir("taurusgui")))
    from nxsas_gui_launch import run  # type: ignore[import-not-found]

    return run(args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="sardana-nxsas",
        description="Standard NeXus/CBF data storage for laboratory SAXS instruments run by Sardana.",
    )
    top.add_argument("--version", action="version", version=f"sardana-nxsas {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run a measurement session on the simulated instrument")
    demo.add_argument(
        "--data", default="sardana-nxsas-demo-data", help="data root (created if missing)"
    )
    demo.add_argument(
        "--detector",
        default="pilatus300k",
        choices=["pilatus300k", "pilatus1m", "eiger9m"],
        help="simulated detector size",
    )
    demo.add_argument("--time", type=float, default=0.5, help="exposure time of each frame, s")
    demo.add_argument(
        "--keep", action="store_true", help="leave the system running (prints how to stop it)"
    )
    demo.set_defaults(func=_cmd_demo)

    validate = sub.add_parser(
        "validate", help="check exposure or scan files (NeXus, default plot, CBFs)"
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("-v", "--verbose", action="store_true", help="show warnings too")
    validate.set_defaults(func=_cmd_validate)

    paths = sub.add_parser(
        "paths", help="print the Sardana plugin directories of this installation"
    )
    paths.add_argument("--property", action="store_true", help="as Tango property names")
    paths.set_defaults(func=_cmd_paths)

    setup = sub.add_parser("setup", help="add the plugin directories to an existing Sardana")
    setup.add_argument(
        "--tango-host",
        default=os.environ.get("TANGO_HOST"),
        required=not os.environ.get("TANGO_HOST"),
        help="HOST:PORT of the Tango database (default: $TANGO_HOST)",
    )
    setup.add_argument("--macroserver", required=True, help="MacroServer device name or alias")
    setup.add_argument(
        "--pool",
        action="append",
        help="Pool device or alias (default: the MacroServer's PoolNames)",
    )
    setup.add_argument("--dry-run", action="store_true", help="show what would be written")
    setup.set_defaults(func=_cmd_setup)

    lsfsn = sub.add_parser("lsfsn", help="last and next FSN of every prefix in a data root")
    lsfsn.add_argument("--data", required=True, help="data root")
    lsfsn.add_argument("--prefixes", help="space-separated prefixes (default: crd scn tra tst gsx)")
    lsfsn.set_defaults(func=_cmd_lsfsn)

    gui = sub.add_parser("gui", help="open the Taurus GUI (exposures, samples, last image)")
    gui.add_argument(
        "--tango-host",
        default=os.environ.get("TANGO_HOST"),
        help="HOST:PORT of the Tango database (default: $TANGO_HOST)",
    )
    gui.add_argument("--door", default="door/nxsas/1", help="Door device name")
    gui.add_argument("--macroserver", default="macroserver/nxsas/1", help="MacroServer device")
    gui.add_argument("--data", help="data root (default: NxsDataRoot of the MacroServer)")
    gui.set_defaults(func=_cmd_gui)

    cli_instrument.add_parser(sub)
    cli_catalog.add_parser(sub)
    cli_pending.add_parser(sub)
    cli_export.add_parser(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except NxsError as exc:
        print(f"sardana-nxsas: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sardana-nxsas: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
