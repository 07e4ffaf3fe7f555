"""The data root on disk: its layout (:mod:`.layout`), the file sequence numbers
(:mod:`.fsn`), the detector frames taken in (:mod:`.claim`), CBF files (:mod:`.cbf`) and
the durable-write primitives everything else uses (:mod:`.durable`: temp + fsync + rename,
locks)."""
