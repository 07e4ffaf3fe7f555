"""Post-processing after the beam: from a range of FSNs to one curve per sample.

Reads exposure files (and the catalog when there is one) and never writes into the
data root's exposure files. Empty for now: averaging, subtraction and merging land
here, above acquisition and below the command line and the GUI model.
"""
