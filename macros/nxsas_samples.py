"""Sample macros of sardana-nxsas: ``nxssample`` defines, changes, lists and chooses samples.

One macro with an action word and free words after it: Sardana lets the last
repeat parameter go without brackets, so spock takes the words as typed. A thin
adapter: the registry (a JSON file in the data root, shared by every Door) and
the word syntax live in the core (sardana_nxsas.samples.store, .text), the sample
motors in sardana_nxsas.acquisition.sample_motors. Tango strings are Latin-1:
everything printed goes through door_text (ms.say, ms.warn: other characters as
\\uXXXX) and typed words through from_door (the reverse).
See docs/how-to/manage-samples.md.
"""

from sardana.macroserver.macro import Macro, Type

from sardana_nxsas import env
from sardana_nxsas.acquisition import macro_support as ms
from sardana_nxsas.acquisition.sample_motors import sample_motors
from sardana_nxsas.acquisition.settings import data_root_from_getter
from sardana_nxsas.errors import NxsError
from sardana_nxsas.samples.model import Sample
from sardana_nxsas.samples.store import registry_for, spock_quote
from sardana_nxsas.samples.text import CLEAR, describe, door_text, from_door, parse_changes, table

ACTIONS = ("list", "show", "add", "set", "rename", "remove", "use")


def _registry(macro):
    return registry_for(data_root_from_getter(ms.getter(macro)))  # the data root is enough


def _words(words, least, most, usage):
    if not least <= len(words) <= most:
        raise NxsError(f"usage: nxssample {usage}")
    return words


def _report(macro, verb, sample):
    ms.say(macro, f"{verb} {sample.name!r}:")
    for line in describe(sample):
        ms.say(macro, "  " + line)
    for warning in sample.warnings():
        ms.warn(macro, warning)
    macro.setData(sample.to_dict())


def _follow(macro, old, new):
    """Keep NxsSample and NxsTitle in step when the chosen sample is changed or removed.

    NxsTitle follows only while it still holds the sample's title: an operator's
    own `senv NxsTitle ...` is left alone.
    """
    if ms.env(macro, env.SAMPLE) != old.name:
        return
    title_follows = ms.env(macro, env.TITLE) == old.exposure_title
    if new is None:
        ms.unset(macro, env.SAMPLE)
        if title_follows:
            ms.unset(macro, env.TITLE)
        ms.warn(macro, f"{old.name!r} was the chosen sample: no sample is chosen now")
        return
    ms.set_text(macro, env.SAMPLE, new.name)
    if title_follows and new.exposure_title != old.exposure_title:
        ms.set_text(macro, env.TITLE, new.exposure_title)
        ms.say(macro, f"exposures are now titled {new.exposure_title!r} ({env.TITLE})")


class nxssample(Macro):
    """Define, change, list and choose samples (the registry in the data root).

    nxssample [list] | show NAME | add NAME [FIELD VALUE [ERROR]]... |
    set NAME FIELD VALUE [ERROR]... | rename NAME NEW | remove NAME | use [NAME [move] | -]

    Fields: title, thickness (cm), transmission, x, y (mm), distminus (mm),
    category, situation, description, date (YYYY-MM-DD or today), prepared_by,
    project; `-` clears a field. Quote names with spaces: "REV 1".
    """

    param_def = [
        ["action", Type.String, "list", "one of: " + ", ".join(ACTIONS)],
        [
            "words",
            # default "None": Sardana drops a word spelled "none" and sends the
            # default instead (e.g. `category none`); this brings it back.
            [["word", Type.String, "None", "sample name, then fields and values"], {"min": 0}],
            None,
            "the sample name, then FIELD VALUE [ERROR]... (see nxssample's help)",
        ],
    ]

    def run(self, action, words):
        try:
            action = action.casefold()
            if action not in ACTIONS:
                raise NxsError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
            getattr(self, "_do_" + action)(_registry(self), [from_door(w) for w in words])
        except NxsError as exc:
            exc.args = (door_text(str(exc)),)  # the Door could not report it otherwise
            raise

    def _do_list(self, registry, words):
        _words(words, 0, 0, "list")
        samples = registry.list()
        if not samples:
            ms.say(self, "no samples defined: add one with nxssample add NAME FIELD VALUE ...")
        else:
            for line in table(samples, current=ms.env(self, env.SAMPLE), for_door=True):
                ms.say(self, line)
        self.setData([s.to_dict() for s in samples])

    def _do_show(self, registry, words):
        (name,) = _words(words, 1, 1, "show NAME")
        sample = registry.get(name)
        chosen = " (chosen)" if sample.name == ms.env(self, env.SAMPLE) else ""
        _report(self, "sample" + chosen, sample)

    def _do_add(self, registry, words):
        name, *fields = _words(words, 1, 1000, "add NAME [FIELD VALUE [ERROR]] ...")
        sample = registry.add(Sample(name).with_changes(**parse_changes(fields)))
        _report(self, "added", sample)

    def _do_set(self, registry, words):
        name, *fields = _words(words, 3, 1000, "set NAME FIELD VALUE [ERROR] ...")
        changes = parse_changes(fields)
        old = registry.get(name)
        new = registry.set(old.name, **changes)
        _follow(self, old, new)
        _report(self, "changed", new)

    def _do_rename(self, registry, words):
        name, new_name = _words(words, 2, 2, "rename NAME NEW_NAME")
        old = registry.get(name)
        new = registry.rename(old.name, new_name)
        _follow(self, old, new)
        _report(self, f"renamed {old.name!r} to", new)

    def _do_remove(self, registry, words):
        (name,) = _words(words, 1, 1, "remove NAME")
        old = registry.remove(name)
        _follow(self, old, None)
        ms.say(self, f"removed {old.name!r}")
        self.setData(old.to_dict())

    def _do_use(self, registry, words):
        _words(words, 0, 2, "use [NAME [move] | -]")
        if not words:
            current = ms.env(self, env.SAMPLE)
            ms.say(self, f"chosen sample: {current!r}" if current else "no sample is chosen")
            self.setData(current)
            return
        if words == [CLEAR]:
            self._deselect(registry)
            ms.say(self, "no sample is chosen")
            return
        if len(words) == 2 and words[1].casefold() not in ("move", "--move"):
            raise NxsError(f"usage: nxssample use NAME [move] (not {words[1]!r})")
        sample = registry.get(words[0])
        if len(words) == 2:
            self._move_to(registry, sample)
        ms.set_text(self, env.SAMPLE, sample.name)
        ms.set_text(self, env.TITLE, sample.exposure_title)
        ms.say(
            self, f"chosen sample {sample.name!r}: exposures are titled {sample.exposure_title!r}"
        )
        self.setData(sample.to_dict())

    def _move_to(self, registry, sample):
        x, y = sample.position_x, sample.position_y
        if x is None or y is None:
            raise NxsError(
                f"sample {sample.name!r} has no position: "
                f"nxssample set {spock_quote(sample.name)} x <mm> y <mm>"
            )
        motor_x, motor_y = sample_motors(ms.env(self, env.SAMPLE_MOTORS), self.getMoveable)
        # The motors leave the chosen sample: if the move fails or is stopped, no
        # sample is chosen, so no exposure is titled after a sample out of the beam.
        self._deselect(registry)
        self.execMacro("mv", [[motor_x, x], [motor_y, y]])
        ms.say(self, f"moved {motor_x} to {x:g} mm, {motor_y} to {y:g} mm")

    def _deselect(self, registry):
        current = ms.env(self, env.SAMPLE)
        if current is None:
            return
        sample = registry.find(current)
        if ms.env(self, env.TITLE) in (current, sample and sample.exposure_title):
            ms.unset(self, env.TITLE)
        ms.unset(self, env.SAMPLE)
