"""The offline check's optional camera files, with every problem an :class:`.offline.InputError` naming the file,
the line and the field.

``H.csv`` ``enterprise,gate,time``: one heartbeat a line (time ISO 8601 with an offset); ``S.csv``
``enterprise,gate,time,snapshot,reference``: a snapshot of the gate camera and the gate's registered reference view,
picture files (JPEG, PNG … anything Pillow reads) named relative to the CSV file's folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ecosentry.subsystems.gates.offline import InputError, _need, _rows, _time
from ecosentry.subsystems.gates.rules.camera import Heartbeats, SnapshotInput
from ecosentry.subsystems.gates.rules.checks import Enterprise

__all__ = ["load_heartbeats", "load_snapshots", "MAX_PICTURE_PIXELS"]

#: Largest picture read (a 4K frame is 8.3 Mpx): a larger one is refused, not decoded [ours].
MAX_PICTURE_PIXELS = 40_000_000


def _known(path: Path, line: int, row: dict[str, str], enterprises: dict[str, Enterprise]) -> str:
    ent = _need(path, line, row, "enterprise")
    if ent not in enterprises:
        raise InputError(str(path), line, "enterprise", f"{ent!r} is not in the enterprises file")
    return ent


def load_heartbeats(path: str | Path, enterprises: dict[str, Enterprise]) -> Heartbeats:
    path = Path(path)
    ents, gates, times, lines = [], [], [], []
    for line, row in _rows(path, ("enterprise", "gate", "time")):
        ents.append(_known(path, line, row, enterprises))
        gates.append(_need(path, line, row, "gate"))
        times.append(_time(path, line, "time", _need(path, line, row, "time")))
        lines.append(line)
    hb = Heartbeats.of(zip(ents, gates, times))
    hb.line = np.asarray(lines, dtype=np.int64)
    return hb


def _picture(path: Path, line: int, field: str, name: str, cache: dict[Path, np.ndarray]) -> np.ndarray:
    file = (path.parent / name).resolve()
    if file in cache:
        return cache[file]
    try:
        with Image.open(file) as img:
            if img.width * img.height > MAX_PICTURE_PIXELS:
                raise InputError(str(path), line, field, f"{name!r} has more than {MAX_PICTURE_PIXELS:,} pixels")
            grey = np.asarray(img.convert("L"), dtype=np.uint8)
    except FileNotFoundError:
        raise InputError(str(path), line, field, f"{name!r} does not exist") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InputError(str(path), line, field, f"{name!r} is not a picture ({exc.__class__.__name__})") from None
    if min(grey.shape) < 2:
        raise InputError(str(path), line, field, f"{name!r} is smaller than 2 × 2 pixels")
    cache[file] = grey
    return grey


def load_snapshots(path: str | Path, enterprises: dict[str, Enterprise]) -> list[SnapshotInput]:
    """Snapshots with their reference views (one array per distinct reference file, shared)."""
    path, out = Path(path), []
    cache: dict[Path, np.ndarray] = {}
    for line, row in _rows(path, ("enterprise", "gate", "time", "snapshot", "reference")):
        ent = _known(path, line, row, enterprises)
        gate = _need(path, line, row, "gate")
        t = _time(path, line, "time", _need(path, line, row, "time"))
        snap = _picture(path, line, "snapshot", _need(path, line, row, "snapshot"), {})
        ref = _picture(path, line, "reference", _need(path, line, row, "reference"), cache)
        if float(ref.std()) < 2.0:
            raise InputError(str(path), line, "reference", f"{row['reference']!r} is blank: no view to compare with")
        out.append(SnapshotInput(ent, gate, t, snap, ref, line))
    return out
