"""The park subsystem's Alembic revisions: a branch of its own (``park``) that starts on the core's ``0010``."""
