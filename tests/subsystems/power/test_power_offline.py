"""``ecosentry power check`` (issue 15 item 10): files written from simulated enterprises give the findings the
rules give on the same data; bad input exits 2 naming the file, the line and the field."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from ecosentry.subsystems.power.check import check_enterprise
from ecosentry.subsystems.power.offline import load_orders, load_readings
from ecosentry.subsystems.power.registry import RegistryError, load_csv
from ecosentry.subsystems.power.simulate import simulate_enterprise

SRC = Path(__file__).resolve().parents[3] / "src"


def write_files(tmp: Path, sims) -> tuple[Path, Path, Path]:
    e, r, o = tmp / "E.csv", tmp / "R.csv", tmp / "O.csv"
    with open(e, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["enterprise", "equipment", "meter", "role", "serves", "rated_kw", "kind", "normal_kw", "tz",
                    "unmetered_kw"])
        for sim in sims:
            ent = sim.enterprise
            serves = {lk.treatment: ";".join(lk.serves) for lk in ent.linkages}
            for eq in ent.equipment:
                w.writerow([ent.id, eq.id, eq.meter, eq.role, serves.get(eq.id, ""), eq.rated_kw or "",
                            eq.kind or "", eq.normal_kw or "", ent.tz, ent.unmetered_kw])
    with open(r, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["meter", "time", "quantity", "value"])
        for sim in sims:
            rd = sim.readings
            times = [(rd.start + timedelta(minutes=i)).isoformat() for i in range(rd.minutes)]
            for meter, m in rd.meters.items():
                current = m.current_a
                for i, t in enumerate(times):
                    if np.isfinite(m.power_kw[i]):
                        w.writerow([meter, t, "P", f"{m.power_kw[i]:.4f}"])
                    if current is not None and np.isfinite(current[i]):
                        w.writerow([meter, t, "I", f"{current[i]:.4f}"])
                    if m.energy_kwh is not None and np.isfinite(m.energy_kwh[i]):
                        w.writerow([meter, t, "E", f"{m.energy_kwh[i]:.2f}"])
    with open(o, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["enterprise", "equipment", "measure", "limit_pct", "start", "end"])
        for sim in sims:
            for od in sim.orders:
                for eq in od.equipment:
                    w.writerow([od.enterprise, eq, od.measure, "" if od.allowed_pct is None else od.allowed_pct,
                                od.start.isoformat(), od.end.isoformat()])
    return r, e, o


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("power")
    sims = [simulate_enterprise(11, "A", days=3, schedule="day", violations=("treat_off", "late_start")),
            simulate_enterprise(12, "B", days=4, order="stop", comply=False)]
    return sims, write_files(tmp, sims), tmp


def test_the_files_load_back_to_the_same_findings(files):
    sims, (r, e, o), _ = files
    registry = load_csv(e.read_text(encoding="utf-8"), str(e))
    readings = load_readings(r, registry)
    orders = load_orders(o, registry)
    assert [(od.enterprise, od.equipment, od.measure) for od in orders] == [("B", ("P1", "P2"), "stop")]
    for sim in sims:
        direct = [f.as_dict() for f in check_enterprise(sim.enterprise, sim.readings, orders=sim.orders).findings]
        ent = registry.by_id()[sim.enterprise.id]
        via = [f.as_dict() for f in check_enterprise(ent, readings[ent.id], orders=[x for x in orders
                                                                                 if x.enterprise == ent.id]).findings]
        assert [(d["code"], d["start"], d["end"]) for d in via] == [(d["code"], d["start"], d["end"]) for d in direct]
        assert {d["code"] for d in via} >= {i.code for i in sim.injected}


def run_check(*args: str, lang: str = "en") -> subprocess.CompletedProcess:
    """``ecosentry power check`` in a terminal of ``lang``."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.power",
           "LANGUAGE": lang}
    return subprocess.run([sys.executable, "-m", "ecosentry", "power", "check", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.mark.slow
def test_power_check_writes_one_json_finding_a_line(files):
    sims, (r, e, o), tmp = files
    out = tmp / "findings.jsonl"
    done = run_check("--readings", str(r), "--equipment", str(e), "--orders", str(o), "--output", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    codes = {d["code"] for d in lines}
    assert {"PWR-TREAT-OFF", "PWR-START-ORDER", "PWR-ORDER-STOP-RUNNING"} <= codes
    for d in lines:
        assert set(d) >= {"code", "severity", "enterprise", "equipment", "start", "end", "detected_at",
                          "explanation", "evidence"}
        assert isinstance(d["equipment"], list) and d["start"].endswith("+08:00")


@pytest.mark.slow
def test_power_check_exits_2_on_bad_input(files, tmp_path):
    _, (r, e, o), _ = files
    bad = tmp_path / "R.csv"
    lines = r.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace("+08:00", "")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_check("--readings", str(bad), "--equipment", str(e), "--output", str(tmp_path / "f.jsonl"))
    assert done.returncode == 2
    assert f"{bad} line 6, time: " in done.stderr and "has no offset" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("lang, said, summary", [
    ("zh", "错误：{R} 第 2 行, quantity: 应为 P, I 或 E，而不是 'Q'", "条发现已写入"),
    ("vi", "Lỗi: {R} dòng 2, quantity: phải là P, I hoặc E, không phải 'Q'", "phát hiện đã ghi vào"),
    ("en", "error: {R} line 2, quantity: must be P, I or E", "findings in"),
])
def test_power_check_speaks_the_terminals_language(files, tmp_path, lang, said, summary):
    _, (r, e, o), _ = files
    done = run_check("--readings", str(r), "--equipment", str(e), "--orders", str(o), "--output",
                     str(tmp_path / "f.jsonl"), lang=lang)
    assert done.returncode == 0 and summary in done.stderr, done.stderr
    bad = tmp_path / "R.csv"
    bad.write_text("meter,time,quantity,value\nA-P1,2026-11-02T00:00+08:00,Q,1\n", encoding="utf-8")
    done = run_check("--readings", str(bad), "--equipment", str(e), "--output", str(tmp_path / "f.jsonl"), lang=lang)
    assert done.returncode == 2 and said.format(R=bad) in done.stderr, done.stderr
    assert lang == "en" or "must be P, I or E" not in done.stderr, done.stderr
    missing = tmp_path / "nowhere.csv"
    done = run_check("--readings", str(r), "--equipment", str(missing), "--output", str(tmp_path / "f.jsonl"),
                     lang=lang)
    assert done.returncode == 2 and {"zh": "无法读取", "vi": "không đọc được", "en": "cannot be read"}[lang] in \
        done.stderr, done.stderr


def test_bad_readings_and_orders_name_file_line_and_field(files, tmp_path):
    _, (r, e, o), _ = files
    registry = load_csv(e.read_text(encoding="utf-8"), str(e))
    cases = [
        ("meter,time,quantity,value\nA-P1,2026-11-02T00:00+08:00,Q,1\n", "line 2, quantity: must be P, I or E"),
        ("meter,time,quantity,value\nX-P9,2026-11-02T00:00+08:00,P,1\n", "line 2, meter: 'X-P9' is not a meter"),
        ("meter,time,quantity,value\nA-P1,2026-11-02T00:00+08:00,P,lots\n", "line 2, value: 'lots' is not a number"),
        ("meter,when,quantity,value\n", "line 1, time: missing column(s) time"),
    ]
    for text, words in cases:
        p = tmp_path / "R.csv"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(RegistryError) as err:
            load_readings(p, registry)
        assert words in str(err.value)
    p = tmp_path / "O.csv"
    p.write_text("enterprise,equipment,measure,limit_pct,start,end\n"
                 "B,T1,stop,,2026-11-05T00:00+08:00,2026-11-06T00:00+08:00\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="line 2, equipment: 'T1' is not production equipment"):
        load_orders(p, registry)
    p.write_text("enterprise,equipment,measure,limit_pct,start,end\n"
                 "B,P1,limit,150,2026-11-05T00:00+08:00,2026-11-06T00:00+08:00\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="line 2, limit_pct: must be from 0 to below 100"):
        load_orders(p, registry)
