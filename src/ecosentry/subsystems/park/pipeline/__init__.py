"""The park subsystem's sink of ``park-readings`` envelopes."""
