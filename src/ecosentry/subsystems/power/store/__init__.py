"""What the electricity subsystem writes: registry rows, thresholds, findings."""
