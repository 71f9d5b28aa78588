"""Detector thresholds: one settings object, every field documented with its default and its source.

Each detector family has its section (``national``, ``patterns``, ``statistical``); all of them are here,
below the detectors, because every detector is given the whole object (``detect_x(data, cfg)``) and names its
type: sections beside the detectors made the detectors and this module import each other. Deployments
override fields from a YAML/JSON mapping (:meth:`DetectorSettings.from_mapping`) or the environment
(``ECOSENTRY_DETECT__NATIONAL__CONSTANT_HOURS=6`` through :class:`ecosentry.settings.Settings`).
"""

from __future__ import annotations

from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DetectorSettings", "NationalSettings", "PatternSettings", "SignSettings", "StatisticalSettings"]


class NationalSettings(BaseModel):
    """Thresholds of the national-rule detectors (``cfg.national``); defaults cite their source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A flue-gas factor needs at least this many minutes of minute records in an hour [min] (数据缺失;
    #: notes §5.2 [S]; HJ 76-2017 App. B). A record at MinInterval Δ counts Δ minutes (notes §2.1, ours).
    min_minutes_per_hour: float = 45.0
    #: Hourly data missing for longer than this [h] without back-fill is escalated to critical (notes §5.2
    #: [S]: "> 168 h").
    backfill_hours: float = 168.0
    #: Mark types whose hours need carry no data: 停运 leaves the statistics period (notes §1.2 [S]).
    missing_exempt_marks: tuple[str, ...] = ("stopped",)
    #: 恒值: the same value ≥ 0 for at least this many consecutive hours [h] during normal production
    #: (notes §5.2 [S]).
    constant_hours: float = 4.0
    #: Two successive values count as "the same" when they differ by at most this [factor unit]; 0 = exact
    #: equality, as the national rule reads (ours).
    constant_tolerance: float = 0.0
    #: Also look for ``constant_hours`` of identical *minute* values when a factor has hourly data too (ours;
    #: see the module notes). Factors with only minute data are always checked on minutes.
    constant_on_minutes: bool = True
    #: Roles checked for constant values: concentration (measured and 折算), velocity, O2 (notes §5.2 [S]).
    constant_roles: tuple[str, ...] = ("concentration", "velocity", "o2")
    #: Quantised low readings (ours; the national rule, notes §5.2, says nothing of the detection limit or the
    #: analyser's resolution): a constant run at a value at most this many resolution steps above the detection
    #: limit (or zero) may be the analyser's quantisation, e.g. NH3-N or TP at 0.01 mg/L reporting 0.08 for
    #: hours. 50 steps = readings with two significant digits, where one step is already ≥ 2 % of the value.
    constant_quantised_steps: float = 50.0
    #: ... and such a run is explained when a series with this factor's own repeat rate (the share of
    #: successive analyser readings, one per measuring cycle, that repeat the previous one, outside the run)
    #: would give a run of as many readings somewhere in the window at least this likely (ours; 1 %).
    constant_chance_min: float = 0.01
    #: Half-month window of the range rule: ``"calendar"`` = local 1st–15th and 16th–end of month,
    #: ``"rolling"`` = every window of ``range_window_days`` starting at a valid hour (ours; the national
    #: text says only "半月").
    range_window: Literal["calendar", "rolling"] = "calendar"
    #: Length of a rolling window [day] (ours; half a month).
    range_window_days: float = 15.0
    #: The range (max − min) of valid hourly means below this [%] of the denominator is flagged (notes
    #: §5.2 [S]).
    range_max_pct: float = 5.0
    #: Denominator of the relative range; the national text does not say (notes §5.2: UNCONFIRMED, ours).
    range_denominator: Literal["mean", "median", "max"] = "mean"
    #: A window is judged only with at least this many valid running hours [h] (ours; half of 360 h).
    range_min_hours: int = 180
    #: Values below ``-negative_tolerance`` are negative [factor unit] (notes §5.2 [S]: "< 0"; 0 = national).
    negative_tolerance: float = 0.0
    #: Roles checked for negative values: emission (flow), concentration (and 折算), velocity, O2 (§5.2 [S]).
    negative_roles: tuple[str, ...] = ("concentration", "velocity", "o2", "flow")
    #: Data while stopped: the normal-running reference (median flow or concentration) needs this many
    #: hours not declared stopped [h] (ours).
    stopped_reference_min_hours: float = 24.0
    #: Data while stopped, without flow/O2: a concentration above this fraction of its normal-running median
    #: looks like production (ours).
    stopped_concentration_fraction: float = 0.5
    #: Flue-gas temperature at or below this [°C] is ambient, above it the flue is hot (running) (ours).
    ambient_temperature_max_c: float = 40.0
    #: O2 logic anomalies shorter than this [h] are start-up/shut-down transitions, not findings (ours).
    o2_logic_min_hours: float = 2.0
    #: Mark types whose hours the O2 logic rule skips (transitions; ours).
    o2_logic_exempt_marks: tuple[str, ...] = ("startup_shutdown",)
    #: A concentration at or below this [factor unit] (and ≥ 0) is "zero" (notes §5.6, ours).
    zero_epsilon: float = 0.0
    #: Zero concentration while running is flagged from this duration on [h] (ours).
    zero_min_hours: float = 1.0

class PatternSettings(BaseModel):
    """Thresholds of the pattern detectors. All defaults are ours (the national thresholds of these
    categories were not obtained, reference notes §5.2) unless a field says otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # ------------------------------------------------------------ limit hugging 贴限生产 (§5.2 #12, §5.4)
    #: Lower edge of the "just below the limit" band as a fraction of the limit (§5.6: [0.9·limit, limit)).
    hug_band_low: float = 0.9
    #: Share of valid values inside the band that alone makes a finding (ours).
    hug_share_min: float = 0.3
    #: Minimum number of valid hourly values looked at (one week, ours).
    hug_min_values: int = 168
    #: Histogram cliff: values in [band_low·L, L) at least this many times the values in [L, (2−band_low)·L)
    #: (the mirror band above the limit) ... (ours; a Gaussian centred at the limit gives ≲ 4, but one centred at
    #: 0.85·L with a scatter of 0.06·L gives ≈ 30: hourly values are also judged against the load, see
    #: ``hug_excess_z_min``).
    hug_cliff_ratio: float = 8.0
    #: ... and at least this share of the values in the band below (ours).
    hug_cliff_share_min: float = 0.1
    #: Daily-limit variant: minimum number of valid days (ours).
    hug_min_days: int = 20
    #: A day's mean counts with at least this many valid hours (ours; wastewater analysers may sample only
    #: every 2 h, so below the 20 h of HJ 76 for gas).
    hug_day_min_hours: int = 12
    #: A pile-up (share or cliff) of hourly values is a sign only when the band holds more hours, or the limit's
    #: far side fewer, than the plant's load and its own scatter put there, by at least this many standard
    #: deviations of that expectation (ours; one-sided 3 σ, the autocorrelation of the hours counted).
    hug_excess_z_min: float = 3.0

    # ------------------------------------------------------------ step then flat 突升突降后保持平稳 (§5.2 #11)
    #: Jump between the level before and the flat level after, relative to the larger of the two (ours).
    step_jump_frac: float = 0.3
    #: Hours averaged for the level before the jump (ours).
    step_level_hours: int = 6
    #: Minimum length of the flat stretch after the jump [h] (ours).
    step_flat_hours: int = 6
    #: "Flat": coefficient of variation of the stretch at most this (ours; honest hourly means rarely
    #: stay within 1 % for 6 h after a change of load).
    step_flat_cv: float = 0.01
    #: Valid hours further apart than this break a stretch [h] (ours).
    step_max_gap_hours: int = 2
    #: Flow only: a flat level held at the same clock hours on at least this share of the other days is the
    #: plant's daily schedule, not a step (ours; "the same level" = within half of ``step_jump_frac``).
    step_regime_min_share: float = 0.5
    #: Minute data: the flat stretch is a sign only when the analyser's own minute-to-minute jitter in it is
    #: at most this share of the factor's ordinary jitter in its other running hours (ours, issue 13). An
    #: honest base-load plant has flat *hourly means* because the hour averages its readings, which still
    #: fluctuate (HJ 75-2017 §7: the analyser's noise and the process); a held or programmed value does not.
    #: 0 = no minute test.
    step_jitter_ratio: float = 0.5

    # ------------------------------------------------------------ cross-channel clone (§5.4, §5.6)
    #: Pearson r on hourly levels within a local day at or above this (§5.6: r > 0.99, ours).
    clone_r_min: float = 0.99
    #: ... and Pearson r on hour-to-hour changes at or above this: same *shape*, not just a common load
    #: swing (ours).
    clone_diff_r_min: float = 0.95
    #: Minimum common valid hours of the pair in the day (ours).
    clone_min_points: int = 18
    #: Each channel's coefficient of variation in the day at least this, so two flat lines do not count
    #: (ours).
    clone_min_cv: float = 0.02
    #: A third channel is no load proxy for a pair when it is a near-exact copy of one of them on that day:
    #: Pearson r of levels at or above this ... (ours; a third wire of the same signal, §5.4 case) ...
    clone_copy_r_min: float = 0.9999
    #: ... and of hour-to-hour changes at or above this (ours).
    clone_copy_diff_r_min: float = 0.999
    #: Additional physically linked factor pairs never reported (NOx is computed from NO and NO2,
    #: HJ 212-2017 App. D eq. (21)); role pairs are :data:`LINKED_ROLES`.
    clone_linked_factors: tuple[tuple[str, str], ...] = (("a21002", "a21003"), ("a21002", "a21004"))

    # ------------------------------------------------------------ day/night 昼夜差异明显 (§5.2 #14, §5.4)
    #: Night starts at this local hour (inclusive) (ours).
    night_start_hour: int = 22
    #: Night ends at this local hour (exclusive) (ours).
    night_end_hour: int = 6
    #: A day counts when its night mean is at least this multiple of its day mean (ours).
    daynight_ratio: float = 2.0
    #: Minimum number of such days in the window (ours).
    daynight_min_days: int = 5
    #: ... and minimum share of the days with enough samples (ours).
    daynight_min_share: float = 0.3
    #: Minimum valid day hours and night hours for a day to count (ours).
    daynight_min_day_hours: int = 6
    daynight_min_night_hours: int = 4

    # ------------------------------------------------------------ narrow band (§5.3 inspection checklist)
    #: Variation within this fraction of the analyser range (high − low) is suspicious (§5.3 "2 %" [S]).
    narrow_range_frac: float = 0.02
    #: "Long-term": a window of this many hours (one week, ours).
    narrow_window_hours: int = 168
    #: Share of the window that must hold valid running values (ours; 75 % as the 45-min rule).
    narrow_min_share: float = 0.75
    #: ... and the variation must also be within this fraction of the window's mean level (ours): a low
    #: concentration on a wide range, a scrubbed flue temperature or pH naturally move less than 2 % of range
    #: in a week; a fixed or replayed value moves less than a tenth of its own level.
    narrow_level_frac: float = 0.10
    #: A narrow week is a sign only when the plant's load gives no reason for it: not when the load was
    #: steady, its flow (else velocity) swinging P90 − P10 less than this fraction of its median over the same
    #: hours (ours, as ``dl_load_swing_min``: well beyond a flow or velocity CMS's own error, so a swing beyond
    #: it is the plant's; UNCONFIRMED: the reference notes give no accuracy figure for the velocity CMS). A
    #: base-load unit's NOx under an SCR set-point is narrow because its firing is; the national 恒值 rule
    #: (``DET-RANGE-HALFMONTH``, half-month range < 5 % of the mean) still judges such a unit.
    narrow_load_swing_min: float = 0.2
    #: ... and not when the values followed the load (Lagrange multiplier test n·R² ~ χ²(k) of the hourly
    #: values on the load channels with p below this; ours, as ``dl_load_p_min``).
    narrow_load_p_min: float = 0.01
    #: Narrow spread (``DET-NARROW-SPREAD``, ours): a window of this many consecutive running hours ...
    spread_window_hours: int = 8
    #: ... whose hour-to-hour changes have an RMS at most this fraction of what the point's own history and its
    #: load imply (variance ratio ≤ 0.04; for honest, roughly independent changes over 7 steps the chance is
    #: about 3·10⁻⁵ per window: chi-square with 7 degrees of freedom below 7 × 0.04).
    spread_ratio_max: float = 0.2
    #: The point's history must hold at least this many hour-to-hour changes to judge (ours; two days).
    spread_min_history_hours: int = 48
    #: The point's own movement is this quantile of its windows' mean squared unexplained changes (ours; the
    #: calmer quarter: honest volatility clusters, so the median would make calm honest spells look narrow).
    spread_history_quantile: float = 0.25
    #: Hovering at the method detection limit: values at most this multiple of the detection limit (ours).
    dl_hover_factor: float = 2.0
    #: ... for at least this long [h] (one week, ours).
    dl_min_hours: int = 168
    #: Valid hours further apart than this break a hovering stretch [h] (ours).
    dl_max_gap_hours: int = 6
    #: A hovering stretch is a finding only when its values are not measurements of the stack: *parked at the
    #: DL* when at least this share of them is the detection limit itself (ours: the majority; an analyser's
    #: readings form a continuum, hourly means of it are seldom one exact value) ...
    dl_parked_share: float = 0.5
    #: ... "the DL itself" being within this fraction of the DL (ours: rounding of a written DL, not noise).
    dl_at_tolerance: float = 0.005
    #: ... or *not following the load*: the point's load channels explain none of the values (Lagrange
    #: multiplier test n·R² ~ χ²(k) of the hourly values on the load channels, p at least this; ours) ...
    dl_load_p_min: float = 0.01
    #: ... while the load moved: its flow (else velocity) swung by at least this fraction of its median,
    #: P90 − P10 (ours: well beyond a velocity or flow CMS's own error, so the swing is the plant's; UNCONFIRMED:
    #: the reference notes give no accuracy figure for the velocity CMS, a setting to review).
    dl_load_swing_min: float = 0.2

    # ------------------------------------------------------------ parameter drift (§5.3, §5.4, §5.2 #15)
    #: A reported parameter differs from the registered (备案) one by more than this fraction ... (ours).
    drift_rel_tol: float = 0.001
    #: ... and more than this absolute amount (ours; absorbs rounding of zero intercepts).
    drift_abs_tol: float = 1e-9
    #: Duct area implied by flow/velocity (HJ 212-2017 eq. (30)) off the registered area by more than
    #: this fraction on a day (ours).
    area_rel_tol: float = 0.05
    #: Seconds per flow unit of the flow series: 1 for m³/s (``a00000`` as sent by loggers, reference
    #: notes "Factors"), 3600 for m³/h.
    area_flow_unit_s: float = 1.0
    #: Hours with a lower velocity [m/s] are not used for the implied area (ours).
    area_min_velocity: float = 0.5
    #: Minimum usable hours for a day's implied area (ours).
    area_min_hours: int = 12

    # ------------------------------------------------------------ marks before predicted exceedance (§6.1)
    #: Mark types that take the monitor off-line (rules.cn.marks types).
    mark_types: tuple[str, ...] = ("maintenance", "calibration", "fault", "stopped", "comm_interruption",
                                   "startup_shutdown")
    #: Valid hours looked at before each mark or gap (ours).
    mark_lookback_hours: int = 3
    #: "Predicted exceedance": their mean at least this fraction of the limit, or their linear trend
    #: reaching the limit in the next hour (ours).
    mark_pre_limit_frac: float = 0.9
    #: A run of at least this many hours without a valid value is a gap (ours).
    mark_gap_min_hours: int = 2
    #: Minimum number of marks/gaps preceded by a predicted exceedance (ours).
    mark_min_events: int = 3
    #: ... as a share of all marks/gaps (ours).
    mark_min_share: float = 0.5
    #: ... and at least this multiple of the share of ordinary hours preceded by the same (ours).
    mark_min_lift: float = 2.0

    # ------------------------------------------------------------ last digit (anchors.md §6.1)
    #: Minimum number of values for the chi-square test (ours; ≥ 20 expected per digit).
    digit_min_values: int = 200
    #: p-value below which the digits are called non-uniform (ours).
    digit_p_max: float = 0.001
    #: The values must spread over at least this many resolution steps (5th–95th percentile), else
    #: last digits are not expected to be uniform (ours).
    digit_min_spread_steps: float = 100.0
    #: ... and the largest deviation of a digit's share from 10 % at least this (ours): with a year of
    #: minute data any tiny quantisation effect is "significant", so an effect size is required too.
    digit_min_deviation: float = 0.02
    #: Finest resolution tried: 10^-digit_max_decimals (ours).
    digit_max_decimals: int = 4

class StatisticalSettings(BaseModel):
    """Thresholds of the statistical detector (all in samples of the analysed series; ours, tuned on NAB)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Baseline length [samples]: median and spread of the past ``window`` values (2016 = 7 days of 5-min
    #: data; ours, NAB tuning, standard profile: 288 → 36.7, 1152 → 44.6, 2016 → 49.7).
    window: int = 2016
    #: Recompute the baseline every this many samples [samples] (6 = every 30 min of 5-min data; speed, ours).
    baseline_stride: int = 6
    #: No score before this many past values [samples] (the baseline grows from here up to ``window``; ours).
    min_history: int = 48
    #: Spike: |value - median| above this many robust σ (Hampel's rule uses 3; ours). With the novelty rule
    #: (``spike_novelty``) this is a floor, not the working threshold (NAB, standard profile, with the rule:
    #: 8 → 65.3, 6 → 66.6, 5 → 66.6, 4 → 68.2; 6 kept: Gaussian noise passes 6 σ about once in 5·10⁸ samples,
    #: 4 σ once in 16,000, which on minute data would be an alarm every 11 days per factor on noise alone).
    spike_z: float = 6.0
    #: Level shift: median of the last ``shift_samples`` values [samples] ...
    shift_samples: int = 6
    #: ... at more than this many robust σ from the baseline median (ours, NAB tuning).
    shift_z: float = 3.0
    #: Variance shift: spread of the last ``variance_samples`` values [samples] ...
    variance_samples: int = 24
    #: ... above this multiple of the baseline spread (ours).
    variance_ratio: float = 6.0
    #: Floor of the robust σ as a fraction of |baseline median| [1] (analyser resolution; ours).
    min_sigma_fraction: float = 0.03
    #: After an alarm, no new alarm for this many samples (one event → one alarm; ours, NAB tuning:
    #: 144 → 43, 200 → 49.7, 250 → 49.2, 288 → 46.0).
    refractory: int = 200
    #: ... or for this long [h], whichever ends first (``None``: samples only). 200 five-minute samples are
    #: 16.7 h, but 200 hourly samples are 8 days: an hourly or irregular series would stay silent through
    #: most of its events (ours, NAB tuning: realAdExchange 43.7 → 62.3; 12 h → 63.1, 24 h → 64.0, 48 h → 64.3
    #: on the whole corpus, standard profile). Minute data are unchanged (200 minutes come first).
    refractory_hours: float | None = 16.0
    #: Series with fewer valid values than this are not analysed [samples] (ours).
    min_values: int = 96
    #: A level shift is judged against the point's own load (issue 13): the shift must remain on the
    #: residual of the factor regressed on the other channels (flow, velocity, O2, temperature, pressure,
    #: moisture and the other concentrations) over the baseline and the recent samples. Off = the raw test.
    load_check: bool = True
    #: ... and a load channel (flow, velocity, O2, temperature) whose own median moved by this many of its
    #: robust σ in the same window says the plant changed its operating state [σ] (ours: as strict as the
    #: shift test itself, so only a load change as clear as the pollutant's explains it).
    load_shift_z: float = 3.0
    #: Report a load-explained shift as a process change (``DET-LOAD-SHIFT``, info) instead of dropping it.
    report_process_changes: bool = False
    #: Channels not tested for anomalies, by their role (``model.ROLE_CODES``; ours, issue 13): the flue gas's
    #: state (velocity, temperature, moisture, pressure, duct area) follows the load and the weather by physics,
    #: so a spike or a level shift of it is a process change, never a sign about the emissions; they stay the
    #: load channels the pollutants' shifts are judged against. Flow and O2 are tested (the mass emitted and
    #: the 折算 value rest on them), and every pollutant.
    unscored_roles: tuple[str, ...] = ("velocity", "temperature", "moisture", "pressure", "area")
    #: Seasonal test: the median of the last ``seasonal_samples`` departures from the same time yesterday *and*
    #: last week (both, same sign; each in robust σ of its own past departures) above ``seasonal_z`` [samples,
    #: robust σ]; ``None`` switches the test off. Needs times and more than 7 days of history (ours, NAB tuning,
    #: standard profile 49.7 → 56.1; z 2.5 → 56.2, 4 → 53.6, 6 → 52.1; 12 samples → 53.6).
    seasonal_z: float | None = 3.0
    seasonal_samples: int = 6
    #: Novelty rule (the detector's own memory of what is usual for this series): a test raises an alarm only
    #: when its statistic is also at least this multiple of the largest value the same statistic reached over
    #: the past ``window`` samples; ``None`` switches the rule off for the test. A series whose robust z
    #: routinely reaches 10 (bursty tweet counts, CPU load) is not alarmed by the next 10; a series that never
    #: moved beyond 3 is alarmed by a 5. The floors ``spike_z`` ... still apply (ours, NAB tuning, standard
    #: profile, in docs/benchmarks.md "Anomaly detection: NAB").
    spike_novelty: float | None = 1.0
    shift_novelty: float | None = 0.5
    variance_novelty: float | None = None
    seasonal_novelty: float | None = 0.75


class SignSettings(BaseModel):
    """Thresholds of the process-physics falsification signs (:mod:`ecosentry.subsystems.monitoring.detect.signs`):
    minute-level copies, selective single-factor gaps, night-time pollutant load. All ours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # ------------------------------------------------------------ minute-level copy of a pollutant channel
    #: Only series at this resolution or finer are judged minute by minute (the hourly test is DET-CLONE). [s]
    copy_max_step_s: int = 300
    #: Changes (records whose value differs from the previous one) each channel needs in a window. [-]
    copy_min_changes: int = 12
    #: Shortest window. [min]; a series that changes less often gets a window of ``copy_min_changes``
    #: of its median intervals between changes (online water analysers: one value a measuring cycle).
    copy_window_min: int = 180
    #: Pearson r of the record-to-record changes in the window, and of the levels, at least these.
    copy_change_r_min: float = 0.95
    copy_level_r_min: float = 0.95
    #: Share of the window both channels must cover with valid records.
    copy_min_cover: float = 0.8
    #: ... or: one channel is an affine function of the other up to this many times the RMS rounding error
    #: of their reported resolutions (q²/12 each; a copy with a small gain loses its changes to rounding,
    #: not its exactness) ...
    copy_rounding_ratio: float = 1.5
    #: ... while it moves at least this many rounding errors (RMS) in the window (else nothing to fit).
    copy_min_spread: float = 3.0

    # ------------------------------------------------------------ selective gap of one pollutant
    #: A pollutant missing this long while the point's other channels report. [min]
    gap_min_minutes: int = 60
    #: ... and at least this share of the point's other channels report in each of those records.
    gap_others_share: float = 0.75

    # ------------------------------------------------------------ plateau just under the limit (capped peaks)
    #: Lower edge of the band under the limit, as a fraction of the limit (§5.6: [0.9·limit, limit)).
    cap_band_low: float = 0.9
    #: Hour-to-hour changes below ``cap_change_ratio`` of the usual one a plateau needs (each). [h]
    cap_min_hours: int = 6
    #: The plateau's median hour-to-hour change at most this fraction of the series' own median change.
    cap_change_ratio: float = 0.2
    #: Minute data: the ceiling band, from the highest record of a window down by this many standard
    #: deviations of the series' own record-to-record scatter (ours; a measurement's noise puts ~1 % of a
    #: window's records that close under its highest one).
    cap_ceiling_width: float = 0.5
    #: ... a window (``cap_min_hours`` long) whose highest record lies in the band under the limit is held at a
    #: ceiling when at least this share of its records sit in the ceiling band ...
    cap_ceiling_share: float = 0.2
    #: ... and at least this many (distinct records: an analyser holding its value sends one measurement).
    cap_ceiling_min_records: int = 30

    # ------------------------------------------------------------ a pollutant collapsing while the plant runs
    #: Hourly values at most this share of the pollutant's own median over running hours ...
    collapse_share: float = 0.15
    #: ... for at least this many consecutive running hours. [h]
    collapse_min_hours: int = 3
    #: The median must be at least this many resolution steps (else 15 % of it is not resolvable).
    collapse_min_steps: float = 10.0

    # ------------------------------------------------------------ night-time pollutant load (wastewater)
    #: Hours before the night and after it that are the night's own reference (evening and morning). [h]
    night_flank_hours: int = 4
    #: A pollutant's night median concentration at least this times its flank median ...
    night_conc_ratio: float = 1.25
    #: ... and its night pollutant load (concentration × flow) at least this times the flanks' load.
    night_load_ratio: float = 1.3
    #: Pollutants that must rise together on a night for the night to count.
    night_min_pollutants: int = 2
    #: Nights that must count for a finding.
    night_min_nights: int = 2
    #: ... or one pollutant alone, when on each of those nights its rise (night median − flank median) is at
    #: least this many robust standard deviations of its own hour-to-hour changes (ours). The difference of
    #: two medians of ~8 hourly values moves about one such σ by the analyser's noise and the load's wander;
    #: a second pollutant near its detection limit cannot resolve a ×1.5 rise that a well-resolved one shows
    #: at 10–30 σ (issue 13, seed 47 W037: COD ×1.44 at 14 σ, NH3-N at 0.25 mg/L ×1.18). Honest rises on
    #: 9 dev seeds' clean wastewater nights: at most 5.8 σ, and on one night each.
    night_single_z: float = 8.0
    #: Valid hours a night and its flanks need.
    night_min_hours: int = 4


class DetectorSettings(BaseModel):
    """All detector thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A point is "running" (正常生产) when its flow (or velocity) exceeds this fraction of its median over the
    #: window (ours).
    running_flow_min: float = 0.2
    #: O2 at or above this [%] says "stopped" (reference notes §5.6, ours; configurable).
    o2_stopped_pct: float = 19.0
    national: NationalSettings = Field(default_factory=NationalSettings)
    patterns: PatternSettings = Field(default_factory=PatternSettings)
    statistical: StatisticalSettings = Field(default_factory=StatisticalSettings)
    signs: SignSettings = Field(default_factory=SignSettings)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "DetectorSettings":
        """Defaults overridden by ``data`` (unknown keys are an error naming the key)."""
        return cls.model_validate(dict(data or {}))
