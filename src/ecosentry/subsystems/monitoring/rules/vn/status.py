"""Station-file status codes (Circular 10/2021/TT-BTNMT Art. 39) into validity.

=======  ====================  ===========  =================  ===============================  ========
status   meaning               valid        QCVN checks        completeness "valid"             HJ 212
=======  ====================  ===========  =================  ===============================  ========
``00``   measuring (đang đo)   yes          judged             counts                           ``N``
``01``   calibrating           no           excluded           does not count (received only)   ``C``
         (hiệu chuẩn)
``02``   device error (báo     no           excluded           does not count (received only)   ``D``
         lỗi thiết bị)
=======  ====================  ===========  =================  ===============================  ========

Requirement 31 of subsystems.md §7: "status 00/01/02 mapped to valid / calibrating / error; lines with
01/02 excluded from QCVN checks". The code ↔ meaning mapping is from practice (sample files), consistent
with Art. 39's three states: tag S (subsystems.md §5.2). The HJ 212 flags (N normal, C calibration,
D fault; HJ 212-2017 Table 8) let the existing hourly/daily rules and detectors work on Vietnamese data
(the shared contract: ``Reading.flag``; the raw status goes into ``Reading.eflag``).

References
----------
.. [1] Circular 10/2021/TT-BTNMT Art. 39 (instrument status: measuring, calibrating, instrument error), via
   shared/reference/subsystems.md §5.1 [S].
.. [2] shared/reference/subsystems.md §5.2 (status codes) and §7 requirement 31.
.. [3] HJ 212-2017 Table 8 (data flags N, C, D), via china-vietnam-rules.md §0.2.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecosentry.protocols.vn_txt.model import STATUS_MEANING
from ecosentry.contracts.catalogue import Rule, register

__all__ = ["StatusValidity", "STATUS_VALIDITY", "status_validity", "is_valid", "hj212_flag", "RULE_STATUS",
           "StatusPeriod", "status_periods", "calibrating_too_long", "RULE_CALIBRATING_LONG",
           "CALIBRATING_MAX_MINUTES"]

RULE_STATUS = "VN-STATUS-VALIDITY"
RULE_CALIBRATING_LONG = "VN-STATUS-CALIBRATING-LONG"
#: Default longest calibration (status 01) run of one parameter before it is suspicious. [min] (ours)
CALIBRATING_MAX_MINUTES = 120.0


@dataclass(frozen=True)
class StatusValidity:
    """What a status code means for the rules.

    Attributes
    ----------
    code : str
        ``00``, ``01`` or ``02``.
    meaning : str
        ``measuring``, ``calibrating`` or ``device_error`` (:data:`STATUS_MEANING`).
    label_vi : str
        Vietnamese wording of Art. 39.
    valid : bool
        The value is a valid measurement.
    qcvn_checked : bool
        The value enters QCVN exceedance checks.
    completeness_valid : bool
        The file counts as valid in the completeness statistics (it always counts as received).
    hj212_flag : str
        Data flag used inside ecosentry (HJ 212-2017 Table 8).
    """

    code: str
    meaning: str
    label_vi: str
    valid: bool
    qcvn_checked: bool
    completeness_valid: bool
    hj212_flag: str


STATUS_VALIDITY: dict[str, StatusValidity] = {
    "00": StatusValidity("00", STATUS_MEANING["00"], "đang đo", True, True, True, "N"),
    "01": StatusValidity("01", STATUS_MEANING["01"], "hiệu chuẩn", False, False, False, "C"),
    "02": StatusValidity("02", STATUS_MEANING["02"], "báo lỗi thiết bị", False, False, False, "D"),
}


def status_validity(status: str) -> StatusValidity:
    """The :class:`StatusValidity` of a status code.

    Raises
    ------
    ValueError
        For a code other than 00, 01, 02 (the parser never lets one through).
    """
    try:
        return STATUS_VALIDITY[status]
    except KeyError:
        raise ValueError(f"status {status!r} is not 00, 01 or 02 (Circular 10/2021 Art. 39)") from None


def is_valid(status: str) -> bool:
    """True for ``00`` (measuring) only."""
    return status_validity(status).valid


def hj212_flag(status: str) -> str:
    """HJ 212 data flag for a status: ``N`` (00), ``C`` (01), ``D`` (02)."""
    return status_validity(status).hj212_flag


@dataclass(frozen=True)
class StatusPeriod:
    """A run of consecutive values of one parameter with the same status ``01`` or ``02``.

    Attributes
    ----------
    parameter : str
    status : str
        ``01`` (calibrating) or ``02`` (device error).
    start : datetime
        Time of the first value of the run (as given: station local time or aware).
    end : datetime
        Time of the last value plus one interval (the run covers [start, end)).
    n : int
        Values in the run. [count]
    """

    parameter: str
    status: str
    start: datetime
    end: datetime
    n: int

    @property
    def minutes(self) -> float:
        """Length of the run. [min]"""
        return (self.end - self.start).total_seconds() / 60.0


def status_periods(measurements: Iterable, interval_minutes: float = 5.0) -> list[StatusPeriod]:
    """The periods each parameter spent in status ``01`` or ``02`` (excluded from QCVN checks).

    Values of one parameter with the same non-``00`` status form one period while each follows the previous
    within 1.5 intervals (one file every ``interval_minutes``); a missing file or another status ends it.

    Parameters
    ----------
    measurements : iterable
        Objects with ``parameter``, ``time`` and ``status`` (e.g.
        :class:`~ecosentry.subsystems.monitoring.rules.vn.qcvn.Measurement`), any order.
    interval_minutes : float, default 5
        The station's transmission interval (``points.min_interval``). [min]

    Returns
    -------
    list of StatusPeriod
        Sorted by start, then parameter.
    """
    step = timedelta(minutes=interval_minutes)
    by_param: dict[str, list] = defaultdict(list)
    for m in measurements:
        by_param[m.parameter].append((m.time, m.status))
    out: list[StatusPeriod] = []
    for parameter, rows in by_param.items():
        rows.sort()
        run: list = []
        for t, st in rows + [(None, "00")]:
            if run and (st != run[-1][1] or t is None or t - run[-1][0] > step * 1.5):
                out.append(StatusPeriod(parameter, run[0][1], run[0][0], run[-1][0] + step, len(run)))
                run = []
            if t is not None and st in ("01", "02"):
                run.append((t, st))
    return sorted(out, key=lambda p: (p.start, p.parameter))


def calibrating_too_long(periods: Iterable[StatusPeriod],
                         max_minutes: float = CALIBRATING_MAX_MINUTES) -> list[StatusPeriod]:
    """The calibration periods (status ``01``) longer than ``max_minutes``: suspicious data.

    A zero/span calibration takes minutes (HJ 75-2017 §11 asks an automatic one every 24 h; reference notes
    §2.1 [R]); an analyser reporting "calibrating" for hours hides its values from the QCVN checks, since
    status 01 values are never judged (Art. 39). Circular 10/2021 gives no maximum: the 2-hour default is
    ours, a setting (``vn.calibrating_max_minutes``).

    Parameters
    ----------
    periods : iterable of StatusPeriod
    max_minutes : float, default 120
        [min]

    Returns
    -------
    list of StatusPeriod
    """
    return [p for p in periods if p.status == "01" and p.minutes > max_minutes]


register(Rule(RULE_STATUS, None,
              "VN status 00 measuring = valid; 01 calibrating and 02 device error = invalid, excluded from "
              "QCVN checks and from completeness 'valid' (flags N/C/D).",
              "Circular 10/2021/TT-BTNMT Art. 39; subsystems.md §5.2, §7 req. 31",
              "ecosentry.subsystems.monitoring.rules.vn.status", "S"))
register(Rule(RULE_CALIBRATING_LONG, "warning",
              "A parameter reported status 01 (calibrating) for longer than the setting (default 2 h): its "
              "values are hidden from the QCVN checks for that long.",
              "Circular 10/2021/TT-BTNMT Art. 39 (status); HJ 75-2017 §11 (calibration every 24 h); "
              "threshold: platform choice", "ecosentry.subsystems.monitoring.rules.vn.status", "S/ours",
              kind="data_quality"))
