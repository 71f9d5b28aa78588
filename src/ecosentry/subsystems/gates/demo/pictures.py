"""Generated plate captures for the demo (Pillow): a road-grey frame with the vehicle's plate drawn in its
colour (yellow with black characters for trucks, gradient green for new energy, blue for small vehicles), the
characters in the report font (Noto Sans SC) when it is installed, and the capture's time stamp as a camera
prints it. An unread plate is a frame without a legible plate. JPEG bytes."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

__all__ = ["plate_picture"]

BACKGROUND = {"yellow": (236, 188, 22), "blue": (20, 70, 170), "green": (120, 200, 120),
              "yellow_green": (200, 210, 60), "white": (240, 240, 240), "black": (20, 20, 20)}
INK = {"yellow": (10, 10, 10), "blue": (250, 250, 250), "green": (10, 10, 10), "yellow_green": (10, 10, 10),
       "white": (10, 10, 10), "black": (250, 250, 250)}


@lru_cache(maxsize=4)
def _font(size: int):
    try:
        from ecosentry.reports.fonts import variable_font_path
        return ImageFont.truetype(str(variable_font_path()), size)
    except Exception:  # noqa: BLE001 - without the font wheel the plate is drawn in Pillow's own font
        return ImageFont.load_default(size)


def plate_picture(plate: str, colour: str, at: datetime, gate: str, seed: int = 0) -> bytes:
    """A 320 × 200 JPEG capture of ``plate`` (empty: no legible plate) at ``at`` (local) and ``gate``."""
    img = Image.new("RGB", (320, 200), (96 + seed % 20, 100, 104))
    d = ImageDraw.Draw(img)
    d.rectangle((40, 40, 280, 150), fill=(60 + seed * 7 % 60, 70, 90))  # the cab
    d.rectangle((60, 60, 260, 100), fill=(160, 190, 210))  # the windscreen
    if plate:
        d.rectangle((95, 112, 225, 142), fill=BACKGROUND.get(colour, BACKGROUND["yellow"]), outline=(0, 0, 0))
        d.text((160, 127), plate, fill=INK.get(colour, (0, 0, 0)), font=_font(20), anchor="mm")
    else:
        d.rectangle((95, 112, 225, 142), fill=(70, 60, 50))  # mud over the plate
    d.text((6, 186), f"{at:%Y-%m-%d %H:%M:%S} {gate}", fill=(255, 255, 255), font=_font(11), anchor="ls")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def gate_view(enterprise_id: int, gate: str, seed: int = 0, *, turned: bool = False) -> bytes:
    """A JPEG of what the gate camera of ``gate`` at the enterprise sees (:func:`..simulate_camera.gate_scene`,
    each gate its own scene): ``seed`` 0 the reference view; another seed a snapshot shaken by a pixel with sensor
    grain; ``turned`` the camera turned 6° and panned by a tenth of its frame (``VEH-CAMERA-VIEW``)."""
    import numpy as np

    from ecosentry.subsystems.gates.simulate_camera import FRAME, camera_view, gate_scene

    scene = gate_scene(int(hashlib.sha256(f"{enterprise_id}/{gate}".encode()).hexdigest()[:8], 16))
    if seed == 0:
        view = camera_view(scene)
    else:
        rng = np.random.default_rng(seed)
        view = camera_view(scene, dx=FRAME[0] // 10 if turned else int(rng.integers(-1, 2)),
                           dy=3 if turned else int(rng.integers(-1, 2)), angle=6.0 if turned else 0.0)
        view = np.clip(view.astype(float) + rng.normal(0, 3, view.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(view).save(out, "JPEG", quality=80)
    return out.getvalue()
