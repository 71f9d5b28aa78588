"""The demo's connection register: Decree 08 category, district and industrial zone of every demo facility, and
the day its stations were installed, so the register page shows each step and a late facility within minutes.

Deterministic from the fleet (``random.Random`` seeded by the station keys). District and industrial-zone
names are real places of the demo provinces, used as a neutral setting; nothing is said about any real
facility. Each demo station sends from the demo's start, so it is *connected* (first file) long after the
31 Dec 2024 deadline: those facilities show as late. One facility in three is a new project (obliged a month
ago, its own deadline two months ahead), so the register shows both. No ``connected_at`` is set: it would make
the files before the demo's start count as missing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

__all__ = ["DISTRICTS", "seed_register"]

#: Province letter code → districts with an industrial zone or two (None = outside any zone).
DISTRICTS: dict[str, list[tuple[str, list[str | None]]]] = {
    "HN": [("Huyện Đông Anh", ["KCN Thăng Long", None]), ("Huyện Sóc Sơn", ["KCN Nội Bài"]),
           ("Huyện Gia Lâm", [None])],
    "HP": [("Huyện An Dương", ["KCN Nomura"]), ("Huyện Thủy Nguyên", ["KCN VSIP Hải Phòng", None])],
    "QN": [("Thị xã Quảng Yên", ["KCN Đông Mai"]), ("Thành phố Cẩm Phả", [None])],
    "BN": [("Thị xã Quế Võ", ["KCN Quế Võ"]), ("Thành phố Bắc Ninh", ["KCN Tiên Sơn", None])],
    "TB": [("Huyện Tiền Hải", ["KCN Tiền Hải"]), ("Thành phố Thái Bình", ["KCN Phúc Khánh", None])],
    "DNG": [("Quận Liên Chiểu", ["KCN Hòa Khánh"]), ("Quận Ngũ Hành Sơn", [None])],
    "HCM": [("Huyện Bình Chánh", ["KCN Lê Minh Xuân"]), ("Quận 7", ["KCX Tân Thuận", None])],
    "BD": [("Thành phố Thuận An", ["KCN VSIP I"]), ("Thị xã Bến Cát", ["KCN Mỹ Phước", None])],
    "DNA": [("Thành phố Biên Hòa", ["KCN Biên Hòa II"]), ("Huyện Nhơn Trạch", ["KCN Nhơn Trạch 1", None])],
    "CT": [("Quận Ô Môn", ["KCN Trà Nóc", None]), ("Quận Bình Thủy", [None])],
}


def seed_register(fleet: dict, *, today: date | None = None) -> dict:
    """Add ``vn_register`` to each enterprise and ``installed_on`` (and for some ``connected_at``) to its points,
    in place; returns ``fleet``. The category follows the stations' media (wastewater → Art. 97, gas → Art. 98)."""
    today = today or date.today()
    regions = {r.get("code"): r for r in fleet.get("regions") or []}
    for k, e in enumerate(fleet.get("enterprises") or []):
        points = [(o, p) for o in e.get("outlets") or [] for p in o.get("points") or []]
        if not points:
            continue
        prov = str(points[0][1]["mn"]).split("_")[0]
        rng = random.Random("vn-register|" + "|".join(str(p["mn"]) for _, p in points))
        district, zones = rng.choice(DISTRICTS.get(prov) or [("—", [None])])
        zone = rng.choice(zones)
        region = regions.get(e.get("region"))
        if region is not None and region.get("level") not in (None, "province"):
            district = region.get("name") or district  # the fleet's own district: the district officer's scope
        if "industrial_zone" in e:
            zone = e["industrial_zone"]  # the fleet's own zone (None: outside any)
        media = {o.get("medium") for o, _ in points}
        if "water" in media:
            cat = "art97-iz" if zone and "water" in media and rng.random() < 0.3 else \
                rng.choice(("art97-risk-500", "art97-risk-200", "art97-other-1000"))
        else:
            cat = "art98"
        e["vn_register"] = {"category": cat, "district": district, "industrial_zone": zone}
        new_project = k % 3 == 0
        if new_project:
            e["vn_register"] |= {"obliged_from": (today - timedelta(days=30)).isoformat(),
                                 "deadline": (today + timedelta(days=60)).isoformat()}
        for _, p in points:
            if not (new_project and rng.random() < 0.5):  # a new project's station may not be recorded yet
                p.setdefault("installed_on", (today - timedelta(days=rng.randint(3, 20) if new_project
                                                                 else rng.randint(120, 900))).isoformat())
    return fleet
