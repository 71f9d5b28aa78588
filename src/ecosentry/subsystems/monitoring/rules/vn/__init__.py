"""Vietnamese rules (pure): status validity, QCVN limits and exceedance, completeness and publication.

* :mod:`.status` — status 00/01/02 into validity (Circular 10/2021/TT-BTNMT Art. 39).
* :mod:`.qcvn` — QCVN 40:2011 (Cmax = C × Kq × Kf) and QCVN 19:2009 (Cmax = C × Kp × Kv), reference
  conditions, exceedance per value and per day; limits are data in ``limits_seed.yaml``.
* :mod:`.completeness` — expected / received / valid / late files per station per day; the 30-day
  publication view.

See shared/reference/china-vietnam-rules.md §7 and subsystems.md §5, §7 (requirements 31–34).
"""

from ecosentry.subsystems.monitoring.rules.vn.completeness import (
    DayCompleteness, FileReceipt, daily_completeness, expected_files, is_late, publication_view,
    receipts_and_measurements,
)
from ecosentry.subsystems.monitoring.rules.vn.qcvn import (
    Bounds, DayExceedance, Measurement, QcvnError, QcvnLimit, QcvnStandard, ValueJudgement, cmax,
    convert_reference_temperature, correct_o2, daily_exceedance, judge_value, kf_for_flow, kp_for_flow,
    kq_for_receiving_water, kv_for_zone, load_qcvn_seed, max_allowed_emission, max_allowed_wastewater,
    qcvn_limit, qcvn_limits, qcvn_standard,
)
from ecosentry.subsystems.monitoring.rules.vn.status import STATUS_VALIDITY, StatusValidity, hj212_flag, is_valid, status_validity

__all__ = [
    "DayCompleteness", "FileReceipt", "daily_completeness", "expected_files", "is_late", "publication_view",
    "receipts_and_measurements",
    "Bounds", "DayExceedance", "Measurement", "QcvnError", "QcvnLimit", "QcvnStandard", "ValueJudgement", "cmax",
    "convert_reference_temperature", "correct_o2", "daily_exceedance", "judge_value", "kf_for_flow",
    "kp_for_flow", "kq_for_receiving_water", "kv_for_zone", "load_qcvn_seed", "max_allowed_emission",
    "max_allowed_wastewater", "qcvn_limit", "qcvn_limits", "qcvn_standard",
    "STATUS_VALIDITY", "StatusValidity", "hj212_flag", "is_valid", "status_validity",
]
