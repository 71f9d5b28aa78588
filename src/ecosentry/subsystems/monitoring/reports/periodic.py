"""Monthly (月报表, one row per local day) and yearly (年报表, one row per local month) reports of a point.

The numbers are the platform's derived periods (``derived_periods``, see :mod:`ecosentry.subsystems.monitoring.pipeline.periods`
and :mod:`ecosentry.subsystems.monitoring.rules.cn.aggregates`), never recomputed here:

* monthly report: the ``period='day'`` rows of the local days of the month; the month's own
  ``period='month'`` row gives the month's value and validity (flue gas: ≥ 25 valid days, February 23);
* yearly report: the ``period='month'`` rows of the twelve local months.

Columns per factor: mean (``value``, measured), 折算 mean (``zs_value``, gas pollutants only), emission
or load (``cou``: kg for pollutants, m³ for flows) and the count of valid hours (monthly) or valid days
(yearly) behind the row (``n_valid``).

Summary rows, per column: min / max / mean over the **valid** rows; the period total of ``cou`` and of
the valid counts over **all** rows present (a day's ``cou`` already sums its valid hours only, as the
pipeline's month ``cou`` does, so the monthly total equals the month row's ``cou``); for the monthly
report the month row itself (月数据); counts of valid, invalid and missing rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from ecosentry.locale import translations
from ecosentry.said import Said
from ecosentry.subsystems.monitoring.reports.model import (GAS_POLLUTANT_NAMES, GAS_POLLUTANTS, WATER_POLLUTANT_NAMES, WATER_POLLUTANTS,
                                     MONTH_NOT_1_12, ReportCell, ReportColumn, ReportHeader, ReportRow, SummaryRow, _load_point,
                                     _num)
from ecosentry.subsystems.monitoring.reports.tabular import Sheet, SheetCell, SheetColumn, SheetLine, sheet_pdf, sheet_xlsx
from ecosentry.subsystems.monitoring.rules.cn.reason_words import reason_text
from ecosentry.subsystems.monitoring.queries import reports as rq

__all__ = ["PeriodReport", "build_monthly_report", "build_yearly_report", "monthly_report_xlsx",
           "monthly_report_pdf", "yearly_report_xlsx", "yearly_report_pdf", "period_report_chart_png",
           "local_month_start_utc"]

FLOWS = {"a00000": "烟气流量", "w00000": "污水流量"}
FLOW_COU_UNIT = "m³"



def _zh_reason(reason: str | None) -> str:
    """A stored reason (the rules' shorthand) as a Chinese sentence for the report (reports are Chinese forms)."""
    return reason_text(reason, translations("zh").gettext) or "无效"

def local_month_start_utc(year: int, month: int, tz: str) -> datetime:
    """UTC instant of local midnight on the first day of ``year-month`` in ``tz``."""
    while month > 12:
        year, month = year + 1, month - 12
    return datetime.combine(date(year, month, 1), time(0), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def _local_midnight_utc(d: date, tz: str) -> datetime:
    return datetime.combine(d, time(0), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


@dataclass
class PeriodReport:
    """A monthly (``kind='month'``, rows = days) or yearly (``kind='year'``, rows = months) report."""

    kind: str
    year: int
    month: int | None
    header: ReportHeader      # ``day`` = first day of the period; start/end_utc its UTC range
    columns: list[ReportColumn]
    rows: list[ReportRow]
    summary: list[SummaryRow]
    period_validity: dict[str, dict[str, Any]]  # monthly: factor → the month row (valid, n_valid, reason …)
    notes: list[str]

    @property
    def title(self) -> str:
        medium = {"gas": "废气", "water": "废水"}.get(self.header.medium, "")
        what = "月报表" if self.kind == "month" else "年报表"
        return f"{medium}排放连续监测{what}" if medium else f"自动监测{what}"

    @property
    def period_label(self) -> str:
        return f"{self.year}年{self.month}月" if self.kind == "month" else f"{self.year}年"

    def column(self, key: str) -> ReportColumn:
        return next(c for c in self.columns if c.key == key)

    def summary_row(self, key: str) -> SummaryRow:
        return next(r for r in self.summary if r.key == key)

    def row_at(self, label: str) -> ReportRow:
        return next(r for r in self.rows if r.label == label)


def _factor_order(codes: set[str]) -> list[str]:
    pollutants = [c for c in GAS_POLLUTANTS + WATER_POLLUTANTS if c in codes]
    flows = [c for c in FLOWS if c in codes]
    rest = sorted(codes - set(pollutants) - set(flows))
    return pollutants + rest + flows


def _columns(codes: list[str], names: dict[str, tuple[str, str | None, str | None]], has_cou: set[str],
             kind: str, has_sub: set[str] = frozenset()) -> list[ReportColumn]:
    n_label, n_unit = ("有效小时数", "h") if kind == "month" else ("有效天数", "d")
    cols: list[ReportColumn] = []
    for code in codes:
        zh, unit, cou_unit = names.get(code, (code, None, None))
        zh = GAS_POLLUTANT_NAMES.get(code) or WATER_POLLUTANT_NAMES.get(code) or FLOWS.get(code) or zh
        if code in FLOWS:
            cols.append(ReportColumn(f"{code}.value", code, zh, "均值", unit or "", 2))
            cols.append(ReportColumn(f"{code}.cou", code, zh, "累计流量", cou_unit or FLOW_COU_UNIT, 1,
                                     total=True, total_unit=cou_unit or FLOW_COU_UNIT))
        else:
            is_gas = code in GAS_POLLUTANTS
            cols.append(ReportColumn(f"{code}.value", code, zh, "实测均值" if is_gas else "均值", unit or "", 2,
                                     chart="measured" if code in GAS_POLLUTANTS + WATER_POLLUTANTS else None))
            if is_gas:
                cols.append(ReportColumn(f"{code}.zs", code, zh, "折算均值", unit or "mg/m³", 2, chart="zs"))
            if code in GAS_POLLUTANTS + WATER_POLLUTANTS or code in has_cou:
                cols.append(ReportColumn(f"{code}.cou", code, zh, "排放量", cou_unit or "kg", 3,
                                         total=True, total_unit=cou_unit or "kg"))
            if code in has_sub:
                # HJ 75-2017 §12 / HJ 356: the total with substitute values for the invalid hours, beside the raw
                cols.append(ReportColumn(f"{code}.cou_sub", code, zh, "排放量(含替代)", cou_unit or "kg", 3,
                                         total=True, total_unit=cou_unit or "kg"))
                cols.append(ReportColumn(f"{code}.n_sub", code, zh, "替代小时数", "h", 0, total=True,
                                         total_unit="h"))
        cols.append(ReportColumn(f"{code}.n_valid", code, zh, n_label, n_unit, 0, total=True, total_unit=n_unit))
    return cols


def _cells(cols: list[ReportColumn], recs: dict[str, Any]) -> dict[str, ReportCell]:
    cells: dict[str, ReportCell] = {}
    for c in cols:
        r = recs.get(c.factor_code)
        if r is None:
            cells[c.key] = ReportCell()
            continue
        field_ = c.key.rsplit(".", 1)[1]
        value = {"value": _num(r["value"]), "zs": _num(r["zs_value"]), "cou": _num(r["cou"]),
                 "n_valid": r["n_valid"], "cou_sub": _num(r["cou_substituted"]),
                 "n_sub": r["n_substituted"]}[field_]
        cells[c.key] = ReportCell(value, bool(r["valid"]), "derived")
    return cells


def _period_summaries(cols: list[ReportColumn], rows: list[ReportRow], kind: str) -> list[SummaryRow]:
    unit = "天" if kind == "month" else "月"
    stats: dict[str, dict[str, Any]] = {k: {} for k in ("min", "max", "mean", "total", "n_valid", "n_invalid",
                                                         "n_missing")}
    for c in cols:
        cells = [r.cells.get(c.key, ReportCell()) for r in rows]
        vals = [x.value for x in cells if x.valid and x.value is not None]
        stats["min"][c.key] = min(vals) if vals else None
        stats["max"][c.key] = max(vals) if vals else None
        stats["mean"][c.key] = math.fsum(vals) / len(vals) if vals else None
        present = [x.value for x in cells if not x.missing and x.value is not None]
        stats["total"][c.key] = (math.fsum(present) if present else None) if c.total else None
        stats["n_valid"][c.key] = len(vals)
        stats["n_invalid"][c.key] = sum(1 for x in cells if x.valid is False or (x.valid and x.value is None))
        stats["n_missing"][c.key] = sum(1 for x in cells if x.missing)
    return [SummaryRow("min", "最小值", stats["min"]), SummaryRow("max", "最大值", stats["max"]),
            SummaryRow("mean", "平均值", stats["mean"]),
            SummaryRow("total", "月累计" if kind == "month" else "年累计", stats["total"]),
            SummaryRow("n_valid", f"有效{unit}数", stats["n_valid"], integer=True),
            SummaryRow("n_invalid", f"无效{unit}数", stats["n_invalid"], integer=True),
            SummaryRow("n_missing", f"缺失{unit}数", stats["n_missing"], integer=True)]


def _build(engine: Engine, point_id: int, year: int, month: int | None) -> PeriodReport:
    kind = "month" if month is not None else "year"
    with engine.connect() as conn:
        pt = _load_point(conn, point_id)
        tz = pt["tz"] or "Asia/Shanghai"
        if kind == "month":
            t0, t1 = local_month_start_utc(year, month, tz), local_month_start_utc(year, month + 1, tz)
            n_days = (t1.astimezone(ZoneInfo(tz)).date() - date(year, month, 1)).days
            starts = [(f"{i:02d}日", date(year, month, i)) for i in range(1, n_days + 1)]
            slots = [(label, _local_midnight_utc(day, tz), day) for label, day in starts]
        else:
            t0, t1 = local_month_start_utc(year, 1, tz), local_month_start_utc(year + 1, 1, tz)
            slots = [(f"{m:02d}月", local_month_start_utc(year, m, tz), date(year, m, 1)) for m in range(1, 13)]
        period = "day" if kind == "month" else "month"
        recs = rq.derived_rows(conn, point_id, period, t0, t1)
        month_recs = []
        if kind == "month":
            month_recs = rq.derived_rows(conn, point_id, "month", t0)
        configured = rq.configured_factors(conn, point_id)
        names = {r.code: (r.name_zh, r.unit, r.cou_unit) for r in rq.factor_name_rows(conn)}
    by_slot: dict[datetime, dict[str, Any]] = {}
    for r in recs:
        by_slot.setdefault(r["period_start"], {})[r["factor_code"]] = r
    codes = _factor_order(set(configured) | {r["factor_code"] for r in recs})
    has_cou = {r["factor_code"] for r in recs if r["cou"] is not None}
    has_sub = {r["factor_code"] for r in recs if r["n_substituted"]}
    cols = _columns(codes, names, has_cou, kind, has_sub)
    z = ZoneInfo(tz)
    rows: list[ReportRow] = []
    for label, start, _day in slots:
        present = by_slot.get(start, {})
        cells = _cells(cols, present)
        reasons = [f"{names.get(c, (c,))[0]}：{_zh_reason(r['reason'])}" for c, r in sorted(present.items())
                   if not r["valid"]]
        status = "缺失" if not present else ("无效" if reasons else "有效")
        rows.append(ReportRow(label, start.astimezone(z), start, cells, status, reasons))
    validity = {r["factor_code"]: dict(r) for r in month_recs}
    summary = _period_summaries(cols, rows, kind)
    if kind == "month":
        month_cells = _cells(cols, validity)
        summary.insert(4, SummaryRow("month", "月数据", {
            k: (None if k.endswith(".n_valid") else c.value) for k, c in month_cells.items()}))
    unit = "日" if kind == "month" else "月"
    notes = [f"数值后的 * 表示该{unit}无效，不计入最小值、最大值、平均值；— 表示缺失。",
             f"{'日' if kind == 'month' else '月'}均值、折算均值、排放量与有效{'小时' if kind == 'month' else '天'}数"
             "为平台由小时数据计算的派生值。",
             f"{'月' if kind == 'month' else '年'}累计为各{unit}排放量之和（每{unit}排放量只含有效小时），含无效{unit}。"]
    if kind == "month":
        notes.append("月数据行为平台的月派生值：废气月均值需有效日数 ≥ 25（2 月 ≥ 23）。")
    if pt["medium"] == "gas":
        notes.append("浓度为干基标态（273 K，101325 Pa）；氮氧化物以 NO2 计；排放量单位 kg。")
    header = ReportHeader(
        enterprise=pt["enterprise_name"], credit_code=pt["credit_code"], outlet=pt["outlet_name"],
        outlet_code=pt["outlet_code"], point=pt["point_name"], mn=pt["mn"], medium=pt["medium"],
        day=date(year, month or 1, 1), tz=tz, ref_o2=pt["ref_o2"], start_utc=t0, end_utc=t1)
    return PeriodReport(kind, year, month, header, cols, rows, summary, validity, notes)


def build_monthly_report(engine: Engine, point_id: int, year: int, month: int) -> PeriodReport:
    """The 月报表 of point ``point_id`` for local month ``year-month``: one row per local day."""
    if not 1 <= month <= 12:
        raise Said(MONTH_NOT_1_12, month=month)
    return _build(engine, point_id, year, month)


def build_yearly_report(engine: Engine, point_id: int, year: int) -> PeriodReport:
    """The 年报表 of point ``point_id`` for local year ``year``: one row per local month."""
    return _build(engine, point_id, year, None)


# --------------------------------------------------------------------------- rendering


def _validity_lines(report: PeriodReport) -> list[str]:
    out = []
    if report.kind != "month":
        return out
    for code in dict.fromkeys(c.factor_code for c in report.columns):
        r = report.period_validity.get(code)
        name = next(c.group_zh for c in report.columns if c.factor_code == code)
        if r is None:
            out.append(f"{name}：无月数据")
        else:
            state = "有效" if r["valid"] else "无效"
            extra = f"（{_zh_reason(r['reason'])}）" if r.get("reason") else ""
            out.append(f"{name}：{state}，有效天数 {r['n_valid']}/{r['n_expected']}{extra}")
    return out


def period_report_sheet(report: PeriodReport) -> Sheet:
    """The report as a generic :class:`~ecosentry.subsystems.monitoring.reports.tabular.Sheet`."""
    h = report.header
    first = "日期" if report.kind == "month" else "月份"
    cols = [SheetColumn(first, first, "", "text", width=1.0)]
    for c in report.columns:
        single = c.group_zh == c.sub_zh
        cols.append(SheetColumn(c.group_zh, c.sub_zh if not single else c.group_zh, c.unit,
                                "int" if c.key.endswith((".n_valid", ".n_sub")) else "num", c.decimals))
    cols.append(SheetColumn("状态", "状态", "", "text", width=0.9))
    lines: list[SheetLine] = []
    for row in report.rows:
        cells = [SheetCell(row.label)]
        for c in report.columns:
            x = row.cells[c.key]
            state = "missing" if x.missing else ("invalid" if x.valid is False and not c.key.endswith(".n_valid")
                                                 else "")
            cells.append(SheetCell(x.value, state))
        cells.append(SheetCell(row.status, "invalid" if row.status == "无效" else ""))
        lines.append(SheetLine(cells))
    for srow in report.summary:
        cells = [SheetCell(srow.label)]
        for c in report.columns:
            v = srow.values.get(c.key)
            if srow.key == "total" and not c.total:
                cells.append(SheetCell(""))
            elif srow.key == "month" and c.key.endswith(".n_valid"):
                cells.append(SheetCell(""))
            elif srow.integer:
                cells.append(SheetCell(v, kind="int"))
            else:
                cells.append(SheetCell(v))
        status = ""
        if srow.key == "month":
            vs = [r["valid"] for r in report.period_validity.values()]
            status = "—" if not vs else ("有效" if all(vs) else "无效")
        cells.append(SheetCell(status))
        lines.append(SheetLine(cells, "summary"))
    reasons = [f"{r.label}　{'；'.join(r.reasons)}" for r in report.rows if r.reasons]
    info = [
        f"企业名称：{h.enterprise}　　统一社会信用代码：{h.credit_code}",
        f"排放口：{h.outlet}（{h.outlet_code}）　　监测点：{h.point}　　MN：{h.mn}",
        f"统计期：{report.period_label}　　时区：{h.tz}"
        + (f"　　基准氧含量：{h.ref_o2:g} %" if h.medium == "gas" and h.ref_o2 is not None else ""),
    ]
    validity = _validity_lines(report)
    if validity:
        info.append("月数据有效性：" + "；".join(validity))
    extra_title = "无效日说明" if report.kind == "month" else "无效月说明"
    return Sheet(report.title, f"{'月报表' if report.kind == 'month' else '年报表'} {report.period_label}", info,
                 cols, lines, report.notes, footer=f"{report.title}　{h.point}　MN {h.mn}　{report.period_label}",
                 extra_title=extra_title, extra=reasons)


def period_report_chart_png(report: PeriodReport, *, dpi: int = 150, height_in: float = 3.2) -> bytes:
    """PNG of the rows' mean concentrations: measured solid, 折算 dashed, invalid rows as hollow red markers."""
    from ecosentry.reports.chart import concentration_chart_png

    what = "日" if report.kind == "month" else "月"
    x = list(range(1, len(report.rows) + 1))
    return concentration_chart_png(
        report.columns, report.rows, x, [str(i) for i in x], medium=report.header.medium,
        xlabel=f"{what}（{report.header.tz}）",
        title=f"{report.header.point} {report.period_label} {what}均浓度（实线：实测；虚线：折算；红圈：无效{what}）",
        empty_text=f"本期无有效{what}均值", height_in=height_in, dpi=dpi)


def monthly_report_xlsx(report: PeriodReport) -> bytes:
    """The 月报表 as an XLSX workbook (bytes)."""
    return sheet_xlsx(period_report_sheet(report))


def monthly_report_pdf(report: PeriodReport) -> bytes:
    """The 月报表 as a PDF (A4 landscape) with a chart of the daily means (bytes)."""
    return sheet_pdf(period_report_sheet(report), period_report_chart_png(report), chart_aspect=3.2 / 10.5)


def yearly_report_xlsx(report: PeriodReport) -> bytes:
    """The 年报表 as an XLSX workbook (bytes)."""
    return sheet_xlsx(period_report_sheet(report))


def yearly_report_pdf(report: PeriodReport) -> bytes:
    """The 年报表 as a PDF (A4 landscape) with a chart of the monthly means (bytes)."""
    return sheet_pdf(period_report_sheet(report), period_report_chart_png(report, height_in=2.6),
                     chart_aspect=2.6 / 10.5)
