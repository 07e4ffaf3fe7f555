"""Screenshots of every panel of the sardana-nxsas GUI, for docs/how-to/use-the-gui.md.

Starts the simulated instrument on 127.0.0.1 (stopped at the end by its PIDs),
takes a few exposures through the Door as an operator would, and saves one
PNG per panel into docs/images/. Qt runs offscreen: no display needed.

    python docs/gui_screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sardana_nxsas.dataroot.layout import DataRoot  # noqa: E402
from sardana_nxsas.paths import plugin_dir  # noqa: E402
from sardana_nxsas.system.simulated_instrument import start_simulated_instrument  # noqa: E402
from sardana_nxsas.writer import wait_written  # noqa: E402

sys.path.insert(0, str(plugin_dir("taurusgui")))

SESSION = (
    "nxssample add Glassy_Carbon title 'Glassy carbon' thickness 0.1 0.001 "
    "category 'normalization sample' x 20 y 0 project DEMO-1",
    "nxssample add AgBeh title 'Silver behenate' category 'calibration sample' x 0 y 0",
    "nxssample use AgBeh move",
    "expose 0.3 2 crd",
    "nxssample use Glassy_Carbon move",
    "expose 0.3 1 crd",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nxsas-gui-shots-") as tmp:
        base = Path(tmp)
        os.environ["HOME"] = str(base)
        with start_simulated_instrument(base / "work", base / "data") as inst:
            for line in SESSION:
                result = inst.door.run(line)
                if not result.ok:
                    raise SystemExit(f"{line}: {result.errors}")
            wait_written(DataRoot(inst.data_root), timeout=60)
            shoot(inst, args.out)
    return 0


def shoot(inst, out: Path) -> None:
    from nxsas_gui_context import GuiContext, set_context
    from taurus.external.qt import Qt
    from taurus.qt.qtgui.application import TaurusApplication

    app = TaurusApplication(["shots"], cmd_line_parser=None)
    names = inst.server.names
    ctx = set_context(GuiContext(names.door, inst.db.tango_host, names.macroserver, inst.data_root))
    ctx.read_environment()
    from nxsas_gui_catalog import ExposuresPanel
    from nxsas_gui_exposure import ExposurePanel
    from nxsas_gui_fsn import FsnPanel
    from nxsas_gui_image import LastImagePanel
    from nxsas_gui_samples import SamplesPanel

    exposure = ExposurePanel(ctx=ctx)
    exposure.sample.setCurrentText("Glassy_Carbon")
    exposure.time.setText("300")
    exposure.count.setText("2")
    bad = ExposurePanel(ctx=ctx)
    bad.time.setText("abc")
    catalog = ExposuresPanel(ctx=ctx)
    catalog.search()
    catalog.table.selectRow(0)
    image = LastImagePanel(ctx=ctx)
    panels = {
        "gui-exposure": (exposure, (460, 420)),
        "gui-exposure-bad-input": (bad, (460, 420)),
        "gui-fsn": (FsnPanel(ctx=ctx), (320, 240)),
        "gui-samples": (SamplesPanel(ctx=ctx), (1000, 260)),
        "gui-last-image": (image, (1000, 480)),
        "gui-exposures": (catalog, (1000, 520)),
    }
    for widget, size in panels.values():
        widget.resize(*size)
        widget.show()
    for _ in range(20):
        app.processEvents()
        Qt.QThread.msleep(50)
    for name, (widget, _) in panels.items():
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        print(path)


if __name__ == "__main__":
    sys.exit(main())
