"""Retention of stored data (issue 19 item 4): how long each kind is kept, never below the legal minimum, and the
pass that drops whole monthly partitions and deletes the rest in batches, each pass audited.

``policy`` is pure (cut-offs from the clock reading and the settings, the floors applied); ``settings`` the
section ``retention``; ``apply`` the database pass; the service runs it as a daily job, ``ecosentry retention``
by hand (``--dry-run`` says what would go).
"""
