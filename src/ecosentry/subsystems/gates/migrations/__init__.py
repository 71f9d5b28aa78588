"""The gates subsystem's Alembic revisions: a branch of its own (``gates``) that starts on the core's ``0010``
(the core's head when it was made; the heavy-pollution alerts its decisions read are ``0009``)."""
