"""The gates subsystem\x27s writes: registry import, ledger (camera, CSV, guard), decisions."""
