"""The gates subsystem's Alembic revisions: a branch of its own (``gates``) that starts on the core's ``0009``
(the heavy-pollution alerts its gate decisions read), as the power branch does; the core's head stays in the
version table beside the subsystems' heads."""
