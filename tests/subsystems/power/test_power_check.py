"""All rules over one enterprise from its registry file and minute readings (``check.check_enterprise``): the
thresholds each meter gets, local times in the sentences, and the settings section of the subsystem."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from ecosentry.subsystems.power.check import EnterpriseReadings, MeterReadings, check_enterprise
from ecosentry.subsystems.power.registry import load_yaml
from ecosentry.subsystems.power.settings import PowerSettings

REGISTRY = textwrap.dedent("""\
    enterprises:
      - id: E1
        name: Kiln works
        tz: Asia/Shanghai
        unmetered_kw: 5
        meters:
          - {id: SB001, rated_kw: 120}
          - {id: SB002, rated_kw: 40, thresholds: {on: 8, off: 4, dwell: 3}}
          - {id: SB000}
        equipment:
          - {id: kiln, role: production, meter: SB001, rated_kw: 120, normal_kw: 100}
          - {id: fan, role: treatment, kind: dust_removal, meter: SB002, rated_kw: 40, normal_kw: 30, serves: [kiln]}
          - {id: total, role: total, meter: SB000}
    """)


def readings(fan_stop: tuple[int, int] | None) -> EnterpriseReadings:
    """Two local days from 00:00 Asia/Shanghai (given in UTC): the kiln runs 08:00-18:00, its fan 07:50-18:10."""
    rng = np.random.default_rng(7)
    n = 2 * 1440
    minute = np.arange(n) % 1440
    kiln_on = (minute >= 8 * 60) & (minute < 18 * 60)
    fan_on = (minute >= 7 * 60 + 50) & (minute < 18 * 60 + 10)
    if fan_stop:
        fan_on[fan_stop[0]:fan_stop[1]] = False
    kiln = np.where(kiln_on, 100 * (1 + rng.normal(0, 0.03, n)), rng.gamma(2, 0.05, n))
    fan = np.where(fan_on, 30 * (1 + rng.normal(0, 0.02, n)), rng.gamma(2, 0.02, n))
    total = kiln + fan + 5
    start = datetime(2026, 1, 4, 16, 0, tzinfo=timezone.utc)  # 2026-01-05 00:00 in Shanghai
    return EnterpriseReadings(start, n, {"SB001": MeterReadings(kiln), "SB002": MeterReadings(fan),
                                         "SB000": MeterReadings(total)})


def test_an_honest_enterprise_has_no_finding_and_its_meters_get_their_thresholds():
    [ent] = load_yaml(REGISTRY).enterprises
    got = check_enterprise(ent, readings(None))
    assert got.findings == []
    assert got.thresholds["kiln"]["method"] == "otsu" and 1 < got.thresholds["kiln"]["on"] < 50
    assert got.thresholds["fan"] == {"on": 8, "off": 4, "dwell": 3, "dwell_off": 2,
                                         "method": "registry"}


def test_the_fan_stopped_on_the_second_morning_is_found_in_local_time():
    [ent] = load_yaml(REGISTRY).enterprises
    day2_10h = 1440 + 10 * 60
    got = check_enterprise(ent, readings((day2_10h, day2_10h + 60)))
    [f] = got.findings
    assert f.code == "PWR-TREAT-OFF" and f.equipment == ("kiln", "fan")
    assert f.start.isoformat() == "2026-01-06T10:00:00+08:00" and f.duration == timedelta(hours=1)
    assert f.detected_at - f.start == timedelta(minutes=1)  # the stop dwell: 2 samples
    assert "2026-01-06 10:00" in f.explanation


def test_a_linkage_grace_from_the_settings():
    [ent] = load_yaml(REGISTRY).enterprises
    r = readings(None)
    fan = r.meters["SB002"].power_kw
    late = np.arange(fan.size) % 1440
    fan[(late >= 7 * 60 + 50) & (late < 8 * 60 + 10)] = 0.05  # the fan starts at 08:10, 10 min after the kiln
    assert [f.code for f in check_enterprise(ent, r).findings] == ["PWR-START-ORDER", "PWR-START-ORDER"]
    relaxed = PowerSettings(linkage={"grace_minutes": 15})
    assert check_enterprise(ent, r, relaxed).findings == []


@pytest.mark.slow
def test_the_settings_section_reads_the_environment():
    src = Path(__file__).resolve().parents[3] / "src"
    env = {**os.environ, "PYTHONPATH": str(src), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.power",
           "ECOSENTRY_POWER__LINKAGE__GRACE_MINUTES": "9", "ECOSENTRY_POWER__ORDERS__BASELINE_DAYS": "20"}
    code = "from ecosentry.settings import get_settings; s = get_settings().power; " \
           "print(s.linkage.grace_minutes, s.orders.baseline_days, s.thresholds.dwell)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["9", "20", "3"]
