"""The O&M subsystem's Alembic revisions: a branch of its own (``om``) that starts on the core's ``0010`` (the
alarms its work orders answer)."""
