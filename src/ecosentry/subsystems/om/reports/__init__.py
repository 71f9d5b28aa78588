"""Reports of the O&M subsystem."""
