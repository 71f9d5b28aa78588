"""The pure rules of electricity monitoring: running state, linkage, heavy-pollution orders (no database, no
clock, no network)."""
