"""The daily report (日报表) of one monitoring point in the HJ 75/HJ 76 layout: one row per local hour.

:func:`build_daily_report` reads the database and returns a :class:`DailyReport`, a plain data object
that the XLSX (:mod:`ecosentry.subsystems.monitoring.reports.xlsx`) and PDF (:mod:`ecosentry.subsystems.monitoring.reports.pdf`) renderers share.

Where the numbers come from
---------------------------
* ``hourly_values`` (the platform's own hours, 45-valid-minute rule): value, 折算 value, validity and
  reason. Where an hour of a factor is missing there, a logger-reported hourly record
  (``observations`` kind ``hour``, CN 2061) fills it; it counts as valid when its flag is ``N`` (or
  absent). The notes of the report say how many cells came from logger hours.
* The local day (point's ``tz``) is turned into a UTC range with :mod:`zoneinfo`; rows are the local
  hours of that day (23 or 25 on a daylight-saving change day).

Flue gas (reference notes §3.1, HJ 212-2017 Appendix D.2)
---------------------------------------------------------
* 折算 concentration: ``zs_value`` as stored. When it is absent: the measured value itself if the
  outlet has no reference O2 (eq. (4) note), otherwise eq. (28) applied to the hourly means
  (:func:`~ecosentry.subsystems.monitoring.rules.cn.flue_gas.corrected_concentration`; the "corrected hourly mean" reading).
* Working wet flow Q_s: the hourly mean of ``a00000`` (m³/s, as sent by the logger), or, when absent,
  duct area × hourly mean velocity ``a01011`` (eq. (30)). Shown in m³/h (× 3600).
* Dry standard flow Q_snh (m³/h), eq. (31) via :func:`~ecosentry.subsystems.monitoring.rules.cn.flue_gas.standard_dry_flow`:
  Q_s · 3600 · 273/(273 + t) · (B_a + P_s)/101325 · (1 − X_sw) with t = ``a01012`` (°C),
  X_sw = ``a01014`` / 100, P_s = ``a01013`` (kPa, gauge, × 1000 → Pa; a value above 50 kPa is taken
  as absolute pressure B_a + P_s) and B_a = 101 325 Pa (no atmospheric-pressure factor is received).
  Missing static pressure counts as 0 Pa gauge (noted in the report). Without temperature or moisture
  the dry standard flow is **not** derived (cell "—") and neither are the emissions.
* Emission rate G_h = C_measured · Q_snh · 10^-6 kg/h, eq. (33)
  (:func:`~ecosentry.subsystems.monitoring.rules.cn.flue_gas.emission_rate_kg_h`); daily amount = Σ over valid hours, eq. (34).

Wastewater (reference notes §2.3, HJ 212-2017 Appendix D.1)
-----------------------------------------------------------
* Hourly volume D_h = Q · 3600 · 10^-3 m³ (Q = hourly mean of ``w00000``, L/s); load G_h = C · D_h · 10^-3
  kg; the extra summary row 加权均值 is the flow-weighted mean ΣG/ΣD · 10³ over hours valid for both.

Summary rows (per column, over the **valid** hours only): min, max, arithmetic mean, daily total (for
emission, load, flow and volume columns), counts of valid, invalid (record present, invalid) and missing
hours. A derived cell (折算, flow, emission, load) is valid only when every input it uses is valid.
Substitution (HJ 75-2017 §12, HJ 356-2019) changes no hourly cell: when the day carries substitute values
(``derived_periods.n_substituted`` > 0), a summary row 替代小时数 and a note per factor give the number of
substituted hours and the daily total with substitutes beside the raw total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from ecosentry.locale import translations
from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.rules.cn.flue_gas import corrected_concentration, emission_rate_kg_h, standard_dry_flow
from ecosentry.subsystems.monitoring.rules.cn.reason_words import reason_text
from ecosentry.subsystems.monitoring.queries import reports as rq

__all__ = [
    "MISSING",
    "ReportColumn",
    "ReportCell",
    "ReportRow",
    "SummaryRow",
    "ReportHeader",
    "DailyReport",
    "ReportError",
    "build_daily_report",
    "local_day_utc_range",
]

#: Text shown for a missing value.
MISSING = "—"
#: Marker appended to the value of an invalid hour.
INVALID_MARK = "*"

GAS_POLLUTANTS = ("a34013", "a21026", "a21002")
GAS_POLLUTANT_NAMES = {"a34013": "颗粒物", "a21026": "二氧化硫", "a21002": "氮氧化物"}
WATER_POLLUTANTS = ("w01018", "w21003", "w21011", "w21001")
WATER_POLLUTANT_NAMES = {"w01018": "化学需氧量", "w21003": "氨氮", "w21011": "总磷", "w21001": "总氮"}
STANDARD_PRESSURE_PA = 101325.0
ABSOLUTE_PRESSURE_THRESHOLD_KPA = 50.0


class ReportError(Said, LookupError):
    """The point (or the Vietnamese station) does not exist: a :class:`~ecosentry.said.Said`, so the API and the
    command line say it in the reader's language (``str()`` stays English)."""


#: The sentences of the reports' refusals (msgids; the catalogues of the core translate them).
NO_POINT = N_("point %(point)s does not exist")
NO_VN_STATION = N_("there is no Vietnamese station with id %(point)s")
MONTH_NOT_1_12 = N_("month %(month)s is not 1–12")
END_BEFORE_START = N_("end_day must not be before start_day")
UNKNOWN_MODE = N_("unknown mode %(mode)r")
#: The Vietnamese station report's download (``/vn/control/points/{id}/report``) refusing its query.
VN_KIND_FORMAT = N_("kind must be daily or monthly, format xlsx or pdf")
VN_PERIOD = N_("not a valid period: day is YYYY-MM-DD, month is YYYY-MM")


@dataclass(frozen=True)
class ReportColumn:
    key: str                 # "a21026.value", "a21026.zs", "a21026.emission", "q_sn", "w00000.volume", ...
    factor_code: str | None  # source factor (None for derived flows)
    group_zh: str            # upper header (merged over a pollutant's columns), e.g. "二氧化硫"
    sub_zh: str              # lower header, e.g. "实测浓度"
    unit: str
    decimals: int
    total: bool = False      # a daily total (Σ valid hours) is meaningful
    total_unit: str = ""     # unit of that total (kg, m³)
    chart: str | None = None  # "measured" | "zs": drawn in the concentration chart

    @property
    def label_zh(self) -> str:
        return self.group_zh if self.group_zh == self.sub_zh else f"{self.group_zh}{self.sub_zh}"


@dataclass
class ReportCell:
    value: float | None = None
    valid: bool | None = None  # None: no record for the hour
    source: str = ""           # "hourly" | "logger" | "derived" | ""

    @property
    def missing(self) -> bool:
        return self.valid is None

    def text(self, decimals: int) -> str:
        if self.value is None or not math.isfinite(self.value):
            body = MISSING
        else:
            body = f"{self.value:.{decimals}f}"
        return body + INVALID_MARK if self.valid is False else body


@dataclass
class ReportRow:
    label: str               # local start "00:00"
    start_local: datetime
    start_utc: datetime
    cells: dict[str, ReportCell]
    status: str              # 有效 | 无效 | 缺失
    reasons: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.status == "有效"


@dataclass
class SummaryRow:
    key: str                 # min | max | mean | weighted_mean | total | n_valid | n_invalid | n_missing
    label: str
    values: dict[str, float | int | None]
    integer: bool = False    # counts


@dataclass
class ReportHeader:
    enterprise: str
    credit_code: str
    outlet: str
    outlet_code: str
    point: str
    mn: str
    medium: str              # gas | water | ambient
    day: date
    tz: str
    ref_o2: float | None
    start_utc: datetime
    end_utc: datetime


@dataclass
class DailyReport:
    header: ReportHeader
    columns: list[ReportColumn]
    rows: list[ReportRow]
    summary: list[SummaryRow]
    notes: list[str]

    @property
    def title(self) -> str:
        return {"gas": "废气排放连续监测日报表", "water": "废水排放连续监测日报表"}.get(
            self.header.medium, "自动监测日报表")

    def column(self, key: str) -> ReportColumn:
        return next(c for c in self.columns if c.key == key)

    def summary_row(self, key: str) -> SummaryRow:
        return next(r for r in self.summary if r.key == key)

    def row_at(self, local_label: str) -> ReportRow:
        return next(r for r in self.rows if r.label == local_label)

    @property
    def n_valid_rows(self) -> int:
        return sum(r.valid for r in self.rows)


def local_day_utc_range(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the local calendar day ``day`` in ``tz``, as UTC datetimes."""
    z = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=z).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=z).astimezone(timezone.utc)
    return start, end


# --------------------------------------------------------------------------- building


@dataclass
class _Hour:
    value: float | None
    zs: float | None
    valid: bool
    reason: str | None
    source: str


def _num(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _load_point(conn, point_id: int) -> dict:
    row = rq.report_point(conn, point_id)
    if row is None:
        raise ReportError(NO_POINT, point=point_id)
    return row


def _load_hours(conn, point_id: int, t0: datetime, t1: datetime) -> dict[tuple[str, datetime], _Hour]:
    hours: dict[tuple[str, datetime], _Hour] = {}
    # an hour derived from no record at all ("no data", e.g. written by a bulk recompute) is missing
    for r in rq.report_hour_rows(conn, point_id, t0, t1):
        hours[(r.factor_code, r.period_start)] = _Hour(_num(r.value), _num(r.zs_value), bool(r.valid), r.reason,
                                                       "hourly")
    for r in rq.report_hour_observations(conn, point_id, t0, t1):
        key = (r.factor_code, r.period_start)
        if key in hours:
            continue
        valid = (r.flag in (None, "", "N")) and _num(r.value) is not None
        hours[key] = _Hour(_num(r.value), _num(r.zs_value), valid,
                           None if valid else f"上报小时数据标记 {r.flag}" if r.flag else "上报小时数据无值", "logger")
    return hours


def _gas_columns(codes: list[str], names: dict[str, tuple[str, str | None]]) -> list[ReportColumn]:
    cols: list[ReportColumn] = []
    for code in GAS_POLLUTANTS:
        if code in codes:
            n = GAS_POLLUTANT_NAMES[code]
            cols += [ReportColumn(f"{code}.value", code, n, "实测浓度", "mg/m³", 2, chart="measured"),
                     ReportColumn(f"{code}.zs", code, n, "折算浓度", "mg/m³", 2, chart="zs"),
                     ReportColumn(f"{code}.emission", code, n, "排放量", "kg/h", 3, total=True, total_unit="kg")]
    extras = [c for c in codes if c not in GAS_POLLUTANTS and c not in GAS_PARAMS and c != "a00000"]
    for code in sorted(extras):
        zh, unit = names.get(code, (code, None))
        cols.append(ReportColumn(f"{code}.value", code, zh, zh, unit or "", 2))
    for code, (zh, unit, dec) in GAS_PARAMS.items():
        cols.append(ReportColumn(f"{code}.value", code, zh, zh, unit, dec))
    cols.append(ReportColumn("a00000.value", "a00000", "烟气流量", "工况流量", "m³/h", 0, total=True, total_unit="m³"))
    cols.append(ReportColumn("q_sn", None, "烟气流量", "标干流量", "m³/h", 0, total=True, total_unit="m³"))
    return cols


GAS_PARAMS = {
    "a19001": ("氧含量", "%", 2),
    "a01012": ("烟气温度", "°C", 1),
    "a01011": ("烟气流速", "m/s", 2),
    "a01013": ("烟气静压", "kPa", 3),
    "a01014": ("烟气湿度", "%", 2),
}


def _water_columns(codes: list[str], names: dict[str, tuple[str, str | None]]) -> list[ReportColumn]:
    cols: list[ReportColumn] = []
    for code in WATER_POLLUTANTS:
        if code in codes:
            n = WATER_POLLUTANT_NAMES[code]
            cols += [ReportColumn(f"{code}.value", code, n, "浓度", "mg/L", 2, chart="measured"),
                     ReportColumn(f"{code}.load", code, n, "排放量", "kg", 3, total=True, total_unit="kg")]
    extras = [c for c in codes if c not in WATER_POLLUTANTS and c not in ("w01001", "w00000")]
    for code in sorted(extras):
        zh, unit = names.get(code, (code, None))
        cols.append(ReportColumn(f"{code}.value", code, zh, zh, unit or "", 2))
    cols.append(ReportColumn("w01001.value", "w01001", "pH值", "pH值", "无量纲", 2))
    cols.append(ReportColumn("w00000.value", "w00000", "污水流量", "瞬时流量", "L/s", 2))
    cols.append(ReportColumn("w00000.volume", "w00000", "污水流量", "排水量", "m³", 1, total=True, total_unit="m³"))
    return cols


def _cell(h: _Hour | None) -> ReportCell:
    if h is None:
        return ReportCell()
    return ReportCell(h.value, h.valid, h.source)


def _derived(value: float | None, inputs: list[ReportCell]) -> ReportCell:
    """A derived cell: missing if any input is missing, valid only if every input is valid."""
    if any(c.missing for c in inputs):
        return ReportCell()
    if value is not None and not math.isfinite(value):
        value = None
    return ReportCell(value, all(c.valid for c in inputs) and value is not None, "derived")


def _q_sn(q_s: ReportCell, t: ReportCell, p: ReportCell, x: ReportCell) -> ReportCell:
    """Dry standard flow in m³/h from the working wet flow in m³/s (eq. (31))."""
    inputs = [q_s, t, x]
    if any(c.missing for c in inputs):
        return ReportCell()
    if any(c.value is None for c in inputs):
        return _derived(None, inputs)  # a record without a value: invalid, not missing
    p_static_pa = 0.0
    if not p.missing and p.value is not None:
        inputs.append(p)
        p_kpa = p.value
        p_static_pa = (p_kpa * 1000.0 - STANDARD_PRESSURE_PA if p_kpa > ABSOLUTE_PRESSURE_THRESHOLD_KPA
                       else p_kpa * 1000.0)
    q = float(standard_dry_flow(q_s.value * 3600.0, t.value, p_static_pa, x.value / 100.0, STANDARD_PRESSURE_PA))
    return _derived(q, inputs)


def _gas_row(cols: list[ReportColumn], get, ref_o2: float | None, duct_area: float | None) -> dict[str, ReportCell]:
    cells: dict[str, ReportCell] = {}
    for c in cols:
        if c.key.endswith(".value"):
            cells[c.key] = _cell(get(c.factor_code))
    o2 = cells.get("a19001.value", ReportCell())
    # working wet flow: the logger's a00000 (m³/s) or duct area × velocity (eq. (30))
    q_s = cells["a00000.value"]
    if q_s.missing and duct_area and not cells["a01011.value"].missing and cells["a01011.value"].value is not None:
        v = cells["a01011.value"]
        q_s = ReportCell(duct_area * v.value, v.valid, "derived")
    shown_q = ReportCell(None if q_s.value is None else q_s.value * 3600.0, q_s.valid, q_s.source)
    cells["a00000.value"] = shown_q
    q_sn = _q_sn(q_s, cells["a01012.value"], cells["a01013.value"], cells["a01014.value"])
    cells["q_sn"] = q_sn
    for code in GAS_POLLUTANTS:
        if f"{code}.value" not in cells:
            continue
        h = get(code)
        meas = cells[f"{code}.value"]
        if h is not None and h.zs is not None:
            zs = ReportCell(h.zs, h.valid, h.source)
        elif meas.missing or meas.value is None:
            zs = ReportCell(None, meas.valid, meas.source)
        elif ref_o2 is None:
            zs = ReportCell(meas.value, meas.valid, "derived")
        else:
            v = None if o2.value is None else float(corrected_concentration(meas.value, o2.value, ref_o2))
            zs = _derived(v, [meas, o2])
        cells[f"{code}.zs"] = zs
        g = None if meas.value is None or q_sn.value is None else float(emission_rate_kg_h(meas.value, q_sn.value))
        cells[f"{code}.emission"] = _derived(g, [meas, q_sn])
    return cells


def _water_row(cols: list[ReportColumn], get) -> dict[str, ReportCell]:
    cells: dict[str, ReportCell] = {}
    for c in cols:
        if c.key.endswith(".value"):
            cells[c.key] = _cell(get(c.factor_code))
    q = cells["w00000.value"]
    vol = _derived(None if q.value is None else q.value * 3600.0 * 1e-3, [q])
    cells["w00000.volume"] = vol
    for code in WATER_POLLUTANTS:
        if f"{code}.value" not in cells:
            continue
        c = cells[f"{code}.value"]
        load = None if c.value is None or vol.value is None else c.value * vol.value * 1e-3
        cells[f"{code}.load"] = _derived(load, [c, vol])
    return cells


def _summaries(cols: list[ReportColumn], rows: list[ReportRow], medium: str) -> list[SummaryRow]:
    stats: dict[str, dict[str, Any]] = {k: {} for k in ("min", "max", "mean", "weighted_mean", "total",
                                                         "n_valid", "n_invalid", "n_missing")}
    for c in cols:
        cells = [r.cells.get(c.key, ReportCell()) for r in rows]
        vals = [x.value for x in cells if x.valid and x.value is not None]
        stats["min"][c.key] = min(vals) if vals else None
        stats["max"][c.key] = max(vals) if vals else None
        stats["mean"][c.key] = math.fsum(vals) / len(vals) if vals else None
        stats["total"][c.key] = (math.fsum(vals) if vals else None) if c.total else None
        stats["n_valid"][c.key] = len(vals)
        stats["n_invalid"][c.key] = sum(1 for x in cells if x.valid is False or (x.valid and x.value is None))
        stats["n_missing"][c.key] = sum(1 for x in cells if x.missing)
        stats["weighted_mean"][c.key] = None
    out = [SummaryRow("min", "最小值", stats["min"]), SummaryRow("max", "最大值", stats["max"]),
           SummaryRow("mean", "平均值", stats["mean"])]
    if medium == "water":
        for code in WATER_POLLUTANTS:
            key = f"{code}.value"
            if key not in stats["mean"]:
                continue
            pairs = [(r.cells[f"{code}.load"].value, r.cells["w00000.volume"].value) for r in rows
                     if r.cells[f"{code}.load"].valid and r.cells[f"{code}.load"].value is not None]
            d = math.fsum(v for _, v in pairs)
            stats["weighted_mean"][key] = math.fsum(g for g, _ in pairs) / d * 1e3 if pairs and d > 0 else None
        out.append(SummaryRow("weighted_mean", "加权均值", stats["weighted_mean"]))
    out += [SummaryRow("total", "日累计", stats["total"]),
            SummaryRow("n_valid", "有效小时数", stats["n_valid"], integer=True),
            SummaryRow("n_invalid", "无效小时数", stats["n_invalid"], integer=True),
            SummaryRow("n_missing", "缺失小时数", stats["n_missing"], integer=True)]
    return out


def build_daily_report(engine: Engine, point_id: int, day: date) -> DailyReport:
    """The 日报表 of point ``point_id`` for the local calendar day ``day`` (point's time zone)."""
    with engine.connect() as conn:
        pt = _load_point(conn, point_id)
        tz = pt["tz"] or "Asia/Shanghai"
        t0, t1 = local_day_utc_range(day, tz)
        hours = _load_hours(conn, point_id, t0, t1)
        configured = rq.configured_factors(conn, point_id)
        names = {r.code: (r.name_zh, r.unit) for r in rq.factor_name_rows(conn)}
        substituted = rq.day_substitutions(conn, point_id, t0)
    codes = list(dict.fromkeys(configured + sorted({code for code, _ in hours})))
    medium = pt["medium"]
    cols = _water_columns(codes, names) if medium == "water" else _gas_columns(codes, names)

    z = ZoneInfo(tz)
    rows: list[ReportRow] = []
    n_logger = 0
    t = t0
    while t < t1:
        def get(code: str | None, _t=t) -> _Hour | None:
            return hours.get((code, _t)) if code else None
        cells = _water_row(cols, get) if medium == "water" else _gas_row(cols, get, pt["ref_o2"], pt["duct_area"])
        records = [hours[(c, t)] for c in codes if (c, t) in hours]
        n_logger += sum(1 for r in records if r.source == "logger")
        reasons = []
        for c in codes:
            h = hours.get((c, t))
            if h is not None and not h.valid:
                reasons.append(f"{names.get(c, (c,))[0]}：{reason_text(h.reason, translations('zh').gettext) or '无效'}")
        if not records:
            status = "缺失"
        elif any(not r.valid for r in records):
            status = "无效"
        else:
            status = "有效"
        local = t.astimezone(z)
        rows.append(ReportRow(local.strftime("%H:%M"), local, t, cells, status, reasons))
        t += timedelta(hours=1)

    notes = ["数值后的 * 表示该小时无效（有效分钟数不足 45 或被标记），不计入统计；— 表示缺失。",
             "统计行（最小值、最大值、平均值、日累计）只计有效小时。"]
    if medium == "gas":
        notes += ["浓度、氧含量、流量均为干基标态（273 K，101325 Pa）；氮氧化物以 NO2 计。",
                  "标干流量按 HJ 212-2017 式(31)由工况流量、烟温、静压、湿度计算（大气压取 101325 Pa）；"
                  "排放量按式(33) G = C实测 × Q标干 × 10^-6。",
                  "基准氧含量：" + (f"{pt['ref_o2']:g} %" if pt["ref_o2"] is not None else "无（折算浓度即实测浓度）")]
        if all(r.cells["a01013.value"].missing for r in rows):
            notes.append("未收到烟气静压，按 0 Pa（表压）计算标干流量。")
    elif medium == "water":
        notes.append("排水量 D = Q × 3600 × 10^-3 m³；排放量 G = C × D × 10^-3 kg；加权均值 = ΣG / ΣD × 10³。")
    if n_logger:
        notes.append(f"{n_logger} 个小时值取自数采仪上报的小时数据（2061）。")
    summaries = _summaries(cols, rows, medium)
    if substituted:
        # HJ 75-2017 §12 (flue gas) / HJ 356-2019 (wastewater): substitute values for the emission totals only,
        # kept beside the raw figures (revisions table), never in the hourly cells.
        counts: dict[str, float | int | None] = {}
        for c in cols:
            r = substituted.get(c.factor_code or "")
            if r is not None and c.key.endswith((".emission", ".load")):
                counts[c.key] = r.n_substituted
                name = GAS_POLLUTANT_NAMES.get(r.factor_code) or WATER_POLLUTANT_NAMES.get(r.factor_code) \
                    or names.get(r.factor_code, (r.factor_code,))[0]
                raw = "—" if r.cou is None else f"{r.cou:.3f}"
                notes.append(f"{name}：{r.n_substituted} 个无效或缺失小时按替代规则补遗，含替代值的日排放量 "
                             f"{r.cou_substituted:.3f} kg（有效小时实测合计 {raw} kg）。")
        summaries.append(SummaryRow("n_substituted", "替代小时数", counts, integer=True))
    header = ReportHeader(
        enterprise=pt["enterprise_name"], credit_code=pt["credit_code"], outlet=pt["outlet_name"],
        outlet_code=pt["outlet_code"], point=pt["point_name"], mn=pt["mn"], medium=medium, day=day, tz=tz,
        ref_o2=pt["ref_o2"], start_utc=t0, end_utc=t1)
    return DailyReport(header, cols, rows, summaries, notes)
