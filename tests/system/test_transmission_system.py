"""nxstrans through the real Door: T in the registry and in later files, beamstop back in."""

from __future__ import annotations

import re

import h5py
import pytest
import tango

from sardana_nxsas.cli.demo import sample_macro
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.samples.store import registry_for
from sardana_nxsas.simulation.samples import SAMPLE_MODELS
from sardana_nxsas.system.simulated_instrument import SimulatedInstrument

SLOTS = ("Dark", "Empty_Beam", "Glassy_Carbon")


def run_ok(door, line: str):
    result = door.run(line)
    assert result.ok, f"{line}: {result.errors}"
    return result


def beamstop(simulated: SimulatedInstrument) -> float:
    proxy = tango.DeviceProxy(f"tango://{simulated.db.tango_host}/bsx")
    return proxy.read_attribute("Position").value


@pytest.fixture
def holder(simulated, door):
    """The standards in the registry and the beamstop's out position."""
    registry = registry_for(DataRoot(simulated.data_root))
    for name in SLOTS:
        run_ok(door, sample_macro(name, registry.find(name) is not None))
    run_ok(door, "senv NxsBeamstopOut 10")
    run_ok(door, "mv bsx 0")  # in, where other tests may have left it off by a little
    assert abs(beamstop(simulated)) < 1e-6
    return registry


def test_nxstrans_stores_the_transmission_and_later_exposures_carry_it(
    simulated, door, holder
) -> None:
    result = run_ok(door, "nxstrans Glassy_Carbon 1 0.5")
    assert "beamstop bsx out at 10" in result.text and "back in at 0" in result.text
    assert re.search(r"transmission of 'Glassy_Carbon': 0\.5\d+ \+- 0\.00\d+", result.text)
    assert len(re.findall(r"tra_\d{5}\.nxs", result.text)) == 3  # dark, empty beam, sample
    stored = holder.get("Glassy_Carbon")
    expected = SAMPLE_MODELS["glassy_carbon"].transmission
    assert 0 < stored.transmission_error < 0.01
    assert abs(stored.transmission - expected) < 3 * stored.transmission_error
    assert abs(beamstop(simulated)) < 1e-6
    # the last exposure was the sample: it is chosen and in the beam
    later = run_ok(door, "expose 0.1 1 crd")
    (path,) = re.findall(r"(\S+\.nxs)", later.text)
    with h5py.File(path) as f:
        assert f["entry/raw/sample/transmission/data"][()] == pytest.approx(stored.transmission)
        assert f["entry/raw/sample/transmission/data_errors"][()] == pytest.approx(
            stored.transmission_error
        )


def test_a_stopped_nxstrans_puts_the_beamstop_back_and_stores_nothing(
    simulated, door, holder
) -> None:
    before = holder.get("Glassy_Carbon").transmission
    door.start("nxstrans", "Glassy_Carbon", "1", "3")
    door.wait_for_output("beamstop bsx out", timeout=30)
    door.wait_for_output("tra_", timeout=30)  # the dark's exposure is done, more are running
    door.stop()
    result = door.wait(timeout=60)
    assert not result.ok
    assert any("back in at 0" in line for line in result.output)
    assert abs(beamstop(simulated)) < 1e-6
    assert holder.get("Glassy_Carbon").transmission == before


def test_nxstrans_without_the_out_position_moves_nothing(simulated, door, holder) -> None:
    run_ok(door, "usenv NxsBeamstopOut")
    result = door.run("nxstrans Glassy_Carbon")
    assert not result.ok and any("senv NxsBeamstopOut" in e for e in result.errors)
    assert abs(beamstop(simulated)) < 1e-6
