"""Everything an exposure file says about instrument, sample and people.

The instrument group is written from an :class:`InstrumentInfo` resolved from
the snapshot taken while counting; positioners and sensors get their value at
the start and, once counting ended, an NXlog of (start, end). Values that
could not be read are listed in ``/entry/raw/missing_metadata`` (see
docs/explanation/nexus-interpretation.md) and never stop the exposure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import h5py

from sardana_nxsas.description.info import (
    ExperimentInfo,
    InstrumentInfo,
    MissingValue,
    PositionerInfo,
    Quantity,
    SensorInfo,
)
from sardana_nxsas.nexus.fields import group, number, quantity, text
from sardana_nxsas.samples.model import Sample


@dataclass(frozen=True)
class EndValues:
    """Sensors and positioners read again when counting ended."""

    seconds: float  # after the start snapshot
    sensors: tuple[SensorInfo, ...] = ()
    positioners: tuple[PositionerInfo, ...] = ()
    missing: tuple[MissingValue, ...] = ()  # read again at the end, but could not be
    start: str | None = None  # ISO 8601 time of the start snapshot (NXlog time@start)


def _texts(parent: h5py.Group, **values: str | None) -> None:
    """The optional text fields that have a value."""
    for name, value in values.items():
        if value:
            text(parent, name, value)


def _maybe(parent: h5py.Group, name: str, value: Quantity | None) -> None:
    if value is not None and not math.isnan(value.value):
        quantity(parent, name, value)


def write_instrument(raw: h5py.Group, info: InstrumentInfo) -> None:
    """NXinstrument with source, monochromator, detector geometry, apertures, beam stop,
    sensors and positioners (start values), and the list of what could not be read."""
    instrument = group(raw, "instrument", "NXinstrument")
    text(instrument, "name", info.name)
    source = group(instrument, "source", "NXsource")
    text(source, "type", info.source_type)
    text(source, "probe", info.source_probe)
    # NXsource target_material enumerates spallation targets; an X-ray tube has an anode
    _texts(source, name=info.source_name, anode_material=info.source_target)
    _maybe(source, "voltage", info.source_voltage)
    _maybe(source, "current", info.source_current)
    _maybe(source, "power", info.source_power)
    mono = group(instrument, "monochromator", "NXmonochromator")
    quantity(mono, "wavelength", info.wavelength)
    if info.wavelength_spread is not None:
        number(mono, "wavelength_spread", info.wavelength_spread, "")
    _write_detector(instrument, info)
    for aperture in info.apertures:
        grp = group(instrument, aperture.name, "NXaperture")
        _maybe(grp, "size", aperture.size)
        _texts(grp, shape=aperture.shape, description=aperture.description)
        if aperture.distance is not None:
            transformations = group(grp, "transformations", "NXtransformations")
            z = quantity(transformations, "z", aperture.distance)
            z.attrs.update(
                transformation_type="translation", vector=[0.0, 0.0, 1.0], depends_on="."
            )
            text(grp, "depends_on", "transformations/z")
    _write_beam_stop(instrument, info)
    for sensor in info.sensors:
        _write_sensor(instrument, sensor)
    if info.positioners:
        positioners = group(instrument, "positioners", "NXcollection")
        for positioner in info.positioners:
            grp = group(positioners, positioner.name, "NXpositioner")
            text(grp, "name", positioner.name)
            number(grp, "value", positioner.value, positioner.units)
    if info.missing:
        missing = group(raw, "missing_metadata", "NXcollection")
        for item in info.missing:
            text(missing, item.field_name, item.reason, key=item.key, source=item.source)


def _write_detector(instrument: h5py.Group, info: InstrumentInfo) -> None:
    det = info.detector
    detector = group(instrument, "detector", "NXdetector")
    text(detector, "description", det.description)
    quantity(detector, "distance", det.distance)
    quantity(detector, "x_pixel_size", det.x_pixel_size)
    quantity(detector, "y_pixel_size", det.y_pixel_size)
    quantity(detector, "beam_center_x", det.beam_center_x)
    quantity(detector, "beam_center_y", det.beam_center_y)
    # the same beam centre as operators read it off the image: 0-based column and row
    for name, value in (("beam_center_x_pixel", det.beam_center_col),
                        ("beam_center_y_pixel", det.beam_center_row)):  # fmt: skip
        quantity(detector, name, value).attrs["long_name"] = f"{name}: 0-based, pixel centres"
    if det.sensor_material:
        text(detector, "sensor_material", det.sensor_material)
    _maybe(detector, "sensor_thickness", det.sensor_thickness)
    _maybe(detector, "threshold_energy", det.threshold)
    if det.saturation_value is not None:
        number(detector, "saturation_value", det.saturation_value, "counts")


def _write_beam_stop(instrument: h5py.Group, info: InstrumentInfo) -> None:
    stop = info.beam_stop
    if stop is None:
        return
    grp = group(instrument, "beam_stop", "NXbeam_stop")
    _texts(grp, description=stop.shape, status=stop.status)
    for name in ("size", "x", "y", "distance_to_detector"):
        _maybe(grp, name, getattr(stop, name))


def _write_sensor(instrument: h5py.Group, sensor: SensorInfo) -> None:
    grp = group(instrument, sensor.name, "NXsensor")
    text(grp, "name", sensor.name)
    text(grp, "measurement", sensor.measurement)
    _texts(grp, type=sensor.type, description=sensor.description)
    _maybe(grp, "value", sensor.value)


def write_end_values(raw: h5py.Group, end: EndValues) -> None:
    """NXlog ``value_log`` of (start, end) for every sensor and positioner read at both ends;
    a value that could not be read again joins ``missing_metadata`` (``..._at_end``)."""
    instrument = raw["instrument"]
    for sensor in end.sensors:
        grp = instrument.get(sensor.name)
        if grp is not None and "value" in grp and sensor.value is not None:
            _log(grp, end, float(grp["value"][()]), sensor.value.value, sensor.value.units)
    collection = instrument.get("positioners")
    for positioner in end.positioners:
        grp = None if collection is None else collection.get(positioner.name)
        if grp is not None and "value" in grp:
            _log(grp, end, float(grp["value"][()]), positioner.value, positioner.units)
    if end.missing:
        missing = group(raw, "missing_metadata", "NXcollection")
        for item in end.missing:
            name = f"{item.field_name}_at_end"
            text(missing, name, item.reason, key=f"{item.key} (at the end)", source=item.source)


def _log(grp: h5py.Group, end: EndValues, start: float, last: float, units: str | None) -> None:
    log = group(grp, "value_log", "NXlog")
    time = number(log, "time", [0.0, end.seconds], "s")
    if end.start:
        time.attrs["start"] = end.start  # when the start snapshot was taken
    number(log, "value", [start, last], units)


def write_sample(raw: h5py.Group, name: str, sample: Sample | None) -> None:
    """NXsample: the chosen sample's registry record, or just the name."""
    grp = group(raw, "sample", "NXsample")
    text(grp, "name", name)
    if sample is None:
        return
    text(grp, "type", sample.nexus_type)
    text(grp, "category", sample.category)  # the lab's finer category
    text(grp, "situation", sample.situation)
    if sample.thickness is not None:
        number(grp, "thickness", sample.thickness, "cm", sample.thickness_error)
    if sample.transmission is not None:
        # NXsample/transmission is an NXdata (transmission as a function of wavelength):
        # here one value, at the instrument's wavelength
        transmission = group(grp, "transmission", "NXdata", signal="data")
        number(transmission, "data", sample.transmission, "", sample.transmission_error)
    for axis in ("x", "y"):
        value = getattr(sample, f"position_{axis}")
        if value is not None:
            number(
                grp, f"{axis}_translation", value, "mm", getattr(sample, f"position_{axis}_error")
            )
    if sample.distminus is not None:
        number(grp, "distminus", sample.distminus, "mm").attrs["long_name"] = (
            "the sample sits this much closer to the detector than the nominal position"
        )
    for field in ("description", "preparation_date", "prepared_by", "project"):
        value = getattr(sample, field)
        if value:
            text(grp, field, str(value))


def write_experiment(entry: h5py.Group, home: h5py.Group, experiment: ExperimentInfo) -> None:
    """Project and people, for exposures and scans alike: the identifiers in ``entry`` and
    in ``home`` (an exposure's self-contained NXsas subentry; a scan passes its entry as
    both), and one NXuser per role in ``home``."""
    for parent in [entry] if home == entry else [entry, home]:
        if experiment.identifier:
            text(parent, "experiment_identifier", experiment.identifier)
        if experiment.name:
            text(parent, "experiment_description", experiment.name)
    for role in ("operator", "proposer"):
        person = getattr(experiment, role)
        if person:
            user = group(home, role, "NXuser")
            text(user, "name", person)
            text(user, "role", role)
