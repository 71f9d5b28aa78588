"""Gaussian plume (steady, continuous release) and Gaussian puff (instantaneous, and a release of finite
duration), vectorised over points. Inputs in g/s (or g), m/s, m, s; outputs in mg/m³.

Steady plume with reflection at the ground (Turner 1970, *Workbook of Atmospheric Dispersion Estimates*, eq. 3.1;
Seinfeld & Pandis, *Atmospheric Chemistry and Physics*, ch. 18):

.. math:: C(x,y,z) = \\frac{Q}{2\\pi u \\sigma_y \\sigma_z} e^{-y^2/2\\sigma_y^2}
          \\left[e^{-(z-H)^2/2\\sigma_z^2} + e^{-(z+H)^2/2\\sigma_z^2}\\right]

with a mixing lid at height L (optional): the images at ±2nL (Turner 1970 eq. 5.8, n = −k … k), and, once
σz > 1.6 L, the uniformly mixed form Q / (√(2π) u σy L) e^{−y²/2σy²} (Turner 1970 eq. 3.5).

Instantaneous puff of mass M released at t = 0 (Turner 1970 eq. 3.7 with ground reflection), centre at x = u t:

.. math:: C = \\frac{M}{(2\\pi)^{3/2} \\sigma_x \\sigma_y \\sigma_z} e^{-(x-ut)^2/2\\sigma_x^2} e^{-y^2/2\\sigma_y^2}
          \\left[e^{-(z-H)^2/2\\sigma_z^2} + e^{-(z+H)^2/2\\sigma_z^2}\\right]

Release of finite duration T at rate Q (the puffs integrated over their release times, σ taken at the receptor's
distance; Palazzi et al. 1982, *Atmos. Environ.* 16, 2785):

.. math:: C(x,y,z,t) = C_{plume}(x,y,z)\\,\\tfrac12\\left[\\operatorname{erf}\\frac{x - u\\,\\max(t-T,0)}{\\sqrt2\\sigma_x}
          - \\operatorname{erf}\\frac{x - u t}{\\sqrt2\\sigma_x}\\right]

σx = σy (along-wind spread as crosswind, the usual assumption [R]). Its peak over time at x is
C_plume · erf(uT / (2√2 σx)), which tends to the steady plume for long releases.
"""

from __future__ import annotations

import numpy as np

from ecosentry.subsystems.park.model.sigmas import sigmas
from ecosentry.subsystems.park.model.special import erf

__all__ = ["gaussian_plume", "plume", "puff", "finite_release", "finite_release_peak", "vertical_term"]

_MG_PER_G = 1000.0
#: Image pairs summed for a mixing lid (Turner 1970 p. 36: n = ±1, ±2 suffice in practice; we take ±4).
_IMAGES = 4


def vertical_term(z: np.ndarray, height: float, sz: np.ndarray, mixing_height: float | None = None) -> np.ndarray:
    """The bracket of the plume formula, ground reflection (and lid images when ``mixing_height`` is given)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        two_s2 = 2.0 * sz * sz
        out = np.exp(-(z - height) ** 2 / two_s2) + np.exp(-(z + height) ** 2 / two_s2)
        if mixing_height is not None:
            for n in range(1, _IMAGES + 1):
                for shift in (2 * n * mixing_height, -2 * n * mixing_height):
                    out = out + np.exp(-(z - height - shift) ** 2 / two_s2) + np.exp(-(z + height - shift) ** 2 / two_s2)
    return np.nan_to_num(out)


def gaussian_plume(y: np.ndarray, z: np.ndarray, rate: float, wind_speed: np.ndarray, sy: np.ndarray,
                   sz: np.ndarray, height: float = 0.0) -> np.ndarray:
    """The plume formula with ground reflection from σ already known [m], ``wind_speed`` [m/s] per point (the
    traceback's wind history); points must be downwind with σ > 0. [mg/m³]"""
    return (rate * _MG_PER_G / (2.0 * np.pi * wind_speed * sy * sz) * np.exp(-y * y / (2.0 * sy * sy))
            * vertical_term(z, height, sz))


def _check(rate: float, wind_speed: float, height: float) -> None:
    if not (np.isfinite(rate) and rate >= 0):
        raise ValueError(f"release rate must be ≥ 0 g/s, not {rate!r}")
    if not (np.isfinite(wind_speed) and wind_speed > 0):
        raise ValueError(f"wind speed must be > 0 m/s, not {wind_speed!r}")
    if not (np.isfinite(height) and height >= 0):
        raise ValueError(f"release height must be ≥ 0 m, not {height!r}")


def plume(x: np.ndarray, y: np.ndarray, z: np.ndarray, rate: float, wind_speed: float, stability: str,
          height: float = 0.0, mixing_height: float | None = None) -> np.ndarray:
    """Steady plume concentration [mg/m³] at downwind ``x``, crosswind ``y``, height ``z`` [m].

    Parameters
    ----------
    rate : float
        Release rate Q. [g/s]
    wind_speed : float
        Mean wind speed u at release height. [m/s]
    stability : str
        Pasquill–Gifford class A–F (or a half class).
    height : float
        Effective release height H. [m]
    mixing_height : float, optional
        Height L of the capping inversion. [m]

    Points upwind (x ≤ 0) get 0.
    """
    _check(rate, wind_speed, height)
    x, y, z = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, y, z)))
    sy, sz = sigmas(x, stability)
    out = np.zeros(x.shape)
    ok = x > 0
    if not ok.any():
        return out
    sy, sz, yy, zz = sy[ok], sz[ok], y[ok], z[ok]
    lateral = np.exp(-yy * yy / (2.0 * sy * sy))
    c = rate * _MG_PER_G / (2.0 * np.pi * wind_speed * sy * sz) * lateral * vertical_term(zz, height, sz, mixing_height)
    if mixing_height is not None:
        mixed = sz > 1.6 * mixing_height
        c = np.where(mixed, rate * _MG_PER_G / (np.sqrt(2.0 * np.pi) * wind_speed * sy * mixing_height) * lateral, c)
        c = np.where(zz > mixing_height, 0.0, c)
    out[ok] = c
    return out


def puff(x: np.ndarray, y: np.ndarray, z: np.ndarray, mass: float, wind_speed: float, stability: str, t: float,
         height: float = 0.0) -> np.ndarray:
    """Instantaneous puff of ``mass`` [g] released at t = 0: concentration [mg/m³] at time ``t`` [s] (σ at the
    puff centre's travel distance u·t)."""
    _check(mass, wind_speed, height)
    x, y, z = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, y, z)))
    travel = wind_speed * float(t)
    if travel <= 0:
        return np.zeros(x.shape)
    sy, sz = sigmas(travel, stability)
    sx = sy
    norm = mass * _MG_PER_G / ((2.0 * np.pi) ** 1.5 * sx * sy * sz)
    return (norm * np.exp(-(x - travel) ** 2 / (2.0 * sx * sx)) * np.exp(-y * y / (2.0 * sy * sy))
            * vertical_term(z, height, np.full(x.shape, float(sz))))


def _along_wind(x: np.ndarray, wind_speed: float, sx: np.ndarray, t: float, duration: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(2.0) * np.where(sx > 0, sx, np.inf)
        newest = wind_speed * max(float(t) - float(duration), 0.0)
        return 0.5 * (erf((x - newest) / s) - erf((x - wind_speed * float(t)) / s))


def finite_release(x: np.ndarray, y: np.ndarray, z: np.ndarray, rate: float, wind_speed: float, stability: str,
                   t: float, duration: float, height: float = 0.0, mixing_height: float | None = None) -> np.ndarray:
    """Concentration [mg/m³] at time ``t`` [s] after the start of a release of ``duration`` [s] at ``rate`` [g/s]
    (Palazzi et al. 1982)."""
    if not (np.isfinite(duration) and duration > 0):
        raise ValueError(f"release duration must be > 0 s, not {duration!r}")
    steady = plume(x, y, z, rate, wind_speed, stability, height, mixing_height)
    if t <= 0:  # before the release starts
        return np.zeros(steady.shape)
    x = np.broadcast_to(np.asarray(x, dtype=float), steady.shape)
    return steady * _along_wind(x, wind_speed, sigmas(x, stability)[0], t, duration)


def finite_release_peak(x: np.ndarray, y: np.ndarray, z: np.ndarray, rate: float, wind_speed: float, stability: str,
                        duration: float, height: float = 0.0, mixing_height: float | None = None) -> np.ndarray:
    """The highest concentration [mg/m³] a point sees during the passage of a release of ``duration`` [s]:
    C_plume · erf(uT / (2√2 σx)) (the slug's centre over the point)."""
    if not (np.isfinite(duration) and duration > 0):
        raise ValueError(f"release duration must be > 0 s, not {duration!r}")
    steady = plume(x, y, z, rate, wind_speed, stability, height, mixing_height)
    x = np.broadcast_to(np.asarray(x, dtype=float), steady.shape)
    sx = sigmas(x, stability)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(sx > 0, erf(wind_speed * duration / (2.0 * np.sqrt(2.0) * np.where(sx > 0, sx, 1.0))), 1.0)
    return steady * factor
