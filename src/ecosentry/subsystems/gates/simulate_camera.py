"""Simulated gate cameras for the benchmark and the tests: heartbeats, snapshots of a drawn gate scene, and injected
camera faults with their ground truth; seeded.

Honest cameras beat every ``heartbeat_s`` seconds day and night; their passages stop at night (no trucks) and their
night snapshots are dark and noisy (a quarter of the day's light, grain), the day ones bright and noisy: neither
may raise ``VEH-CAMERA-OFFLINE`` or ``VEH-CAMERA-VIEW``. Faults (:data:`CAMERA_FAULTS`): ``outage`` one gate silent
(no heartbeat, no passage) 2 hours of a working day; ``power_cut`` every gate silent 3 hours inside the alert;
``moved`` the camera panned by a tenth of the frame from a day on; ``turned`` rotated by 6°; ``covered`` a board over
it. A silent camera records no passage, so the ledger rows of its trucks have none: ``VEH-LEDGER-NO-PASSAGE`` and
the inspection's video check are also true of an outage.

The scene (:func:`gate_scene`) is drawn with Pillow: sky, a hill line, a factory hall with windows, a chimney, the
guard house, the gate posts and a striped barrier arm, the road with lane marks; a camera sees a window of it
(:func:`camera_view`), so a panned camera sees new things at its edge, as a real one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from PIL import Image, ImageDraw

from ecosentry.subsystems.gates.rules.camera import Heartbeats
from ecosentry.subsystems.gates.simulate import START, ZONE, Injected, SimEnterprise

__all__ = ["CAMERA_FAULTS", "Snapshot", "CameraSim", "gate_scene", "camera_view", "darken", "cover",
           "add_cameras", "merge_cameras"]

#: fault → (the code it must raise, codes also true of it)
CAMERA_FAULTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "outage": ("VEH-CAMERA-OFFLINE", ("VEH-LEDGER-NO-PASSAGE", "VEH-INSPECT-VIDEO", "VEH-EXIT-WITHOUT-ENTRY",
                                      "VEH-ENTRY-WITHOUT-EXIT")),
    "power_cut": ("VEH-CAMERA-OFFLINE", ("VEH-LEDGER-NO-PASSAGE", "VEH-INSPECT-VIDEO", "VEH-EXIT-WITHOUT-ENTRY",
                                         "VEH-ENTRY-WITHOUT-EXIT")),
    "moved": ("VEH-CAMERA-VIEW", ()),
    "turned": ("VEH-CAMERA-VIEW", ()),
    "covered": ("VEH-CAMERA-VIEW", ()),
}
SCENE = (240, 180)   # the drawn world, larger than a camera's window
FRAME = (192, 144)   # what a camera sees


def gate_scene(seed: int) -> np.ndarray:
    """A grey gate scene ``SCENE`` (width, height), drawn from ``seed`` (each gate its own)."""
    rng = np.random.default_rng(seed)
    w, h = SCENE
    img = Image.new("L", SCENE, 0)
    d = ImageDraw.Draw(img)
    for y in range(h // 2):  # sky, lighter towards the horizon
        d.line([(0, y), (w, y)], fill=150 + y)
    hill = [(x, h // 2 - int(8 + 10 * np.sin(x / 23 + seed))) for x in range(0, w + 1, 6)]
    d.polygon(hill + [(w, h // 2), (0, h // 2)], fill=120)
    d.rectangle([0, h // 2, w, h], fill=90)                                   # ground
    hx = int(rng.integers(10, 60))
    d.rectangle([hx, h // 2 - 45, hx + 110, h // 2 + 10], fill=175, outline=60)  # factory hall
    for i in range(5):
        for j in range(2):
            d.rectangle([hx + 8 + 20 * i, h // 2 - 35 + 20 * j, hx + 20 + 20 * i, h // 2 - 25 + 20 * j], fill=45)
    cx = hx + int(rng.integers(70, 100))
    d.rectangle([cx, h // 2 - 80, cx + 8, h // 2 - 45], fill=70)              # chimney
    d.polygon([(w // 2 - 40, h), (w // 2 + 40, h), (w // 2 + 12, h // 2 + 5), (w // 2 - 12, h // 2 + 5)], fill=60)
    for k in range(4):                                                       # lane marks
        y0 = h // 2 + 12 + 16 * k
        d.rectangle([w // 2 - 1 - k, y0, w // 2 + 1 + k, y0 + 7], fill=230)
    gx = w // 2 + 45
    d.rectangle([gx, h // 2 - 20, gx + 35, h // 2 + 20], fill=200, outline=30)  # guard house
    d.rectangle([gx + 8, h // 2 - 10, gx + 20, h // 2 + 2], fill=40)
    d.rectangle([w // 2 - 50, h // 2 - 15, w // 2 - 44, h // 2 + 25], fill=35)  # gate posts
    d.rectangle([w // 2 + 38, h // 2 - 15, w // 2 + 44, h // 2 + 25], fill=35)
    for s in range(8):                                                       # the barrier arm, striped
        d.rectangle([w // 2 - 44 + 11 * s, h // 2 - 2, w // 2 - 33 + 11 * s, h // 2 + 3],
                    fill=240 if s % 2 else 20)
    return np.asarray(img, dtype=np.uint8)


def camera_view(scene: np.ndarray, *, dx: int = 0, dy: int = 0, angle: float = 0.0) -> np.ndarray:
    """The window ``FRAME`` a camera sees of ``scene``: centred, panned by ``dx``, ``dy`` pixels, turned by
    ``angle`` degrees."""
    img = Image.fromarray(scene)
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=90)
    w, h = SCENE
    fw, fh = FRAME
    x0, y0 = (w - fw) // 2 + dx, (h - fh) // 2 + dy
    return np.asarray(img.crop((x0, y0, x0 + fw, y0 + fh)), dtype=np.uint8)


def darken(view: np.ndarray, rng: np.random.Generator, *, light: float = 0.25, grain: float = 6.0) -> np.ndarray:
    """Night: ``light`` of the day's brightness, sensor grain of ``grain`` grey levels (clipped to 0–255)."""
    out = view.astype(float) * light + rng.normal(0, grain, view.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def cover(view: np.ndarray, rng: np.random.Generator, *, fraction: float = 1.0, level: int = 25) -> np.ndarray:
    """A board over the lens, covering ``fraction`` of the frame from the top (1: all of it), with grain."""
    out = view.astype(float).copy()
    rows = int(round(fraction * view.shape[0]))
    out[:rows] = level + rng.normal(0, 1.5, out[:rows].shape)
    return np.clip(out, 0, 255).astype(np.uint8)


@dataclass
class Snapshot:
    enterprise: str
    gate: str
    t: int
    picture: np.ndarray
    reference: np.ndarray


@dataclass
class CameraSim:
    heartbeats: list[tuple[str, str, int]] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)

    def heartbeat_table(self) -> Heartbeats:
        return Heartbeats.of(self.heartbeats)


def _inject(sim: SimEnterprise, cam: CameraSim, fault: str, gate: str, t0: int, t1: int) -> None:
    code, also = CAMERA_FAULTS[fault]
    inj = Injected(fault, code, also, sim.enterprise.id, "", datetime.fromtimestamp(t0, ZONE),
                   datetime.fromtimestamp(t1, ZONE))
    cam.injected.append(inj)
    sim.injected.append(inj)


def add_cameras(sim: SimEnterprise, seed: int, *, faults: tuple[str, ...] = (), heartbeat_s: int = 60,
                gates: tuple[str, ...] = ("G1", "G2")) -> CameraSim:
    """Heartbeats and two snapshots a day (12:00 and 00:00) per gate of ``sim``; ``faults`` injected (a fault's
    silent camera also loses its passages in ``sim``)."""
    ent = sim.enterprise.id
    rng = np.random.default_rng([seed, 7, int(ent[1:]) if ent[1:].isdigit() else 0])
    cam = CameraSim()
    t0 = int(START.timestamp())
    t_end = int((START + timedelta(days=sim.days)).timestamp())
    silent: dict[str, list[tuple[int, int]]] = {g: [] for g in gates}
    quiet = [d for d in range(sim.days - 1, -1, -1) if d not in (2, 3, 4)] or [0]
    view_fault: dict[str, tuple[str, int]] = {}
    for j, fault in enumerate(faults):
        if fault == "outage":
            g = gates[j % len(gates)]
            a = int((START + timedelta(days=quiet[j % len(quiet)], hours=15, minutes=int(rng.integers(0, 60)))
                     ).timestamp())
            silent[g].append((a, a + 7200))
            _inject(sim, cam, fault, g, a, a + 7200)
        elif fault == "power_cut":
            a = int((START + timedelta(days=3, hours=13)).timestamp())
            for g in gates:
                silent[g].append((a, a + 3 * 3600))
            _inject(sim, cam, fault, "", a, a + 3 * 3600)
        elif fault in ("moved", "turned", "covered"):
            g = gates[(j + 1) % len(gates)]
            day = min(sim.days - 1, 1 + j)
            view_fault[g] = (fault, day)
            a = int((START + timedelta(days=day)).timestamp())
            _inject(sim, cam, fault, g, a, t_end)
        else:
            raise ValueError(f"unknown camera fault {fault!r}")
    for g in gates:
        beats = np.arange(t0 + int(rng.integers(0, heartbeat_s)), t_end, heartbeat_s)
        for a, b in silent[g]:
            beats = beats[(beats < a) | (beats >= b)]
        cam.heartbeats += [(ent, g, int(x)) for x in beats]
    if any(silent.values()):
        lost = [p for p in sim.passages if any(a <= p[2] < b for a, b in silent.get(p[1], ()))]
        sim.passages = [p for p in sim.passages if not any(a <= p[2] < b for a, b in silent.get(p[1], ()))]
        # the ground truth covers the outage's consequences: the other passage of each truck whose entry or exit
        # went unrecorded (its lonely exit or entry is the outage's doing, VEH-EXIT/ENTRY-WITHOUT-…)
        for inj in cam.injected:
            if inj.violation not in ("outage", "power_cut"):
                continue
            a, b = int(inj.start.timestamp()), int(inj.end.timestamp())
            mine = [p for p in lost if a <= p[2] < b]
            around = [q[2] for p in mine for q in sim.passages if q[4] == p[4] and abs(q[2] - p[2]) < 4 * 3600]
            if around:
                inj.start = datetime.fromtimestamp(min([a, *around]), ZONE)
                inj.end = datetime.fromtimestamp(max([b, *around]), ZONE)
    for k, g in enumerate(gates):
        scene = gate_scene(int(rng.integers(0, 2**31)) + k)
        reference = camera_view(scene)
        fault, from_day = view_fault.get(g, ("", sim.days))
        for day in range(sim.days):
            for hour, night in ((12, False), (24, True)):
                t = int((START + timedelta(days=day, hours=hour)).timestamp()) - (1 if night else 0)
                view = camera_view(scene, dx=int(rng.integers(-1, 2)), dy=int(rng.integers(-1, 2)))
                if day >= from_day and fault == "moved":
                    view = camera_view(scene, dx=FRAME[0] // 10, dy=3)
                elif day >= from_day and fault == "turned":
                    view = camera_view(scene, angle=6.0)
                elif day >= from_day and fault == "covered":
                    view = cover(view, rng, fraction=1.0)
                view = darken(view, rng) if night else darken(view, rng, light=1.0, grain=3.0)
                cam.snapshots.append(Snapshot(ent, g, t, view, reference))
    return cam


def merge_cameras(cams: list[CameraSim]) -> tuple[Heartbeats, list[Snapshot]]:
    return (Heartbeats.of([h for c in cams for h in c.heartbeats]), [s for c in cams for s in c.snapshots])
