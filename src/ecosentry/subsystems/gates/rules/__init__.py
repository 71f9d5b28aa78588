"""The pure rules of the gate subsystem: VIN, plate, emission stage, the gate decision, ledger pairing, checks."""
