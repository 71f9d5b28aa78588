"""Read models of the electricity subsystem, one module per subject (used by the engine, pages and reports)."""
