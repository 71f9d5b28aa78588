"""ecosentry: open platform for supervising pollution sources."""

__version__ = "0.1.0"
