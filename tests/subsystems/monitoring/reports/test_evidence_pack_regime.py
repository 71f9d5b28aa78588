"""An exceedance alarm and its evidence pack cite the regime of the limit it was judged against, end to end on a real
database: minute data → :func:`recompute_hours` → the detection job's own exceedance path → the alarm → the pack
(PDF read back with pdftotext).

* A Vietnamese exhaust station of the demo (QCVN 19:2009/BTNMT column B, Kp 1, Kv 1: SO2 Cmax 500 mg/Nm³, no
  reference O2): its hour of 530 mg/Nm³ is judged as measured, the alarm cites ``VN-EXC-GAS-HOUR`` and the QCVN,
  the pack never HJ/GB nor a CN code, and never says "quy đổi" (corrected).
* A Chinese CEMS (GB 13223, reference O2 6 %): judged on the 折算 mean, cites ``CN-EXC-GAS-HOUR`` and HJ 76-2017
  as before, and its explanation says the value was corrected.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select

from ecosentry.fleet import import_fleet
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.store.registry import load_point_directory
from ecosentry.subsystems.monitoring.pipeline.detection import DetectionJob
from ecosentry.subsystems.monitoring.pipeline.hourly import recompute_hours
from ecosentry.subsystems.monitoring.reports.evidence import build_evidence_pack, evidence_pack_pdf
from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet

sys.path.insert(0, str(Path(__file__).parents[3] / "e2e"))
from helpers import FLEET, GAS_MN  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[4] / "test-artifacts"))
UTC = timezone.utc
H0 = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)        # 10:00 Asia/Ho_Chi_Minh, 11:00 Asia/Shanghai
NOW = H0 + timedelta(hours=3, minutes=10)


def minutes(point_id: int, code: str, interval: int, per_hour: list[float]) -> list[dict]:
    """Minute records of three hours from H0, hour ``i`` at ``per_hour[i]``."""
    rows = []
    for i, v in enumerate(per_hour):
        for k in range(60 // interval):
            t = H0 + timedelta(hours=i, minutes=k * interval)
            rows.append({"point_id": point_id, "factor_code": code, "kind": "min", "period_start": t, "value": v,
                         "flag": "N", "received_at": t + timedelta(minutes=interval)})
    return rows


def raise_exceedance(engine, mn: str, so2: list[float], interval: int, o2: float) -> dict:
    """Minute data → hours → the detection job's own evaluation and exceedance sync → the stored alarm."""
    directory = PointDirectory(engine)
    pid = directory.by_mn(mn).point_id
    with engine.begin() as conn:
        conn.execute(insert(s.observations), minutes(pid, "a21026", interval, so2)
                     + minutes(pid, "a19001", interval, [o2] * len(so2)))
    recompute_hours(engine, {(pid, f, H0 + timedelta(hours=i)) for i in range(len(so2))
                             for f in ("a21026", "a19001")}, directory)
    job = DetectionJob(engine)
    info = load_point_directory(engine)[mn]
    _findings, judged, _faults = job._evaluate(info, NOW)
    stats = {"points": 0, "raised": 0, "cleared": 0}
    asyncio.run(job._sync_exceedance(info, judged, NOW, stats))
    with engine.connect() as conn:
        alarm = conn.execute(select(s.alarms).where(s.alarms.c.type == "ALM-EXCEEDANCE",
                                                    s.alarms.c.point_id == pid)).mappings().one()
    return dict(alarm)


def pdf_text(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_vietnamese_gas_hour_cites_qcvn_and_the_vn_rule_only(db_url, tmp_path):
    engine = prepare_database(db_url)
    fleet = demo_vn_fleet(2, seed=1)
    import_fleet(engine, fleet)
    mn = next(p["mn"] for e in fleet["enterprises"] for o in e["outlets"] if o["medium"] == "gas"
              for p in o["points"])
    alarm = raise_exceedance(engine, mn, [300.0, 310.0, 530.0], interval=5, o2=9.0)

    period = alarm["evidence"]["periods"][0]
    # the number: the hour's measured mean at the QCVN reference state against C × Kp × Kv = 500 × 1 × 1
    assert period["judged_value"] == 530.0 and period["limit_value"] == 500.0 and not period["corrected"]
    assert abs(period["multiple"] - 30 / 500) < 1e-9
    assert period["rule"] == "VN-EXC-GAS-HOUR" and period["standard"].startswith("QCVN 19:2009/BTNMT")
    assert "VN-EXC-GAS-HOUR" in alarm["explanation"] and "corrected" not in alarm["explanation"]

    pack = build_evidence_pack(engine, alarm["id"], now=NOW, lang="vi")
    assert [r.code for r in pack.rules] == ["ALM-EXCEEDANCE", "VN-EXC-GAS-HOUR"]
    for rule in pack.rules:
        assert "QCVN" in rule.source and "Circular 10/2021" in rule.source, rule
        assert not re.search(r"\b(HJ|GB)\b", rule.source), rule
    assert "quy đổi" not in pack.explanation_text and "QCVN 19:2009/BTNMT" in pack.explanation_text

    text = pdf_text(evidence_pack_pdf(pack), tmp_path / "vn-pack.pdf")
    flat = " ".join(text.split())
    assert "VN-EXC-GAS-HOUR" in flat and "QCVN 19:2009/BTNMT" in flat and "Circular 10/2021" in flat
    assert not re.search(r"\b(HJ|GB)\b", flat), [ln for ln in text.splitlines() if re.search(r"\b(HJ|GB)\b", ln)]
    assert "CN-EXC" not in flat and "quy đổi" not in flat.lower() and "折算" not in flat
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / "vn-pack.pdf", ARTIFACTS / "evidence-pack-vn-exceedance.pdf")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(ARTIFACTS / "evidence-pack-vn-exceedance.pdf"),
                        str(ARTIFACTS / "evidence-pack-vn-exceedance")], check=True)
    engine.dispose()


def test_chinese_gas_hour_is_judged_corrected_and_cites_hj(db_url, tmp_path):
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    pid = PointDirectory(engine).by_mn(GAS_MN).point_id
    with engine.begin() as conn:
        conn.execute(insert(s.limits).values(point_id=pid, factor_code="a21026", kind="hour", upper=35.0,
                                             valid_from=date(2020, 1, 1), standard="GB 13223-2011 表1"))
    # 30 mg/m³ at O2 11 % → 30 × (21 − 6)/(21 − 11) = 45 mg/m³ at the reference 6 % > 35
    alarm = raise_exceedance(engine, GAS_MN, [20.0, 20.0, 30.0], interval=1, o2=11.0)
    period = alarm["evidence"]["periods"][0]
    assert abs(period["judged_value"] - 45.0) < 1e-9 and period["corrected"] and period["rule"] == "CN-EXC-GAS-HOUR"

    pack = build_evidence_pack(engine, alarm["id"], now=NOW)
    assert [r.code for r in pack.rules] == ["ALM-EXCEEDANCE", "CN-EXC-GAS-HOUR"]
    assert "HJ 76-2017 App. B" in pack.rules[0].source and "QCVN" not in pack.rules[0].source
    assert "折算" in pack.explanation_text and "GB 13223-2011" in pack.explanation_text
    flat = "".join(pdf_text(evidence_pack_pdf(pack), tmp_path / "cn-pack.pdf").split())
    assert "CN-EXC-GAS-HOUR" in flat and "HJ76-2017" in flat and "VN-EXC" not in flat
    engine.dispose()
