"""The electricity subsystem's Alembic revisions: a branch of its own (``power``) that starts on the core's
``0009`` (the heavy-pollution alerts its orders refer to)."""
