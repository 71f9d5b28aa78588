"""A Vietnamese world for the control page, the station reports and the public page: the demo registry of two
stations (one wastewater, one exhaust) with limits whose coefficients are set by hand, and one constructed local
day of five-minute files put through the real intake (judge, mapping, observation sink, hourly recompute).

The constructed day (yesterday, Asia/Ho_Chi_Minh) of the wastewater station, COD (registered "QCVN 40:2011/BTNMT
cột B, Kq 0.9, Kf 1.1", Cmax 148.5 mg/L):

=========  ======  ======  ===============================================
hours      status  COD     counted
=========  ======  ======  ===============================================
00–11      00      140     144 valid values
12–14      01      999     36 values calibrating (3 h > 2 h: suspicious)
15         02      5       12 values device error
16–23      00      170     96 valid values
=========  ======  ======  ===============================================

Daily mean of the valid values = (144 × 140 + 96 × 170) / 240 = 36 480 / 240 = 152.0 mg/L > 148.5 → exceeded,
ratio 152 / 148.5 = 1.0236; with the 01/02 values it would have been (36 480 + 36 × 999 + 12 × 5) / 288 =
251.6. TSS is 50.0 all day (constant: DET-CONST-4H); NH4+ reads −0.5 in hours 20–21 (DET-NEGATIVE).

The exhaust station's SO2 ("QCVN 19:2009/BTNMT cột B, Kp 0.9, Kv 1.0", Cmax 450 mg/Nm³) is 460 all day
(exceeded, ratio 1.0222); its dust is registered at 200 with Kp 0.9 and Kv 1.0 (the arithmetic gives 180:
a mismatch the page shows).
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ecosentry.fleet import import_fleet
from ecosentry.gateways.station_files import station_file_envelope
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.protocols.vn_txt.model import VnFileName
from ecosentry.protocols.vn_txt.writer import write_file
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.rules.vn.qcvn import cmax, qcvn_limits
from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet
from ecosentry.subsystems.monitoring.vn.sink import VnFileSink

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COD_STANDARD = "QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1"
SO2_STANDARD = "QCVN 19:2009/BTNMT cột B, Kp 0.9, Kv 1.0"


def the_day() -> date:
    """Yesterday, local time of the stations."""
    return datetime.now(VN).date() - timedelta(days=1)


def fleet() -> dict:
    """The demo registry of two stations with every limit at Kq 0.9, Kf 1.1 (water) and Kp 0.9, Kv 1.0 (gas),
    written as the fleet import writes them; the dust limit registered at 200 instead of 180."""
    f = copy.deepcopy(demo_vn_fleet(2, seed=1))
    for e in f["enterprises"]:
        for o in e["outlets"]:
            for p in o["points"]:
                water = o["medium"] == "water"
                std = "QCVN 40:2011/BTNMT" if water else "QCVN 19:2009/BTNMT"
                seeded = {lim.factor: lim for lim in qcvn_limits(std, "B")}
                for fac in p["factors"]:
                    if fac["code"] not in seeded:
                        continue
                    lim = seeded[fac["code"]]
                    b = cmax(lim, kq=0.9, kf=1.1) if water else cmax(lim, kp=0.9, kv=1.0)
                    text = (COD_STANDARD if water else SO2_STANDARD) if lim.k else f"{std} cột B"
                    upper = 200.0 if fac["code"] == "a34013" else round(b.upper, 4)
                    for row in fac["limits"]:
                        row.update(upper=upper, lower=b.lower, standard=text)
    return f


def stations(f: dict) -> dict[str, str]:
    """medium → station key."""
    return {o["medium"]: p["mn"] for e in f["enterprises"] for o in e["outlets"] for p in o["points"]}


def _water_lines(h: int, i: int) -> list[tuple]:
    if h <= 11 or h >= 16:
        cod, st = (140.0 if h <= 11 else 170.0), "00"
    elif h <= 14:
        cod, st = 999.0, "01"
    else:
        cod, st = 5.0, "02"
    nh4 = -0.5 if h in (20, 21) else 2.0 + 0.1 * (i % 5)
    return [("Flow_Out", 30.0 + (i % 7), "m3/h", "00"), ("Temp", 28.0 + 0.1 * (i % 9), "oC", "00"),
            ("pH", 7.0 + 0.01 * (i % 11), "", "00"), ("TSS", 50.0, "mg/L", "00"), ("COD", cod, "mg/L", st),
            ("NH4+", nh4, "mg/L", "00")]


def _gas_lines(h: int, i: int) -> list[tuple]:
    return [("Flow", 50000.0 + 100 * (i % 7), "m3/h", "00"), ("Temp", 130.0 + 0.1 * (i % 9), "oC", "00"),
            ("O2", 8.0 + 0.05 * (i % 13), "%", "00"), ("Dust", 40.0 + (i % 6), "mg/Nm3", "00"),
            ("SO2", 460.0, "mg/Nm3", "00"), ("NOx", 300.0 + (i % 10), "mg/Nm3", "00"),
            ("CO", 100.0 + (i % 8), "mg/Nm3", "00")]


def load_day(engine, f: dict, day: date, tmp_path: Path) -> dict[str, int]:
    """Put the constructed day of both stations through the intake; returns what the sink counted."""
    directory = PointDirectory(engine)
    sink = VnFileSink(engine, directory, VnIntakeSettings(), ObservationSink(engine, directory, auto_gap_marks=False))
    keys = stations(f)
    received = datetime.now(timezone.utc)
    items = []
    seq = 0
    for medium, lines_of in (("water", _water_lines), ("gas", _gas_lines)):
        prov, fac, st = keys[medium].split("_")
        for i in range(288):
            t = datetime(day.year, day.month, day.day) + timedelta(minutes=5 * i)
            name, data = write_file(VnFileName(prov, fac, st, t), [(p, v, u, s_) for p, v, u, s_ in lines_of(t.hour, i)])
            seq += 1
            items.append((seq, station_file_envelope(name, data, dest=tmp_path, transport="vn-folder",
                                                     received_at=received)))
    stored = 0
    for k in range(0, len(items), 96):
        result = sink.write(f"w{day:%Y%m%d}", items[k:k + 96])  # a spool per day: no replay
        sink.after_commit(result)
        stored += result.frames
    sink.flush()
    return {"files": len(items), "stored": stored}


def vn_world(db_url: str, tmp_path: Path):
    """(engine, fleet, point ids by medium) with the constructed day loaded."""
    engine = prepare_database(db_url)
    f = fleet()
    import_fleet(engine, f)
    load_day(engine, f, the_day(), tmp_path)
    with engine.connect() as c:
        ids = dict(c.execute(select(s.points.c.mn, s.points.c.id)).all())
    return engine, f, {m: ids[k] for m, k in stations(f).items()}
