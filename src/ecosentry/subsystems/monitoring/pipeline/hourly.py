"""Recompute derived hourly values for the hours that received minute data (late data included)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.invalid_periods import declared_by_series
from ecosentry.subsystems.monitoring.pipeline.columns import fit_ids, fit_text
from ecosentry.subsystems.monitoring.pipeline.periods import judge_hour, load_limits
from ecosentry.subsystems.monitoring.rules.cn.exceedance import Limit, judge
from ecosentry.subsystems.monitoring.rules.cn.flue_gas import hourly_corrected_mean
from ecosentry.subsystems.monitoring.rules.cn.hourly import VALID_FLAGS, HourlyValue, MinuteRecord, hourly_from_minutes
from ecosentry.settings import get_settings
from ecosentry.subsystems.monitoring.rules.cn.marks import hour_mark_effect
from ecosentry.subsystems.monitoring.rules.cn.out_of_control import apply_out_of_control, outside_minutes
from ecosentry.subsystems.monitoring.store.marks import marks_for_points
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.ingest import upsert_hourly

HourKey = tuple[int, str, datetime]  # (point id, factor, hour start in UTC)


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def local_hour_start(t: datetime, tz: str) -> datetime:
    """Start (UTC) of the clock hour of the point's time zone that contains ``t``.

    Every UTC offset in use is a multiple of 15 minutes, so the answer is the same for all ``t`` in one
    UTC quarter-hour: it is computed once per (zone, quarter-hour) and cached (the ingest hot path)."""
    quarter = t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)
    return _local_hour_start_of_quarter(quarter, tz)


@lru_cache(maxsize=4096)
def _local_hour_start_of_quarter(quarter: datetime, tz: str) -> datetime:
    local = quarter.astimezone(_zone(tz))
    return local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def hours_touched(minutes: Iterable[tuple[int, str, datetime]], directory: PointDirectory) -> set[HourKey]:
    """The (point, factor, local hour start in UTC) keys of the minutes written. A frame's factors share its
    point and minute, so each (point, minute) is looked up once (the worker's hot path)."""
    out: set[HourKey] = set()
    hour_of: dict[tuple[int, datetime], datetime] = {}
    for point_id, factor, start in minutes:
        hour = hour_of.get((point_id, start))
        if hour is None:
            info = directory.by_id(point_id)
            hour = hour_of[(point_id, start)] = local_hour_start(start, info.tz if info else "UTC")
        out.add((point_id, factor, hour))
    return out


O2 = "a19001"
#: Pollutants whose concentration is corrected to the reference O2 (HJ 212-2017 App. D eq. (28)).
CORRECTED_FACTORS = frozenset({"a34013", "a21026", "a21002", "a21005", "a21024", "a21003", "a21004"})


def _platform_corrected(minutes: list[MinuteRecord], o2_minutes: list[MinuteRecord], o2_ref: float,
                        method: str) -> float | None:
    """The hourly 折算 value from the valid minutes that have an O2 minute, when the logger sent none."""
    o2 = {m.start: m.value for m in o2_minutes if m.value is not None and (m.flag or "N") in VALID_FLAGS}
    pairs = [(m.value, o2[m.start]) for m in minutes
             if m.value is not None and (m.flag or "N") in VALID_FLAGS and m.start in o2]
    if not pairs:
        return None
    result = hourly_corrected_mean([c for c, _ in pairs], [x for _, x in pairs], o2_ref, method)
    return result.value


def logger_hour(r) -> HourlyValue:
    """The hour as the logger reported it (CN 2061): one record covering the whole hour, valid when its
    flag is N or S and it has a value (HJ 212-2017 Table 8)."""
    flag = (r.flag or "N").strip() or "N"
    valid = flag in VALID_FLAGS and r.value is not None
    return HourlyValue(value=r.value, zs_value=r.zs_value, min=r.min, max=r.max, cou=r.cou, flag=flag, valid=valid,
                       valid_minutes=60 if valid else 0, received_minutes=60, n_records=1,
                       reason=None if valid else ("logger hour without a value" if r.value is None
                                                  else f"logger hour flagged {flag}"))


def _derive_hour(key: HourKey, grouped: dict[HourKey, list[MinuteRecord]], logger_hour_row,
                 last_received: dict[HourKey, datetime], info, marks: list, limits: list, zs_method: str,
                 now: datetime, invalid: Sequence[tuple[datetime, datetime]] = ()) -> dict:
    """One hourly_values row: the rule's hour (or the logger's for wastewater), then :func:`hour_row`."""
    point_id, factor, hour = key
    minutes = grouped.get(key, [])
    if info and info.medium == "water" and not minutes and logger_hour_row is not None:
        hv = logger_hour(logger_hour_row)
        last_received.setdefault(key, logger_hour_row.received_at)
    else:
        hv = hourly_from_minutes(minutes, medium="water" if info and info.medium == "water" else "gas",
                                 interval_minutes=info.min_interval if info else 1)
    return hour_row(key, hv, info, marks, limits, zs_method, now, last_received.get(key),
                    lambda: (minutes, grouped.get((point_id, O2, hour), [])), invalid=invalid)


def hour_row(key: HourKey, hv: HourlyValue, info, marks: list, limits: list, zs_method: str, now: datetime,
             last_received_at: datetime | None,
             minutes_of_hour: Callable[[], tuple[list[MinuteRecord], list[MinuteRecord]]],
             day: date | None = None, invalid: Sequence[tuple[datetime, datetime]] = ()) -> dict:
    """One hourly_values row from the rolled-up hour: the out-of-control minutes made invalid, the platform's
    折算 where none was sent, the marks' effect and the exceedance judgement. ``minutes_of_hour`` gives the
    factor's and the O2 minutes of the hour, called only when the platform's 折算 is needed or a period touches
    the hour; ``day`` is the hour's local day when known; ``invalid`` the factor's out-of-control periods
    (``Subsystem.invalid_periods``, :mod:`ecosentry.pipeline.invalid_periods`), any that overlap the range
    recomputed (:func:`~ecosentry.subsystems.monitoring.rules.cn.out_of_control.apply_out_of_control`).

    Shared by the per-period path (:func:`recompute_hours`) and the bulk path
    (:mod:`ecosentry.subsystems.monitoring.pipeline.bulk_recompute`), so both give the same rows."""
    point_id, factor, hour = key
    medium = "water" if info and info.medium == "water" else "gas"
    periods = [p for p in invalid if p[0] < hour + timedelta(hours=1) and p[1] > hour]
    if periods:
        interval = info.min_interval if info else 1
        own, o2_minutes = minutes_of_hour()
        hv = apply_out_of_control(hv, own, hour, periods, medium=medium, interval_minutes=interval)
        kept = outside_minutes(own, periods, interval)
        minutes_of_hour = lambda: (kept, o2_minutes)  # noqa: E731 (the platform's 折算 of the valid minutes left)
    zs_value = hv.zs_value
    if zs_value is None and medium == "gas" and info and info.ref_o2 is not None and factor in CORRECTED_FACTORS:
        minutes, o2_minutes = minutes_of_hour()
        zs_value = _platform_corrected(minutes, o2_minutes, info.ref_o2, zs_method)
    # marks (标记) override the instrument: reference notes §2.4
    if marks:
        effect, mark_ids, mark_reason = hour_mark_effect(marks, factor, hour, hour + timedelta(hours=1))
    else:
        effect, mark_ids, mark_reason = None, (), None
    valid, reason = hv.valid, hv.reason
    if effect == "invalid":
        valid, reason = False, mark_reason
    elif effect is not None:
        reason = "; ".join(x for x in (reason, mark_reason) if x)
    excluded = effect == "excluded"
    if limits and medium == "gas":
        if day is None:
            day = hour.astimezone(_zone(info.tz if info else "UTC")).date()
        exc = judge_hour(medium, zs_value, hv.value, valid and not excluded, limits, day)
    else:
        exc = None  # judge_hour judges flue-gas hours with limits only
    return _hour_dict(key, hv, zs_value, valid, reason, now, last_received_at, mark_ids, excluded, effect == "exempt",
                      exc)


def _hour_dict(key: HourKey, hv: HourlyValue, zs_value: float | None, valid: bool, reason: str | None, now: datetime,
               last_received_at: datetime | None, mark_ids: Sequence[int], excluded: bool, exempt: bool, exc) -> dict:
    point_id, factor, hour = key
    return {"point_id": point_id, "factor_code": factor, "period_start": hour, "value": hv.value,
            "zs_value": zs_value, "min": hv.min, "max": hv.max, "cou": hv.cou, "flag": hv.flag, "valid": valid,
            "valid_minutes": hv.valid_minutes, "received_minutes": hv.received_minutes, "n_records": hv.n_records,
            "reason": fit_text(reason, 200), "computed_at": now, "last_received_at": last_received_at,
            "mark_ids": fit_ids(mark_ids, 200), "excluded": excluded, "exempt": exempt,
            "exceeded": exc.exceeded if exc else None, "multiple": exc.multiple if exc else None,
            "limit_value": exc.limit.upper if exc and exc.limit else None}


def needs_minutes(hv: HourlyValue, factor: str, info) -> bool:
    """Whether :func:`hour_row` computes the platform's 折算 of the hour from its minutes (none was sent)."""
    return (hv.zs_value is None and info is not None and info.medium != "water" and info.ref_o2 is not None
            and factor in CORRECTED_FACTORS)


def plain_hour_row(key: HourKey, hv: HourlyValue, medium: str, hour_limit: Limit | None, judged: bool,
                   now: datetime, last_received_at: datetime | None) -> dict:
    """:func:`hour_row` of an hour that no mark and no out-of-control period touches and whose 折算 needs no
    minutes (:func:`needs_minutes` false): the rolled-up hour judged against ``hour_limit``, the limit in force
    on the hour's local day (:func:`~.periods.hour_limit`); ``judged`` whether the series has limits at all.
    The bulk path's row for most hours (the same dict, without the per-hour checks)."""
    exc = judge(hv.zs_value if hv.zs_value is not None else hv.value, hv.valid, hour_limit) \
        if judged and medium == "gas" else None
    return _hour_dict(key, hv, hv.zs_value, hv.valid, hv.reason, now, last_received_at, (), False, False, exc)


def by_hour_keys(by_hour: dict[datetime, set[HourKey]]) -> set[HourKey]:
    return set().union(*by_hour.values()) if by_hour else set()


def recompute_hours(engine: Engine, keys: Iterable[HourKey], directory: PointDirectory) -> int:
    """Recompute and store the given hours from the stored minute observations; returns hours written.

    One query per distinct hour (usually the current one and perhaps the previous), for all points at once.
    """
    by_hour: dict[datetime, set[HourKey]] = defaultdict(set)
    for k in keys:
        by_hour[k[2]].add(k)
    now = datetime.now(timezone.utc)
    zs_method = get_settings().monitoring.zs_method
    written = 0
    o = s.observations
    with engine.begin() as conn:
        limits = load_limits(conn, {k[0] for k in by_hour_keys(by_hour)})
        marks = (marks_for_points(conn, {k[0] for k in by_hour_keys(by_hour)}, min(by_hour),
                                  max(by_hour) + timedelta(hours=1)) if by_hour else {})
        # out-of-control periods of the points (a failed calibration until the next pass), from the subsystems
        # that declare them (O&M), read once for the flush
        invalid = declared_by_series(conn, {k[0] for k in by_hour_keys(by_hour)}, min(by_hour),
                                     max(by_hour) + timedelta(hours=1), now) if by_hour else {}
        for hour, hkeys in sorted(by_hour.items()):
            rows = conn.execute(
                select(o.c.point_id, o.c.factor_code, o.c.period_start, o.c.value, o.c.flag, o.c.zs_value,
                       o.c.min, o.c.max, o.c.cou, o.c.received_at)
                .where(o.c.kind == "min", o.c.point_id.in_(sorted({k[0] for k in hkeys})),
                       o.c.period_start >= hour, o.c.period_start < hour + timedelta(hours=1))).all()
            # wastewater: the logger's own hourly record stands for the hour where no minute data exist: the
            # analyser produces one value per measuring cycle, typically the hour (reference notes §2.3); flue
            # gas hours always need their minutes (45 valid minutes, HJ 76-2017 App. B)
            logger_hours = {(r.point_id, r.factor_code): r for r in conn.execute(
                select(o.c.point_id, o.c.factor_code, o.c.value, o.c.flag, o.c.zs_value, o.c.min, o.c.max,
                       o.c.cou, o.c.received_at)
                .where(o.c.kind == "hour", o.c.point_id.in_(sorted({k[0] for k in hkeys})),
                       o.c.period_start == hour))}
            grouped: dict[HourKey, list[MinuteRecord]] = defaultdict(list)
            last_received: dict[HourKey, datetime] = {}
            for point_id, factor, start, value, flag, zs_value, lo, hi, cou, received_at in rows:
                key = (point_id, factor, hour)
                if key in hkeys:
                    if key not in last_received or received_at > last_received[key]:
                        last_received[key] = received_at
                    grouped[key].append(MinuteRecord(start=start, value=value, flag=flag, zs_value=zs_value,
                                                     min=lo, max=hi, cou=cou))
            out = [_derive_hour(key, grouped, logger_hours.get(key[:2]), last_received,
                                directory.by_id(key[0]), marks.get(key[0], []),
                                limits.get(key[:2], []), zs_method, now, invalid.get(key[:2], ()))
                   for key in sorted(hkeys)]
            upsert_hourly(conn, out)
            written += len(out)
    return written
