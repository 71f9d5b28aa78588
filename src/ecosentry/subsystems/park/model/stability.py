"""Pasquill–Gifford stability class from met data, three ways.

* :func:`turner_class`: Pasquill's (1961) table as given by Turner (1970), *Workbook of Atmospheric Dispersion
  Estimates*, Table 3-1: surface wind speed (10 m) and daytime incoming solar radiation (strong, moderate,
  slight) or night-time cloud cover (thinly overcast or ≥ 4/8 low cloud; ≤ 3/8 cloud). Heavy overcast, day or
  night, is D. Tag S. The night, wind < 2 m/s cell is blank in the table; F is the usual choice [R, setting
  ``night_calm_class``].
* :func:`sigma_theta_class`: from the standard deviation of the horizontal wind direction σθ (σA), US EPA (2000)
  *Meteorological Monitoring Guidance for Regulatory Modeling Applications* (EPA-454/R-99-005) §6.4.4 [R].
* :func:`lapse_rate_class`: from the vertical temperature difference ΔT/Δz, US NRC Regulatory Guide 1.23 [R].

Each returns a class letter, or a half class ``A-B``, ``B-C``, ``C-D`` where Pasquill's table gives one (σ of a
half class is the mean of the two, :mod:`.sigmas`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["INSOLATION", "turner_class", "turner_classes", "sigma_theta_class", "lapse_rate_class"]

#: The columns of Pasquill's table.
INSOLATION = ("strong", "moderate", "slight", "night_cloudy", "night_clear", "overcast")

#: Upper bounds of the wind-speed rows [m/s]: < 2, 2–3, 3–5, 5–6, ≥ 6.
_WIND_EDGES = (2.0, 3.0, 5.0, 6.0)
#: rows × (strong, moderate, slight, night ≥ 4/8 low cloud, night ≤ 3/8 cloud); Turner (1970) Table 3-1.
_TABLE = (
    ("A", "A-B", "B", None, None),
    ("A-B", "B", "C", "E", "F"),
    ("B", "B-C", "C", "D", "E"),
    ("C", "C-D", "D", "D", "D"),
    ("C", "D", "D", "D", "D"),
)


def turner_class(wind_speed: float, insolation: str, night_calm_class: str = "F") -> str:
    """Class from the 10 m wind speed [m/s] and the insolation or night cloud category (:data:`INSOLATION`)."""
    if insolation not in INSOLATION:
        raise ValueError(f"insolation must be one of {', '.join(INSOLATION)}, not {insolation!r}")
    if not np.isfinite(wind_speed) or wind_speed < 0:
        raise ValueError(f"wind speed must be a number ≥ 0 m/s, not {wind_speed!r}")
    if insolation == "overcast":
        return "D"
    row = int(np.searchsorted(_WIND_EDGES, wind_speed, side="right"))
    cls = _TABLE[row][INSOLATION.index(insolation)]
    return night_calm_class if cls is None else cls


def turner_classes(wind_speed: np.ndarray, insolation: np.ndarray, night_calm_class: str = "F") -> np.ndarray:
    """:func:`turner_class` over arrays (the simulator's many hours)."""
    return np.array([turner_class(float(u), str(i), night_calm_class) for u, i in zip(wind_speed, insolation)])


#: Lower bounds of σθ [degrees] for A, B, C, D, E (below the last: F); EPA (2000) §6.4.4 [R].
_SIGMA_THETA = ((22.5, "A"), (17.5, "B"), (12.5, "C"), (7.5, "D"), (3.8, "E"))


def sigma_theta_class(sigma_theta_deg: float) -> str:
    """Class from σθ [°] of the horizontal wind direction over the averaging period (daytime use)."""
    if not np.isfinite(sigma_theta_deg) or sigma_theta_deg < 0:
        raise ValueError(f"σθ must be a number ≥ 0 degrees, not {sigma_theta_deg!r}")
    for bound, cls in _SIGMA_THETA:
        if sigma_theta_deg >= bound:
            return cls
    return "F"


#: Upper bounds of ΔT/Δz [°C per 100 m] for A, B, C, D, E (above the last: F); NRC RG 1.23 [R].
_LAPSE = ((-1.9, "A"), (-1.7, "B"), (-1.5, "C"), (-0.5, "D"), (1.5, "E"))


def lapse_rate_class(delta_t_per_100m: float) -> str:
    """Class from the vertical temperature gradient ΔT/Δz [°C / 100 m] (G folded into F)."""
    if not np.isfinite(delta_t_per_100m):
        raise ValueError(f"ΔT/Δz must be a number, not {delta_t_per_100m!r}")
    for bound, cls in _LAPSE:
        if delta_t_per_100m < bound:
            return cls
    return "F"
