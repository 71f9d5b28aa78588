"""The evidence pack (证据包) of one alarm: a PDF a regulator can hand to enforcement (环境执法).

:func:`build_evidence_pack` reads the database and returns an :class:`EvidencePack` (plain data);
:func:`evidence_pack_pdf` renders it with reportlab (A4 portrait, Noto Sans SC from
:mod:`ecosentry.reports.fonts`), :func:`evidence_chart_png` draws its chart with matplotlib.

Contents
--------
1. Header: alarm id, type (code and catalogue summary), severity, state, first/last seen in the point's
   local time with its UTC offset, enterprise (name, 统一社会信用代码), outlet, point (name, MN), region.
2. The explanation; for detector alarms every finding (code, factor, span, explanation) and the rule each
   cites: its code, its one-line summary in the reader's language and the published standards or documents
   it applies (:func:`ecosentry.subsystems.monitoring.rules.citations.public_citations`: the project's design notes are never
   cited, a rule of the platform's own says so); for exceedance alarms the judged periods (value, limit,
   multiple).
3. Data window (:func:`evidence_window`): the alarm span widened by ``hours_before`` / ``hours_after``,
   at most ``max_window_days`` long; charts of the alarm's factors (every factor of the point when the alarm
   names none, ``chart_factors`` panels per chart): the **minute values** the detectors judged (a min/max
   envelope per slice when the window holds more minutes than the chart has room for, so a spike stays
   visible), the hourly means over them as context, the limit in force, marks and the alarm span; then the
   table of the hourly values.
4. Marks (标记) overlapping the window.
5. Raw HJ 212 frames of the point received within the alarm span (the original records): received time,
   CN, QN, the first ``frame_chars`` characters and each frame's SHA-256; the pack's integrity digest is
   the SHA-256 of the listed frames' complete raw bytes concatenated in the listed order
   (:func:`frames_digest`), so anyone holding the frames can recompute it.
6. Alarm history: events and notification deliveries.
7. Links: the alarm in the web UI (``{base}/alarms/{id}``, as in alarm notifications) and the API URLs.

The alarm span (:func:`alarm_span`) comes from the alarm's evidence: the findings' spans (detector alarms),
the judged periods together with first/last seen (exceedance), the last reception up to last seen
(logger offline), otherwise first/last seen.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import Engine

from ecosentry.alarms.catalogue import ALARM_TYPES
from ecosentry.alarms.store import alarm_detail
from ecosentry.alarms.voice import load_voice
from ecosentry.alarms.wording import (SEVERITY_WORDS, STATE_WORDS, alarm_explanation, alarm_title, finding_kind,
                                     kind_name, rule_name, type_name)
from ecosentry.catalogue import full_catalogue
from ecosentry.contracts.evidence import (EvidenceData, EvidenceRequest, EvidenceSeries, data_window, evidence_time,
                                          pack_time)
from ecosentry.installed import each
from ecosentry.locale import translations
from ecosentry.subsystems.monitoring.rules.citations import public_citations
from ecosentry.subsystems.monitoring.rules.regime import alarm_type_sources, exceedance_rule, regime_of, regime_of_rule
from ecosentry.subsystems.monitoring.rules.cn.reason_words import (FAMILY_NAMES, MARK_TYPE_NAMES, mark_reason_text,
                                                                   reason_text)
from ecosentry.subsystems.monitoring.store.marks import list_marks
from ecosentry.subsystems.monitoring.queries import evidence as eq

__all__ = [
    "EvidenceSettings", "EvidenceFactor", "EvidenceHour", "EvidenceFrame", "EvidenceMark", "EvidenceFinding",
    "EvidencePeriod", "CitedRule", "EvidenceMinutes", "EvidencePack", "alarm_span", "evidence_window", "frames_digest",
    "build_evidence_pack", "chart_groups", "evidence_chart_png", "evidence_pack_pdf",
]

SEVERITY_ZH = {"info": "提示", "warning": "警告", "critical": "严重"}
#: The pack's fixed words in a Vietnamese pack (issue 14 item 7: a DONRE's evidence pack is Vietnamese, with the
#: English word beside it as the Chinese pack has; the Chinese labels are the keys). Anything not listed stays
#: as written.
VI_LABELS: dict[str, str] = {
    "告警编号 Alarm id": "Số cảnh báo (Alarm id)", "告警类型 Type": "Loại cảnh báo (Type)",
    "严重程度 Severity": "Mức độ (Severity)", "状态 State": "Trạng thái (State)", "标题 Title": "Tiêu đề (Title)",
    "首次 First seen": "Lần đầu (First seen)", "最近 Last seen": "Lần gần nhất (Last seen)",
    "发生次数 Occurrences": "Số lần xảy ra (Occurrences)", "告警时段 Alarm span": "Thời gian cảnh báo (Alarm span)",
    "企业 Enterprise": "Cơ sở (Enterprise)", "统一社会信用代码": "Mã số thuế (MST)",
    "排放口 Outlet": "Cửa xả / ống khói (Outlet)", "监测点 Point": "Trạm quan trắc (Point)", "MN": "Mã trạm (MN)",
    "行政区 Region": "Địa bàn (Region)", "负责人 Assignee": "Người xử lý (Assignee)",
    "原始报文 SHA-256": "Dữ liệu gốc SHA-256", "1 告警概况 Alarm": "1 Tổng quan cảnh báo (Alarm)",
    "项目 Item": "Mục (Item)", "内容 Value": "Nội dung (Value)", "（无说明 no explanation）": "(không có giải thích)",
    "代码 Code": "Mã (Code)", "因子 Factor": "Thông số (Factor)", "时段 Span": "Thời gian (Span)",
    "说明 Explanation": "Giải thích (Explanation)", "佐证 Corroborated by": "Được củng cố bởi (Corroborated by)",
    "时段 Period": "Kỳ (Period)", "开始 Start": "Bắt đầu (Start)", "判定值 Value": "Giá trị xét (Value)",
    "限值 Limit": "Giới hạn (Limit)", "超标倍数 Multiple": "Mức vượt (Multiple)", "小时 hour": "giờ (hour)",
    "日 day": "ngày (day)", "2 说明与依据 Explanation and rules": "2 Giải thích và căn cứ (Explanation and rules)",
    "时间 Time": "Thời gian (Time)", "实测 Value": "Đo được (Value)", "折算 Corr.": "Quy đổi (Corr.)",
    "有效 Valid": "Hợp lệ (Valid)", "标志 Flag": "Trạng thái (Flag)", "原因 Reason": "Lý do (Reason)",
    "超标 Exc.": "Vượt (Exc.)", "有效": "hợp lệ", "无效": "không hợp lệ", "3 数据窗口 Data window":
    "3 Cửa sổ số liệu (Data window)", "编号": "Số", "类型 Type": "Loại (Type)", "状态 Status": "Trạng thái (Status)",
    "填报 Filed by": "Người nộp (Filed by)", "未结束 open": "chưa kết thúc (open)", "4 标记 Marks":
    "4 Đánh dấu (Marks)", "5 原始报文 Raw HJ 212 frames": "5 Dữ liệu gốc (raw files and frames)",
    "编号 Id": "Số (Id)", "接收时间 Received": "Thời điểm nhận (Received)", "事件 Events：": "Sự kiện (Events):",
    "时间 At": "Thời điểm (At)", "事件 Kind": "Sự kiện (Kind)", "操作人 Actor": "Người thực hiện (Actor)",
    "说明 Comment": "Ghi chú (Comment)", "通知 Deliveries：": "Thông báo (Deliveries):", "事件": "Sự kiện",
    "渠道 Channel": "Kênh (Channel)", "接收人 Recipient": "Người nhận (Recipient)", "结果 OK": "Kết quả (OK)",
    "详情 Detail": "Chi tiết (Detail)", "成功": "thành công", "失败": "thất bại", "6 告警历史 Alarm history":
    "6 Lịch sử cảnh báo (Alarm history)", "7 链接 Links": "7 Liên kết (Links)", "至": "đến",
    "告警页面 Alarm in the web UI": "Trang cảnh báo (Alarm in the web UI)",
    "告警 API（含事件、关联、通知）Alarm API": "API cảnh báo (sự kiện, liên kết, thông báo)",
    "本证据包 This evidence pack": "Hồ sơ chứng cứ này (This evidence pack)", "监测点 API Point": "API trạm (Point)",
    "小时数据 API Hourly values": "API số liệu giờ (Hourly values)", "标记 API Marks": "API đánh dấu (Marks)",
    "关联标记 Linked mark": "Đánh dấu liên kết (Linked mark)", "关联工单 Linked work order":
    "Phiếu công việc liên kết (Linked work order)", "窗口内无数据 no data in the window":
    "không có số liệu trong cửa sổ (no data)", "当地时间 local time": "giờ địa phương (local time)",
    "分钟值 minute values": "giá trị phút", "分钟折算 minute corrected": "giá trị phút quy đổi",
    "小时均值 hourly mean": "trung bình giờ", "无效小时 invalid hour": "giờ không hợp lệ", "限值 limit": "giới hạn",
    "标记 mark": "đánh dấu", "告警时段 alarm span": "thời gian cảnh báo", "分钟最小–最大 minute min–max":
    "phút nhỏ nhất – lớn nhất", "小时均值限值": "giới hạn trung bình giờ", "日均值限值": "giới hạn trung bình ngày",
}


def labels(lang: str) -> Callable[[str], str]:
    """The pack's fixed words in ``lang``: Vietnamese from :data:`VI_LABELS`, else as written (Chinese with
    English)."""
    if lang == "vi":
        return lambda text: VI_LABELS.get(text, text)
    return lambda text: text
STATE_ZH = {"active": "未确认", "acknowledged": "已确认", "cleared": "已解除"}


class EvidenceSettings(BaseModel):
    """Settings of the evidence pack (platform choices, tag ``ours``: no national rule fixes them)."""

    #: Hours of data shown before the alarm span: the lead-up to the onset. [h]
    hours_before: float = Field(6.0, ge=0)
    #: Hours of data shown after the alarm span. [h]
    hours_after: float = Field(2.0, ge=0)
    #: Longest data window; a longer span keeps its latest part. [d]
    max_window_days: float = Field(7.0, gt=0)
    #: Raw frames listed at most (the oldest of the span first).
    max_frames: int = Field(50, ge=0)
    #: Characters of each frame's text shown (the digest covers the whole frame).
    frame_chars: int = Field(300, ge=20)
    #: Frames received up to this long after the span's end still belong to it: the data of the span's
    #: last hour (minute records, the CN 2061 hourly record) arrive after that hour. [min]
    frame_grace_minutes: float = Field(60.0, ge=0)
    #: Factors per chart (one panel each); more factors get further charts, each fitting one page.
    chart_factors: int = Field(4, ge=1, le=8)
    #: Slices of a chart's width: a window with more minute values than twice this is drawn as the min/max
    #: envelope of each slice (:func:`ecosentry.reports.chart.minmax_envelope`).
    chart_slices: int = Field(600, ge=50)


# --------------------------------------------------------------------------- the pack

@dataclass(frozen=True)
class EvidenceFactor:
    code: str
    name_zh: str
    unit: str


@dataclass(frozen=True)
class EvidenceHour:
    factor_code: str
    start: datetime          # UTC
    value: float | None
    zs_value: float | None
    valid: bool
    flag: str | None
    reason: str | None
    exceeded: bool | None
    multiple: float | None
    limit_value: float | None
    mark_ids: str | None


@dataclass(frozen=True)
class EvidenceFrame:
    id: int
    received_at: datetime    # UTC
    mn: str | None
    cn: str | None
    qn: str | None
    status: str
    text: str                # the first ``frame_chars`` characters
    length: int              # bytes of the whole frame
    sha256: str              # of the whole frame


@dataclass(frozen=True)
class EvidenceMark:
    id: int
    type: str
    family: str
    factor_codes: tuple[str, ...] | None
    start: datetime
    end: datetime | None
    status: str
    source: str
    filed_by: str | None
    reason: str | None


@dataclass(frozen=True)
class EvidenceFinding:
    code: str
    severity: str | None
    factor: str
    start: datetime | None
    end: datetime | None
    explanation: str
    kind: str | None = None                   # falsification | data_quality | statistical | process_change
    corroborated_by: tuple[str, ...] = ()     # codes of the independent signs on the same window


@dataclass(frozen=True)
class EvidencePeriod:
    factor_code: str
    period: str              # hour | day
    start: datetime | None
    value: float | None
    limit_value: float | None
    multiple: float | None


@dataclass(frozen=True)
class EvidenceMinutes:
    """The minute values (HJ 212 CN 2051) of one factor in the data window, oldest first."""

    factor_code: str
    times: list[datetime]            # UTC, interval starts
    values: list[float | None]
    zs_values: list[float | None]


@dataclass(frozen=True)
class CitedRule:
    code: str
    severity: str | None
    summary: str             # the catalogue's English line (the msgid of its translations)
    source: str              # the published standards / documents it applies, "; "-separated ("": platform rule)


@dataclass
class EvidencePack:
    """Everything the evidence PDF shows, read from the database at ``generated_at``."""

    alarm: dict
    type_summary: str
    tz: str
    enterprise: str | None
    credit_code: str | None
    outlet: str | None
    point: str | None
    mn: str | None
    medium: str | None
    region: str | None
    span_start: datetime
    span_end: datetime
    window_start: datetime
    window_end: datetime
    window_capped: bool
    factors: list[EvidenceFactor]
    hours: list[EvidenceHour]
    limits: dict[str, list[tuple[datetime, float | None]]]   # factor → per-hour limit in force
    limit_kind: dict[str, str]                                # factor → hour | day
    findings: list[EvidenceFinding]
    periods: list[EvidencePeriod]
    rules: list[CitedRule]
    marks: list[EvidenceMark]
    frames: list[EvidenceFrame]
    frames_total: int
    frames_sha256: str
    links: list[tuple[str, str]]
    generated_at: datetime
    settings: EvidenceSettings = field(default_factory=EvidenceSettings)
    #: The alarm's title and explanation said in Chinese (names, rule names, local times); the stored
    #: English wording is for machines.
    title_text: str | None = None
    explanation_text: str | None = None
    minutes: dict[str, EvidenceMinutes] = field(default_factory=dict)   # factor → minute values
    #: The reader's language: ``vi`` gives a Vietnamese pack (labels, names, dd/mm/yyyy times); else Chinese.
    lang: str = "zh"
    #: The data of the subsystem that raised the alarm (``Subsystem.evidence_data``): shown in place of a
    #: monitoring point's window, marks and frames; ``None`` for a monitoring alarm.
    data: EvidenceData | None = None

    @property
    def events(self) -> list[dict]:
        return self.alarm.get("events", [])

    @property
    def deliveries(self) -> list[dict]:
        return self.alarm.get("deliveries", [])

    def local(self, t: datetime | None, *, seconds: bool = True) -> str:
        """``t`` in the point's time zone with its UTC offset (``2026-11-20 09:00:00 +08:00``)."""
        return pack_time(t, ZoneInfo(self.tz), self.lang, seconds=seconds)


# --------------------------------------------------------------------------- pure helpers

#: A time from the evidence JSON (ISO 8601 string, ``Z`` allowed) or a datetime; naive = UTC.
_time = evidence_time


def _num(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def alarm_span(alarm: dict) -> tuple[datetime, datetime]:
    """[start, end] of the condition an alarm reports, from its evidence (UTC).

    Detector alarms: first finding start to last finding end. Exceedance: the judged periods (an hour or a
    day each) together with first/last seen. Logger offline: the last reception to last seen. Otherwise
    first/last seen.
    """
    first, last = alarm["first_at"], alarm["last_at"]
    ev = alarm.get("evidence") if isinstance(alarm.get("evidence"), dict) else {}
    spans = [(_time(f.get("start")), _time(f.get("end"))) for f in ev.get("findings") or [] if isinstance(f, dict)]
    spans = [(a, b or a) for a, b in spans if a is not None]
    if spans:
        return min(a for a, _ in spans), max(b for _, b in spans)
    periods = []
    for p in ev.get("periods") or []:
        t = _time(p.get("period_start")) if isinstance(p, dict) else None
        if t is not None:
            periods.append((t, t + (timedelta(days=1) if p.get("period") == "day" else timedelta(hours=1))))
    if periods:
        return min(first, *(a for a, _ in periods)), max(last, *(b for _, b in periods))
    heard = _time(ev.get("last_received_at"))
    if heard is not None and heard <= last:
        return heard, last
    return first, last


def evidence_window(span_start: datetime, span_end: datetime,
                    settings: EvidenceSettings = EvidenceSettings()) -> tuple[datetime, datetime, bool]:
    """Data window around an alarm span: ``[start − hours_before, end + hours_after]`` on whole hours.

    A window longer than ``max_window_days`` keeps its latest part (the condition as it stands now).

    Returns
    -------
    (datetime, datetime, bool)
        Start (floored to the hour), end (ceiled to the hour, exclusive) and whether it was capped.
    """
    return data_window(span_start, span_end, settings.hours_before, settings.hours_after, settings.max_window_days)


def frames_digest(raws: Iterable[bytes]) -> str:
    """SHA-256 (hex) of the frames' complete raw bytes concatenated in the given order."""
    h = hashlib.sha256()
    for raw in raws:
        h.update(bytes(raw))
    return h.hexdigest()


def frame_text(raw: bytes, chars: int) -> str:
    """The frame as text (HJ 212 frames are ASCII; other bytes shown as U+FFFD), CR/LF dropped, cut to ``chars``."""
    text = bytes(raw).decode("utf-8", errors="replace").replace("\r", "").replace("\n", "")
    return text if len(text) <= chars else text[:chars] + "…"


def _urls(alarm: dict, base_url: str | None, lang: str = "zh") -> list[tuple[str, str]]:
    T = labels(lang)
    base = (base_url or "").rstrip("/")
    aid, pid = alarm["id"], alarm.get("point_id")
    links = [(T("告警页面 Alarm in the web UI"), f"{base}/alarms/{aid}"),
             (T("告警 API（含事件、关联、通知）Alarm API"), f"{base}/api/v1/alarms/{aid}"),
             (T("本证据包 This evidence pack"), f"{base}/api/v1/alarms/{aid}/evidence.pdf")]
    if pid is not None:
        links += [(T("监测点 API Point"), f"{base}/api/v1/points/{pid}"),
                  (T("小时数据 API Hourly values"), f"{base}/api/v1/points/{pid}/hourly"),
                  (T("标记 API Marks"), f"{base}/api/v1/points/{pid}/marks")]
    for link in alarm.get("links") or []:
        if link["kind"] == "mark":
            links.append((f"{T('关联标记 Linked mark')} {link['target_id']}", f"{base}/api/v1/marks/{link['target_id']}"))
        else:
            links.append((f"{T('关联工单 Linked work order')} {link['target_id']}", str(link["target_id"])))
    return links


# --------------------------------------------------------------------------- reading the database

def _point_info(conn, point_id: int | None, enterprise_id: int | None) -> dict:
    if point_id is not None:
        row = eq.evidence_point(conn, point_id)
        if row is not None:
            return row
    if enterprise_id is not None:
        row = eq.evidence_enterprise(conn, enterprise_id)
        if row is not None:
            return row
    return {}


def _region_path(conn, code: str | None) -> str | None:
    """``江苏省 苏州市 吴中区（320506）`` from the region and its parents."""
    if not code:
        return None
    names, seen, cur = [], set(), code
    while cur and cur not in seen:
        seen.add(cur)
        row = eq.region_and_parent(conn, cur)
        if row is None:
            break
        names.append(row.name)
        cur = row.parent_code
    return f"{' '.join(reversed(names))}（{code}）" if names else code


def _factors(conn, point_id: int, codes: Sequence[str] | None, t0: datetime, t1: datetime) -> list[EvidenceFactor]:
    if not codes:
        codes = eq.window_factor_codes(conn, point_id, t0, t1)
    codes = sorted(set(codes))
    names = eq.factor_rows(conn, codes)
    return [EvidenceFactor(c, names[c].name_zh if c in names else c, (names[c].unit or "") if c in names else "")
            for c in codes]


def _hours(conn, point_id: int, codes: list[str], t0: datetime, t1: datetime) -> list[EvidenceHour]:
    rows = eq.evidence_hour_rows(conn, point_id, codes, t0, t1)
    return [EvidenceHour(r["factor_code"], r["period_start"], _num(r["value"]), _num(r["zs_value"]), bool(r["valid"]),
                         r["flag"], r["reason"], r["exceeded"], _num(r["multiple"]), _num(r["limit_value"]),
                         r["mark_ids"]) for r in rows]


def _minutes(conn, point_id: int, codes: list[str], t0: datetime, t1: datetime) -> dict[str, EvidenceMinutes]:
    """The minute values of ``codes`` in ``[t0, t1)``: the data the detectors and the hourly means work on."""
    rows = eq.minute_rows(conn, point_id, codes, t0, t1)
    out: dict[str, EvidenceMinutes] = {}
    for r in rows:
        m = out.setdefault(r.factor_code, EvidenceMinutes(r.factor_code, [], [], []))
        m.times.append(r.period_start)
        m.values.append(_num(r.value))
        m.zs_values.append(_num(r.zs_value))
    return out


def _limits(conn, point_id: int, codes: list[str], tz: str, t0: datetime,
            t1: datetime) -> tuple[dict[str, list[tuple[datetime, float | None]]], dict[str, str]]:
    """Per factor, the upper limit in force at each hour of the window (hourly limit, else daily)."""
    from ecosentry.subsystems.monitoring.pipeline.periods import load_limits
    from ecosentry.subsystems.monitoring.rules.cn.exceedance import applicable_limit

    by_factor = load_limits(conn, [point_id])
    zone = ZoneInfo(tz)
    steps: dict[str, list[tuple[datetime, float | None]]] = {}
    kinds: dict[str, str] = {}
    n = int((t1 - t0).total_seconds() // 3600)
    for code in codes:
        limits = by_factor.get((point_id, code)) or []
        kind = "hour" if any(lim.kind == "hour" for lim in limits) else "day"
        line = []
        for i in range(n + 1):
            t = t0 + timedelta(hours=i)
            lim = applicable_limit(limits, t.astimezone(zone).date(), kind) if limits else None
            line.append((t, lim.upper if lim is not None else None))
        if any(v is not None for _, v in line):
            steps[code], kinds[code] = line, kind
    return steps, kinds


def _frames(conn, point_id: int, mn: str | None, t0: datetime, t1: datetime,
            settings: EvidenceSettings) -> tuple[list[EvidenceFrame], int, list[bytes]]:
    """The point's frames received in ``[t0, t1]`` or carrying its data of ``[t0, t1]`` (a logger back-fills
    an outage later: its frames arrive after the span they prove), oldest first (at most ``max_frames``),
    their total count and their raw bytes (for the digest)."""
    rows, total = eq.frame_rows(conn, point_id, mn, t0, t1, settings.max_frames)
    frames = [EvidenceFrame(int(x.id), x.received_at, x.mn, x.cn, x.qn, x.status,
                            frame_text(x.raw, settings.frame_chars), len(bytes(x.raw)),
                            hashlib.sha256(bytes(x.raw)).hexdigest()) for x in rows]
    return frames, int(total), [bytes(x.raw) for x in rows]


def _findings(evidence: dict) -> list[EvidenceFinding]:
    out = []
    for f in evidence.get("findings") or []:
        if isinstance(f, dict) and f.get("code"):
            out.append(EvidenceFinding(str(f["code"]), f.get("severity"), str(f.get("factor") or ""),
                                       _time(f.get("start")), _time(f.get("end")), str(f.get("explanation") or ""),
                                       finding_kind(f),
                                       tuple(c for c in f.get("corroborated_by") or [] if isinstance(c, str))))
    return out


def _periods(evidence: dict) -> list[EvidencePeriod]:
    out = []
    for p in evidence.get("periods") or []:
        if isinstance(p, dict) and p.get("factor_code"):
            out.append(EvidencePeriod(str(p["factor_code"]), str(p.get("period") or "hour"),
                                      _time(p.get("period_start")), _num(p.get("judged_value", p.get("value"))),
                                      _num(p.get("limit_value")), _num(p.get("multiple"))))
    return out


def period_rules(evidence: dict, regime: str | None = None) -> list[str]:
    """The rule codes of an exceedance alarm's judged periods: each period's own ``rule`` (stored since the
    judgement names its regime, :func:`~ecosentry.subsystems.monitoring.pipeline.detection.cite_rules`), else
    the code of ``regime`` for its kind of period (older alarms)."""
    codes = []
    for p in evidence.get("periods") or []:
        if not isinstance(p, dict):
            continue
        if isinstance(p.get("rule"), str) and p["rule"]:
            codes.append(p["rule"])
        else:
            medium = "gas" if p.get("period") == "hour" else "water"
            codes.append(exceedance_rule(regime or "cn", medium, str(p.get("period") or "hour")))
    return list(dict.fromkeys(codes))


def alarm_regime(evidence: dict, standards: Iterable[str] = (), country: str | None = None) -> str:
    """The regime of an alarm (:mod:`~ecosentry.subsystems.monitoring.rules.regime`): that of the rules its
    judged periods cite, else of the limits of its factors (``standards``: their texts) and the point's country."""
    for p in evidence.get("periods") or []:
        if isinstance(p, dict) and isinstance(p.get("rule"), str) and regime_of_rule(p["rule"]):
            return regime_of_rule(p["rule"])
    for text in standards:
        if regime_of(text) == "vn":
            return "vn"
    return regime_of(None, country)


def _cited_rules(alarm_type: str, evidence: dict, findings: list[EvidenceFinding],
                 more: Sequence[str] = (), regime: str | None = None) -> list[CitedRule]:
    """The alarm type and every code its evidence cites (and ``more``), as the catalogue states them; an alarm
    type whose citation depends on the ``regime`` (the exceedance) cites that regime's sources only
    (:func:`~ecosentry.subsystems.monitoring.rules.regime.alarm_type_sources`)."""
    catalogue = {r.code: r for r in full_catalogue()}
    codes = [alarm_type, *(f.code for f in findings), *(c for c in evidence.get("codes") or [] if isinstance(c, str)),
             *more, *period_rules(evidence, regime)]
    out = []
    for code in dict.fromkeys(codes):
        rule = catalogue.get(code)
        if rule is None:
            out.append(CitedRule(code, None, "Not in the rule catalogue.", ""))
            continue
        source = alarm_type_sources(code, regime) or rule.source
        out.append(CitedRule(code, rule.severity, rule.summary, "; ".join(public_citations(source))))
    return out


def subsystem_data(conn, alarm: dict, lang: str, default_tz: str, settings: EvidenceSettings,
                   now: datetime) -> EvidenceData | None:
    """The data of the installed subsystem that raised ``alarm`` (``Subsystem.evidence_data``), ``None`` when
    none claims it (a monitoring alarm: the point's data)."""
    request = EvidenceRequest(alarm, lang, default_tz, now, hours_before=settings.hours_before,
                              hours_after=settings.hours_after, max_window_days=settings.max_window_days,
                              max_records=settings.max_frames, record_chars=settings.frame_chars,
                              record_grace_minutes=settings.frame_grace_minutes)
    for _sub, give in each("evidence_data"):
        data = give(conn, request)
        if data is not None:
            return data
    return None


def _records(data: EvidenceData, chars: int) -> tuple[list[EvidenceFrame], list[bytes]]:
    frames = [EvidenceFrame(r.id, r.received_at, None, r.cn, r.qn, r.status, frame_text(r.raw, chars), len(r.raw),
                            hashlib.sha256(r.raw).hexdigest()) for r in data.records]
    return frames, [r.raw for r in data.records]


def build_evidence_pack(engine: Engine, alarm_id: int, *, base_url: str | None = None,
                        settings: EvidenceSettings | None = None, now: datetime | None = None,
                        lang: str = "zh", default_tz: str = "Asia/Shanghai") -> EvidencePack:
    """Read everything the evidence pack of alarm ``alarm_id`` shows.

    Parameters
    ----------
    alarm_id : int
        The alarm (:class:`~ecosentry.alarms.store.AlarmNotFound` when there is none).
    base_url : str or None
        Base URL of the platform for the links; ``None``: relative paths.
    settings : EvidenceSettings or None
        Window, frame count and frame length (defaults: :class:`EvidenceSettings`).
    now : datetime or None
        The generation time printed in the pack (default: the current time).
    lang : str, default "zh"
        ``vi``: a Vietnamese pack (the alarm's title and explanation, factor names); else Chinese.
    default_tz : str, default "Asia/Shanghai"
        The deployment's zone (``default_tz``): the pack's times for an alarm whose originator has no zone
        (no point, no zone of the subsystem's, an enterprise without points).

    The pack's times are local: the zone of the subsystem that raised the alarm (``Subsystem.evidence_data``),
    else the point's, else the zone of the enterprise's points, else ``default_tz``.
    """
    lang = "vi" if lang == "vi" else "zh"
    settings = settings or EvidenceSettings()
    alarm = alarm_detail(engine, alarm_id)
    evidence = alarm["evidence"] if isinstance(alarm.get("evidence"), dict) else {}
    span_start, span_end = alarm_span(alarm)
    t0, t1, capped = evidence_window(span_start, span_end, settings)
    findings, periods = _findings(evidence), _periods(evidence)
    pid = alarm.get("point_id")
    generated_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    with engine.connect() as conn:
        info = _point_info(conn, pid, alarm.get("enterprise_id"))
        data = subsystem_data(conn, alarm, lang, default_tz, settings, generated_at)
        if data is not None:
            tz = data.tz
            span_start, span_end = data.span_start, data.span_end
            t0, t1, capped = data.window_start, data.window_end, data.window_capped
        else:
            tz = info.get("tz") or (eq.enterprise_point_zone(conn, alarm["enterprise_id"])
                                    if alarm.get("enterprise_id") is not None else None) or default_tz
        region = _region_path(conn, alarm.get("region_code") or info.get("region_code"))
        factors: list[EvidenceFactor] = []
        hours: list[EvidenceHour] = []
        limits, limit_kind = {}, {}
        minutes: dict[str, EvidenceMinutes] = {}
        frames, total, raws = [], 0, []
        standards: list[str] = []
        if data is not None:
            frames, raws = _records(data, settings.frame_chars)
            total = data.records_total
        elif pid is not None and info.get("mn"):
            factors = _factors(conn, pid, alarm.get("factor_codes"), t0, t1)
            codes = [f.code for f in factors]
            hours = _hours(conn, pid, codes, t0, t1)
            minutes = _minutes(conn, pid, codes, t0, t1)
            limits, limit_kind = _limits(conn, pid, codes, tz, t0, t1)
            standards = eq.limit_standards(conn, pid, codes)
            frames, total, raws = _frames(conn, pid, info.get("mn"), span_start,
                                          span_end + timedelta(minutes=settings.frame_grace_minutes), settings)
        regime = alarm_regime(evidence, standards, eq.region_country(conn, alarm.get("region_code")
                                                                   or info.get("region_code")))
        voice = load_voice(conn, alarm, lang, tz)
        if lang == "vi":   # the factors by their Vietnamese names
            factors = [EvidenceFactor(f.code, voice.names.factor(f.code), f.unit) for f in factors]
        title_text = alarm_title(alarm, voice.names, voice.gettext)
        explanation_text = (data.explanation if data is not None else None) or alarm_explanation(
            alarm, voice.names, voice.gettext, voice.when, voice.num)
    marks = []
    if data is None and pid is not None and info.get("mn"):
        marks = [EvidenceMark(m["id"], m["type"], m["family"], tuple(m["factor_codes"]) if m["factor_codes"] else None,
                              m["start"], m["end"], m["status"], m["source"], m["filed_by"], m["reason"])
                 for m in list_marks(engine, point_id=pid, start=t0, end=t1)]
    atype = ALARM_TYPES.get(alarm["type"])
    return EvidencePack(
        alarm=alarm, type_summary=atype.summary if atype else alarm["title"], tz=tz,
        enterprise=info.get("enterprise"), credit_code=info.get("credit_code"),
        outlet=f"{info['outlet']}（{info['outlet_code']}）" if info.get("outlet") else None,
        point=info.get("point"), mn=info.get("mn"), medium=info.get("medium"), region=region,
        span_start=span_start, span_end=span_end, window_start=t0, window_end=t1, window_capped=capped,
        factors=factors, hours=hours, limits=limits, limit_kind=limit_kind, findings=findings, periods=periods,
        rules=_cited_rules(alarm["type"], evidence, findings, data.rules if data is not None else (), regime),
        marks=marks, frames=frames, frames_total=total,
        frames_sha256=frames_digest(raws),
        links=_urls(alarm, base_url, lang) + [(label, f"{(base_url or '').rstrip('/')}{url}")
                                              for label, url in (data.links if data is not None else [])],
        generated_at=generated_at, settings=settings,
        title_text=title_text, explanation_text=explanation_text, minutes=minutes, lang=lang, data=data)


# --------------------------------------------------------------------------- chart

def chart_groups(pack: EvidencePack) -> list[list[EvidenceFactor]]:
    """The factors of the pack in groups of ``chart_factors``: one chart (one page at most) per group."""
    factors = pack.factors or [EvidenceFactor("—", "无因子 no factor", "")]
    n = pack.settings.chart_factors
    return [factors[i:i + n] for i in range(0, len(factors), n)]


def evidence_chart_png(pack: EvidencePack, factors: Sequence[EvidenceFactor] | None = None, *,
                       dpi: int = 150) -> bytes:
    """PNG of the window's data of ``factors`` (default: the first group of :func:`chart_groups`), one panel each.

    Per panel: the minute values (thin line; a min/max envelope per slice when there are more than twice
    ``chart_slices`` of them, so a one-minute spike stays visible), their 折算 values dashed, the hourly means
    as a thick step line over each hour (context: limits are judged on them), invalid hours as hollow red
    circles (a red ✕ on the axis when the hour has no value), the limit in force as a red dotted step line,
    marks shaded grey, the alarm span shaded red. Times are the point's local time.
    """
    T = labels(pack.lang)
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ecosentry.reports.chart import PALETTE, minmax_envelope
    from ecosentry.reports.fonts import register_matplotlib_font

    family = register_matplotlib_font()
    zone = ZoneInfo(pack.tz)

    def loc(t: datetime) -> datetime:
        return t.astimezone(zone).replace(tzinfo=None)

    factors = list(factors) if factors is not None else chart_groups(pack)[0]
    fig = Figure(figsize=(7.6, 0.75 + 1.6 * len(factors)), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(factors), 1, sharex=True, squeeze=False)[:, 0]
    x0, x1 = loc(pack.window_start), loc(pack.window_end)
    n0, n1 = date2num(x0), date2num(x1)
    slices = pack.settings.chart_slices
    enveloped = False
    for ax, fac in zip(axes, factors):
        color = PALETTE[pack.factors.index(fac) % len(PALETTE)] if fac in pack.factors else PALETTE[0]
        rows = [h for h in pack.hours if h.factor_code == fac.code]
        ax.axvspan(loc(max(pack.span_start, pack.window_start)), loc(min(pack.span_end, pack.window_end)),
                   color="#d62728", alpha=0.12, linewidth=0)
        for m in pack.marks:
            if m.factor_codes is None or fac.code in m.factor_codes:
                ax.axvspan(loc(max(m.start, pack.window_start)), loc(min(m.end or pack.window_end, pack.window_end)),
                           facecolor="#7f7f7f", alpha=0.22, hatch="//", edgecolor="#7f7f7f", linewidth=0)
        minutes = pack.minutes.get(fac.code)
        if minutes is not None and minutes.times:
            xs = date2num([loc(t) for t in minutes.times])
            for series, style, alpha in ((minutes.values, "-", 0.35), (minutes.zs_values, "--", 0.18)):
                ys = np.array([math.nan if v is None else v for v in series], dtype=float)
                if np.isnan(ys).all():
                    continue
                cx, lo, hi = minmax_envelope(xs, ys, n0, n1, slices)
                if cx is xs:
                    ax.plot(xs, ys, style, linewidth=0.6, color=color, alpha=0.9)
                else:
                    enveloped = True
                    ax.fill_between(cx, lo, hi, color=color, alpha=alpha, linewidth=0)
                    ax.plot(cx, hi, style, linewidth=0.4, color=color, alpha=0.8)
                    ax.plot(cx, lo, style, linewidth=0.4, color=color, alpha=0.8)
        for attr, style in (("value", "solid"), ("zs_value", "dashed")):
            # each valid hourly mean as a bar over its own hour (a missing hour stays a gap)
            hrs = [h for h in rows if h.valid and getattr(h, attr) is not None]
            if hrs:
                ax.hlines([getattr(h, attr) for h in hrs], [loc(h.start) for h in hrs],
                          [loc(h.start + timedelta(hours=1)) for h in hrs], linestyles=style, linewidth=1.6,
                          color="black" if attr == "value" else "#555555", alpha=0.75)
        bad = [(loc(h.start + timedelta(minutes=30)), h.value) for h in rows if not h.valid and h.value is not None]
        if bad:
            ax.plot([t for t, _ in bad], [v for _, v in bad], linestyle="none", marker="o", markersize=5,
                    markerfacecolor="none", markeredgecolor="red")
        empty = [loc(h.start + timedelta(minutes=30)) for h in rows if not h.valid and h.value is None]
        if empty:
            ax.plot(empty, [0.03] * len(empty), linestyle="none", marker="x", markersize=5, color="red",
                    transform=ax.get_xaxis_transform())
        line = pack.limits.get(fac.code)
        if line:
            ax.step([loc(t) for t, _ in line], [math.nan if v is None else v for _, v in line], where="post",
                    color="red", linestyle=":", linewidth=1.2)
        if not rows and (minutes is None or not minutes.times):
            ax.text(0.5, 0.5, T("窗口内无数据 no data in the window"), transform=ax.transAxes, ha="center",
                    va="center", fontfamily=family, fontsize=8, color="gray")
        ax.set_ylabel(f"{fac.name_zh}\n{fac.code}" + (f"（{fac.unit}）" if fac.unit else ""), fontfamily=family,
                      fontsize=6.5)
        ax.grid(True, linewidth=0.3, alpha=0.6)
        ax.tick_params(labelsize=6.5)
        ax.set_xlim(x0, x1)
    locator = AutoDateLocator(minticks=4, maxticks=10)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(DateFormatter("%d/%m %H:%M" if pack.lang == "vi" else "%m-%d %H:%M"))
    axes[-1].set_xlabel(f"{T('当地时间 local time')}（{pack.tz}）", fontfamily=family, fontsize=7)
    handles = [Line2D([], [], color="#1f77b4", linewidth=0.8, label=T("分钟值 minute values")),
               *([Line2D([], [], color="#1f77b4", linestyle="--", linewidth=0.8, label=T("分钟折算 minute corrected"))]
                 if has_corrected(pack) else []),
               Line2D([], [], color="black", linewidth=1.6, alpha=0.75, label=T("小时均值 hourly mean")),
               Line2D([], [], linestyle="none", marker="o", markerfacecolor="none", markeredgecolor="red",
                      label=T("无效小时 invalid hour")),
               Line2D([], [], color="red", linestyle=":", label=T("限值 limit")),
               Patch(facecolor="#7f7f7f", alpha=0.3, hatch="//", label=T("标记 mark")),
               Patch(facecolor="#d62728", alpha=0.15, label=T("告警时段 alarm span"))]
    if enveloped:
        handles.insert(2, Patch(facecolor="#1f77b4", alpha=0.35, label=T("分钟最小–最大 minute min–max")))
    fig.legend(handles=handles, loc="upper center", ncol=4, prop={"family": family, "size": 6.5}, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def series_chart_png(pack: EvidencePack, series: Sequence[EvidenceSeries], *, dpi: int = 150) -> bytes:
    """PNG of a subsystem's data of the window (:attr:`EvidencePack.data`), one panel per series: its values
    as a step line (a min/max envelope per slice when there are more than twice ``chart_slices`` of them), its
    reference lines (thresholds) dotted, the data's bands (orders in force) hatched, the alarm span shaded red.
    Times are the originator's local time."""
    T = labels(pack.lang)
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ecosentry.reports.chart import PALETTE, minmax_envelope
    from ecosentry.reports.fonts import register_matplotlib_font

    family = register_matplotlib_font()
    zone = ZoneInfo(pack.tz)

    def loc(t: datetime) -> datetime:
        return t.astimezone(zone).replace(tzinfo=None)

    fig = Figure(figsize=(7.6, 0.75 + 1.6 * len(series)), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    x0, x1 = loc(pack.window_start), loc(pack.window_end)
    n0, n1 = date2num(x0), date2num(x1)
    bands = pack.data.bands if pack.data is not None else []
    band_words: dict[str, str] = {}
    line_styles = (":", "-.", "--")
    line_words: dict[str, str] = {}
    for k, (ax, s) in enumerate(zip(axes, series)):
        color = PALETTE[k % len(PALETTE)]
        ax.axvspan(loc(max(pack.span_start, pack.window_start)), loc(min(pack.span_end, pack.window_end)),
                   color="#d62728", alpha=0.12, linewidth=0)
        for b in bands:
            if b.end > pack.window_start and b.start < pack.window_end:
                ax.axvspan(loc(max(b.start, pack.window_start)), loc(min(b.end, pack.window_end)),
                           facecolor="#ff7f0e", alpha=0.12, hatch="\\\\", edgecolor="#ff7f0e", linewidth=0)
                band_words.setdefault(b.label, b.label)
        ys = np.array([math.nan if v is None else v for v in s.values], dtype=float)
        if len(ys) and not np.isnan(ys).all():
            xs = date2num([loc(t) for t in s.times])
            cx, lo, hi = minmax_envelope(xs, ys, n0, n1, pack.settings.chart_slices)
            if cx is xs:
                ax.step(xs, ys, where="post", linewidth=0.8, color=color)
            else:
                ax.fill_between(cx, lo, hi, color=color, alpha=0.35, linewidth=0)
                ax.plot(cx, hi, linewidth=0.4, color=color)
        else:
            ax.text(0.5, 0.5, T("窗口内无数据 no data in the window"), transform=ax.transAxes, ha="center",
                    va="center", fontfamily=family, fontsize=8, color="gray")
        for j, line in enumerate(s.lines):
            style = line_styles[j % len(line_styles)]
            ax.axhline(line.value, color="red", linestyle=style, linewidth=1.0)
            line_words.setdefault(line.label, style)
        ax.set_ylabel(s.label + (f"\n（{s.unit}）" if s.unit else ""), fontfamily=family, fontsize=6.5)
        ax.grid(True, linewidth=0.3, alpha=0.6)
        ax.tick_params(labelsize=6.5)
        ax.set_xlim(x0, x1)
    axes[-1].xaxis.set_major_locator(AutoDateLocator(minticks=4, maxticks=10))
    axes[-1].xaxis.set_major_formatter(DateFormatter("%d/%m %H:%M" if pack.lang == "vi" else "%m-%d %H:%M"))
    off = pack.local(pack.window_start)[-6:]
    axes[-1].set_xlabel(f"{T('当地时间 local time')}（{pack.tz} {off}）", fontfamily=family, fontsize=7)
    values = (pack.data.values_label if pack.data is not None else None) or T("分钟值 minute values")
    handles: list = [Line2D([], [], color=PALETTE[0], linewidth=0.8, label=values)]
    handles += [Line2D([], [], color="red", linestyle=style, label=word) for word, style in line_words.items()]
    handles += [Patch(facecolor="#ff7f0e", alpha=0.2, hatch="\\\\", label=word) for word in band_words]
    handles.append(Patch(facecolor="#d62728", alpha=0.15, label=T("告警时段 alarm span")))
    fig.legend(handles=handles, loc="upper center", ncol=4, prop={"family": family, "size": 6.5}, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _data_items(pack: EvidencePack) -> list:
    """The data window of a subsystem's alarm (:attr:`EvidencePack.data`): the window, the subsystem's lead,
    its charts (``chart_factors`` panels each) and tables."""
    data = pack.data
    assert data is not None
    L, vi = pack.local, pack.lang == "vi"
    st = pack.settings
    if vi:
        window = (f"Cửa sổ số liệu (Data window): {L(pack.window_start, seconds=False)} đến "
                  f"{L(pack.window_end, seconds=False)} ({st.hours_before:g} giờ trước và {st.hours_after:g} giờ sau "
                  "thời gian cảnh báo" + (f"; quá {st.max_window_days:g} ngày, chỉ giữ phần gần nhất"
                                          if pack.window_capped else "") + ").")
    else:
        window = (f"数据窗口 Data window：{L(pack.window_start, seconds=False)} 至 {L(pack.window_end, seconds=False)}"
                  f"（告警时段前 {st.hours_before:g} h、后 {st.hours_after:g} h"
                  + (f"；超过 {st.max_window_days:g} 天，只保留最近部分" if pack.window_capped else "") + "）。")
    items: list = [window + (f" {data.lead}" if data.lead else "")]
    n = st.chart_factors
    items += [series_chart_png(pack, data.series[i:i + n]) for i in range(0, len(data.series), n)]
    for tb in data.tables:
        items.append(tb.caption)
        items.append(_Table(list(tb.header), [list(r) for r in tb.rows] or [["—"] * len(tb.header)], list(tb.widths),
                            wrap=tuple(range(len(tb.header))), font_size=6.5))
    return items


# --------------------------------------------------------------------------- PDF

def _fmt(v: float | None, decimals: int = 3) -> str:
    """At most ``decimals`` decimals, trailing zeros dropped; ``—`` for no value."""
    if v is None:
        return "—"
    text = f"{v:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _yes(v: bool | None, vi: bool = False) -> str:
    if v is None:
        return "—"
    return ("có" if v else "không") if vi else ("是" if v else "否")


#: Lines of a table cell's text at most in one table row (a longer text continues in the next rows). [-]
ROW_LINES = 30


def text_pieces(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, at a line break or a blank when one lies in
    the second half of the piece (Chinese text has none: it is cut anywhere)."""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return pieces


@dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float]          # fractions of the text width
    wrap: tuple[int, ...] = ()   # columns rendered as wrapping paragraphs
    font_size: float = 7.0
    shade: list[tuple[int, str]] = field(default_factory=list)   # (row index, colour)


def mark_kind(m: EvidenceMark, lang: str = "zh") -> str:
    """A mark's type and national family by their names in ``lang`` (Chinese: "维护（设备维护）")."""
    tr = translations("vi" if lang == "vi" else "zh").gettext
    family = f"（{tr(FAMILY_NAMES.get(m.family, m.family))}）" if m.family or lang != "vi" else ""
    return f"{tr(MARK_TYPE_NAMES.get(m.type, m.type))}{family}"


def hour_reason(h: EvidenceHour, lang: str = "zh") -> str:
    """Why an hour of the data window is invalid, in Chinese or Vietnamese (the stored reason is the rules'
    shorthand)."""
    tr = translations("vi" if lang == "vi" else "zh").gettext
    marks = ("đánh dấu " if lang == "vi" else "标记 ") + h.mark_ids if h.mark_ids else ""
    return reason_text(h.reason, tr) or marks


def _identity(text: str) -> str:
    return text


def _severity(code: str, vi: bool, tr: Callable[[str], str]) -> str:
    return tr(SEVERITY_WORDS.get(code, code)) if vi else SEVERITY_ZH.get(code, code)


def _state(code: str, vi: bool, tr: Callable[[str], str]) -> str:
    return tr(STATE_WORDS.get(code, code)) if vi else STATE_ZH.get(code, code)


def _acted(vi: bool, what: str, who: str | None, when: str, reason: str | None = None) -> str:
    """``，张三 于 … 确认`` / ``, xác nhận bởi … lúc …``: who acknowledged or cleared the alarm, and when."""
    if vi:
        return (f", {who} xác nhận lúc {when}" if what == "ack" else f", {who} đóng lúc {when}: {reason}")
    return f"，{who} 于 {when} 确认" if what == "ack" else f"，{who} 于 {when} 解除：{reason}"


def _raw_shown(pack: EvidencePack) -> bool:
    """The pack lists original records: a monitoring point's frames, or those the subsystem's data has."""
    if pack.data is not None:
        return bool(pack.data.records) or pack.data.records_total > 0
    return pack.mn is not None


def has_corrected(pack: EvidencePack) -> bool:
    """Whether the pack's window holds O2-corrected (折算) values: an hour's or a minute's ``zs_value``."""
    return (any(h.zs_value is not None for h in pack.hours)
            or any(v is not None for m in pack.minutes.values() for v in m.zs_values))


def _sections(pack: EvidencePack, _: Callable[[str], str] = _identity) -> list[tuple[str, list]]:
    """The pack as headings and items (``str`` paragraphs, :class:`_Table`, ``bytes`` chart PNG); ``_``
    translates the catalogue's lines (rule and alarm-type summaries) into the reader's language."""
    a = pack.alarm
    L = pack.local
    sections: list[tuple[str, list]] = []
    vi = pack.lang == "vi"
    zh = translations("vi" if vi else "zh").gettext     # the names of types, severities, states, rules
    T = labels(pack.lang)
    to = f" {T('至')} " if vi else " 至 "

    def paren(word: str, code: str) -> str:   # "Vượt quy chuẩn (ALM-EXCEEDANCE)", "超标（ALM-EXCEEDANCE）"
        return f"{word} ({code})" if vi else f"{word}（{code}）"

    # a monitoring alarm shows its point's window, marks and frames; another subsystem's alarm its own data
    # (``pack.data``); what does not apply is left out, not shown empty
    at_point = pack.data is None and pack.mn is not None
    raw_shown = _raw_shown(pack)
    head = [[T("告警编号 Alarm id"), f"#{a['id']}"],
            [T("告警类型 Type"), paren(type_name(a['type'], zh), a['type'])],
            [T("严重程度 Severity"), paren(_severity(a['severity'], vi, zh), a['severity'])],
            [T("状态 State"), paren(_state(a['state'], vi, zh), a['state'])
             + (_acted(vi, "ack", a['acknowledged_by'], L(a['acknowledged_at'])) if a.get("acknowledged_at") else "")
             + (_acted(vi, "clear", a['cleared_by'], L(a['cleared_at']), a['clear_reason'])
                if a.get("cleared_at") else "")],
            [T("标题 Title"), pack.title_text or a["title"]],
            [T("首次 First seen"), L(a["first_at"])], [T("最近 Last seen"), L(a["last_at"])],
            [T("发生次数 Occurrences"), str(a["occurrences"])],
            [T("告警时段 Alarm span"), f"{L(pack.span_start)}{to}{L(pack.span_end)}"],
            [T("企业 Enterprise"), pack.enterprise or "—"], [T("统一社会信用代码"), pack.credit_code or "—"]]
    if pack.point is not None:   # the alarm's monitoring point
        head += [[T("排放口 Outlet"), pack.outlet or "—"], [T("监测点 Point"), pack.point or "—"], [T("MN"), pack.mn or "—"]]
    head += [list(row) for row in (pack.data.head if pack.data is not None else [])]
    head += [[T("行政区 Region"), pack.region or "—"], [T("负责人 Assignee"), a.get("assignee") or "—"]]
    if raw_shown:
        head.append(
            [T("原始报文 SHA-256"), f"{pack.frames_sha256}（{len(pack.frames)} {'tệp / gói tin' if vi else '条 frames'}）"])
    sections.append((T("1 告警概况 Alarm"), [_Table([T("项目 Item"), T("内容 Value")], head, [0.24, 0.76], wrap=(1,),
                                              font_size=8)]))

    names_of = {f.code: f.name_zh for f in pack.factors} if vi else {}
    items: list = [pack.explanation_text or a.get("explanation") or T("（无说明 no explanation）")]
    if pack.findings:
        items.append(_Table([T("代码 Code"), T("因子 Factor"), T("时段 Span"), T("说明 Explanation")],
                            [[f"{rule_name(f.code, zh)}\n{f.code}\n{kind_name(f.kind, zh)}", f.factor,
                              f"{L(f.start, seconds=False)}\n{to.strip()} {L(f.end, seconds=False)}",
                              f.explanation + (f"\n{T('佐证 Corroborated by')}: {', '.join(f.corroborated_by)}"
                                               if f.corroborated_by else "")]
                             for f in pack.findings], [0.17, 0.11, 0.24, 0.48], wrap=(2, 3)))
    if pack.periods:
        items.append(_Table([T("因子 Factor"), T("时段 Period"), T("开始 Start"), T("判定值 Value"), T("限值 Limit"),
                             T("超标倍数 Multiple")],
                            [[names_of.get(p.factor_code, p.factor_code),
                              {"hour": T("小时 hour"), "day": T("日 day")}.get(p.period, p.period),
                              L(p.start, seconds=False), _fmt(p.value), _fmt(p.limit_value), _fmt(p.multiple)]
                             for p in pack.periods], [0.13, 0.13, 0.3, 0.14, 0.14, 0.16], wrap=(0,)))
    items.append(_("Rules cited: the code in the rule catalogue, what the rule says, and the standard or "
                   "official document it applies."))
    items.append(_Table([_("Code"), _("Severity"), _("Rule"), _("Standard or document")],
                        [[r.code, _(r.severity.capitalize()) if r.severity else "—", _(r.summary),
                          r.source or _("Rule of the platform (no published standard)")] for r in pack.rules],
                        [0.2, 0.1, 0.42, 0.28], wrap=(0, 2, 3)))
    sections.append((T("2 说明与依据 Explanation and rules"), items))

    if pack.data is not None:
        sections.append((T("3 数据窗口 Data window"), _data_items(pack)))
    elif at_point:
        names = {f.code: f for f in pack.factors}
        if vi:
            window = (f"{L(pack.window_start, seconds=False)}{to}{L(pack.window_end, seconds=False)}"
                      f" ({pack.settings.hours_before:g} giờ trước và {pack.settings.hours_after:g} giờ sau thời gian "
                      "cảnh báo" + (f"; quá {pack.settings.max_window_days:g} ngày, chỉ giữ phần gần nhất"
                                    if pack.window_capped else "") + ")")
            lead = (f"Cửa sổ số liệu (Data window): {window}. Thông số: "
                    + ("; ".join(f"{f.name_zh} ({f.code})" for f in pack.factors) or "—") + ". Biểu đồ là giá trị "
                    "phút (số liệu làm căn cứ cảnh báo), vạch đậm là trung bình giờ.")
        else:
            window = (f"{L(pack.window_start, seconds=False)} 至 {L(pack.window_end, seconds=False)}"
                      f"（告警时段前 {pack.settings.hours_before:g} h、后 {pack.settings.hours_after:g} h"
                      + (f"；超过 {pack.settings.max_window_days:g} 天，只保留最近部分" if pack.window_capped else "") + "）")
            lead = (f"数据窗口 Data window：{window}。因子 Factors："
                    + ("、".join(f"{f.name_zh}（{f.code}）" for f in pack.factors) or "—") + "。"
                    + "图中为分钟值（告警依据的数据），粗线为小时均值 The charts show the minute values the alarm was "
                      "raised on; thick bars are the hourly means.")
        items = [lead, *(evidence_chart_png(pack, group) for group in chart_groups(pack))]
        lim = [f"{names[c].name_zh if c in names else c}{': ' if vi else '：'}"
               f"{T('小时均值限值') if k == 'hour' else T('日均值限值')}" for c, k in pack.limit_kind.items()]
        # "corrected" (折算, quy đổi) is said only where the window has corrected values: a point without a
        # reference O2 (a Vietnamese station under QCVN 19:2009) is judged on its measured means
        corrected = has_corrected(pack)
        if lim:
            if vi:
                items.append("Giới hạn trên biểu đồ (Limits drawn): " + "; ".join(lim) + ". "
                             + ("Khí thải: xét giá trị đã quy đổi theo O2 tham chiếu của quy chuẩn." if corrected else
                                "Giá trị xét là trung bình đo được ở điều kiện chuẩn của quy chuẩn; quy chuẩn không "
                                "quy định O2 tham chiếu."))
            else:
                items.append("图中限值 Limits drawn：" + "；".join(lim)
                             + ("（气态污染物按折算浓度判定）。" if corrected else "（按实测均值判定；限值未规定基准氧含量）。"))
        rows, shade = [], []
        for h in pack.hours:
            rows.append([L(h.start, seconds=False), f"{names[h.factor_code].name_zh if h.factor_code in names else ''}"
                         f" {h.factor_code}", _fmt(h.value)] + ([_fmt(h.zs_value)] if corrected else [])
                        + [T("有效") if h.valid else T("无效"), h.flag or "—", hour_reason(h, pack.lang),
                           _yes(h.exceeded, vi)])
            if not h.valid:
                shade.append((len(rows), "#F8CBAD"))
            elif h.exceeded:
                shade.append((len(rows), "#FFD7D7"))
        heads = ("时间 Time", "因子 Factor", "实测 Value") + (("折算 Corr.",) if corrected else ()) + (
            "有效 Valid", "标志 Flag", "原因 Reason", "超标 Exc.")
        widths = ([0.2, 0.17, 0.09, 0.09, 0.08, 0.07, 0.22, 0.08] if corrected else
                  [0.2, 0.19, 0.11, 0.08, 0.07, 0.27, 0.08])
        items.append(_Table([T(x) for x in heads], rows or [["—"] * len(heads)], widths, wrap=(1, len(heads) - 2),
                            font_size=6.5, shade=shade))
        sections.append((T("3 数据窗口 Data window"), items))

    if at_point:
        sections.append((T("4 标记 Marks"), [_Table(
            [T(x) for x in ("编号", "类型 Type", "时段 Span", "状态 Status", "填报 Filed by", "原因 Reason")],
            [[str(m.id), mark_kind(m, pack.lang) + (f"\n{','.join(m.factor_codes)}" if m.factor_codes else ""),
              f"{L(m.start, seconds=False)}\n{to.strip()} {L(m.end, seconds=False) if m.end else T('未结束 open')}",
              f"{m.status} / {m.source}", m.filed_by or "—",
              (mark_reason_text(m.reason, zh) if vi else m.reason) or "—"] for m in pack.marks] or [["—"] * 6],
            [0.07, 0.2, 0.27, 0.13, 0.12, 0.21], wrap=(1, 2, 5))]))

    if raw_shown:
        grace = pack.settings.frame_grace_minutes
        note_vi = (f"Các tệp / gói tin gốc nhận được trong thời gian cảnh báo (kể cả {grace:g} "
                   f"phút sau đó) hoặc mang số liệu của thời gian đó (kể cả gửi bù): {pack.frames_total}; liệt kê "
                   f"{len(pack.frames)} cái sớm nhất. Tính toàn vẹn (Integrity): SHA-256 của các bản gốc đầy đủ nối "
                   f"theo thứ tự = {pack.frames_sha256}; SHA-256 của từng bản ở trong bảng.")
        note = (f"告警时段内（含结束后 {grace:g} 分钟）收到的、或载有该时段数据（含补发）的原始报文共 "
                f"{pack.frames_total} 条，"
                f"列出最早的 {len(pack.frames)} 条。完整性校验 Integrity：所列报文完整原始字节按顺序拼接的 "
                f"SHA-256 = {pack.frames_sha256}；每条报文的 SHA-256 见表。")
        frame_head = (f"Nội dung ({pack.settings.frame_chars} ký tự đầu)" if vi
                      else f"报文（前 {pack.settings.frame_chars} 字符）Frame")
        sections.append((T("5 原始报文 Raw HJ 212 frames"), [note_vi if vi else note, _Table(
            [T("编号 Id"), T("接收时间 Received"), "CN / QN", "SHA-256", frame_head],
            [[str(f.id), L(f.received_at), f"{f.cn or '—'}\n{f.qn or '—'}\n{f.status}", f.sha256,
              f.text] for f in pack.frames] or [["—"] * 5],
            [0.07, 0.15, 0.13, 0.15, 0.5], wrap=(1, 3, 4), font_size=6)]))

    ev_rows = [[L(e["at"]), e["kind"], e.get("actor") or "—", e.get("comment") or ""] for e in pack.events]
    dl_rows = [[L(d["at"]), d["event"], d["channel"], d["recipient"], T("成功") if d["ok"] else T("失败"),
                d.get("detail") or ""] for d in pack.deliveries]
    sections.append((T("6 告警历史 Alarm history"), [
        T("事件 Events："), _Table([T(x) for x in ("时间 At", "事件 Kind", "操作人 Actor", "说明 Comment")],
                                 ev_rows or [["—"] * 4], [0.25, 0.13, 0.15, 0.47], wrap=(3,)),
        T("通知 Deliveries："), _Table([T(x) for x in ("时间 At", "事件", "渠道 Channel", "接收人 Recipient", "结果 OK",
                                                     "详情 Detail")],
                                  dl_rows or [["—"] * 6], [0.22, 0.1, 0.1, 0.25, 0.08, 0.25], wrap=(3, 5))]))

    sections.append((T("7 链接 Links"), [f"{label}{': ' if vi else '：'}{url}" for label, url in pack.links]))
    # numbered in order: a section left out leaves no gap
    return [(re.sub(r"^\d+", str(n), heading), items) for n, (heading, items) in enumerate(sections, start=1)]


def _all_text(title: str, sections: list[tuple[str, list]], footer: str) -> str:
    parts = [title, footer, "第页共/"]
    for heading, items in sections:
        parts.append(heading)
        for it in items:
            if isinstance(it, str):
                parts.append(it)
            elif isinstance(it, _Table):
                parts += it.header + [c for row in it.rows for c in row]
    return "".join(parts)


def _numbered_canvas(font: str, footer: str, margin: float, page_words: str = "第 {n} 页 / 共 {total} 页"):
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        """Draws "第 n 页 / 共 N 页" once the page count is known (pages are kept until ``save``)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab API)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                w, _h = self._pagesize
                self.setFont(font, 7)
                self.setFillGray(0.3)
                self.drawString(margin, 8 * 72 / 25.4, footer)
                self.drawRightString(w - margin, 8 * 72 / 25.4, page_words.format(n=self._pageNumber, total=total))
                super().showPage()
            super().save()

    return NumberedCanvas


def evidence_pack_pdf(pack: EvidencePack, gettext: Callable[[str], str] | None = None) -> bytes:
    """Render ``pack`` as a PDF (A4 portrait); returns the file's bytes.

    ``gettext`` translates the cited rules (summaries, headings) into the reader's language (the web UI's
    catalogues, :func:`ecosentry.web.i18n.translations`); ``None`` leaves them in English (Vietnamese in a
    pack built with ``lang="vi"``).
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ecosentry.reports.fonts import reportlab_font
    from ecosentry.subsystems.monitoring.reports.pdf import HEADER_BG

    a = pack.alarm
    raw_shown = _raw_shown(pack)
    if pack.lang == "vi":
        title = f"Hồ sơ chứng cứ cảnh báo (Evidence pack) — cảnh báo #{a['id']} {a['type']}"
        sub = f"Lập lúc (Generated) {pack.local(pack.generated_at)}" + (
            f"　Dữ liệu gốc SHA-256 {pack.frames_sha256}" if raw_shown else "")
        footer = (f"ecosentry hồ sơ chứng cứ #{a['id']}" + (f"　Mã trạm {pack.mn}" if pack.mn else "")
                  + f"　lập {pack.local(pack.generated_at)}")
    else:
        title = f"告警证据包 Evidence pack — 告警 #{a['id']} {a['type']}"
        sub = f"生成时间 Generated {pack.local(pack.generated_at)}" + (
            f"　原始报文 SHA-256 {pack.frames_sha256}" if raw_shown else "")
        footer = (f"ecosentry 告警证据包 #{a['id']}" + (f"　MN {pack.mn}" if pack.mn else "")
                  + f"　生成 {pack.local(pack.generated_at)}")
    if gettext is None and pack.lang == "vi":   # a Vietnamese pack says the cited rules in Vietnamese too
        gettext = translations("vi").gettext
    sections = _sections(pack, gettext or _identity)
    font = reportlab_font(_all_text(title + sub, sections, footer) + "Trang")

    page_w, page_h = A4
    margin = 14 * mm
    avail = page_w - 2 * margin
    # the frame's height (SimpleDocTemplate pads its frame by 6 pt on each side), less room for a heading
    avail_h = page_h - margin - 14 * mm - 12 - 40
    title_style = ParagraphStyle("title", fontName=font, fontSize=14, leading=18, alignment=1, spaceAfter=2)
    sub_style = ParagraphStyle("sub", fontName=font, fontSize=7, leading=9, alignment=1,
                               textColor=colors.HexColor("#444444"), spaceAfter=4)
    h_style = ParagraphStyle("h", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3,
                             textColor=colors.HexColor("#1F3864"))
    p_style = ParagraphStyle("p", fontName=font, fontSize=8.5, leading=12, spaceAfter=3)

    def para(text: str, style) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def table(t: _Table):
        cell = ParagraphStyle("cell", fontName=font, fontSize=t.font_size, leading=t.font_size * 1.25,
                              splitLongWords=1, wordWrap="CJK")
        data = [[para(h, cell) for h in t.header]]
        first_row: dict[int, int] = {}       # row of t.rows (1-based, as t.shade counts) → its first table row
        for n, row in enumerate(t.rows, start=1):
            first_row[n] = len(data)
            # a long text (a comment, a clear or mark reason typed by a user) goes on over several table rows,
            # so no row is taller than a page: such a row stopped the PDF with reportlab's LayoutError
            pieces = [text_pieces(c, max(60, int(t.widths[i] * avail / t.font_size) * ROW_LINES))
                      if i in t.wrap or "\n" in c else [c] for i, c in enumerate(row)]
            for k in range(max(len(p) for p in pieces)):
                data.append([(para(p[k], cell) if i in t.wrap or "\n" in p[k] else p[k]) if k < len(p) else ""
                             for i, p in enumerate(pieces)])
        tb = Table(data, colWidths=[w * avail for w in t.widths], repeatRows=1)
        tb.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), t.font_size),
            ("LEADING", (0, 0), (-1, -1), t.font_size * 1.25), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#808080")),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            *(("BACKGROUND", (0, first_row[r]), (-1, first_row[r]), colors.HexColor(c)) for r, c in t.shade)]))
        return tb

    story: list = [para(title, title_style), para(sub, sub_style)]
    for heading, items in sections:
        flow: list = [para(heading, h_style)]
        for it in items:
            if isinstance(it, str):
                flow.append(para(it, p_style))
            elif isinstance(it, _Table):
                flow.append(table(it))
                flow.append(Spacer(1, 3))
            else:
                # fit the frame both ways: a chart taller than a page raised reportlab's LayoutError
                # "Image too large" (alarms with many factors)
                img = Image(io.BytesIO(it))
                scale = min(avail / img.imageWidth, avail_h / img.imageHeight)
                img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
                flow.append(img)
        story.append(KeepTogether(flow[:2]))
        story += flow[2:]

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=14 * mm, title=title, author="ecosentry",
                            subject=f"frames SHA-256 {pack.frames_sha256}")
    pages = "Trang {n} / {total}" if pack.lang == "vi" else "第 {n} 页 / 共 {total} 页"
    doc.build(story, canvasmaker=_numbered_canvas(font, footer, margin, pages))
    return buf.getvalue()
