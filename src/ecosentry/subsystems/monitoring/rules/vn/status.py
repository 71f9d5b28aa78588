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

from dataclasses import dataclass

from ecosentry.protocols.vn_txt.model import STATUS_MEANING
from ecosentry.contracts.catalogue import Rule, register

__all__ = ["StatusValidity", "STATUS_VALIDITY", "status_validity", "is_valid", "hj212_flag", "RULE_STATUS"]

RULE_STATUS = "VN-STATUS-VALIDITY"


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


register(Rule(RULE_STATUS, None,
              "VN status 00 measuring = valid; 01 calibrating and 02 device error = invalid, excluded from "
              "QCVN checks and from completeness 'valid' (flags N/C/D).",
              "Circular 10/2021/TT-BTNMT Art. 39; subsystems.md §5.2, §7 req. 31",
              "ecosentry.subsystems.monitoring.rules.vn.status", "S"))
