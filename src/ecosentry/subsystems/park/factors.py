"""Which HJ 212 factor code a park station sends for each pollutant of the substance table and each met quantity
(pure).

HJ 212-2017 Appendix B codes (the core's catalogue ``store/seed/factors.yaml``) cover every substance of
:mod:`.substances`: Cl2 ``a21022``, NH3 ``a21001``, H2S ``a21028``, HCl ``a21024``, phosgene ``a99049``,
benzene ``a25002``; HCN is sent as ``a21017`` (氰化物, cyanides: hydrogen cyanide is the gaseous cyanide a
boundary analyser reads) [ours]. Park stations report **mg/m³** for every pollutant (the catalogue's ng/m³ for
``a21001`` is an unconfirmed transcription, and a boundary NH3 analyser reads mg/m³ or ppm) [ours].

Met quantities: ``a01007`` wind speed m/s, ``a01008`` wind direction ° (from, clockwise from north),
``a01001`` temperature °C, ``a01002`` relative humidity %, ``a01006`` pressure kPa (Appendix B). HJ 212 has no
code for a Pasquill–Gifford class or for σθ, so two park-local codes are added [ours]:

* ``xPGSC``: Pasquill–Gifford class as a number, 1 = A … 6 = F;
* ``xSIGT``: standard deviation of the wind direction σθ [°] (``model/stability.py`` derives a class from it).

A station may also send the substance table's own code (``Cl2``) as the factor (MQTT devices do); both name the
same pollutant.
"""

from __future__ import annotations

__all__ = ["HJ212_OF", "SUBSTANCE_OF", "MET_CODES", "STABILITY_CLASSES", "pollutant", "met_quantity"]

#: substance code → HJ 212 factor code.
HJ212_OF = {"Cl2": "a21022", "NH3": "a21001", "H2S": "a21028", "HCl": "a21024", "HCN": "a21017",
            "COCl2": "a99049", "C6H6": "a25002"}
#: HJ 212 factor code (or the substance's own code) → substance code.
SUBSTANCE_OF = {**{v: k for k, v in HJ212_OF.items()}, **{k: k for k in HJ212_OF}}
#: met factor code → quantity stored in ``park_met_readings``.
MET_CODES = {"a01007": "wind_speed", "a01008": "wind_dir", "a01001": "temperature", "a01002": "humidity",
             "a01006": "pressure", "xPGSC": "stability", "xSIGT": "sigma_theta",
             "wind_speed": "wind_speed", "wind_dir": "wind_dir", "temperature": "temperature",
             "humidity": "humidity", "pressure": "pressure", "stability": "stability", "sigma_theta": "sigma_theta"}
#: Pasquill–Gifford classes by their ``xPGSC`` number.
STABILITY_CLASSES = {1: "A", 2: "B", 3: "C", 4: "D", 5: "E", 6: "F"}


def pollutant(code: str) -> str | None:
    """The substance code a factor code names, or None."""
    return SUBSTANCE_OF.get(str(code))


def met_quantity(code: str) -> str | None:
    """The met quantity a factor code names, or None."""
    return MET_CODES.get(str(code))
