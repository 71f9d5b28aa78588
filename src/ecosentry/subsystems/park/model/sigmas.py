"""Dispersion coefficients σy(x), σz(x) for open country: Briggs's (1973) interpolation formulas of the
Pasquill–Gifford curves (Briggs, G. A., 1973, *Diffusion Estimation for Small Emissions*, ATDL contribution
No. 79, NOAA; reproduced in AIChE/CCPS 1999, *Guidelines for Consequence Analysis of Chemical Releases*, and in
Hanna, Briggs & Hosker 1982, *Handbook on Atmospheric Diffusion*). Tag S: read in secondary reproductions, which
agree coefficient for coefficient; checked against Turner's (1970) curve readings in the tests (``docs/park.md``).

.. math:: \\sigma_y = a_y x (1 + b_y x)^{c_y}, \\qquad \\sigma_z = a_z x (1 + b_z x)^{c_z}

with x the downwind distance [m] (valid 100 m – 10 km; used down to 1 m here, where the plume is narrow anyway).
A half class (``A-B``, ``B-C``, ``C-D``: Pasquill's table gives them) takes the mean of the two classes' σ, as
Turner (1970, ch. 3) advises.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BRIGGS_RURAL", "CLASSES", "sigma_y", "sigma_z", "sigmas", "sigmas_by_class", "normalise_class"]

#: class → (a_y, b_y, c_y, a_z, b_z, c_z): Briggs (1973) open-country formulas [S].
BRIGGS_RURAL: dict[str, tuple[float, float, float, float, float, float]] = {
    "A": (0.22, 0.0001, -0.5, 0.20, 0.0, 1.0),
    "B": (0.16, 0.0001, -0.5, 0.12, 0.0, 1.0),
    "C": (0.11, 0.0001, -0.5, 0.08, 0.0002, -0.5),
    "D": (0.08, 0.0001, -0.5, 0.06, 0.0015, -0.5),
    "E": (0.06, 0.0001, -0.5, 0.03, 0.0003, -1.0),
    "F": (0.04, 0.0001, -0.5, 0.016, 0.0003, -1.0),
}
CLASSES = tuple(BRIGGS_RURAL)


def normalise_class(stability: str) -> tuple[str, ...]:
    """``"d"`` → ``("D",)``, ``"A-B"`` or ``"AB"`` → ``("A", "B")``; ``ValueError`` for anything else."""
    s = str(stability).strip().upper().replace("–", "-").replace("-", "")
    if not s or len(s) > 2 or any(c not in BRIGGS_RURAL for c in s):
        raise ValueError(f"stability class must be A to F (or a half class such as A-B), not {stability!r}")
    return tuple(s)


def _one(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a * x * (1.0 + b * x) ** c


def sigma_y(x: np.ndarray | float, stability: str) -> np.ndarray:
    """Horizontal dispersion coefficient σy [m] at downwind distance ``x`` [m] (x ≤ 0 gives 0)."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    return np.mean([_one(x, *BRIGGS_RURAL[c][:3]) for c in normalise_class(stability)], axis=0)


def sigma_z(x: np.ndarray | float, stability: str) -> np.ndarray:
    """Vertical dispersion coefficient σz [m] at downwind distance ``x`` [m] (x ≤ 0 gives 0)."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    return np.mean([_one(x, *BRIGGS_RURAL[c][3:]) for c in normalise_class(stability)], axis=0)


def sigmas(x: np.ndarray | float, stability: str) -> tuple[np.ndarray, np.ndarray]:
    """(σy, σz) [m] at ``x`` [m]."""
    return sigma_y(x, stability), sigma_z(x, stability)


def sigmas_by_class(x: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σy, σz) [m] with a class per point (the wind history's changing stability)."""
    x = np.asarray(x, dtype=float)
    classes = np.broadcast_to(np.asarray(classes), x.shape)
    sy, sz = np.zeros(x.shape), np.zeros(x.shape)
    for cls in np.unique(classes):
        m = classes == cls
        sy[m], sz[m] = sigmas(x[m], str(cls))
    return sy, sz
