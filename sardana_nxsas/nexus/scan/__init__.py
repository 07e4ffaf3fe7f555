"""A scan's NeXus file (one per scan): writing it (:mod:`.file`), its default plot
(:mod:`.plot`), checks (:mod:`.validate`) and summaries (:mod:`.summary`)."""
