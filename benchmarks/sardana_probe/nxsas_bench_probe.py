"""A probe macro for benchmarks/adapter_probe.py: times the steps of ``expose``
inside the MacroServer. Not a plugin of sardana-nxsas: the benchmark adds this
folder to MacroPath of its own throwaway instrument only.

``nxsas_bench_probe MACRO TIME`` runs ``expose TIME`` or ``ct TIME`` once as a
sub-macro while the functions it goes through are wrapped with timers, then
restores them and outputs one line ``PROBE {"label": [seconds of each call], ...}``.
Times are inclusive: a wrapped function's time contains what it calls.
"""

import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import sardana.macroserver.macro as msmacro
from sardana.macroserver.macro import Macro, Type
from sardana.macroserver.macros.standard import ct as stock_ct

# functions of the nxsas_exposure macro module (looked up as globals when called);
# those a version does not have are skipped
ADAPTER = (
    "begin",
    "finish",
    "begin_exposure",
    "end_exposure",
    "record_counts",
    "_wake",
    "_catalog_warning",
    "_timers",
    "count_in_session",
    "_mg_count",
    "_detector_channel",
    "_open_session",
    "_start_metadata",
    "_end_metadata",
    "load_description",
    "require_elements",
    "resolve",
)
MACRO_API = ("setEnv", "getEnv", "execMacro")
# core steps, wrapped where the exposure module looks them up
CORE = ("submit", "claim_frame", "write_cbf", "_hand_over")
MG_API = ("setValueRefPattern", "setValueRefEnabled", "getChannelsEnabledInfo")


class _Timers:
    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = defaultdict(list)

    @contextmanager
    def wrap(self, owner: object, attr: str, label: str) -> Iterator[None]:
        original = getattr(owner, attr)
        calls = self.calls[label]

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                calls.append(time.perf_counter() - t0)

        setattr(owner, attr, timed)
        try:
            yield
        finally:
            setattr(owner, attr, original)

    def summary(self) -> dict[str, list[float]]:
        return {label: list(c) for label, c in self.calls.items() if c}


def _defining_class(obj: object, attr: str) -> type:
    for klass in type(obj).__mro__:
        if attr in vars(klass):
            return klass
    raise AttributeError(f"{type(obj).__name__} defines no {attr}")


class nxsas_bench_probe(Macro):
    """Run expose or ct once with timers around the steps; output them as JSON."""

    param_def = [
        ["macro", Type.String, None, "expose or ct"],
        ["integ_time", Type.Float, 1.0, "exposure time, s"],
    ]

    def run(self, macro: str, integ_time: float) -> None:
        if macro == "profile":  # cProfile of one expose, for profiling notes
            import cProfile
            import io
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            self.execMacro("expose", integ_time)
            profiler.disable()
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_callees(
                r"nxsas_exposure.py.*\((begin|count_in_session|finish|run)\)"
            )
            for line in text.getvalue().splitlines():
                self.output(line)
            return
        if macro not in ("expose", "ct"):
            raise ValueError("macro must be expose, ct or profile")
        module = sys.modules.get("nxsas_exposure") or self.getMacroLib("nxsas_exposure").module
        mg = self.getMeasurementGroup(self.getEnv("ActiveMntGrp")).getObj()
        timers = _Timers()
        wrapped: list[tuple[object, str, str]] = [
            (module, n, n) for n in ADAPTER if hasattr(module, n)
        ]
        metadata = getattr(module, "_Metadata", None)
        if metadata is not None:
            wrapped += [
                (metadata, n, f"_Metadata.{n}") for n in ("__init__", "read_end", "collect")
            ]
        if hasattr(getattr(module, "ms", None), "settings"):
            wrapped.append((module.ms, "settings", "settings"))
        core = sys.modules.get("sardana_nxsas.acquisition.exposure")
        if core is not None:
            wrapped += [(core, n, n) for n in CORE if hasattr(core, n)]
            if hasattr(core, "FsnCounter"):
                wrapped.append((core.FsnCounter, "allocate", "FsnCounter.allocate"))
        wrapped += [(msmacro.Macro, n, n) for n in MACRO_API]
        wrapped += [(module.ct, "run", "ct.run (override)"), (stock_ct, "run", "stock ct.run")]
        wrapped += [(_defining_class(mg, n), n, f"mg.{n}") for n in MG_API]
        with ExitStack() as stack:
            for owner, attr, label in wrapped:
                stack.enter_context(timers.wrap(owner, attr, label))
            t0 = time.perf_counter()
            self.execMacro(macro, integ_time)
            total = time.perf_counter() - t0
        result = timers.summary()
        result["total"] = [total]
        self.output("PROBE " + json.dumps(result))
