"""What an alarm may be linked to: each link kind is checked by the subsystem that owns it
(:attr:`ecosentry.contracts.subsystem.Subsystem.alarm_links`, e.g. ``mark`` by the monitoring subsystem)."""

from __future__ import annotations

from sqlalchemy import Engine

from ecosentry.installed import installed, resolve


def link_target_visible(engine: Engine, principal, kind: str, target_id: str, *, unchecked: bool = False) -> bool:
    """Whether ``principal`` sees the ``kind`` target ``target_id``; a kind no installed subsystem checks is
    ``unchecked`` (True: accepted as given, False: refused)."""
    for sub in installed():
        if kind in sub.alarm_links:
            with engine.connect() as conn:
                return bool(resolve(sub.alarm_links[kind])(conn, principal, target_id))
    return unchecked
