"""Durable work queues served by a process of their own, per data root.

A client writes a job file (:mod:`.queue`) and wakes the queue's worker process
(:mod:`.process`); the worker does the jobs in order (:mod:`.drain`) and yields to a
fast series while it runs (:mod:`.yielding`). The writer (sardana_nxsas.writer) and
the reducer (sardana_nxsas.reducer) are the two users. See docs/decisions/0008.
"""
