"""Acquisition: what the Sardana adapters (macros, the scan recorder) call.

The session settings read from the MacroServer environment (:mod:`.settings`), an
exposure from its FSN to its writer jobs (:mod:`.exposure`), the metadata snapshot
taken while counting (:mod:`.snapshot`), scans (:mod:`.scan`), transmission
(:mod:`.transmission`) and the helpers every macro shares (:mod:`.macro_support`).
Nothing here imports Sardana: an adapter passes in what it read.
"""
