"""Fitting derived text into its column: several marks over one hour make long reasons and id lists."""

from __future__ import annotations

from typing import Iterable

__all__ = ["fit_text", "fit_ids"]


def fit_text(text: str | None, size: int) -> str | None:
    """``text`` cut to ``size`` characters with an ellipsis."""
    if text is None or len(text) <= size:
        return text
    return text[: size - 1] + "…"


def fit_ids(ids: Iterable[int], size: int) -> str | None:
    """Comma-separated ids that fit ``size`` characters (the first ones; the reason names the rule)."""
    out = ""
    for i in ids:
        nxt = f"{out},{i}" if out else str(i)
        if len(nxt) > size:
            break
        out = nxt
    return out or None
