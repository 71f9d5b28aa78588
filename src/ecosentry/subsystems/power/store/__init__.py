"""Writes of the electricity subsystem's tables."""
