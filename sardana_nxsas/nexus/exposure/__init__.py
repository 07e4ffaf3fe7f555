"""An exposure's NeXus file: the raw NXsas subentry (:mod:`.nxsas`, :mod:`.metadata`),
the readings handed from the macros to the writer (:mod:`.readings`), checks
(:mod:`.validate`) and the one-line summaries (:mod:`.summary`)."""
