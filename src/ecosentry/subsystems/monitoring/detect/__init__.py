"""Falsification and anomaly detectors: pure functions, series in → findings out (:mod:`.model`)."""
