"""The park map as an inline SVG drawn on the server (no tiles, no CDN, no script): the park's local frame in
metres (east right, north up) scaled onto a fixed canvas, with the boundary polygon, the sources (triangles), the
stations coloured by their warning level (met stations grey squares), the receptors (squares with their names),
the threat zones of an incident (AEGL-1 yellow, AEGL-2 orange, AEGL-3 red, as ALOHA draws them), a wind arrow
pointing where the wind blows and a scale bar. Pure: data in, markup out; every text is escaped."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from ecosentry.subsystems.park.maplayout import LEVEL_COLOURS, ZONE_COLOURS, affected_receptors, extent, inside

__all__ = ["draw_map", "LEVEL_COLOURS", "ZONE_COLOURS", "inside", "affected_receptors"]

WIDTH = 820.0
PAD = 36.0


def _nice(length: float) -> float:
    p = 10 ** math.floor(math.log10(length))
    return max(k * p for k in (1, 2, 5) if k * p <= length)


def draw_map(data: dict, gettext: Callable[[str], str], *, zones: Sequence[dict] = (), wind: dict | None = None,
             highlight: str | None = None) -> Markup:
    """The SVG of ``data`` (:func:`..queries.parkmap.park_map`'s shape), with ``zones`` (threat-zone dicts with
    ``name`` and ``polygon`` in park metres) and ``wind`` (``from_deg``, ``speed_m_s``). ``highlight``: a source
    code drawn larger (the best-ranked source of an incident)."""
    _ = gettext
    x0, y0, x1, y1 = extent(data, zones)
    k = (WIDTH - 2 * PAD) / (x1 - x0)
    height = (y1 - y0) * k + 2 * PAD

    def px(x: float, y: float) -> tuple[float, float]:
        return PAD + (x - x0) * k, PAD + (y1 - y) * k

    def pts(poly) -> str:
        return " ".join("%.1f,%.1f" % px(float(a), float(b)) for a, b in poly)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="park-map" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
           f'role="img" aria-label="{escape(_("Park map"))}" style="font-family: var(--font, sans-serif)" font-size="13">',
           f'<style>.park-map text{{paint-order:stroke;stroke:#f7f9f7;stroke-width:3px;stroke-linejoin:round}}'
           f'</style><rect x="0" y="0" width="{WIDTH:.0f}" height="{height:.0f}" fill="#f7f9f7"/>']
    for z in sorted(zones, key=lambda z: z.get("name", "")):
        if len(z.get("polygon") or []) >= 3:
            out.append(f'<polygon class="zone" data-zone="{escape(z["name"])}" points="{pts(z["polygon"])}" '
                       f'fill="{ZONE_COLOURS.get(z["name"], "#999")}" fill-opacity="0.45" stroke="#555" '
                       f'stroke-width="0.6"><title>{escape(z["name"])}</title></polygon>')
    if data.get("boundary"):
        out.append(f'<polygon class="boundary" points="{pts(data["boundary"])}" fill="none" stroke="#37474f" '
                   f'stroke-width="2" stroke-dasharray="8 4"/>')
    for src in data.get("sources") or []:
        cx, cy = px(src["x"], src["y"])
        r = 9 if src["code"] == highlight else 6
        label = src.get("enterprise_name") or src["code"]
        out.append(f'<g class="source" data-source="{escape(src["code"])}"><polygon points="{cx:.1f},{cy - r:.1f} '
                   f'{cx - r:.1f},{cy + r * 0.8:.1f} {cx + r:.1f},{cy + r * 0.8:.1f}" fill="#263238" '
                   f'stroke="{"#d32f2f" if src["code"] == highlight else "none"}" stroke-width="3"/>'
                   f'<text x="{cx - r:.1f}" y="{cy + r + 13:.1f}" fill="#263238" font-size="12">{escape(label)}</text>'
                   f'<title>{escape(label)} · {escape(src.get("name") or src["code"])}: '
                   f'{escape(", ".join(src.get("substances") or []))}</title></g>')
    for rc in data.get("receptors") or []:
        cx, cy = px(rc["x"], rc["y"])
        out.append(f'<g class="receptor" data-receptor="{escape(rc["code"])}"><rect x="{cx - 6:.1f}" y="{cy - 6:.1f}" '
                   f'width="12" height="12" fill="#7b1fa2"/><text x="{cx + 9:.1f}" y="{cy + 4:.1f}" fill="#4a148c" '
                   f'font-weight="bold">{escape(rc["name"])}</text></g>')
    for st in data.get("stations") or []:
        cx, cy = px(st["x"], st["y"])
        name = escape(st.get("name") or st["code"])
        if st["tier"] == "met":
            out.append(f'<g class="station met" data-station="{escape(st["code"])}"><rect x="{cx - 6:.1f}" '
                       f'y="{cy - 6:.1f}" width="12" height="12" fill="#90a4ae" stroke="#37474f"/>'
                       f'<text x="{cx + 9:.1f}" y="{cy - 6:.1f}" fill="#37474f" font-size="12">{name}</text></g>')
            continue
        colour = LEVEL_COLOURS.get(int(st.get("level") or 0), "#2e7d32")
        out.append(f'<g class="station" data-station="{escape(st["code"])}" data-level="{int(st.get("level") or 0)}">'
                   f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="7" fill="{colour}" stroke="#fff" stroke-width="2"/>'
                   f'<text x="{cx + 9:.1f}" y="{cy - 6:.1f}" fill="#1b1b1b" font-size="12">{name}</text></g>')
    wind = wind if wind is not None else data.get("wind")
    if wind and wind.get("from_deg") is not None:
        to = math.radians((float(wind["from_deg"]) + 180.0) % 360.0)  # where the air goes, clockwise from north
        ax, ay, ln = WIDTH - PAD - 40, PAD + 40, 30
        dx, dy = math.sin(to) * ln, -math.cos(to) * ln
        speed = wind.get("speed_m_s")
        label = _("Wind") + (f" {speed:.1f} m/s" if speed is not None else "")
        out.append(f'<g class="wind" data-from="{float(wind["from_deg"]):.0f}"><circle cx="{ax}" cy="{ay}" r="36" '
                   f'fill="#fff" stroke="#90a4ae"/><line x1="{ax - dx:.1f}" y1="{ay - dy:.1f}" x2="{ax + dx:.1f}" '
                   f'y2="{ay + dy:.1f}" stroke="#0d47a1" stroke-width="4" marker-end="url(#park-arrow)"/>'
                   f'<text x="{ax}" y="{ay + 52}" text-anchor="middle" fill="#0d47a1">{escape(label)}</text>'
                   f'<text x="{ax}" y="{ay - 40}" text-anchor="middle" fill="#555" font-size="10">N</text></g>')
        out.insert(2, '<defs><marker id="park-arrow" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="4" '
                      'markerHeight="4" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#0d47a1"/></marker></defs>')
    bar = _nice((x1 - x0) / 5)
    bx, by = PAD, height - PAD / 2
    out.append(f'<g class="scale"><line x1="{bx}" y1="{by}" x2="{bx + bar * k:.1f}" y2="{by}" stroke="#333" '
               f'stroke-width="3"/><text x="{bx + bar * k + 6:.1f}" y="{by + 4}" fill="#333">'
               f'{bar / 1000:g} km</text></g>' if bar >= 1000 else
               f'<g class="scale"><line x1="{bx}" y1="{by}" x2="{bx + bar * k:.1f}" y2="{by}" stroke="#333" '
               f'stroke-width="3"/><text x="{bx + bar * k + 6:.1f}" y="{by + 4}" fill="#333">{bar:g} m</text></g>')
    out.append("</svg>")
    return Markup("".join(out))
