"""Writes of the electricity subsystem (each change audited in the same transaction)."""
