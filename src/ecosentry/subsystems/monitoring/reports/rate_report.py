"""The transmission-rate report of a region (有效传输率报表) over a range of local days.

Rows: one per monitoring point (enterprise, point, MN, counts, 传输率, 有效率, 有效传输率), a subtotal
per enterprise after its points, and the region total last. The counts of a point are the sums over
its assessed factors (:func:`ecosentry.subsystems.monitoring.queries.rates.point_rate_counts`, the same function the
``/rates`` API uses); enterprise and region rows sum the points' counts and compute the rates from
those sums (:func:`~ecosentry.subsystems.monitoring.rules.cn.rates.sum_counts`, :func:`~ecosentry.subsystems.monitoring.rules.cn.rates.rates_from_counts`)
— rates are never averaged (reference notes §1.4).

The period is [local 00:00 of ``start_day``, local 00:00 of the day after ``end_day``) in ``tz``.
A point without assessed factors has no counts and is listed without rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.engine import Engine

from ecosentry.store.queries.points import rate_points, region_name
from ecosentry.subsystems.monitoring.queries.rates import point_rate_counts
from ecosentry.said import Said
from ecosentry.subsystems.monitoring.reports.model import END_BEFORE_START, UNKNOWN_MODE, local_day_utc_range
from ecosentry.subsystems.monitoring.reports.tabular import Sheet, SheetCell, SheetColumn, SheetLine, sheet_pdf, sheet_xlsx
from ecosentry.subsystems.monitoring.rules.cn.rates import RateCounts, RateSettings, Rates, rates_from_counts, sum_counts

__all__ = ["RateLine", "RateReport", "build_rate_report", "rate_report_xlsx", "rate_report_pdf"]

MODE_ZH = {"backfilled": "补全", "realtime": "即时"}


@dataclass
class RateLine:
    kind: str                 # point | enterprise | region
    enterprise: str
    point: str
    mn: str
    counts: RateCounts | None
    rates: Rates | None
    n_factors: int = 0

    @property
    def trans_rate(self) -> float | None:
        return self.rates.trans_rate if self.rates else None

    @property
    def effe_rate(self) -> float | None:
        return self.rates.effe_rate if self.rates else None

    @property
    def effe_trans_rate(self) -> float | None:
        return self.rates.effe_trans_rate if self.rates else None


@dataclass
class RateReport:
    region_code: str | None
    region_name: str
    start_day: date
    end_day: date
    tz: str
    mode: str
    start_utc: datetime
    end_utc: datetime
    lines: list[RateLine]
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return "自动监测数据有效传输率报表"

    @property
    def points(self) -> list[RateLine]:
        return [x for x in self.lines if x.kind == "point"]

    @property
    def enterprises(self) -> list[RateLine]:
        return [x for x in self.lines if x.kind == "enterprise"]

    @property
    def total(self) -> RateLine:
        return next(x for x in self.lines if x.kind == "region")

    def point(self, mn: str) -> RateLine:
        return next(x for x in self.points if x.mn == mn)


def build_rate_report(engine: Engine, region_code: str | None, start_day: date, end_day: date,
                      tz: str = "Asia/Shanghai", *, mode: str = "backfilled",
                      settings: RateSettings | None = None, now: datetime | None = None) -> RateReport:
    """Rates of every point of ``region_code`` (and the regions below it; all points if ``None``) over the
    local days ``start_day`` … ``end_day`` (inclusive), with enterprise subtotals and the region total.
    Only hours that have ended by ``now`` (default: the clock) and in which the point was connected are
    expected (:func:`ecosentry.subsystems.monitoring.queries.rates.point_rate_counts`)."""
    if end_day < start_day:
        raise Said(END_BEFORE_START)
    if mode not in MODE_ZH:
        raise Said(UNKNOWN_MODE, mode=mode)
    settings = settings or RateSettings()
    t0 = local_day_utc_range(start_day, tz)[0]
    t1 = local_day_utc_range(end_day, tz)[1]
    with engine.connect() as conn:
        scope_name = "全部"
        if region_code:
            scope_name = region_name(conn, region_code) or region_code
        pts = rate_points(conn, None, region_code, by_enterprise=True)

    def rates_of(cs: list[RateCounts]) -> tuple[RateCounts | None, Rates | None]:
        if not cs:
            return None, None
        c = sum_counts(cs)
        return c, rates_from_counts(c, settings=settings, mode=mode)

    lines: list[RateLine] = []
    all_counts: list[RateCounts] = []
    ent_key, ent_name, ent_counts = None, "", []

    def close_enterprise():
        if ent_key is not None:
            c, r = rates_of(ent_counts)
            lines.append(RateLine("enterprise", ent_name, "企业小计", "", c, r))

    for pt in pts:
        if pt["enterprise_id"] != ent_key:
            close_enterprise()
            ent_key, ent_name, ent_counts = pt["enterprise_id"], pt["enterprise_name"], []
        per = point_rate_counts(engine, pt["id"], t0, t1, tz, mode, settings, now=now)
        c, r = rates_of([x.counts for _, x in per])
        if c is not None:
            ent_counts.append(c)
            all_counts.append(c)
        lines.append(RateLine("point", pt["enterprise_name"], pt["name"], pt["mn"], c, r, len(per)))
    close_enterprise()
    c, r = rates_of(all_counts)
    lines.append(RateLine("region", scope_name, "合计", "", c, r))
    notes = [
        "传输率 = 实收个数 / 应收个数；有效率 = 有效组数 / (应收组数 − 不参与组数)；有效传输率 = 传输率 × 有效率。",
        "企业小计与合计由各监测点的计数相加后计算，不是对比率求平均。",
        "计数为监测点各考核因子逐小时计数之和；应收小时自监测点联网时间起、至统计时刻已结束的整点小时止，停运小时不计入应收；— 表示无法计算（分母为 0 或无考核因子）。",
        f"统计口径：{MODE_ZH[mode]}。",
    ]
    return RateReport(region_code, scope_name, start_day, end_day, tz, mode, t0, t1, lines, notes)


COUNT_FIELDS = (("expected", "应收个数"), ("received", "实收个数"), ("expected_groups", "应收组数"),
                ("valid_groups", "有效组数"), ("excluded_groups", "不参与组数"))


def rate_report_sheet(report: RateReport) -> Sheet:
    cols = [SheetColumn("企业名称", "企业名称", "", "text", width=2.6),
            SheetColumn("监测点", "监测点", "", "text", width=1.6),
            SheetColumn("MN", "MN", "", "text", width=2.2)]
    cols += [SheetColumn("数据计数", zh, "个" if "个" in zh else "组", "int") for _, zh in COUNT_FIELDS]
    cols += [SheetColumn("比率", zh, "%", "pct", width=1.1) for zh in ("传输率", "有效率", "有效传输率")]
    lines = []
    for x in report.lines:
        cells = [SheetCell(x.enterprise), SheetCell(x.point), SheetCell(x.mn)]
        cells += [SheetCell(getattr(x.counts, f) if x.counts else None) for f, _ in COUNT_FIELDS]
        cells += [SheetCell(x.trans_rate), SheetCell(x.effe_rate), SheetCell(x.effe_trans_rate)]
        lines.append(SheetLine(cells, {"point": "data", "enterprise": "subtotal", "region": "summary"}[x.kind]))
    period = f"{report.start_day.isoformat()} 至 {report.end_day.isoformat()}"
    info = [f"行政区：{report.region_name}" + (f"（{report.region_code}）" if report.region_code else ""),
            f"统计期：{period}（含首尾两日）　　时区：{report.tz}　　口径：{MODE_ZH[report.mode]}",
            f"监测点数：{len(report.points)}　　企业数：{len(report.enterprises)}"]
    return Sheet(report.title, "有效传输率", info, cols, lines, report.notes,
                 footer=f"{report.title}　{report.region_name}　{period}")


def rate_report_xlsx(report: RateReport) -> bytes:
    """The 有效传输率报表 as an XLSX workbook (bytes); rates are fractions with a ``0.00%`` format."""
    return sheet_xlsx(rate_report_sheet(report))


def rate_report_pdf(report: RateReport) -> bytes:
    """The 有效传输率报表 as a PDF (A4 landscape; bytes); rates as percentages with 2 decimals."""
    return sheet_pdf(rate_report_sheet(report))
