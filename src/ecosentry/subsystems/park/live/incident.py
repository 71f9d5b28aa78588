"""What is stored with a raised warning for the incident pages (pure): the traceback ranking of the park's
sources from the stored readings and wind history (:func:`..tracing.rank_sources`), and the threat zones
(AEGL-1/2/3, :func:`..model.zones.threat_zones`) of the best-ranked source with the latest wind, at the rate the
traceback fitted (or ``assumed_rate`` when it fitted none), as JSON.

Stability class: the met station's ``stability`` (``xPGSC``) when it sends one, else D (neutral: the class of
overcast or windy hours, Turner 1970 Table 3-1) [ours: the insolation the table needs is not measured yet].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ecosentry.subsystems.park.model.zones import Release, threat_zones
from ecosentry.subsystems.park.substances import Substance
from ecosentry.subsystems.park.tracing import Candidate, MetSeries, Readings, TracebackSettings, rank_sources

__all__ = ["incident", "DEFAULT_CLASS"]

DEFAULT_CLASS = "D"
#: How many ranked sources an incident keeps.
KEEP = 5


def incident(readings: Readings, met: MetSeries, candidates: Sequence[Candidate], factor: str,
             substance: Substance, *, settings: TracebackSettings, assumed_rate: float,
             max_distance: float = 50_000.0) -> dict[str, Any]:
    """The incident JSON: ``wind`` (latest), ``ranking`` (best first, with reasons as msgid + parameters),
    ``release`` (what the zones assume) and ``zones`` (polygons in park metres)."""
    out: dict[str, Any] = {"factor": factor, "wind": None, "ranking": [], "release": None, "zones": []}
    if len(met.t) == 0:
        out["note"] = "no wind history: no traceback and no zones"
        return out
    speed, direction, stability = float(met.speed[-1]), float(met.direction[-1]), str(met.stability[-1])
    out["wind"] = {"speed_m_s": speed, "from_deg": direction, "stability": stability}
    if not candidates:
        out["note"] = "no sources registered: no traceback and no zones"
        return out
    ranked = rank_sources(readings, met, candidates, settings) if len(readings.t) else []
    out["ranking"] = [{"source": r.source, "enterprise": r.enterprise, "score": round(float(r.score), 4),
                       "rate_g_s": round(float(r.rate), 4), "fit": round(float(r.fit), 4),
                       "sector_share": round(float(r.sector_share), 4), "handles": bool(r.handles),
                       "msgid": r.msgid, "params": r.params} for r in ranked[:KEEP]]
    by_code = {c.source: c for c in candidates}
    top = by_code[ranked[0].source] if ranked else next((c for c in candidates if factor in c.substances),
                                                       candidates[0])
    rate = float(ranked[0].rate) if ranked and ranked[0].rate > 0 else assumed_rate
    release = Release(rate=rate, wind_speed=max(speed, 0.5), stability=stability, height=float(top.height or 0.0),
                      east=top.east, north=top.north, direction=direction)
    out["release"] = {"source": top.source, "rate_g_s": round(rate, 4), "assumed": rate == assumed_rate,
                      "height_m": release.height, "east": top.east, "north": top.north}
    thresholds = {k: substance.threshold_mg_m3(k) for k in ("AEGL1", "AEGL2", "AEGL3")}
    out["zones"] = [z.as_dict() for z in threat_zones(release, {k: v for k, v in thresholds.items() if v},
                                                      max_distance=max_distance)]
    return out


def met_series(t: Sequence[float], speed: Sequence[float], direction: Sequence[float],
               stability: Sequence[str]) -> MetSeries:
    """A :class:`MetSeries` from lists (times in s on the readings' clock)."""
    return MetSeries(np.asarray(t, float), np.asarray(speed, float), np.asarray(direction, float),
                     np.asarray(stability, dtype=object))
