"""Camera offline or power cut (issue 16 item 5): a gate's camera that gives no sign of life — neither a plate
passage nor a heartbeat — for longer than ``offline_minutes`` of watched time, pure.

A gate camera sends a heartbeat (keep-alive) every minute or so whether or not a truck passes; at night it sees
no trucks but keeps beating. Silence of both sources means the camera, its network or the gate's power is off,
and a truck may pass unrecorded (``shared/reference/subsystems.md`` §3.3: a plate camera and video at every
entrance and exit, covering the whole passage). Only *watched* time counts: the enterprise's working hours
(``working_hours``, local time) and any alert of the enterprise; a camera switched off at night outside an alert is
not judged.

For each gate that sends heartbeats (a gate without any is not judged: silence is then no evidence), the signs of
life are sorted; each gap longer than ``offline_minutes`` between two signs (or between the start of the data and
the first sign, the last sign and the end of the data) is intersected with the watched time; when the watched part
adds up to at least ``offline_minutes`` it is a finding, ``start``/``end`` the first and last watched second of the
silence. When every gate of an enterprise is silent at once the evidence says so (``all_gates_silent``): a power
cut rather than one camera.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, Field, field_validator

from ecosentry.contracts.catalogue import rule
from ecosentry.said import N_
from ecosentry.subsystems.gates.rules.camera_view import (
    VIEW_CODE, ViewComparison, compare_views, prepare_reference, view_changed)
from ecosentry.subsystems.gates.rules.findings import Finding, local_time
from ecosentry.subsystems.gates.rules.ledger import group_codes, utc

__all__ = ["CameraSettings", "Heartbeats", "SilentSpell", "silent_spells", "watched_intervals", "camera_offline",
           "SnapshotInput", "camera_views", "ComparedSnapshot", "view_runs", "CameraInputs", "camera_findings"]

_SRC = "shared/reference/subsystems.md"


def _hhmm(text: str) -> time:
    try:
        h, m = (int(x) for x in text.split(":"))
        if (h, m) == (24, 0):
            return time(0, 0)
        return time(h, m)
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day HH:MM (00:00 to 24:00)") from None


class CameraSettings(BaseModel):
    """Settings of the camera checks ([ours] defaults; ``docs/gates.md``)."""

    #: Silence (no passage, no heartbeat) of at least this many minutes of watched time is a finding [ours: a
    #: camera beats every minute or so; a quarter of an hour lets a truck or two through unrecorded].
    offline_minutes: int = Field(15, ge=1)
    #: The enterprise's working hours, local ``HH:MM-HH:MM`` (an end before the start runs over midnight;
    #: ``00:00-24:00`` all day) [ours: a day shift of the heavy industries].
    working_hours: str = "07:00-19:00"
    #: Per enterprise, its own working hours (a plant on three shifts: ``00:00-24:00``) [ours].
    enterprise_hours: dict[str, str] = Field(default_factory=dict)
    #: A snapshot whose similarity to the reference view is below this has a changed view [ours, measured on
    #: the generated gate scenes of ``simulate_camera``: a night copy (a quarter of the light, grain) scores about
    #: 0.97, a tenth of the light with heavy grain 0.75; panned by 5 % of the frame 0.15, turned 4° 0.55–0.6,
    #: half covered 0.56, fully covered is blank].
    view_min_similarity: float = Field(0.65, gt=0, lt=1)
    #: Long side of the grid both pictures are averaged down to before they are compared [ours].
    view_grid: int = Field(48, ge=16, le=512)
    #: A snapshot whose grey levels vary less than this (standard deviation on 0–255, on the grid) is blank:
    #: covered, painted over or black [ours].
    view_blank_std: float = Field(2.0, ge=0)

    @staticmethod
    def _span(v: str) -> str:
        try:
            a, b = v.replace(" ", "").split("-")
        except ValueError:
            raise ValueError(f"working hours must be HH:MM-HH:MM, not {v!r}") from None
        _hhmm(a), _hhmm(b)
        return v.replace(" ", "")

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        return cls._span(v)

    @field_validator("enterprise_hours")
    @classmethod
    def _each(cls, v: dict[str, str]) -> dict[str, str]:
        return {k: cls._span(x) for k, x in v.items()}

    def hours(self, enterprise: str | None = None) -> tuple[time, time, bool]:
        """Start, end and whether the span is the whole day (the enterprise's own hours when it has them)."""
        a, b = self.enterprise_hours.get(enterprise or "", self.working_hours).split("-")
        return _hhmm(a), _hhmm(b), b in ("24:00", "24:0") or a == b


@dataclass
class Heartbeats:
    """Heartbeats of gate cameras: one element per heartbeat in every column."""

    enterprise: np.ndarray   # object
    gate: np.ndarray         # object
    t: np.ndarray            # int64 epoch seconds
    line: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.line is None:
            self.line = np.full(len(self.t), -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, int]]) -> Heartbeats:
        rows = list(rows)
        ent, gate = np.empty(len(rows), dtype=object), np.empty(len(rows), dtype=object)
        ent[:] = [r[0] for r in rows]
        gate[:] = [r[1] for r in rows]
        return cls(ent, gate, np.asarray([r[2] for r in rows], dtype=np.int64))


def silent_spells(signs: np.ndarray, span_start: int, span_end: int, min_gap: int) -> list[tuple[int, int]]:
    """Gaps of at least ``min_gap`` seconds without a sign of life, as ``(last sign, next sign)``, the span's ends
    standing for signs outside the data.

    Parameters
    ----------
    signs : int64 array
        Epoch seconds of the gate's passages and heartbeats, any order. [s]
    span_start, span_end : int
        The data's first and last second: silence is judged only between them. [s]
    min_gap : int
        Shortest gap reported. [s]
    """
    t = np.unique(np.clip(np.asarray(signs, dtype=np.int64), span_start, span_end))
    edges = np.concatenate([[span_start], t, [span_end]])
    gaps = np.diff(edges)
    idx = np.flatnonzero(gaps >= min_gap)
    return [(int(edges[i]), int(edges[i + 1])) for i in idx]


def watched_intervals(a: int, b: int, zone: ZoneInfo, settings: CameraSettings,
                      alerts: Iterable[tuple[int, int]] = (), enterprise: str | None = None
                      ) -> list[tuple[int, int]]:
    """The parts of ``[a, b)`` inside the (enterprise's) working hours, local, or an alert, merged, in order. [s]"""
    start, end, whole_day = settings.hours(enterprise)
    spans: list[tuple[int, int]] = []
    if whole_day:
        spans.append((a, b))
    else:
        day = utc(a).astimezone(zone).date() - timedelta(days=1)
        last = utc(b).astimezone(zone).date()
        while day <= last:
            on = datetime.combine(day, start, zone)
            off = datetime.combine(day + timedelta(days=1) if end <= start else day, end, zone)
            spans.append((int(on.timestamp()), int(off.timestamp())))
            day += timedelta(days=1)
    spans += [(int(x), int(y)) for x, y in alerts]
    clipped = sorted((max(a, s), min(b, e)) for s, e in spans if min(b, e) > max(a, s))
    merged: list[tuple[int, int]] = []
    for s, e in clipped:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


@dataclass(frozen=True)
class SilentSpell:
    enterprise: str
    gate: str
    last_sign: int      # the last sign of life before the silence (or the start of the data)
    next_sign: int      # the next one (or the end of the data)
    watched: tuple[tuple[int, int], ...]
    open_start: bool
    open_end: bool

    @property
    def watched_seconds(self) -> int:
        return sum(e - s for s, e in self.watched)


@rule(code="VEH-CAMERA-OFFLINE", severity="warning",
      summary="A gate camera gave neither a passage nor a heartbeat for longer than allowed during working hours or "
              "an alert (camera, network or power off).",
      source=f"issue 16 item 5 (camera offline or power cut); {_SRC} §3.3 (camera and video at every gate), "
             "§7 item 21", tag="ours")
def camera_offline(enterprise: np.ndarray, gate: np.ndarray, t: np.ndarray, heartbeats: Heartbeats,
                   alerts: dict[str, list[tuple[int, int]]], zone: ZoneInfo, settings: CameraSettings,
                   span: tuple[int, int] | None = None) -> list[Finding]:
    """Findings ``VEH-CAMERA-OFFLINE`` for the gates that send heartbeats (module docstring).

    Parameters
    ----------
    enterprise, gate, t : arrays
        The passages' enterprise, gate and epoch second. [s]
    heartbeats : Heartbeats
    alerts : dict
        Per enterprise, its alerts as ``(start, end)`` epoch seconds. [s]
    span : (int, int), optional
        The data's first and last second; by default the first and last heartbeat or passage. [s]
    """
    if not len(heartbeats):
        return []
    if span is None:
        times = [heartbeats.t] + ([t] if len(t) else [])
        span = (int(min(x.min() for x in times)), int(max(x.max() for x in times)))
    min_gap = 60 * settings.offline_minutes
    n_hb = len(heartbeats)
    ent_all = np.concatenate([np.asarray(heartbeats.enterprise, dtype=object), np.asarray(enterprise, dtype=object)])
    gate_all = np.concatenate([np.asarray(heartbeats.gate, dtype=object), np.asarray(gate, dtype=object)])
    code = group_codes(ent_all, gate_all)
    keep = np.isin(code, np.unique(code[:n_hb]))   # only gates that beat are judged
    code = code[keep]
    t_all = np.clip(np.concatenate([heartbeats.t, np.asarray(t, dtype=np.int64)])[keep], span[0], span[1])
    names = np.flatnonzero(keep)
    order = np.lexsort((t_all, code))
    code, t_all, names = code[order], t_all[order], names[order]
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    last = np.r_[first[1:] - 1, len(code) - 1]
    gaps: list[tuple[int, int, int]] = []   # (position of a sign of the gate, last sign, next sign)
    for i in np.flatnonzero((code[1:] == code[:-1]) & (t_all[1:] - t_all[:-1] >= min_gap)):
        gaps.append((int(i), int(t_all[i]), int(t_all[i + 1])))
    for i in first[t_all[first] - span[0] >= min_gap]:
        gaps.append((int(i), span[0], int(t_all[i])))
    for i in last[span[1] - t_all[last] >= min_gap]:
        gaps.append((int(i), int(t_all[i]), span[1]))
    spells: list[SilentSpell] = []
    for k, a, b in sorted(gaps, key=lambda x: (str(ent_all[names[x[0]]]), str(gate_all[names[x[0]]]), x[1])):
        ent, g = str(ent_all[names[k]]), str(gate_all[names[k]])
        w = watched_intervals(a, b, zone, settings, alerts.get(ent, ()), ent)
        if sum(e - s for s, e in w) >= min_gap:
            spells.append(SilentSpell(ent, g, a, b, tuple(w), a == span[0], b == span[1]))
    beating = {(str(ent_all[names[i]]), str(gate_all[names[i]])) for i in first}
    gates_of: dict[str, set[str]] = defaultdict(set)
    for ent, g in beating:
        gates_of[ent].add(g)
    out = []
    for sp in spells:
        s0, s1 = sp.watched[0][0], sp.watched[-1][1]
        others = [o for o in spells if o.enterprise == sp.enterprise and o.gate != sp.gate
                  and o.last_sign < s1 and o.next_sign > s0]
        together = len(gates_of[sp.enterprise]) > 1 and {o.gate for o in others} | {sp.gate} == gates_of[sp.enterprise]
        in_alert = sum(max(0, min(s1, y) - max(s0, x)) for x, y in alerts.get(sp.enterprise, ()))
        minutes = round(sp.watched_seconds / 60)
        start, end = utc(s0).astimezone(zone), utc(s1).astimezone(zone)
        out.append(Finding(
            "VEH-CAMERA-OFFLINE", sp.enterprise, "", start, end, utc(s0 + min_gap).astimezone(zone),
            N_("The camera of gate %(gate)s gave no passage and no heartbeat from %(time)s to %(until)s "
               "(%(minutes)s minutes of working hours or alert)."),
            {"gate": sp.gate, "time": local_time(start), "until": local_time(end), "minutes": minutes},
            {"gate": sp.gate, "last_sign_of_life": None if sp.open_start else utc(sp.last_sign).astimezone(zone)
             .isoformat(), "next_sign_of_life": None if sp.open_end else utc(sp.next_sign).astimezone(zone)
             .isoformat(), "watched_minutes": minutes, "alert_minutes": round(in_alert / 60),
             "all_gates_silent": together, "offline_minutes": settings.offline_minutes,
             "working_hours": settings.enterprise_hours.get(sp.enterprise, settings.working_hours)}))
    return out


@dataclass(frozen=True)
class SnapshotInput:
    """A snapshot of a gate camera and the gate's registered reference view (greyscale or RGB arrays)."""

    enterprise: str
    gate: str
    t: int                   # epoch seconds
    picture: np.ndarray
    reference: np.ndarray
    line: int = -1           # source line (evidence)


def camera_views(snapshots: Iterable[SnapshotInput], zone: ZoneInfo, settings: CameraSettings) -> list[Finding]:
    """``VEH-CAMERA-VIEW`` per gate and run of consecutive changed snapshots (a camera turned away stays turned:
    one finding from its first to its last changed snapshot, closed by a snapshot showing the reference again)."""
    compared: list[ComparedSnapshot] = []
    prepared: dict[int, tuple] = {}
    for s in snapshots:
        ref = prepared.get(id(s.reference))
        if ref is None:  # one reference array per gate, prepared once (ids live while the inputs do)
            ref = prepared[id(s.reference)] = prepare_reference(s.reference, settings.view_grid)
        cmp = compare_views(s.picture, ref, grid=settings.view_grid, blank_std=settings.view_blank_std)
        compared.append(ComparedSnapshot(s.enterprise, s.gate, s.t, cmp, s.line))
    return view_runs(compared, zone, settings)


@dataclass(frozen=True)
class ComparedSnapshot:
    """A snapshot already compared with its reference view (the scheduled job stores the comparison)."""

    enterprise: str
    gate: str
    t: int                   # epoch seconds
    comparison: ViewComparison
    line: int = -1           # source line or stored row (evidence)


def view_runs(compared: Iterable[ComparedSnapshot], zone: ZoneInfo, settings: CameraSettings) -> list[Finding]:
    """The runs of changed views (:func:`camera_views`) over snapshots already compared; a run still going on at
    the last snapshot has ``back_to_reference`` None in its evidence."""
    by_gate: dict[tuple[str, str], list[ComparedSnapshot]] = defaultdict(list)
    for snap in compared:
        by_gate[(snap.enterprise, snap.gate)].append(snap)
    out = []
    for (ent, g), snaps in sorted(by_gate.items()):
        run: list[tuple[ComparedSnapshot, ViewComparison, str]] = []
        ordered: list[ComparedSnapshot | None] = [*sorted(snaps, key=lambda x: x.t), None]
        for s in ordered:
            if s is not None:
                msgid = view_changed(s.comparison, settings.view_min_similarity)
                if msgid:
                    run.append((s, s.comparison, msgid))
                    continue
            if run:
                first, cmp0, msg0 = run[0]
                start = utc(first.t).astimezone(zone)
                end = utc(run[-1][0].t).astimezone(zone)
                out.append(Finding(
                    VIEW_CODE, ent, "", start, end, start, msg0,
                    {"gate": g, "time": local_time(start), "similarity": cmp0.similarity,
                     "required": settings.view_min_similarity} if not cmp0.blank else
                    {"gate": g, "time": local_time(start)},
                    {"gate": g, "snapshots": len(run), "similarities": [c.similarity for _, c, _ in run[:20]],
                     "blank": [c.blank for _, c, _ in run[:20]], "lines": [x.line for x, _, _ in run[:20] if x.line >= 0],
                     "min_similarity": settings.view_min_similarity, "back_to_reference":
                     None if s is None else utc(s.t).astimezone(zone).isoformat()}))
                run = []
    return out


@dataclass
class CameraInputs:
    """What the camera checks read besides the passages: heartbeats and snapshots (either may be empty)."""

    heartbeats: Heartbeats | None = None
    snapshots: list[SnapshotInput] | None = None


def camera_findings(enterprise: np.ndarray, gate: np.ndarray, t: np.ndarray, cameras: CameraInputs,
                    alerts: dict[str, list[tuple[int, int]]], zone: ZoneInfo, settings: CameraSettings
                    ) -> list[Finding]:
    """``VEH-CAMERA-OFFLINE`` (when heartbeats are given) and ``VEH-CAMERA-VIEW`` (when snapshots are)."""
    out: list[Finding] = []
    if cameras.heartbeats is not None and len(cameras.heartbeats):
        out += camera_offline(enterprise, gate, t, cameras.heartbeats, alerts, zone, settings)
    if cameras.snapshots:
        out += camera_views(cameras.snapshots, zone, settings)
    return out
