"""Synthetic, plausible signals for virtual data loggers (pure and deterministic).

A :class:`PointProfile` gives the value of every channel of one monitoring point at any instant, as a
smooth function of time plus noise drawn from a hash of (point, second, channel). Nothing is stateful:
the same (MN, t) always gives the same value, so a restarted simulator carries on where it left off and
two simulators agree.

Signal model (every channel, in units of half its plausible range around a seeded centre)::

    x(t) = centre + half_range · (k_load · L(t) + k_drift · drift(t) + k_noise · ε(t))

* ``L(t)`` ∈ [-1, 1]: the point's **load cycle**, shared by all channels of a logger so that they
  co-vary (flue gas: low at night, peak in the afternoon; wastewater: morning and evening peaks), plus
  a slow shared wander.
* ``drift(t)`` ∈ [-1, 1]: three sinusoids per channel with seeded periods between 20 min and 8 h.
* ``ε(t)``: zero-mean, unit-variance noise bounded by ±2√3 (sum of four 16-bit uniforms from a
  SplitMix64 hash of the integer second and channel), independent from second to second.

The coefficients keep ``|x − centre|`` below the half range, so values stay in the plausible range by
construction (they are also clipped, as a guard).

Flue gas (coal boiler stack): concentrations are dry, standard state; ``a00000`` is the working flow
``velocity × duct area`` (HJ 212-2017 eq. (30)); emissions use the dry standard flow of eq. (31) and
the measured (not O2-corrected) concentration, eq. (33); 折算 values use eq. (28) with the outlet's
reference O2. Wastewater: volume :math:`D = Q \\cdot T \\cdot 10^{-3}` (m³) and load
:math:`G = D \\cdot C \\cdot 10^{-3}` (kg), HJ 212-2017 Appendix D.1.

References
----------
.. [1] HJ 212-2017, Appendix B (units of values and of -Cou), Appendix D.1 (wastewater volume and load),
   Appendix D.2 eq. (28), (30), (31), (33) (flue gas).
.. [2] G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014
   (the SplitMix64 finaliser used for the counter-based noise).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.monitoring.rules.cn.flue_gas import corrected_concentration, standard_dry_flow

__all__ = ["Stats", "PointProfile", "gas_profile", "water_profile", "GAS_CODES", "WATER_CODES"]

#: Pollutant channels (have -Cou as mass and, for gas, a 折算 value).
GAS_POLLUTANTS = ("a34013", "a21026", "a21002")
WATER_POLLUTANTS = ("w01018", "w21003", "w21011", "w21001")

_SECONDS_PER_DAY = 86400.0
_EPOCH0 = 1_577_836_800.0  # 2020-01-01T00:00:00Z; keeps the sinusoid arguments small
_TWO_PI = 2.0 * math.pi
_SQRT3 = math.sqrt(3.0)
_DRIFT_WEIGHTS = np.array([0.5, 0.3, 0.2])
_WANDER_WEIGHTS = np.array([0.6, 0.4])


@dataclass(frozen=True)
class Stats:
    """Minimum, mean and maximum of one channel over an interval, with -Cou where meaningful.

    Attributes
    ----------
    min, avg, max : float
        Over the interval's samples. [channel unit]
    cou : float or None
        Amount over the interval: flue-gas pollutants [kg], flue-gas flow (working) [m³], wastewater
        pollutants [kg], wastewater flow [m³]; ``None`` for parameters and pH.
    zs_min, zs_avg, zs_max : float or None
        折算 values (flue-gas pollutants at the outlet's reference O2, HJ 212-2017 eq. (28)); ``None``
        otherwise. [mg/m³]
    """

    min: float
    avg: float
    max: float
    cou: float | None = None
    zs_min: float | None = None
    zs_avg: float | None = None
    zs_max: float | None = None


@dataclass(frozen=True)
class _Channel:
    code: str
    lo: float
    hi: float
    k_load: float
    k_drift: float
    k_noise: float


# Plausible ranges of a coal-fired boiler stack after ultra-low-emission treatment (concentrations dry,
# standard state). |jitter| + |k_load| + k_drift + 2√3·k_noise ≤ 1 keeps every channel in range.
_GAS_CHANNELS = (
    _Channel("a34013", 3.0, 8.0, 0.15, 0.45, 0.08),     # particulate [mg/m³]
    _Channel("a21026", 15.0, 35.0, 0.20, 0.50, 0.06),   # SO2 [mg/m³]
    _Channel("a21002", 30.0, 50.0, 0.25, 0.45, 0.06),   # NOx as NO2 [mg/m³]
    _Channel("a19001", 5.5, 8.0, -0.50, 0.25, 0.04),    # O2 [%]: more excess air at low load
    _Channel("a01011", 10.0, 15.0, 0.55, 0.20, 0.04),   # velocity [m/s]: follows load
    _Channel("a01012", 45.0, 55.0, 0.40, 0.30, 0.03),   # temperature [°C] after wet FGD
    _Channel("a01013", -0.3, 0.3, 0.30, 0.35, 0.06),    # static pressure [kPa]
    _Channel("a01014", 8.0, 12.0, 0.20, 0.50, 0.05),    # moisture [%]
)
_GAS_TEMPERATURE_DRY = (120.0, 140.0)  # [°C] without wet desulphurisation
_WATER_CHANNELS = (
    _Channel("w01018", 20.0, 60.0, 0.20, 0.50, 0.06),   # COD [mg/L]
    _Channel("w21003", 0.5, 5.0, 0.15, 0.55, 0.06),     # NH3-N [mg/L]
    _Channel("w21011", 0.1, 0.8, 0.15, 0.55, 0.06),     # TP [mg/L]
    _Channel("w21001", 5.0, 15.0, 0.15, 0.55, 0.06),    # TN [mg/L]
    _Channel("w01001", 6.5, 8.5, -0.10, 0.50, 0.05),    # pH [-]
    _Channel("w00000", 0.0, 0.0, 0.50, 0.25, 0.05),     # flow [L/s]; range set per point
)
_CENTRE_JITTER = 0.08  # of the half range

GAS_CODES = tuple(c.code for c in _GAS_CHANNELS) + ("a00000",)
WATER_CODES = tuple(c.code for c in _WATER_CHANNELS)


@dataclass(frozen=True)
class Episode:
    """A staged violation: ``factor`` multiplied by ``factor_scale`` over ``[start, end)`` (the demo's exceedance:
    the plant's treatment fails for a while; the rest of the physics is unchanged)."""

    factor: str
    start: datetime
    end: datetime
    factor_scale: float


class PointProfile:
    """
    Deterministic signal source for one monitoring point (one data logger).

    Parameters
    ----------
    mn : str
        Seed: the logger's MN (or any name). Each MN gives different but reproducible signals.
    medium : {"gas", "water"}
    ref_o2 : float or None
        Reference O2 for 折算 values (gas). ``None``: no 折算 values. [%]
    duct_area : float or None
        Flue cross-section area F (gas, required). [m²]
    wet_fgd : bool, default True
        Gas: flue temperature 45–55 °C after wet desulphurisation, else 120–140 °C.
    tz : str, default "Asia/Shanghai"
        Zone of the load cycle; naive datetimes are read as local time in this zone (HJ 212 DataTime
        is local time).
    p_atm : float, default 101325
        Atmospheric pressure :math:`B_a` used for the dry standard flow. [Pa]

    Notes
    -----
    The UTC offset is taken at the start of an aggregation interval (no DST in China or Vietnam).
    Wastewater analysers really report once per measuring cycle; this profile gives a smooth value at
    any instant and leaves any holding of values to the caller.
    """

    def __init__(
        self,
        mn: str,
        medium: Literal["gas", "water"],
        *,
        ref_o2: float | None = None,
        duct_area: float | None = None,
        wet_fgd: bool = True,
        tz: str = "Asia/Shanghai",
        p_atm: float = 101325.0,
    ) -> None:
        if medium not in ("gas", "water"):
            raise ValueError(f"medium must be 'gas' or 'water', not {medium!r}")
        if medium == "gas" and (duct_area is None or duct_area <= 0):
            raise ValueError("a gas profile needs a positive duct_area [m²]")
        self.mn = mn
        self.medium = medium
        self.ref_o2 = ref_o2
        self.duct_area = duct_area
        self.wet_fgd = wet_fgd
        self.tz = tz
        self.p_atm = float(p_atm)
        #: Staged violations (:class:`Episode`), none by default.
        self.episodes: list[Episode] = []
        self._zone = ZoneInfo(tz)
        self._seed = int.from_bytes(hashlib.blake2b(mn.encode("utf-8"), digest_size=8).digest(), "little")

        channels = list(_GAS_CHANNELS if medium == "gas" else _WATER_CHANNELS)
        if medium == "gas" and not wet_fgd:
            lo, hi = _GAS_TEMPERATURE_DRY
            channels = [
                _Channel(c.code, lo, hi, c.k_load, c.k_drift, c.k_noise) if c.code == "a01012" else c
                for c in channels
            ]
        if medium == "water":
            # Design flow: log-uniform 20–600 L/s (an industrial outfall to a 50 000 m³/d municipal plant).
            self.design_flow = math.exp(math.log(20.0) + self._unit("design_flow") * math.log(600.0 / 20.0))
            channels = [
                _Channel(c.code, 0.5 * self.design_flow, 1.3 * self.design_flow, c.k_load, c.k_drift, c.k_noise)
                if c.code == "w00000" else c
                for c in channels
            ]
        else:
            self.design_flow = None
        self._channels = tuple(channels)
        self._codes = tuple(c.code for c in channels)
        self._col = {code: i for i, code in enumerate(self._codes)}
        self._out_codes = self._codes + (("a00000",) if medium == "gas" else ())
        self._gas_pollutant_cols = [self._col[c] for c in GAS_POLLUTANTS] if medium == "gas" else []
        self._water_pollutant_cols = [self._col[c] for c in WATER_POLLUTANTS] if medium == "water" else []

        lo = np.array([c.lo for c in channels])
        hi = np.array([c.hi for c in channels])
        half = (hi - lo) / 2.0
        jitter = np.array([(2.0 * self._unit(f"centre:{c.code}") - 1.0) * _CENTRE_JITTER for c in channels])
        self._lo, self._hi = lo, hi
        self._centre = (lo + hi) / 2.0 + jitter * half
        self._k_load = half * np.array([c.k_load for c in channels])
        self._k_drift = half * np.array([c.k_drift for c in channels])
        self._k_noise = half * np.array([c.k_noise for c in channels])

        # Drift: 3 sinusoids per channel, periods log-uniform in [20 min, 8 h].
        periods, phases = [], []
        for c in channels:
            for j in range(3):
                u = self._unit(f"period:{c.code}:{j}")
                periods.append(math.exp(math.log(1200.0) + u * math.log(28800.0 / 1200.0)))
                phases.append(_TWO_PI * self._unit(f"phase:{c.code}:{j}"))
        self._drift_omega = _TWO_PI / np.array(periods)
        self._drift_phase = np.array(phases)
        self._drift_weight = np.tile(_DRIFT_WEIGHTS, len(channels))

        # Load cycle: hour of peak (gas) or of the morning peak (water); shared slow wander (1–3 h).
        if medium == "gas":
            self._peak_hour = 13.0 + 3.0 * self._unit("peak_hour")
        else:
            self._peak_hour = 9.0 + 2.0 * self._unit("peak_hour")
        self._wander_omega = _TWO_PI / np.array(
            [3600.0 * (1.0 + 2.0 * self._unit(f"wander_period:{j}")) for j in range(2)]
        )
        self._wander_phase = _TWO_PI * np.array([self._unit(f"wander_phase:{j}") for j in range(2)])

    # ------------------------------------------------------------------ public API

    @property
    def codes(self) -> tuple[str, ...]:
        """Factor codes this profile produces (HJ 212-2017 Appendix B)."""
        return self._out_codes

    def sample(self, t: datetime) -> dict[str, float]:
        """
        Instantaneous values at ``t`` (what a real-time CN 2011 packet carries as -Rtd).

        Parameters
        ----------
        t : datetime
            Aware, or naive local time in the profile's zone.

        Returns
        -------
        dict
            Factor code → value in the unit of HJ 212-2017 Appendix B.
        """
        epoch, offset = self._epoch_and_offset(t)
        values, _ = self._evaluate(np.array([epoch]), offset)
        return dict(zip(self.codes, values[0].tolist()))

    def sample_zs(self, t: datetime) -> dict[str, float]:
        """Instantaneous 折算 values (-ZsRtd) of the flue-gas pollutants; empty without a reference O2."""
        epoch, offset = self._epoch_and_offset(t)
        _, zs = self._evaluate(np.array([epoch]), offset)
        return {} if zs is None else dict(zip(GAS_POLLUTANTS, zs[0].tolist()))

    def aggregate(self, start: datetime, seconds: int, step_s: int) -> dict[str, Stats]:
        """
        Min/avg/max (and -Cou) over ``[start, start + seconds)`` from samples every ``step_s`` seconds.

        Each sample stands for the ``step_s`` seconds that follow it, so amounts are
        :math:`\\sum_i x_i \\cdot \\Delta t`.

        Parameters
        ----------
        start : datetime
            Interval start (HJ 212 DataTime of minute/hour/day packets is the interval start).
        seconds : int
            Interval length, a multiple of ``step_s``: 60·MinInterval, 3600 or 86400. [s]
        step_s : int
            Sampling period; a CEMS samples at least every 5 s (HJ 212-2017 D.2.2). [s]

        Returns
        -------
        dict
            Factor code → :class:`Stats`. ``cou``: flue-gas pollutant emission
            :math:`\\sum C_i \\, Q_{sn,i} \\, \\Delta t \\cdot 10^{-6}` [kg] (eq. (31), (33)); flue-gas
            flow :math:`\\sum Q_i \\, \\Delta t` [m³]; wastewater volume
            :math:`\\sum Q_i \\, \\Delta t \\cdot 10^{-3}` [m³] and load
            :math:`\\sum C_i \\, Q_i \\, \\Delta t \\cdot 10^{-6}` [kg] (Appendix D.1).

        Raises
        ------
        ValueError
            If ``step_s`` or ``seconds`` is not positive or ``seconds`` is not a multiple of ``step_s``.
        """
        if step_s <= 0 or seconds <= 0 or seconds % step_s:
            raise ValueError(f"need seconds > 0 a multiple of step_s > 0, got {seconds=} {step_s=}")
        epoch, offset = self._epoch_and_offset(start)
        times = epoch + step_s * np.arange(seconds // step_s, dtype=float)
        x, zs = self._evaluate(times, offset)
        return self._stats(x, zs, float(step_s))

    # ------------------------------------------------------------------ internals

    def _unit(self, label: str) -> float:
        """Seeded uniform number in [0, 1) for a named parameter (stable across Python/numpy versions)."""
        digest = hashlib.blake2b(f"{self.mn}|{label}".encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little") / 2.0**64

    def _epoch_and_offset(self, t: datetime) -> tuple[float, float]:
        aware = t if t.tzinfo is not None and t.utcoffset() is not None else t.replace(tzinfo=self._zone)
        return aware.timestamp(), aware.astimezone(self._zone).utcoffset().total_seconds()

    def _evaluate(self, epoch: np.ndarray, offset: float) -> tuple[np.ndarray, np.ndarray | None]:
        """Samples at ``epoch`` [s]: matrix (n, len(codes)) in :attr:`codes` order, 折算 matrix (n, 3) or None."""
        t = epoch - _EPOCH0
        n = t.shape[0]
        n_channels = len(self._channels)

        hours = ((epoch + offset) % _SECONDS_PER_DAY) / 3600.0
        if self.medium == "gas":
            daily = np.cos(_TWO_PI * (hours - self._peak_hour) / 24.0)
        else:
            daily = 0.6 * np.cos(_TWO_PI * (hours - 14.0) / 24.0) + 0.4 * np.cos(
                2.0 * _TWO_PI * (hours - self._peak_hour) / 24.0
            )
        wander = np.sin(np.multiply.outer(t, self._wander_omega) + self._wander_phase) @ _WANDER_WEIGHTS
        load = 0.8 * daily + 0.2 * wander

        drift = np.sin(np.multiply.outer(t, self._drift_omega) + self._drift_phase) * self._drift_weight
        drift = drift.reshape(n, n_channels, 3).sum(axis=2)
        noise = _hash_noise(epoch, n_channels, self._seed)

        x = self._centre + self._k_load * load[:, None] + self._k_drift * drift + self._k_noise * noise
        np.clip(x, self._lo, self._hi, out=x)
        for ep in self.episodes:  # a violation staged for the demo, past the plant's own bounds: one factor scaled
            inside = (epoch >= ep.start.timestamp()) & (epoch < ep.end.timestamp())
            x[inside, self._col[ep.factor]] *= ep.factor_scale

        zs = None
        if self.medium == "gas":
            flow = x[:, self._col["a01011"]] * self.duct_area  # eq. (30), per second
            x = np.concatenate([x, flow[:, None]], axis=1)
            if self.ref_o2 is not None:
                o2 = x[:, self._col["a19001"], None]
                zs = corrected_concentration(x[:, self._gas_pollutant_cols], o2, self.ref_o2)
        return x, zs

    def _stats(self, x: np.ndarray, zs: np.ndarray | None, dt: float) -> dict[str, Stats]:
        col = self._col
        cou: dict[str, float] = {}
        if self.medium == "gas":
            flow = x[:, -1]
            q_sn = standard_dry_flow(
                flow, x[:, col["a01012"]], x[:, col["a01013"]] * 1000.0, x[:, col["a01014"]] / 100.0, self.p_atm
            )
            cou["a00000"] = float(flow.sum()) * dt
            amounts = (q_sn @ x[:, self._gas_pollutant_cols]) * (dt * 1e-6)
            cou.update(zip(GAS_POLLUTANTS, amounts.tolist()))
        else:
            flow = x[:, col["w00000"]]
            cou["w00000"] = float(flow.sum()) * dt * 1e-3
            amounts = (flow @ x[:, self._water_pollutant_cols]) * (dt * 1e-6)
            cou.update(zip(WATER_POLLUTANTS, amounts.tolist()))

        lows, means, highs = x.min(axis=0).tolist(), x.mean(axis=0).tolist(), x.max(axis=0).tolist()
        zs_stats: dict[str, tuple[float, float, float]] = {}
        if zs is not None:
            zs_stats = dict(zip(GAS_POLLUTANTS, zip(zs.min(axis=0).tolist(), zs.mean(axis=0).tolist(),
                                                   zs.max(axis=0).tolist())))
        out: dict[str, Stats] = {}
        for code, lo, avg, hi in zip(self.codes, lows, means, highs):
            z = zs_stats.get(code)
            if z is None:
                out[code] = Stats(min=lo, avg=avg, max=hi, cou=cou.get(code))
            else:
                out[code] = Stats(min=lo, avg=avg, max=hi, cou=cou.get(code), zs_min=z[0], zs_avg=z[1], zs_max=z[2])
        return out


def gas_profile(
    mn: str,
    ref_o2: float | None = 6.0,
    duct_area: float = 12.5,
    *,
    wet_fgd: bool = True,
    tz: str = "Asia/Shanghai",
) -> PointProfile:
    """
    Flue-gas CEMS profile of a coal-fired boiler stack (ST 31).

    Parameters
    ----------
    mn : str
        Logger MN (seed).
    ref_o2 : float or None, default 6.0
        Reference O2 of the outlet's standard (6 % for coal-fired power boilers, GB 13223-2011). [%]
    duct_area : float, default 12.5
        Flue cross-section area. [m²]
    wet_fgd : bool, default True
        Wet flue-gas desulphurisation (45–55 °C stack) or not (120–140 °C).
    tz : str, default "Asia/Shanghai"

    Returns
    -------
    PointProfile
        Channels a34013, a21026, a21002, a19001, a01011, a01012, a01013, a01014 and a00000.
    """
    return PointProfile(mn, "gas", ref_o2=ref_o2, duct_area=duct_area, wet_fgd=wet_fgd, tz=tz)


def water_profile(mn: str, *, tz: str = "Asia/Shanghai") -> PointProfile:
    """
    Wastewater outlet profile (ST 32): w01018 COD, w21003 NH3-N, w21011 TP, w21001 TN, w01001 pH and
    w00000 flow [L/s] with a seeded design flow between 20 and 600 L/s.
    """
    return PointProfile(mn, "water", tz=tz)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 output function on uint64 arrays (wrapping arithmetic), Steele et al. 2014."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_MASK16 = np.uint64(0xFFFF)
_SHIFTS = (np.uint64(16), np.uint64(32), np.uint64(48))


def _hash_noise(epoch: np.ndarray, n_channels: int, seed: int) -> np.ndarray:
    """Unit-variance noise in ±2√3 for each (integer second, channel), from a counter-based hash."""
    seconds = np.floor(epoch).astype(np.int64).astype(np.uint64)
    key = seconds[:, None] * np.uint64(n_channels) + np.arange(n_channels, dtype=np.uint64)
    z = _splitmix64(key ^ np.uint64(seed))
    total = (z & _MASK16) + ((z >> _SHIFTS[0]) & _MASK16) + ((z >> _SHIFTS[1]) & _MASK16) + (z >> _SHIFTS[2])
    return (total.astype(float) / 65536.0 - 2.0) * _SQRT3
