"""The monitoring subsystem's Alembic revisions: a branch of its own (``monitoring``) that starts on the core's
``0008``. Its older tables (observations, marks, forwarding, Vietnamese files ...) were created by the core's
revisions 0001–0008, before the subsystem had a folder; everything it adds from issue 14 on is here."""
