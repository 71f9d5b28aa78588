"""Code tables of HJ 212-2017 that the codec needs.

Only facts from the standard live here (command codes, return codes, data
flags); no behaviour.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "CN_NAMES",
    "DATA_CNS",
    "REPLY_CNS",
    "ST_NAMES",
    "ST_SYSTEM_INTERACTION",
    "FLAG_VERSION_2017",
    "DATA_FLAG_NAMES",
    "QnRtn",
    "ExeRtn",
    "is_known_cn",
    "is_known_st",
]

#: Command codes of HJ 212-2017 §6.6.5.2, Table 9 (命令编码表), with the
#: English meaning. Several codes serve both directions (the platform asks
#: with ``2051`` and the logger uploads with ``2051``).
CN_NAMES: dict[str, str] = {
    # initialisation and parameter commands
    "1000": "set timeout and retry count",
    "1011": "get / upload logger time",
    "1012": "set logger time",
    "1013": "logger time calibration request",
    "1061": "get / upload real-time data interval",
    "1062": "set real-time data interval",
    "1063": "get / upload minute data interval",
    "1064": "set minute data interval",
    "1072": "set logger access password",
    # data commands
    "2011": "real-time data",
    "2012": "stop real-time data",
    "2021": "treatment facility run state",
    "2022": "stop facility run state",
    "2031": "daily data",
    "2041": "facility run time (daily)",
    "2051": "minute data",
    "2061": "hourly data",
    "2081": "data logger restart time",
    # control commands
    "3011": "zero / span calibration",
    "3012": "immediate sampling",
    "3013": "start cleaning / back-blowing",
    "3014": "comparison sampling",
    "3015": "exceedance sample retention",
    "3016": "set sampling period",
    "3017": "get sampling period",
    "3018": "get sample output time",
    "3019": "get / upload instrument unique id",
    "3020": "get / upload logger information (log, state, parameters)",
    "3021": "set logger parameters",
    # interaction commands
    "9011": "request reply",
    "9012": "execution result",
    "9013": "notification reply",
    "9014": "data reply",
    # HJ/T 212-2005 codes still sent by old loggers (alarm records / events)
    "2071": "alarm records (HJ/T 212-2005)",
    "2072": "alarm event (HJ/T 212-2005)",
}

#: Data-upload commands whose CP carries monitoring records
#: (HJ 212-2017 Table 9).
DATA_CNS: frozenset[str] = frozenset({"2011", "2021", "2031", "2041", "2051", "2061", "2081"})

#: Interaction replies (HJ 212-2017 Table 9, "交互命令").
REPLY_CNS: frozenset[str] = frozenset({"9011", "9012", "9013", "9014"})

#: System codes of HJ 212-2017 §6.6.1.2, Table 5 (系统编码表), with the English meaning. The table is
#: extensible: a code outside it is kept as sent and counted, never a reason to refuse a frame.
ST_NAMES: dict[str, str] = {
    "21": "surface water quality",
    "22": "ambient air quality",
    "23": "acoustic environment quality",
    "24": "groundwater quality",
    "25": "soil quality",
    "26": "seawater quality",
    "27": "volatile organic compounds",
    "31": "air pollution source",
    "32": "surface water pollution source",
    "33": "groundwater pollution source",
    "34": "marine pollution source",
    "35": "soil pollution source",
    "36": "noise pollution source",
    "37": "vibration pollution source",
    "38": "radioactive pollution source",
    "39": "construction-site dust source",
    "41": "electromagnetic pollution source",
    "51": "flue gas emission process monitoring",
    "52": "wastewater discharge process monitoring",
    "91": "system interaction",
}

#: System code 91, "系统交互", used by interaction replies
#: (HJ 212-2017 §6.6.1.2, Table 5).
ST_SYSTEM_INTERACTION = "91"

#: Protocol version carried in Flag bits 2..7 for HJ 212-2017 (``000001``),
#: HJ 212-2017 §6.3.2, Table 4 note on Flag.
FLAG_VERSION_2017 = 1

#: Data flags (数据标记) of HJ 212-2017 §6.6.4, Table 8. The table is
#: extensible (可扩充): unknown flags must be kept verbatim, never rejected.
DATA_FLAG_NAMES: dict[str, str] = {
    "N": "instrument working normally",
    "F": "instrument stopped",
    "M": "maintenance",
    "S": "manually entered set value",
    "D": "instrument fault",
    "C": "calibration",
    "T": "sample value above the measuring range",
    "B": "instrument to logger communication abnormal",
}


class QnRtn(IntEnum):
    """Request return codes, ``QnRtn`` in CN 9011 (HJ 212-2017 §6.6.3, Table 7).

    The table is extensible; any int may appear on the wire.
    """

    READY = 1  # 准备执行请求
    REFUSED = 2  # 请求被拒绝
    PW_ERROR = 3
    MN_ERROR = 4
    ST_ERROR = 5
    FLAG_ERROR = 6
    QN_ERROR = 7
    CN_ERROR = 8
    CRC_ERROR = 9
    UNKNOWN_ERROR = 100


class ExeRtn(IntEnum):
    """Execution result codes, ``ExeRtn`` in CN 9012 (HJ 212-2017 §6.6.2, Table 6).

    The table is extensible; any int may appear on the wire.
    """

    SUCCESS = 1  # 执行成功
    FAILED_UNKNOWN_REASON = 2  # 执行失败，但不知道原因
    BAD_REQUEST_CONDITION = 3  # 命令请求条件错误
    TIMEOUT = 4  # 通讯超时
    BUSY = 5  # 系统繁忙不能执行
    SYSTEM_FAULT = 6  # 系统故障
    NO_DATA = 100  # 没有数据


def is_known_cn(cn: str) -> bool:
    """Return True if ``cn`` is a command code this codec accepts.

    Known are the codes of :data:`CN_NAMES` plus the whole parameter range
    ``1000``-``1099`` and control range ``3000``-``3099``: Table 9 reserves
    gaps in both, and loggers (including HJ/T 212-2005 ones and provincial
    variants) use codes there that need no special handling.
    """
    if cn in CN_NAMES:
        return True
    if len(cn) == 4 and cn.isascii() and cn.isdigit():
        return cn[:2] in ("10", "30")
    return False


def is_known_st(st: str) -> bool:
    """Return True if ``st`` is a system code of HJ 212-2017 Table 5 (:data:`ST_NAMES`)."""
    return st in ST_NAMES
