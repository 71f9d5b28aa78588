"""Read models of the O&M subsystem."""
