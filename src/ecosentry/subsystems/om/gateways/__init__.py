"""What O&M's station-room devices push, checked before anything is stored (pure: :mod:`.push_body`), and the
fuzz target of those checks (:mod:`.fuzz`, ``ecosentry fuzz om-push``)."""
