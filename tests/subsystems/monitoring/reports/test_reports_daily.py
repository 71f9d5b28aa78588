"""The daily report (日报表): model numbers against hand arithmetic, XLSX read back, PDF rendered to PNG."""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from ecosentry.reports import fonts
from ecosentry.subsystems.monitoring.reports.model import MISSING, ReportError, build_daily_report, local_day_utc_range
from ecosentry.subsystems.monitoring.reports.pdf import daily_report_pdf
from ecosentry.subsystems.monitoring.reports.xlsx import FIRST_DATA_ROW, HEADER_ROW, daily_report_xlsx
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet

sys.path.insert(0, str(Path(__file__).parents[3] / "e2e"))
from helpers import FLEET, GAS_MN, WATER_MN  # noqa: E402

ARTIFACTS = Path(os.environ.get("ECOSENTRY_TEST_ARTIFACTS", Path(__file__).parents[4] / "test-artifacts"))
DAY = date(2026, 11, 20)  # Asia/Shanghai (UTC+8): local 00:00 = 2026-11-19 16:00 UTC
NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def utc_of_local_hour(hour: int) -> datetime:
    return datetime(2026, 11, 19, 16, tzinfo=timezone.utc) + timedelta(hours=hour)


def hv(point_id: int, code: str, local_hour: int, value, zs=None, valid=True, reason=None) -> dict:
    return {"point_id": point_id, "factor_code": code, "period_start": utc_of_local_hour(local_hour),
            "value": value, "zs_value": zs, "min": None, "max": None, "cou": None, "flag": "N" if valid else "M",
            "valid": valid, "valid_minutes": 60 if valid else 30, "received_minutes": 60, "n_records": 60,
            "reason": reason, "computed_at": NOW}


# Flue-gas hours (local time). Hour 09 has no a00000: the flow comes from duct area 12.5 m² × velocity.
GAS_HOURS = {
    #      SO2, SO2 zs, NOx, O2,  t °C,  v m/s, Ps kPa, X %, Q m³/s
    8: (30.0, 37.5, 50.0, 9.0, 120.0, 10.0, 0.5, 8.0, 125.0),
    9: (40.0, 48.0, 60.0, 10.0, 110.0, 9.0, 0.4, 9.0, None),
    10: (20.0, 24.0, 40.0, 9.0, 115.0, 10.0, 0.5, 8.0, 130.0),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    engine = prepare_database(f"sqlite:///{tmp_path_factory.mktemp('reports') / 'r.sqlite'}")
    import_fleet(engine, FLEET)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(s.points.c.mn, s.points.c.id)).all())
        gas, water = ids[GAS_MN], ids[WATER_MN]
        rows = []
        for hour, (so2, so2_zs, nox, o2, t, v, ps, x, q) in GAS_HOURS.items():
            rows += [hv(gas, "a21026", hour, so2, so2_zs), hv(gas, "a19001", hour, o2), hv(gas, "a01012", hour, t),
                     hv(gas, "a01011", hour, v), hv(gas, "a01013", hour, ps), hv(gas, "a01014", hour, x)]
            if hour != 10:  # hour 10's NOx comes from the logger's own hourly record (observations, kind hour)
                rows.append(hv(gas, "a21002", hour, nox))  # no zs stored: eq. (28) on the hourly means
            if q is not None:
                rows.append(hv(gas, "a00000", hour, q))
        # hour 11: SO2 invalid (only 30 valid minutes), the parameters valid
        rows += [hv(gas, "a21026", 11, 80.0, 96.0, valid=False, reason="有效分钟数 30 < 45"),
                 hv(gas, "a19001", 11, 9.0), hv(gas, "a01012", 11, 120.0), hv(gas, "a01011", 11, 10.0),
                 hv(gas, "a01013", 11, 0.5), hv(gas, "a01014", 11, 8.0), hv(gas, "a00000", 11, 125.0)]
        # wastewater: COD 50 mg/L at 10 L/s (hour 00), 30 mg/L at 20 L/s (hour 01); pH 7.2 / 7.4
        rows += [hv(water, "w01018", 0, 50.0), hv(water, "w00000", 0, 10.0), hv(water, "w01001", 0, 7.2),
                 hv(water, "w01018", 1, 30.0), hv(water, "w00000", 1, 20.0), hv(water, "w01001", 1, 7.4)]
        conn.execute(s.hourly_values.insert(), rows)
        conn.execute(s.observations.insert(), [{
            "point_id": gas, "factor_code": "a21002", "kind": "hour", "period_start": utc_of_local_hour(10),
            "value": 40.0, "zs_value": 46.0, "flag": "N", "received_at": NOW}])
    yield engine, gas, water
    engine.dispose()


def q_sn_m3_h(q_m3_s, t_c, ps_kpa, x_pct):
    """HJ 212-2017 eq. (31), written out: Q_s·3600 · 273/(273+t) · (101325+Ps)/101325 · (1−X)."""
    return q_m3_s * 3600 * 273 / (273 + t_c) * (101325 + ps_kpa * 1000) / 101325 * (1 - x_pct / 100)


def test_gas_known_hour_values(db):
    engine, gas, _ = db
    rep = build_daily_report(engine, gas, DAY)
    assert rep.header.mn == GAS_MN and rep.header.enterprise == "苏州测试热电有限公司"
    assert rep.header.start_utc == datetime(2026, 11, 19, 16, tzinfo=timezone.utc)
    assert len(rep.rows) == 24 and rep.rows[0].label == "00:00" and rep.rows[-1].label == "23:00"
    assert rep.title == "废气排放连续监测日报表"

    row = rep.row_at("08:00")
    assert row.status == "有效"
    assert row.cells["a21026.value"].value == 30.0
    assert row.cells["a21026.zs"].value == 37.5                       # as stored
    assert row.cells["a21002.zs"].value == pytest.approx(50 * (21 - 6) / (21 - 9))  # 62.5, eq. (28)
    assert row.cells["a00000.value"].value == pytest.approx(125 * 3600)  # 450 000 m³/h working, wet
    q = 125 * 3600 * 273 / 393 * 101825 / 101325 * 0.92
    assert q == pytest.approx(q_sn_m3_h(125, 120, 0.5, 8))
    assert row.cells["q_sn"].value == pytest.approx(q)                # ≈ 288 910 m³/h
    assert row.cells["a21026.emission"].value == pytest.approx(30 * q * 1e-6)  # ≈ 8.667 kg/h, eq. (33)
    assert row.cells["a21002.emission"].value == pytest.approx(50 * q * 1e-6)

    # hour 09: no a00000, flow = 12.5 m² × 9 m/s = 112.5 m³/s
    q9 = q_sn_m3_h(12.5 * 9, 110, 0.4, 9)
    assert rep.row_at("09:00").cells["q_sn"].value == pytest.approx(q9)
    # hour 10: NOx from the logger's hourly record
    assert rep.row_at("10:00").cells["a21002.value"].value == 40.0
    assert rep.row_at("10:00").cells["a21002.zs"].value == 46.0
    assert rep.row_at("10:00").cells["a21002.value"].source == "logger"

    bad = rep.row_at("11:00")
    assert bad.status == "无效" and "有效分钟数 30 < 45" in bad.reasons[0]
    assert bad.cells["a21026.value"].valid is False
    assert bad.cells["a21026.value"].text(2) == "80.00*"
    assert bad.cells["a21026.emission"].valid is False                 # derived from an invalid input
    assert rep.row_at("12:00").status == "缺失"
    assert rep.row_at("12:00").cells["a21026.value"].text(2) == MISSING


def test_gas_summary_rows_over_valid_hours(db):
    engine, gas, _ = db
    rep = build_daily_report(engine, gas, DAY)
    so2 = "a21026.value"
    assert rep.summary_row("min").values[so2] == 20.0
    assert rep.summary_row("max").values[so2] == 40.0                 # the invalid 80 is left out
    assert rep.summary_row("mean").values[so2] == pytest.approx((30 + 40 + 20) / 3)
    assert rep.summary_row("mean").values["a21026.zs"] == pytest.approx((37.5 + 48 + 24) / 3)
    assert rep.summary_row("n_valid").values[so2] == 3
    assert rep.summary_row("n_invalid").values[so2] == 1
    assert rep.summary_row("n_missing").values[so2] == 24 - 4

    q8, q9, q10 = q_sn_m3_h(125, 120, 0.5, 8), q_sn_m3_h(112.5, 110, 0.4, 9), q_sn_m3_h(130, 115, 0.5, 8)
    q11 = q8  # hour 11 has the same flow parameters as hour 08, and they are valid
    total_so2_kg = (30 * q8 + 40 * q9 + 20 * q10) * 1e-6               # eq. (34): Σ valid hours
    assert rep.summary_row("total").values["a21026.emission"] == pytest.approx(total_so2_kg)
    assert rep.summary_row("total").values["q_sn"] == pytest.approx(q8 + q9 + q10 + q11)  # eq. (32)
    assert rep.summary_row("total").values[so2] is None               # no total for a concentration
    assert rep.summary_row("mean").values["a19001.value"] == pytest.approx((9 + 10 + 9 + 9) / 4)


def test_water_volume_load_and_flow_weighted_mean(db):
    engine, _, water = db
    rep = build_daily_report(engine, water, DAY)
    assert rep.title == "废水排放连续监测日报表"
    r0 = rep.row_at("00:00").cells
    assert r0["w00000.volume"].value == pytest.approx(10 * 3600 * 1e-3)          # 36 m³
    assert r0["w01018.load"].value == pytest.approx(50 * 36 * 1e-3)              # 1.8 kg
    assert rep.row_at("01:00").cells["w01018.load"].value == pytest.approx(30 * 72 * 1e-3)  # 2.16 kg
    assert rep.summary_row("total").values["w00000.volume"] == pytest.approx(36 + 72)
    assert rep.summary_row("total").values["w01018.load"] == pytest.approx(1.8 + 2.16)
    assert rep.summary_row("mean").values["w01018.value"] == pytest.approx((50 + 30) / 2)
    assert rep.summary_row("weighted_mean").values["w01018.value"] == pytest.approx((1.8 + 2.16) / 108 * 1e3)
    assert rep.summary_row("mean").values["w01001.value"] == pytest.approx(7.3)


def test_xlsx_read_back(db):
    from openpyxl import load_workbook

    engine, gas, _ = db
    rep = build_daily_report(engine, gas, DAY)
    wb = load_workbook(io.BytesIO(daily_report_xlsx(rep)))
    ws = wb.active
    assert ws["A1"].value == "废气排放连续监测日报表"
    assert "苏州测试热电有限公司" in ws["A2"].value and GAS_MN in ws["A3"].value
    assert ws.freeze_panes == f"B{FIRST_DATA_ROW}"
    header = [ws.cell(HEADER_ROW, c).value for c in range(1, ws.max_column + 1)]
    assert "二氧化硫" in header and "氮氧化物" in header and "时间" in header
    so2_col = header.index("二氧化硫") + 1
    assert ws.cell(HEADER_ROW + 1, so2_col).value == "实测浓度"
    assert ws.cell(HEADER_ROW + 1, so2_col + 1).value == "折算浓度"
    assert ws.cell(HEADER_ROW + 2, so2_col).value == "mg/m³"
    assert any(str(m) == f"{ws.cell(HEADER_ROW, so2_col).coordinate}:"
               f"{ws.cell(HEADER_ROW, so2_col + 2).coordinate}" for m in ws.merged_cells.ranges)
    r8 = FIRST_DATA_ROW + 8
    assert ws.cell(r8, 1).value == "08:00"
    assert ws.cell(r8, so2_col).value == 30.0 and ws.cell(r8, so2_col).number_format == "0.00"
    r11 = FIRST_DATA_ROW + 11
    assert ws.cell(r11, so2_col).value == 80.0
    assert ws.cell(r11, so2_col).number_format == '0.00"*"'
    assert ws.cell(r11, so2_col).fill.fgColor.rgb.endswith("F8CBAD")
    assert ws.cell(FIRST_DATA_ROW + 12, so2_col).value == MISSING
    labels = [ws.cell(r, 1).value for r in range(FIRST_DATA_ROW + 24, FIRST_DATA_ROW + 31)]
    assert labels == ["最小值", "最大值", "平均值", "日累计", "有效小时数", "无效小时数", "缺失小时数"]
    assert ws.cell(FIRST_DATA_ROW + 26, so2_col).value == pytest.approx(30.0)    # 平均值
    assert ws.cell(FIRST_DATA_ROW + 28, so2_col).value == 3                      # 有效小时数


def test_pdf_has_embedded_cjk_font_and_renders(db):
    engine, gas, _ = db
    rep = build_daily_report(engine, gas, DAY)
    pdf = daily_report_pdf(rep)
    assert pdf.startswith(b"%PDF")
    assert b"NotoSansSC-Regular" in pdf                                         # embedded subset of Noto Sans SC
    assert b"FontFile2" in pdf                                                  # embedded TrueType program
    assert b"/Subtype /Image" in pdf                                            # the matplotlib chart
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-daily.pdf").write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) not installed: font embedding checked, page not rendered")
    out = ARTIFACTS / "report-daily"
    subprocess.run([pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
                    str(ARTIFACTS / "report-daily.pdf"), str(out)], check=True, timeout=60)
    png = ARTIFACTS / "report-daily.png"
    assert png.stat().st_size > 20_000
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(ARTIFACTS / "report-daily.pdf")], capture_output=True,
                                 text=True, check=True).stdout
        assert "NotoSansSC-Regular" in listing and "yes" in listing          # embedded: yes


def test_water_pdf_and_xlsx_build(db):
    engine, _, water = db
    rep = build_daily_report(engine, water, DAY)
    rep.header.enterprise = "A&B <测试> 公司"  # escaped for reportlab's paragraph markup
    assert daily_report_pdf(rep).startswith(b"%PDF")
    assert daily_report_xlsx(rep)[:2] == b"PK"


def test_local_day_on_a_dst_change_has_25_hours():
    t0, t1 = local_day_utc_range(date(2026, 11, 1), "America/New_York")
    assert t0 == datetime(2026, 11, 1, 4, tzinfo=timezone.utc)
    assert (t1 - t0) == timedelta(hours=25)


def test_unknown_point(db):
    engine, _, _ = db
    with pytest.raises(ReportError):
        build_daily_report(engine, 9999, DAY)


def test_missing_font_names_the_python_package(monkeypatch):
    monkeypatch.setattr(fonts, "PACKAGE", "no_such_font_package")
    with pytest.raises(fonts.CJKFontMissing, match="justmytype-intl-cjk"):
        fonts.variable_font_path.__wrapped__()


def test_font_comes_from_the_wheel_at_regular_weight():
    """The font is found without fontconfig, and both consumers get wght 400, not the Thin default."""
    from fontTools.ttLib import TTFont

    var = fonts.variable_font_path()
    assert "justmytype_intl_cjk" in var.parts
    assert TTFont(str(var), lazy=True)["OS/2"].usWeightClass != 400        # the wheel's default instance
    regular = TTFont(str(fonts.regular_font_path()), lazy=True)            # matplotlib's file
    assert "fvar" not in regular and regular["OS/2"].usWeightClass == 400
    assert regular["name"].getDebugName(1) == "Noto Sans SC"
    sub = TTFont(io.BytesIO(fonts._regular_subset("氨氮 Việt")), lazy=True)  # reportlab's subset
    assert "fvar" not in sub and sub["OS/2"].usWeightClass == 400


def test_font_covers_chinese_and_vietnamese():
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(fonts.variable_font_path()), lazy=True).getBestCmap()
    text = "化学需氧量氨氮烟尘折算 Cộng hòa xã hội chủ nghĩa Việt Nam ệ ữ ạ ơ ư đ Đ ố ẫ ỹ " + fonts.BASE_CHARS
    assert [c for c in text if ord(c) not in cmap] == []
