r"""Completeness and timeliness per station per day, and the 30-day publication view (pure).

Circular 10/2021/TT-BTNMT (Art. 39, with Circular 24/2017 Art. 56 before it) asks for one file per
measurement, transmitted at the latest **5 minutes** after the result is produced (reference notes
china-vietnam-rules.md §7.2 [S]); subsystems.md §7 requirement 32 asks to flag files arriving later and to
detect missing files per station per expected interval (default 5 min).

Definitions (platform choices, tag "ours"; the Circular gives no formula)
--------------------------------------------------------------------------
* **Expected** files of a day: :math:`N_{exp} = 24 \cdot 60 / \Delta t` with :math:`\Delta t` the
  station's interval in minutes (288 at 5 min). A day is the local calendar day of the station.
* **Received**: distinct interval slots of the day with at least one file; a file's slot is its
  measurement time floored to the interval grid (``12:47`` → ``12:45``); a second file for the same slot
  is counted in ``duplicates``, not twice.
* **Valid**: received slots whose file has every line with status ``00`` (01 calibrating and 02 device
  error do not count as valid: Art. 39, subsystems.md §7 req. 31). ``calibrating`` and ``device_error``
  count slots with at least one ``01`` / ``02`` line.
* **Late**: received slots whose (first) file arrived more than 5 min after its measurement time
  (:math:`t_{recv} - t_{meas} > 5` min, strictly).
* Rates: ``received / expected``, ``valid / expected``, ``on_time / received``; ``None`` when the
  denominator is 0.

References
----------
.. [1] Circular 10/2021/TT-BTNMT Art. 39; Circular 24/2017/TT-BTNMT Art. 56 (5 minutes, one file per
   transmission), via china-vietnam-rules.md §7.2 [S].
.. [2] shared/reference/subsystems.md §7 requirements 31–32.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.subsystems.monitoring.rules.vn.qcvn import Bounds, Measurement, daily_exceedance
from ecosentry.subsystems.monitoring.rules.vn.status import status_validity

__all__ = ["FileReceipt", "DayCompleteness", "expected_files", "slot_of", "is_late", "daily_completeness",
           "receipts_and_measurements", "publication_view", "RULE_COMPLETENESS", "RULE_LATE",
           "DEFAULT_TZ", "LATE_AFTER"]

RULE_COMPLETENESS = "VN-COMPLETENESS-DAY"
RULE_LATE = "VN-LATE-5MIN"
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
#: Art. 39 / Art. 56: transmitted at the latest 5 minutes after the result.
LATE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class FileReceipt:
    """One received station file, as the completeness statistics need it.

    Attributes
    ----------
    time : datetime
        Measurement time from the file name, naive station local time.
    received_at : datetime or None
        When the platform received it (aware; naive is read as UTC). None = unknown (never late).
    statuses : tuple of str
        Status of every line (``00``/``01``/``02``).
    """

    time: datetime
    received_at: datetime | None
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class DayCompleteness:
    """Completeness of one station for one local day (see the module notes for the definitions)."""

    day: date
    interval_min: int
    expected: int
    received: int
    valid: int
    calibrating: int
    device_error: int
    late: int
    duplicates: int
    missing: int
    received_rate: float | None
    valid_rate: float | None
    on_time_rate: float | None
    rule: str = RULE_COMPLETENESS


def expected_files(interval_min: int = 5) -> int:
    r"""Files expected per day: :math:`24 \cdot 60 / \Delta t` (288 at 5 min).

    Raises
    ------
    ValueError
        If the interval does not divide a day into whole minutes' slots.
    """
    if interval_min <= 0 or 1440 % interval_min:
        raise ValueError(f"interval {interval_min!r} min must divide 1440 (a day) exactly")
    return 1440 // interval_min


def slot_of(t: datetime, interval_min: int = 5) -> datetime:
    """Start of the interval slot of ``t`` (floored to the grid from midnight)."""
    minutes = (t.hour * 60 + t.minute) // interval_min * interval_min
    return t.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)


def is_late(measured_local: datetime, received_at: datetime | None, *, tz: str = DEFAULT_TZ,
            late_after: timedelta = LATE_AFTER) -> bool:
    """True when a file arrived more than ``late_after`` after its measurement time.

    Parameters
    ----------
    measured_local : datetime
        Naive station local time (file name).
    received_at : datetime or None
        Aware (naive = UTC). None → False.
    tz : str, default "Asia/Ho_Chi_Minh"
    late_after : timedelta, default 5 min
        Art. 39 / Art. 56 via china-vietnam-rules.md §7.2 [S].
    """
    if received_at is None:
        return False
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    measured = measured_local.replace(tzinfo=ZoneInfo(tz))
    return received_at - measured > late_after


def daily_completeness(receipts: Iterable[FileReceipt], day: date, *, interval_min: int = 5,
                       tz: str = DEFAULT_TZ, late_after: timedelta = LATE_AFTER) -> DayCompleteness:
    """Completeness of one station for one local day.

    Parameters
    ----------
    receipts : iterable of FileReceipt
        The station's received files (others days are ignored).
    day : date
        Local calendar day.
    interval_min : int, default 5
        The station's transmission interval (``points.min_interval``). [min]
    tz : str, default "Asia/Ho_Chi_Minh"
    late_after : timedelta, default 5 min

    Returns
    -------
    DayCompleteness
    """
    expected = expected_files(interval_min)
    slots: dict[datetime, FileReceipt] = {}
    duplicates = 0
    for r in sorted((r for r in receipts if r.time.date() == day),
                    key=lambda r: (r.time, r.received_at or datetime.max.replace(tzinfo=timezone.utc))):
        s = slot_of(r.time, interval_min)
        if s in slots:
            duplicates += 1
            continue
        slots[s] = r
    received = len(slots)
    valid = sum(1 for r in slots.values() if r.statuses and all(status_validity(x).completeness_valid
                                                               for x in r.statuses))
    calibrating = sum(1 for r in slots.values() if "01" in r.statuses)
    error = sum(1 for r in slots.values() if "02" in r.statuses)
    late = sum(1 for r in slots.values() if is_late(r.time, r.received_at, tz=tz, late_after=late_after))
    return DayCompleteness(
        day, interval_min, expected, received, valid, calibrating, error, late, duplicates,
        expected - received, received / expected, valid / expected,
        (received - late) / received if received else None)


def receipts_and_measurements(files: Iterable[tuple[object, datetime | None]], *,
                              parameter_of: Mapping[str, str] | None = None
                              ) -> tuple[list[FileReceipt], list[Measurement]]:
    """Turn parsed files with their receive times into the inputs of this module.

    Parameters
    ----------
    files : iterable of (VnFile, datetime or None)
        Parsed files and when each was received.
    parameter_of : mapping, optional
        Station parameter name → canonical factor code; unmapped names are kept as they are.

    Returns
    -------
    (list of FileReceipt, list of Measurement)
    """
    receipts, measurements = [], []
    parameter_of = parameter_of or {}
    for f, received_at in files:
        receipts.append(FileReceipt(f.name.time, received_at, tuple(line.status for line in f.lines)))
        for line in f.lines:
            measurements.append(Measurement(parameter_of.get(line.parameter, line.parameter), line.time,
                                            line.value, line.status))
    return receipts, measurements


def publication_view(station_key: str, measurements: Iterable[Measurement], receipts: Iterable[FileReceipt],
                     bounds: Mapping[str, Bounds], *, today: date, days: int = 30, interval_min: int = 5,
                     tz: str = DEFAULT_TZ, min_valid: int = 1, station_name: str | None = None) -> dict:
    """The last ``days`` days of one station as plain data for a public page.

    Parameters
    ----------
    station_key : str
        ``Province_Facility_Station``.
    measurements, receipts : iterables
        The station's values and files (anything outside the window is ignored).
    bounds : mapping of parameter → Bounds
        Cmax per parameter (:func:`ecosentry.subsystems.monitoring.rules.vn.qcvn.cmax`).
    today : date
        Last day shown (local); the window is ``today - days + 1`` … ``today``.
    days : int, default 30
    interval_min, tz, min_valid
        As in :func:`daily_completeness` and :func:`ecosentry.subsystems.monitoring.rules.vn.qcvn.daily_exceedance`.

    Returns
    -------
    dict
        JSON-ready: ``station``, ``name``, ``from``, ``to``, ``limits`` (parameter → upper, lower,
        explanation), ``days`` (newest first, one entry per day even without data: ``date``,
        ``completeness`` {expected, received, valid, late, missing, received_rate, valid_rate,
        on_time_rate, ...}, ``parameters`` [{parameter, mean, min, max, n_valid, n_values, upper, lower,
        exceeded, multiple, n_values_exceeding, reason}], ``exceedances`` (count of parameters exceeded)),
        and ``summary`` (days with an exceedance, mean received and valid rate over the window).
    """
    if days < 1:
        raise ValueError("days must be ≥ 1")
    first = today - timedelta(days=days - 1)
    in_window = [m for m in measurements if first <= m.time.date() <= today]
    receipts = [r for r in receipts if first <= r.time.date() <= today]
    by_day: dict[date, list] = {}
    for d in daily_exceedance(in_window, bounds, min_valid=min_valid):
        by_day.setdefault(d.day, []).append(d)
    out_days = []
    for i in range(days):
        day = today - timedelta(days=i)
        comp = asdict(daily_completeness(receipts, day, interval_min=interval_min, tz=tz))
        comp["day"] = day.isoformat()
        params = [{
            "parameter": d.parameter, "mean": d.mean, "min": d.minimum, "max": d.maximum, "n_valid": d.n_valid,
            "n_values": d.n_values, "n_calibrating": d.n_calibrating, "n_error": d.n_error, "upper": d.upper,
            "lower": d.lower, "exceeded": d.exceeded, "multiple": d.multiple,
            "n_values_exceeding": d.n_values_exceeding, "reason": d.reason,
        } for d in by_day.get(day, [])]
        out_days.append({"date": day.isoformat(), "completeness": comp, "parameters": params,
                         "exceedances": sum(1 for p in params if p["exceeded"])})
    rates = [d["completeness"]["received_rate"] for d in out_days]
    valid_rates = [d["completeness"]["valid_rate"] for d in out_days]
    return {
        "station": station_key,
        "name": station_name,
        "from": first.isoformat(),
        "to": today.isoformat(),
        "interval_min": interval_min,
        "limits": {p: {"upper": b.upper, "lower": b.lower, "unit": b.unit, "explanation": b.explanation}
                   for p, b in bounds.items()},
        "days": out_days,
        "summary": {
            "days_with_exceedance": sum(1 for d in out_days if d["exceedances"]),
            "mean_received_rate": sum(rates) / len(rates),
            "mean_valid_rate": sum(valid_rates) / len(valid_rates),
            "late_files": sum(d["completeness"]["late"] for d in out_days),
        },
    }


for _r in (
    Rule(RULE_COMPLETENESS, None, "Per station per local day: expected 24·60/interval files, received "
         "slots, valid (all lines 00), late, missing.",
         "Circular 10/2021/TT-BTNMT Art. 39; subsystems.md §7 req. 32; definitions: platform choice",
         "ecosentry.subsystems.monitoring.rules.vn.completeness", "S/ours"),
    Rule(RULE_LATE, "warning", "A station file received more than 5 minutes after its measurement time.",
         "Circular 10/2021/TT-BTNMT Art. 39 / Circular 24/2017 Art. 56; china-vietnam-rules.md §7.2",
         "ecosentry.subsystems.monitoring.rules.vn.completeness", "S"),
):
    register(_r)
del _r
