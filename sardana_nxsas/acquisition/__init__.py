"""Acquisition: what the Sardana adapters (macros, the scan recorder) call.

- the session's settings from the MacroServer environment (:mod:`.settings`);
- an exposure from its FSN to its writer jobs (:mod:`.exposure`), its count with the
  metadata read around it (:mod:`.count`, :mod:`.count_metadata`), the measurement
  group's detector channel and timers (:mod:`.measurement_group`), the frame taken in
  (:mod:`.frames`, shared with scans), a session another process left open
  (:mod:`.recovery`) and the warnings an operator is shown (:mod:`.news`);
- the metadata snapshot taken while counting (:mod:`.snapshot`);
- scans: the recorder's choices (:mod:`.scan_setup`) and its jobs (:mod:`.scan`);
- transmission (:mod:`.transmission`), the sample stage (:mod:`.sample_motors`) and the
  helpers every macro shares (:mod:`.macro_support`).

Nothing here imports Sardana: an adapter passes in what it read (small Protocols say
what it must provide), and every file is written by the writer process.
"""
