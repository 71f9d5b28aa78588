"""The park subsystem's writes: the registry import."""
