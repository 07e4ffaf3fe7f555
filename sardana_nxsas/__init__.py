"""sardana-nxsas: every laboratory SAXS exposure as a standard NeXus file.

The core library: exposure identity and FSN allocation, the data-root layout,
NeXus writers, CBF, the simulation of SAXS patterns and the command line.
It never imports Sardana, Taurus or Qt; the plugin directories (macros/,
recorders/, controllers/, taurusgui/) are thin adapters on top of it.
"""

__version__ = "0.1.0"
