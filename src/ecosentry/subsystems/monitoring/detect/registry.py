"""The one place that imports every detector module, and the families their codes belong to.

Detector modules fill :data:`ecosentry.subsystems.monitoring.detect.model.DETECTORS` when imported (``@detector``).
:func:`all_detectors` imports them here, so the CLI, the pipeline and the benchmarks see the same set
whatever each module registers.

Families
--------
A *family* groups the codes that answer one question ("is the value stuck?", "is data missing?"). The
fault-injection labels (:mod:`ecosentry.subsystems.monitoring.simulate.inject`) name the family a fault should trigger, and the
evaluation (:mod:`ecosentry.subsystems.monitoring.bench.detect_eval`) matches findings to labels by family, so a detector may
refine its codes (``...-CONST-4H``, ``...-CONST-ZERO``) without breaking the benchmark. A code's family is
found from its detector's name and its code by the keywords of :data:`FAMILY_KEYWORDS` (first family
whose keyword occurs wins; the table is ordered from specific to general). The families follow the
detector set of reference notes §5.6 and the national categories of §5.2.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Callable, Iterable, Sequence

from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.detect.model import DETECTORS, DetectorSpec, Finding, PointData

__all__ = [
    "DETECTOR_MODULES",
    "FAMILIES",
    "FAMILY_KEYWORDS",
    "all_detectors",
    "all_codes",
    "family_of",
    "code_families",
    "codes_of_family",
    "select_detectors",
    "run_detectors",
    "corroborate",
    "points_at",
    "LOCAL_SPAN",
    "rank_key",
    "FleetSpec",
    "FLEET_DETECTORS",
    "fleet_detector",
    "all_fleet_detectors",
    "run_fleet_detectors",
    "fleet_digests",
    "load_shared",
]

#: Modules whose import registers detectors (national rules, pattern rules, statistical detector).
DETECTOR_MODULES = (
    "ecosentry.subsystems.monitoring.detect.national",
    "ecosentry.subsystems.monitoring.detect.patterns",
    "ecosentry.subsystems.monitoring.detect.statistical",
    "ecosentry.subsystems.monitoring.detect.signs",
)

def load_shared() -> None:
    """Read the data the detectors' explanations share (the factor catalogue, HJ 212-2017 Appendix B) once in
    this process: worker processes forked after it inherit it, where each read it for itself before (YAML's
    import and parse, ~33 ms of CPU a worker on the project's machine, issue 13 item 3). Called by ``ecosentry
    detect`` while its input is parsed; a detector that finds it unread reads it itself."""
    from ecosentry.subsystems.monitoring.detect.national import factor_catalogue

    factor_catalogue()


#: Family → keywords looked for (upper case) in ``"<detector name> <code>"``; order matters: the first
#: family with a matching keyword wins, so specific families come before general ones.
FAMILY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "data_while_stopped": ("STOPPED-DATA", "WHILE-STOPPED", "DATA-STOPPED"),
    "o2_stopped": ("O2",),
    "zero_running": ("ZERO",),
    "half_month_range": ("HALF", "RANGE5", "RANGE-5", "15D", "LOWVAR", "LOW-VAR", "SMALL-RANGE", "RANGE-HM"),
    "over_range": ("OVER-RANGE", "OVERRANGE", "OVER_RANGE", "OVER", "RANGE"),
    "negative": ("NEG",),
    "constant": ("CONST", "STUCK", "FLAT-4H"),
    "step_flat": ("STEP",),
    "limit_hugging": ("HUG", "LIMIT-HUG", "CLIP", "CAP"),
    "clone": ("CLONE", "CORR", "COPY", "TWIN"),
    "day_night": ("NIGHT", "DAYNIGHT", "DAY-NIGHT", "DIURNAL"),
    "narrow_band": ("NARROW", "BAND", "DETLIM", "DETECTION", "DL-", "-DL"),
    "param_drift": ("DRIFT", "PARAM", "AREA", "KV"),
    "marks_exceedance": ("MARK",),
    "last_digit": ("DIGIT",),
    "no_data": ("NO-DATA", "NODATA", "OFFLINE", "SILENT"),
    "missing": ("MISSING", "MISS", "GAP", "LOST"),
    "statistical": ("STAT", "ROBUST", "ANOM", "SPIKE", "SHIFT", "NAB", "MAD", "ZSCORE"),
}

#: Every family name.
FAMILIES: tuple[str, ...] = tuple(FAMILY_KEYWORDS)


def all_detectors() -> dict[str, DetectorSpec]:
    """Import the detector modules and return the registry (name → spec), sorted by name.

    Returns
    -------
    dict
        A copy of :data:`ecosentry.subsystems.monitoring.detect.model.DETECTORS` after every module of
        :data:`DETECTOR_MODULES` was imported.
    """
    for module in DETECTOR_MODULES:
        importlib.import_module(module)
    return {name: DETECTORS[name] for name in sorted(DETECTORS)}


@dataclass(frozen=True)
class FleetSpec:
    """A detector that compares the points of one run with each other (a copied feed between plants):
    ``digest(data, cfg)`` takes what it needs of one point where the point is built (a worker process), and
    ``func(digests, cfg) -> list[Finding]`` compares the points' digests; its codes are catalogue entries like
    any detector's."""

    name: str
    codes: Sequence[str]
    func: Callable[[Sequence[Any], object], list[Finding]]
    digest: Callable[[PointData, object], Any]


#: Fleet detectors by name, filled by ``@fleet_detector`` when their module is imported.
FLEET_DETECTORS: dict[str, FleetSpec] = {}


def fleet_detector(name: str, codes: Sequence[str], digest: Callable[[PointData, object], Any]):
    """Register a fleet detector (run once over all points' ``digest`` by :func:`run_fleet_detectors`)."""

    def wrap(func):
        if name in FLEET_DETECTORS:
            raise ValueError(f"fleet detector {name!r} registered twice")
        FLEET_DETECTORS[name] = FleetSpec(name, tuple(codes), func, digest)
        return func

    return wrap


def all_fleet_detectors() -> dict[str, FleetSpec]:
    """Import the detector modules and return the fleet detectors (name → spec), sorted by name."""
    all_detectors()
    return {name: FLEET_DETECTORS[name] for name in sorted(FLEET_DETECTORS)}


def _fleet_wanted(spec: FleetSpec, only_codes: Sequence[str] | None) -> bool:
    return not only_codes or bool(set(spec.codes) & set(only_codes))


def fleet_digests(data: PointData, cfg: object, *, only_codes: Sequence[str] | None = None,
                  on_error=None) -> dict[str, Any]:
    """What each fleet detector needs of one point (name → its ``digest``), taken while the point is at hand;
    kept while the other points are judged, so a run holds these, not every point's series.

    ``only_codes`` and ``on_error`` as in :func:`run_fleet_detectors` (a failed digest is left out)."""
    digests: dict[str, Any] = {}
    for name, spec in all_fleet_detectors().items():
        if not _fleet_wanted(spec, only_codes):
            continue
        try:
            digests[name] = spec.digest(data, cfg)
        except Exception as exc:  # one failing fleet test must not hide the per-point findings
            if on_error is None:
                raise
            on_error(name, data.point, exc)
    return digests


def run_fleet_detectors(
    digests: Sequence[dict[str, Any]],
    cfg: object,
    *,
    only_codes: Sequence[str] | None = None,
    on_error=None,
) -> list[Finding]:
    """Run every fleet detector over the :func:`fleet_digests` of the points of one ``ecosentry detect`` run.

    ``only_codes`` keeps those codes (and skips fleet detectors emitting none of them); ``on_error`` as in
    :func:`run_detectors` (the point is reported as ``"*"``). Findings are sorted by point, start, code.
    """
    findings: list[Finding] = []
    for name, spec in all_fleet_detectors().items():
        if not _fleet_wanted(spec, only_codes):
            continue
        try:
            findings.extend(spec.func([d[name] for d in digests if name in d], cfg) or ())
        except Exception as exc:  # one failing fleet test must not hide the per-point findings
            if on_error is None:
                raise
            on_error(name, "*", exc)
    if only_codes:
        findings = [f for f in findings if f.code in set(only_codes)]
    findings.sort(key=lambda f: (f.point, f.start, f.code, f.factor))
    return findings


def all_codes(specs: Iterable[DetectorSpec] | None = None) -> list[str]:
    """Every code the detectors may emit, sorted."""
    specs = all_detectors().values() if specs is None else specs
    return sorted({code for spec in specs for code in spec.codes})


def family_of(code: str, detector_name: str = "") -> str | None:
    """Family of a finding code (``None`` when no keyword matches).

    Parameters
    ----------
    code : str
        Catalogue code, e.g. ``"DET-CONST-4H"``.
    detector_name : str
        Name of the detector that emits it, when known; searched too (``"constant_value"`` → constant).
    """
    text = f"{detector_name.upper().replace('_', '-')} {code.upper()}"
    code_text = code.upper()
    # The code decides first (it is the stable identifier); the detector name only when the code is mute.
    for haystack in (code_text, text):
        for family, keywords in FAMILY_KEYWORDS.items():
            if any(k in haystack for k in keywords):
                return family
    return None


def code_families(specs: Iterable[DetectorSpec] | None = None) -> dict[str, str | None]:
    """Code → family for every registered code."""
    specs = all_detectors().values() if specs is None else specs
    return {code: family_of(code, spec.name) for spec in specs for code in spec.codes}


def codes_of_family(family: str, specs: Iterable[DetectorSpec] | None = None) -> list[str]:
    """The registered codes of one family, sorted."""
    return sorted(code for code, fam in code_families(specs).items() if fam == family)


def select_detectors(
    specs: dict[str, DetectorSpec],
    *,
    only_codes: Sequence[str] | None = None,
    families: Sequence[str] | None = None,
) -> dict[str, DetectorSpec]:
    """The detectors emitting at least one of ``only_codes`` and/or belonging to one of ``families``.

    Raises
    ------
    ValueError
        If a code of ``only_codes`` is emitted by no registered detector (the message lists the known ones).
    """
    chosen = dict(specs)
    if only_codes:
        known = set(all_codes(specs.values()))
        unknown = [c for c in only_codes if c not in known]
        if unknown:
            raise Said(N_("unknown detector code(s) %(codes)s; known: %(known)s"), codes=", ".join(unknown),
                       known=", ".join(sorted(known)) or "—")
        chosen = {n: s for n, s in chosen.items() if set(s.codes) & set(only_codes)}
    if families is not None:
        fams = set(families)
        chosen = {n: s for n, s in chosen.items() if any(family_of(c, s.name) in fams for c in s.codes)}
    return chosen


def run_detectors(
    data: PointData,
    cfg: object,
    specs: dict[str, DetectorSpec],
    *,
    only_codes: Sequence[str] | None = None,
    on_error=None,
) -> list[Finding]:
    """Run ``specs`` on one point; findings sorted by start, code, factor.

    Parameters
    ----------
    data : PointData
    cfg : DetectorSettings
    specs : dict
        Name → spec, from :func:`all_detectors` or :func:`select_detectors`.
    only_codes : sequence of str or None
        Keep only findings with these codes (a detector may emit several codes).
    on_error : callable or None
        ``on_error(detector_name, point, exception)``: called when a detector raises; the others still
        run. ``None`` re-raises.
    """
    findings: list[Finding] = []
    for name, spec in specs.items():
        try:
            found = spec.func(data, cfg)
        except Exception as exc:  # a failing detector must not hide the others' findings
            if on_error is None:
                raise
            on_error(name, data.point, exc)
            continue
        findings.extend(found or ())
    if only_codes:
        keep = set(only_codes)
        findings = [f for f in findings if f.code in keep]
    findings = corroborate(findings)
    findings.sort(key=lambda f: (f.start, f.code, f.factor))
    return findings


#: Kinds whose findings count as signs for corroboration (a process change explains, it does not accuse).
_SIGN_KINDS = frozenset({"falsification", "data_quality", "statistical"})
_KIND_RANK = {"falsification": 3, "data_quality": 2, "statistical": 1, "process_change": 0}
_SEVERITY_RANK = {"critical": 3, "warning": 2, "info": 1}
#: Severity of a statistical anomaly that no independent sign corroborates (issue 13: a statistical anomaly
#: alone has no meaning; "unusual for this series" is what every plant's start-up, load change or night shift
#: also is). It stays visible on the point and in ``ecosentry detect``, and raises no alarm (the detection job
#: alarms from ``warning`` up); corroborated, it keeps the detector's severity.
LONE_STATISTICAL = "info"


#: A sign no longer than this localises the window it overlaps (the regulatory day: daily means and daily
#: rates are the national unit of judgement; ours). Longer signs corroborate only a window as long as they
#: are, or one their onset or end falls on.
LOCAL_SPAN = timedelta(days=1)


def points_at(b: Finding, a: Finding, slack: timedelta = timedelta(0)) -> bool:
    """Whether ``b`` (overlapping ``a``) points at ``a``'s window: ``b`` is no longer than
    ``max(a's span, LOCAL_SPAN)``, or ``b`` starts or ends inside ``a``'s span (within ``slack``)."""
    if b.end - b.start <= max(a.end - a.start, LOCAL_SPAN):
        return True
    lo, hi = a.start - slack, a.end + slack
    return lo <= b.start <= hi or lo <= b.end <= hi


def corroborate(findings: Sequence[Finding], slack: timedelta = timedelta(0)) -> list[Finding]:
    """Each finding with ``corroborated_by``: the codes of the independent signs on the same window.

    A finding B corroborates a finding A when they concern the same point, their spans overlap (within
    ``slack``), both are signs (not process changes), they answer different questions (their codes belong
    to different families, :func:`family_of`: the same test firing twice, or two refinements of one test,
    ``DET-LIMIT-HUG`` and ``DET-LIMIT-HUG-DAY``, are not independent) and B points at A's window
    (:func:`points_at`): B is no longer than A's span or a day (:data:`LOCAL_SPAN`), whichever is longer,
    or B starts or ends inside A's span. Several independent signs on one window make it more likely to be
    real (as an inspector weighs concurring evidence, reference notes §5.3); :func:`rank_key` ranks on
    that count. Why B must point at the window: a sign of length L overlaps a window of length W at a
    random place with probability about (L + W) / T over a record of length T, so a week-long sign (a week
    hovering at the detection limit) overlaps every short shift inside it and is no evidence for any of
    them (issue 13: such overlaps raised honest load changes to warnings). A shorter sign inside A, or a
    long one whose onset or end falls on A, is a coincidence that chance rarely makes. The relation is not
    symmetric: a shift inside a week-long sign corroborates the week, not the other way round.

    Parameters
    ----------
    findings : sequence of Finding
    slack : datetime.timedelta
        Spans closer than this count as overlapping. [s]

    A statistical anomaly that no sign of another family corroborates is lowered to
    :data:`LONE_STATISTICAL` (``info``).

    Returns
    -------
    list of Finding
        The same findings in the same order, ``corroborated_by`` filled (sorted codes, each once).
    """
    fam = {f.code: family_of(f.code) or f.code for f in findings}
    by_point: dict[str, list[int]] = {}
    for i, f in enumerate(findings):
        if f.kind in _SIGN_KINDS:
            by_point.setdefault(f.point, []).append(i)
    support: dict[int, set[str]] = {}
    for idx in by_point.values():
        idx = sorted(idx, key=lambda i: findings[i].start)
        for a_pos, a in enumerate(idx):
            fa = findings[a]
            for b in idx[a_pos + 1:]:
                fb = findings[b]
                if fb.start > fa.end + slack:
                    break
                if fb.end + slack < fa.start or fam[fa.code] == fam[fb.code]:
                    continue
                if points_at(fb, fa, slack):
                    support.setdefault(a, set()).add(fb.code)
                if points_at(fa, fb, slack):
                    support.setdefault(b, set()).add(fa.code)
    out = []
    for i, f in enumerate(findings):
        if i in support:
            f = replace(f, corroborated_by=tuple(sorted(support[i])))
        elif f.kind == "statistical" and _SEVERITY_RANK.get(f.severity, 0) > _SEVERITY_RANK[LONE_STATISTICAL]:
            # unusual for the series and nothing else on the window: a hint for the analyst, not a warning
            f = replace(f, severity=LONE_STATISTICAL)
        out.append(f)
    return out


def rank_key(f: Finding) -> tuple:
    """Sort key, most telling first: severity, then kind (falsification signs before data defects before
    statistical anomalies), then the number of independent signs on the window, then start."""
    return (-_SEVERITY_RANK.get(f.severity, 0), -_KIND_RANK.get(str(f.kind), 0), -f.signs, f.start, f.code)
