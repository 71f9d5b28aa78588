"""Effective transmission rate (有效传输率) from hourly slots, pure.

One call covers one monitoring point, one assessed factor and one statistics period. The input is the
period's hourly slots (one per clock hour, reference notes §1.1: "the validity unit is one hour per
pollutant"); the output is the national interface's counts (``enumber``, ``dnumber``, ``mnumber``,
``snumber``, ``nosNum``) and its three rates (``transRate``, ``effeRate``, ``effeTransRate``), with a
per-hour reason list (``invalidReasons``).

Rules implemented (reference notes §1.4, "recommended exact implementation")
---------------------------------------------------------------------------
* ``H`` = hourly slots of the period; ``H_stop`` = slots under a 工况 停运 mark (§1.2 [S]: "不计入有效传输
  率统计时段") and, by setting, slots under a 非排污单位责任 mark (§1.2 [R] UNCONFIRMED).
* ``M`` (应收组) = ``H − H_stop``.
* ``D`` (实收个) = received records in the ``M`` slots. **即时** (``mode="realtime"``): back-filled records
  (``mstatus = 6``) are not counted; **补全** (``mode="backfilled"``): they are (§1.2 [C]).
* ``NOS`` (不参与) = wastewater COD/NH3-N/TP/TN slots under a 标样核查 mark, at most
  :attr:`RateSettings.max_exempt_slots_per_day` (default 1) per local day (§1.2 [S]).
* ``S`` (有效组) = received, non-exempt slots whose hourly record is valid.
* ``transRate = D / M``; ``effeRate = S / (M − NOS)`` (denominator by setting, UNCONFIRMED);
  ``effeTransRate = transRate × effeRate`` (§1.1 [S]).
* Aggregation to point, enterprise or region: **sum the counts** (:func:`sum_counts`), then compute the
  rates from the sums (:func:`rates_from_counts`); rates are never averaged (§1.4, UNCONFIRMED but
  implied by the API returning counts at every level).

Choices this module makes (documented, tested)
----------------------------------------------
* Hourly slots carry one record each, so records and groups coincide: ``expected == expected_groups``.
  Both fields are kept because the national model has both (``enumber`` / ``mnumber``).
* A slot both stopped and non-attributable counts as stopped.
* A back-filled slot is, in 即时 mode, neither received nor valid.
* When a day has more 标样核查 slots than the cap, the exempt ones are chosen **invalid first, then
  earliest** (the exemption forgives the hour the check cost; exempting a valid hour instead would lower
  the rate). The "local day" is the calendar date of ``HourSlot.start`` as given: pass local times.
* The exemption is ignored (and said so in the hour reason) when ``factor_code`` is given and is not one
  of :data:`STANDARD_SAMPLE_FACTORS`. With ``factor_code=None`` the caller's flags are trusted.
* ``validity_denominator``: ``"expected_minus_exempt"`` (default, §1.4) → ``S / (M − NOS)``;
  ``"expected"`` → the exemption is not applied, ``(S + valid exempt slots) / M``;
  ``"received"`` → ``S / (D − received exempt slots)``.
* A zero denominator gives a ``None`` rate and a note, never 0 % or 100 %.

References
----------
.. [1] 企业回流自动监控数据接口说明 V1.6 (2025-03-21) §2.6 (counts, rates, 即时/补全), via reference notes §1.1.
.. [2] 《自动监测数据有效传输率统计算法说明》 (not public; quoted by users, reference notes §1.2).
.. [3] shared/reference/china-vietnam-rules.md §1.1, §1.2, §1.4; shared/reference/subsystems.md §4.2
   (mark families).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Sequence

__all__ = [
    "HourSlot",
    "RateSettings",
    "RateCounts",
    "Rates",
    "STANDARD_SAMPLE_FACTORS",
    "count_slots",
    "rates_from_counts",
    "compute_rates",
    "sum_counts",
    "expected_hours",
]

#: Wastewater factors whose 标样核查 hour may be exempt: COD, NH3-N, TP, TN (reference notes §1.2 [S]).
STANDARD_SAMPLE_FACTORS = frozenset({"w01018", "w21003", "w21011", "w21001"})

Mode = Literal["realtime", "backfilled"]
ValidityDenominator = Literal["expected_minus_exempt", "expected", "received"]


@dataclass(frozen=True)
class HourSlot:
    """One clock hour of one factor at one point, as the rate statistics see it.

    Attributes
    ----------
    start : datetime
        Start of the hour, local time of the point (HJ 212 DataTime).
    received : bool
        An hourly record exists now (on time or back-filled).
    received_late : bool
        The record arrived by back-fill (``mstatus = 6``, 补缺). Requires ``received``.
    valid : bool
        The hourly record is valid (flag N or S, hourly validity rule met, not under an invalidating
        mark). Requires ``received``.
    stopped : bool
        Covered by a 工况 停运 mark: the slot leaves the period.
    exempt_standard_sample : bool
        Covered by a 标样核查 mark (wastewater COD/NH3-N/TP/TN).
    non_attributable : bool
        Covered by a 非排污单位责任 mark (majeure_type 1 不可抗力, 2 长期停运关闭设备, 3 其他).
    reason : str or None
        Why the record is invalid (e.g. ``"自动监测设备维护"``), shown in the hour reasons.
    """

    start: datetime
    received: bool
    received_late: bool = False
    valid: bool = False
    stopped: bool = False
    exempt_standard_sample: bool = False
    non_attributable: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class RateSettings:
    """Settings for the choices the reference notes mark UNCONFIRMED.

    Attributes
    ----------
    validity_denominator : {"expected_minus_exempt", "expected", "received"}
        Denominator of 数据有效率 (reference notes §1.1 and §1.4, [R] UNCONFIRMED). With
        ``"expected"`` the exempt slots are still counted in ``excluded_groups`` (for display) but
        not used.
    non_attributable_leaves_denominator : bool
        Whether 非排污单位责任 slots leave ``M`` like stopped slots (§1.2, [R] UNCONFIRMED; default True
        because the mark's name says the loss is not the discharger's).
    max_exempt_slots_per_day : int
        标样核查 slots exempt per local day per factor (§1.2 [S]: "每日可有 1 小时").
    """

    validity_denominator: ValidityDenominator = "expected_minus_exempt"
    non_attributable_leaves_denominator: bool = True
    max_exempt_slots_per_day: int = 1

    def __post_init__(self) -> None:
        if self.validity_denominator not in ("expected_minus_exempt", "expected", "received"):
            raise ValueError(f"unknown validity_denominator {self.validity_denominator!r}")
        if self.max_exempt_slots_per_day < 0:
            raise ValueError("max_exempt_slots_per_day must be ≥ 0")


@dataclass(frozen=True)
class RateCounts:
    """Counts behind the rates; add them up to aggregate (:func:`sum_counts`).

    Attributes
    ----------
    hours : int
        ``H``, slots in the period.
    stopped : int
        Slots removed as 停运.
    non_attributable : int
        Slots removed as 非排污单位责任 (0 when the setting keeps them).
    expected : int
        ``M`` = 应收个数 (``enumber``).
    received : int
        ``D`` = 实收个数 (``dnumber``) in the mode counted.
    expected_groups : int
        应收组数 (``mnumber``); equal to ``expected`` for hourly slots.
    valid_groups : int
        ``S`` = 有效组数 (``snumber``), valid non-exempt slots.
    excluded_groups : int
        ``NOS`` = 不参与有效数据组数 (``nosNum``), exempt slots.
    valid_excluded : int
        Exempt slots that are nevertheless valid (used by ``validity_denominator="expected"``).
    received_excluded : int
        Exempt slots that were received (used by ``validity_denominator="received"``).
    """

    hours: int = 0
    stopped: int = 0
    non_attributable: int = 0
    expected: int = 0
    received: int = 0
    expected_groups: int = 0
    valid_groups: int = 0
    excluded_groups: int = 0
    valid_excluded: int = 0
    received_excluded: int = 0


@dataclass(frozen=True)
class Rates:
    """The three rates with their counts and explanations.

    Attributes
    ----------
    trans_rate, effe_rate, effe_trans_rate : float or None
        Fractions in [0, 1] (multiply by 100 for %); ``None`` when the denominator is 0.
    counts : RateCounts
    mode : {"realtime", "backfilled"} or None
        即时 or 补全; ``None`` for rates computed from summed counts of unknown mode.
    hour_reasons : tuple of dict
        Per slot, in time order: ``{"hour": "YYYY-MM-DD HH", "valid": True | False | None,
        "reason": str | None}``; ``valid`` is ``None`` for slots outside the validity statistics
        (stopped, non-attributable, exempt).
    notes : tuple of str
        Why a rate is ``None`` (division by zero).
    """

    trans_rate: float | None
    effe_rate: float | None
    effe_trans_rate: float | None
    counts: RateCounts
    mode: Mode | None = None
    hour_reasons: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()


def count_slots(
    slots: Sequence[HourSlot],
    *,
    mode: Mode = "backfilled",
    settings: RateSettings = RateSettings(),
    factor_code: str | None = None,
) -> tuple[RateCounts, tuple[dict, ...]]:
    """
    Count ``H, M, D, S, NOS`` for one point, factor and period.

    Parameters
    ----------
    slots : sequence of HourSlot
        The period's hourly slots, any order, unique starts.
    mode : {"realtime", "backfilled"}, default "backfilled"
        即时 (back-filled records not counted) or 补全.
    settings : RateSettings
    factor_code : str or None
        HJ 212 factor code; when given, the 标样核查 exemption applies only to
        :data:`STANDARD_SAMPLE_FACTORS`.

    Returns
    -------
    (RateCounts, tuple of dict)
        The counts and the per-hour reasons (see :class:`Rates`).

    Raises
    ------
    ValueError
        On duplicate starts, unknown mode, or a slot valid/late but not received.

    References
    ----------
    .. [1] Reference notes §1.4.
    """
    if mode not in ("realtime", "backfilled"):
        raise ValueError(f"mode must be 'realtime' or 'backfilled', not {mode!r}")
    ordered = sorted(slots, key=lambda s: s.start)
    _check_slots(ordered)
    exemption_allowed = factor_code is None or factor_code in STANDARD_SAMPLE_FACTORS

    def counted_received(s: HourSlot) -> bool:
        return s.received and (mode == "backfilled" or not s.received_late)

    def counted_valid(s: HourSlot) -> bool:
        return counted_received(s) and s.valid

    stopped = [s for s in ordered if s.stopped]
    non_attr = [
        s for s in ordered
        if not s.stopped and s.non_attributable and settings.non_attributable_leaves_denominator
    ]
    left = {id(s) for s in stopped} | {id(s) for s in non_attr}
    expected = [s for s in ordered if id(s) not in left]
    exempt: set[int] = set()
    if exemption_allowed:
        exempt = _exempt_slots(expected, counted_valid, settings.max_exempt_slots_per_day)

    counts = RateCounts(
        hours=len(ordered),
        stopped=len(stopped),
        non_attributable=len(non_attr),
        expected=len(expected),
        received=sum(1 for s in expected if counted_received(s)),
        expected_groups=len(expected),
        valid_groups=sum(1 for s in expected if id(s) not in exempt and counted_valid(s)),
        excluded_groups=len(exempt),
        valid_excluded=sum(1 for s in expected if id(s) in exempt and counted_valid(s)),
        received_excluded=sum(1 for s in expected if id(s) in exempt and counted_received(s)),
    )

    reasons = []
    for s in ordered:
        if s.stopped:
            valid, reason = None, "停运 (stopped: not in the period)"
        elif id(s) in left:
            valid, reason = None, "非排污单位责任 (non-attributable: not in the period)"
        elif id(s) in exempt:
            valid, reason = None, "标样核查 (standard-sample check: exempt)"
        else:
            valid, reason = counted_valid(s), _slot_reason(s, mode, exemption_allowed, counted_received(s))
        reasons.append({"hour": s.start.strftime("%Y-%m-%d %H"), "valid": valid, "reason": reason})
    return counts, tuple(reasons)


def rates_from_counts(
    counts: RateCounts,
    *,
    settings: RateSettings = RateSettings(),
    mode: Mode | None = None,
    hour_reasons: tuple[dict, ...] = (),
) -> Rates:
    """
    Transmission, validity and effective transmission rates from counts.

    Parameters
    ----------
    counts : RateCounts
        One slot series' counts or a sum of them (:func:`sum_counts`).
    settings : RateSettings
        Selects the validity denominator.
    mode, hour_reasons
        Carried into the result unchanged.

    Returns
    -------
    Rates

    Notes
    -----
    .. math::

        \\text{transRate} = D / M, \\quad
        \\text{effeRate} = S / (M - NOS), \\quad
        \\text{effeTransRate} = \\text{transRate} \\cdot \\text{effeRate}

    with the validity denominator replaced as :class:`RateSettings` says.

    References
    ----------
    .. [1] Reference notes §1.1 (product definition [S]) and §1.4.
    """
    notes: list[str] = []
    trans = _ratio(counts.received, counts.expected, "transRate", "expected slots M = 0", notes)
    if settings.validity_denominator == "expected_minus_exempt":
        effe = _ratio(
            counts.valid_groups, counts.expected_groups - counts.excluded_groups, "effeRate",
            "M − NOS = 0", notes,
        )
    elif settings.validity_denominator == "expected":
        effe = _ratio(
            counts.valid_groups + counts.valid_excluded, counts.expected_groups, "effeRate",
            "M = 0", notes,
        )
    else:
        effe = _ratio(
            counts.valid_groups, counts.received - counts.received_excluded, "effeRate",
            "received non-exempt slots = 0", notes,
        )
    effe_trans = trans * effe if trans is not None and effe is not None else None
    if effe_trans is None:
        notes.append("effeTransRate undefined: a factor rate is undefined")
    return Rates(
        trans_rate=trans, effe_rate=effe, effe_trans_rate=effe_trans, counts=counts, mode=mode,
        hour_reasons=hour_reasons, notes=tuple(notes),
    )


def compute_rates(
    slots: Sequence[HourSlot],
    *,
    mode: Mode = "backfilled",
    settings: RateSettings = RateSettings(),
    factor_code: str | None = None,
) -> Rates:
    """
    Rates of one point, factor and period (即时 or 补全).

    Parameters
    ----------
    slots : sequence of HourSlot
    mode : {"realtime", "backfilled"}, default "backfilled"
    settings : RateSettings
    factor_code : str or None
        See :func:`count_slots`.

    Returns
    -------
    Rates

    References
    ----------
    .. [1] Reference notes §1.4.
    """
    counts, reasons = count_slots(slots, mode=mode, settings=settings, factor_code=factor_code)
    return rates_from_counts(counts, settings=settings, mode=mode, hour_reasons=reasons)


def sum_counts(counts: Sequence[RateCounts]) -> RateCounts:
    """
    Add counts field by field, to aggregate factors into a point, points into an enterprise, etc.

    Parameters
    ----------
    counts : sequence of RateCounts

    Returns
    -------
    RateCounts
        Field-wise sums (all zero for an empty sequence). Compute the aggregate rates with
        :func:`rates_from_counts`; never average rates.

    References
    ----------
    .. [1] Reference notes §1.4 ("aggregate ... by summing the counts ... NOT by averaging the rates").
    """
    fields = [f.name for f in dataclasses.fields(RateCounts)]
    return RateCounts(**{name: sum(getattr(c, name) for c in counts) for name in fields})


def expected_hours(
    period_start: datetime,
    period_end: datetime,
    *,
    now: datetime,
    connected_at: datetime | None,
    decommissioned_at: datetime | None = None,
) -> list[datetime]:
    """
    The clock hours of a statistics period in which a point is expected to send data (应收时段).

    A point owes data only while it is connected (联网) and in service, and only for hours that have
    ended: an hour counts when the whole of it lies in

    .. math::

        [\\max(T_0, t_{connected}),\\; \\min(T_1, t_{now}, t_{decommissioned}))

    The hour in which the point was connected (or decommissioned) is partial and is not expected; the
    hour still running is not expected either. Stopped (停运) hours are removed afterwards, slot by slot
    (:attr:`HourSlot.stopped`, reference notes §1.2).

    Parameters
    ----------
    period_start, period_end : datetime
        The statistics period ``[T0, T1)``, timezone-aware. [UTC or any zone]
    now : datetime
        The time of the computation, timezone-aware: hours not yet ended are not expected.
    connected_at : datetime or None
        联网时间 of the point (registry); ``None``: the caller has no connection time at all (the point
        has never been connected and sent nothing), and no hour is expected.
    decommissioned_at : datetime or None
        撤销时间 of the point; ``None``: still in service.

    Returns
    -------
    list of datetime
        Start of each expected hour, in time order, in the zone of ``period_start``.

    Notes
    -----
    Choice (ours, documented in docs/rates.md): hours are clock hours of UTC, which are the clock hours of
    every zone with a whole-hour offset (China, Vietnam).

    References
    ----------
    .. [1] Reference notes §1.2 ("one group per assessed pollutant per clock hour while the source is
       operating"; vendor ``calculateShouldNum``: "24, or the hours elapsed so far today").
    .. [2] 环办执法函〔2021〕484号 (安装联网): data are owed from the point's connection (联网).
    """
    for name, t in (("period_start", period_start), ("period_end", period_end), ("now", now),
                    ("connected_at", connected_at), ("decommissioned_at", decommissioned_at)):
        if t is not None and t.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    if connected_at is None:
        return []
    lo = max(period_start, connected_at)
    hi = min(x for x in (period_end, now, decommissioned_at) if x is not None)
    hour = timedelta(hours=1)
    first = lo.replace(minute=0, second=0, microsecond=0)
    if first < lo:
        first += hour
    out = []
    t = first
    while t + hour <= hi:
        out.append(t.astimezone(period_start.tzinfo))
        t += hour
    return out


# --------------------------------------------------------------------------- helpers


def _check_slots(ordered: Sequence[HourSlot]) -> None:
    seen: set[datetime] = set()
    for s in ordered:
        if s.start in seen:
            raise ValueError(f"duplicate slot start {s.start.isoformat()}")
        seen.add(s.start)
        if (s.valid or s.received_late) and not s.received:
            raise ValueError(f"slot {s.start.isoformat()} is valid or late but not received")


def _exempt_slots(expected: Sequence[HourSlot], counted_valid, per_day: int) -> set[int]:
    """Ids of exempt slots: ≤ per_day per local date, invalid flagged slots first, then earliest."""
    by_day: dict[date, list[HourSlot]] = {}
    for s in expected:
        if s.exempt_standard_sample:
            by_day.setdefault(s.start.date(), []).append(s)
    chosen: set[int] = set()
    for day_slots in by_day.values():
        ranked = sorted(day_slots, key=lambda s: (counted_valid(s), s.start))
        chosen.update(id(s) for s in ranked[:per_day])
    return chosen


def _slot_reason(s: HourSlot, mode: Mode, exemption_allowed: bool, received: bool) -> str | None:
    fragments: list[str] = []
    if not s.received:
        fragments.append("not received")
    elif not received:
        fragments.append("back-filled (not counted in 即时)")
    elif not s.valid:
        fragments.append(s.reason or "invalid")
    if s.exempt_standard_sample:
        fragments.append(
            "标样核查 beyond the daily exemption cap" if exemption_allowed
            else "标样核查 exemption not applicable to this factor"
        )
    return "; ".join(fragments) if fragments else None


def _ratio(num: int, den: int, name: str, why: str, notes: list[str]) -> float | None:
    if den <= 0:
        notes.append(f"{name} undefined: {why}")
        return None
    return num / den
