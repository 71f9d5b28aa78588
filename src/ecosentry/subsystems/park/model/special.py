"""The error function over numpy arrays (numpy has none, and a dependency for one function is not worth it).

Abramowitz & Stegun (1964), *Handbook of Mathematical Functions*, eq. 7.1.26: for x ≥ 0,

.. math:: \\operatorname{erf}(x) \\approx 1 - (a_1 t + a_2 t^2 + a_3 t^3 + a_4 t^4 + a_5 t^5)\\,e^{-x^2},
          \\quad t = 1/(1 + p x)

with |error| ≤ 1.5 × 10⁻⁷, extended to x < 0 by erf(−x) = −erf(x).
"""

from __future__ import annotations

import numpy as np

__all__ = ["erf"]

_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: np.ndarray | float) -> np.ndarray:
    """erf(x) elementwise, absolute error ≤ 1.5e-7 (A&S 7.1.26)."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    t = 1.0 / (1.0 + _P * ax)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    return np.sign(x) * (1.0 - poly * np.exp(-ax * ax))
