"""The subsystem's Alembic revisions: a branch of its own (``noise``) that starts on the core's ``0008``."""
