"""Pages of the electricity subsystem."""
