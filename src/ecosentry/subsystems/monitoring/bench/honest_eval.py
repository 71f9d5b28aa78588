"""Precision, recall and findings per clean point-day on the honest-plant set (``ecosentry bench detect --set honest``).

The set (:mod:`ecosentry.subsystems.monitoring.simulate.honest`) is minute data of plants that behave like
real ones, with labelled fraud windows on some points and none on the others (the *clean* points). The
benchmark writes it to files, runs ``ecosentry detect`` on them (the command itself, so every registered
detector runs exactly as a user runs it) and judges each finding.

Matching (ours)
---------------
A finding *overlaps* a label when all hold:

* same point;
* the factors overlap: a label factor ``*`` covers the whole point; a finding without factor (or ``*``) is
  point-wide; otherwise the finding's factors and the label's factors share at least one factor;
* the finding's span ``[start, end]`` meets the label's ``[start − tol, end + tol]`` (``tol`` default 1 h:
  detectors judge whole hours, a labelled window starts and ends inside one).

Unlike the injected set's scorer (:mod:`ecosentry.subsystems.monitoring.bench.detect_eval`) the family of a
finding does not matter: a finding that overlaps a labelled fraud window is a true positive (TP) whatever
its code (it points a regulator at the right place), a finding that overlaps only a *context* label
(the copied point of a cross-point clone) is *explained* (neither TP nor FP), any other finding is a false
positive (FP). A label is *detected* by a code when some finding of that code overlaps it.

Kinds and severities
--------------------
A finding's *kind* is its own ``kind`` field when the detectors write one (falsification sign, data-quality
defect, statistical anomaly, process change; a kind whose text starts with ``falsif`` is a falsification
sign). Findings without one get a kind from their code's family (:data:`FALLBACK_KIND`: statistical →
statistical anomaly; missing data, no data, negative and over-range values → data-quality defect; every
other family → falsification sign). Scores are given for all findings and for those of severity
``warning`` or above.

Numbers
-------
Per code: ``precision = TP / (TP + FP)``; ``recall`` = fraud labels the code detected / fraud labels;
``per clean point-day`` = findings on clean points / (clean points × days). Overall, for falsification signs:
precision over falsification-sign findings, recall = fraud labels detected by at least one
falsification-sign finding / fraud labels; the recall by findings of any kind is given beside it. A ratio
with an empty denominator is ``None`` (shown as "—"). The goals of issue 13 are shown with them:
precision ≥ 0.95 at recall ≥ 0.95 for falsification signs, ≤ 0.05 findings per clean point-day of any kind
at warning or above.
"""

from __future__ import annotations

import json
import platform
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.bench.words import class_name, code_cell, code_table, kind_word, pct, severity_name
from ecosentry.subsystems.monitoring.simulate.inject import Label

__all__ = [
    "FALLBACK_KIND",
    "FALSIFICATION",
    "DEFAULT_TOLERANCE_H",
    "GOALS",
    "Judged",
    "CodeRow",
    "ClassRow",
    "HonestScore",
    "overlaps",
    "score",
    "to_markdown",
    "write_section",
    "run_bench_honest",
]

FALSIFICATION = "falsification"
#: Family → kind for findings that carry no kind of their own.
FALLBACK_KIND: dict[str, str] = {
    "statistical": "statistical",
    "missing": "data_quality",
    "no_data": "data_quality",
    "negative": "data_quality",
    "over_range": "data_quality",
}
DEFAULT_TOLERANCE_H = 1.0
#: Issue 13 goals on this set.
GOALS = {"falsification_precision": 0.95, "falsification_recall": 0.95, "warning_per_clean_point_day": 0.05}
_SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def ratio(num: int, den: int) -> float | None:
    """``num / den``, ``None`` when ``den`` is 0."""
    return num / den if den else None


def _is_falsification(kind: str) -> bool:
    return kind.strip().lower().startswith("falsif")


@dataclass(frozen=True)
class Judged:
    """A finding as the honest scorer sees it (from a ``findings.jsonl`` line)."""

    code: str
    severity: str
    kind: str
    point: str
    factors: frozenset[str]
    start: datetime
    end: datetime

    @property
    def warning_or_above(self) -> bool:
        return _SEVERITY_RANK.get(self.severity, 1) >= 1

    @property
    def falsification(self) -> bool:
        return _is_falsification(self.kind)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Judged":
        from ecosentry.subsystems.monitoring.detect.registry import family_of

        code = str(d["code"])
        kind = d.get("kind")
        if not kind:
            kind = FALLBACK_KIND.get(family_of(code) or "", FALSIFICATION)
        factor = str(d.get("factor") or "")
        return cls(code=code, severity=str(d.get("severity") or "warning"), kind=str(kind), point=str(d["point"]),
                   factors=frozenset(f.strip() for f in factor.split(",") if f.strip()),
                   start=_parse(d["start"]), end=_parse(d["end"]))


def overlaps(f: Judged, label: Label, tolerance: timedelta = timedelta(hours=DEFAULT_TOLERANCE_H)) -> bool:
    """True when ``f`` and ``label`` share point, factor and time (see the module docstring)."""
    if f.point != label.point:
        return False
    point_wide = "*" in label.factors or not f.factors or "*" in f.factors
    if not point_wide and not (f.factors & set(label.factors)):
        return False
    return not (f.end < label.start - tolerance or f.start > label.end + tolerance)


@dataclass
class _Tally:
    findings: int = 0
    tp: int = 0
    explained: int = 0
    fp: int = 0
    clean: int = 0

    def add(self, verdict: str, on_clean: bool) -> None:
        self.findings += 1
        setattr(self, verdict, getattr(self, verdict) + 1)
        self.clean += on_clean

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    def to_json(self, clean_point_days: float) -> dict[str, Any]:
        return {"findings": self.findings, "tp": self.tp, "explained": self.explained, "fp": self.fp,
                "precision": self.precision, "clean_findings": self.clean,
                "per_clean_point_day": self.clean / clean_point_days if clean_point_days else None}


@dataclass
class CodeRow:
    code: str
    kind: str
    severity: str
    all: _Tally = field(default_factory=_Tally)
    warning: _Tally = field(default_factory=_Tally)
    detected: int = 0

    def to_json(self, labels: int, clean_point_days: float) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "severity": self.severity, "detected": self.detected,
                "recall": ratio(self.detected, labels), "all": self.all.to_json(clean_point_days),
                "warning_or_above": self.warning.to_json(clean_point_days)}


@dataclass
class ClassRow:
    fault: str
    labels: int = 0
    detected: int = 0
    detected_falsification: int = 0
    codes: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {"fault": self.fault, "labels": self.labels, "detected": self.detected,
                "detected_by_falsification_sign": self.detected_falsification,
                "recall": ratio(self.detected, self.labels),
                "falsification_recall": ratio(self.detected_falsification, self.labels),
                "codes": sorted(self.codes)}


@dataclass
class HonestScore:
    """Result of :func:`score`."""

    codes: list[CodeRow]
    classes: list[ClassRow]
    labels: int
    clean_point_days: float
    all: _Tally
    warning: _Tally
    falsification: _Tally
    detected_any: int
    detected_falsification: int
    missed: list[Label]
    false_positives: list[Judged]
    tolerance_h: float

    @property
    def falsification_precision(self) -> float | None:
        return self.falsification.precision

    @property
    def falsification_recall(self) -> float | None:
        return ratio(self.detected_falsification, self.labels)

    @property
    def recall_any(self) -> float | None:
        return ratio(self.detected_any, self.labels)

    @property
    def warning_per_clean_point_day(self) -> float | None:
        return self.warning.clean / self.clean_point_days if self.clean_point_days else None

    @property
    def per_clean_point_day(self) -> float | None:
        return self.all.clean / self.clean_point_days if self.clean_point_days else None

    def to_json(self) -> dict[str, Any]:
        cpd = self.clean_point_days
        return {
            "overall": {
                "labels": self.labels, "clean_point_days": cpd, "tolerance_h": self.tolerance_h,
                "all": self.all.to_json(cpd), "warning_or_above": self.warning.to_json(cpd),
                "falsification": {**self.falsification.to_json(cpd), "detected": self.detected_falsification,
                                  "recall": self.falsification_recall},
                "recall_any_kind": self.recall_any, "detected_any_kind": self.detected_any,
                "goals": GOALS,
            },
            "codes": [c.to_json(self.labels, cpd) for c in self.codes],
            "classes": [c.to_json() for c in self.classes],
            "missed": [lb.to_json() for lb in self.missed],
            "false_positive_sample": [
                {"code": f.code, "severity": f.severity, "kind": f.kind, "point": f.point,
                 "factor": ",".join(sorted(f.factors)), "start": _iso(f.start), "end": _iso(f.end)}
                for f in self.false_positives[:60]
            ],
        }


def score(
    findings: Iterable[Judged],
    labels: Sequence[Label],
    *,
    clean_points: Iterable[str],
    days: float,
    context: Iterable[str] = ("clone_source",),
    tolerance: timedelta = timedelta(hours=DEFAULT_TOLERANCE_H),
) -> HonestScore:
    """Judge ``findings`` against ``labels`` (see the module docstring).

    Parameters
    ----------
    findings : iterable of Judged
    labels : sequence of Label
        Fraud labels and context labels (classes in ``context``).
    clean_points : iterable of str
        Points without any label; their findings make the per clean point-day rates.
    days : float
        Length of the set. [d]
    """
    context = set(context)
    fraud = [lb for lb in labels if lb.fault not in context]
    ctx = [lb for lb in labels if lb.fault in context]
    clean = set(clean_points)
    by_point: dict[str, list[Label]] = {}
    for lb in fraud:
        by_point.setdefault(lb.point, []).append(lb)
    ctx_by_point: dict[str, list[Label]] = {}
    for lb in ctx:
        ctx_by_point.setdefault(lb.point, []).append(lb)

    rows: dict[str, CodeRow] = {}
    total, warning, fals = _Tally(), _Tally(), _Tally()
    detected_by: dict[int, set[str]] = {lb.id: set() for lb in fraud}
    detected_fals: set[int] = set()
    false_positives: list[Judged] = []
    for f in findings:
        row = rows.get(f.code)
        if row is None:
            row = rows[f.code] = CodeRow(f.code, f.kind, f.severity)
        hits = [lb for lb in by_point.get(f.point, ()) if overlaps(f, lb, tolerance)]
        if hits:
            verdict = "tp"
        elif any(overlaps(f, lb, tolerance) for lb in ctx_by_point.get(f.point, ())):
            verdict = "explained"
        else:
            verdict = "fp"
            false_positives.append(f)
        on_clean = f.point in clean
        row.all.add(verdict, on_clean)
        total.add(verdict, on_clean)
        if f.warning_or_above:
            row.warning.add(verdict, on_clean)
            warning.add(verdict, on_clean)
        if f.falsification:
            fals.add(verdict, on_clean)
        for lb in hits:
            detected_by[lb.id].add(f.code)
            if f.falsification:
                detected_fals.add(lb.id)

    for row in rows.values():
        row.detected = sum(1 for codes in detected_by.values() if row.code in codes)
    classes: dict[str, ClassRow] = {}
    for lb in fraud:
        c = classes.setdefault(lb.fault, ClassRow(lb.fault))
        c.labels += 1
        c.detected += bool(detected_by[lb.id])
        c.detected_falsification += lb.id in detected_fals
        c.codes |= detected_by[lb.id]
    return HonestScore(
        codes=sorted(rows.values(), key=lambda r: (-r.all.findings, r.code)),
        classes=sorted(classes.values(), key=lambda c: c.fault),
        labels=len(fraud),
        clean_point_days=len(clean) * days,
        all=total, warning=warning, falsification=fals,
        detected_any=sum(1 for v in detected_by.values() if v),
        detected_falsification=len(detected_fals),
        missed=[lb for lb in fraud if not detected_by[lb.id]],
        false_positives=false_positives,
        tolerance_h=tolerance.total_seconds() / 3600.0,
    )


# --------------------------------------------------------------------------- presentation
# The docs' markdown and the terminal say the same sentences: English (``_`` the identity, bold in markdown) for
# the files, the terminal's language on the terminal (``_`` its gettext, words.py's names of kinds and classes).


def _english(msgid: str) -> str:
    return msgid


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _code_cells(r: CodeRow, labels: int, cpd: float, name: Callable[[str], str] = _english,
                kind: Callable[[str], str] = _english, severity: Callable[[str], str] = _english) -> list[str]:
    return [name(r.code), kind(r.kind), severity(r.severity), str(r.all.findings), str(r.all.tp), str(r.all.fp),
            pct(r.all.precision), f"{pct(ratio(r.detected, labels))} ({r.detected}/{labels})",
            _rate(r.all.clean / cpd if cpd else None),
            str(r.warning.findings), pct(r.warning.precision), _rate(r.warning.clean / cpd if cpd else None)]


_CODE_HEAD = (N_("code"), N_("kind"), N_("severity"), N_("findings"), N_("TP"), N_("FP"), N_("precision"),
              N_("recall"), N_("per clean pt-day"), N_("≥warning"), N_("≥warning precision"),
              N_("≥warning per clean pt-day"))

_FALSIFICATION_LINE = N_("Falsification signs: %(findings)s findings, %(tp)s TP, %(fp)s FP: precision %(precision)s, "
                         "recall %(recall)s (%(detected)s/%(labels)s) (goal ≥ %(goal_precision)s at ≥ "
                         "%(goal_recall)s).")
_ALL_LINE = N_("All findings: %(findings)s (%(tp)s TP, %(explained)s explained, %(fp)s FP), precision "
               "%(precision)s, recall by any kind %(recall)s (%(detected)s/%(labels)s); %(per_day)s findings per "
               "clean point-day, %(warning_per_day)s at warning or above (goal ≤ %(goal)s).")


def _bold(text: str) -> str:
    return f"**{text}**"


def _overall_lines(s: HonestScore, _: Callable[[str], str] = _english,
                   bold: Callable[[str], str] = _bold) -> list[str]:
    """The two summary sentences (falsification signs; all findings), numbers that meet a goal in ``bold``."""
    return [
        _(_FALSIFICATION_LINE) % {
            "findings": s.falsification.findings, "tp": s.falsification.tp, "fp": s.falsification.fp,
            "precision": bold(pct(s.falsification_precision)), "recall": bold(pct(s.falsification_recall)),
            "detected": s.detected_falsification, "labels": s.labels,
            "goal_precision": pct(GOALS["falsification_precision"]),
            "goal_recall": pct(GOALS["falsification_recall"])},
        _(_ALL_LINE) % {
            "findings": s.all.findings, "tp": s.all.tp, "explained": s.all.explained, "fp": s.all.fp,
            "precision": pct(s.all.precision), "recall": pct(s.recall_any), "detected": s.detected_any,
            "labels": s.labels, "per_day": _rate(s.per_clean_point_day),
            "warning_per_day": bold(_rate(s.warning_per_clean_point_day)),
            "goal": f"{GOALS['warning_per_clean_point_day']:g}"},
    ]


def to_markdown(s: HonestScore, *, note: str = "") -> str:
    """The overall lines, a table per code and a table per fraud class (pasteable, English)."""
    lines = [note, ""] if note else []
    lines += _overall_lines(s) + [""]
    lines += ["| " + " | ".join(_CODE_HEAD) + " |", "|---|---|---|" + "---:|" * (len(_CODE_HEAD) - 3)]
    for r in s.codes:
        cells = _code_cells(r, s.labels, s.clean_point_days)
        cells[0] = f"`{cells[0]}`"
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| fraud class | labels | detected (any kind) | by a falsification sign | detected by |",
              "|---|---:|---:|---:|---|"]
    for c in s.classes:
        by = ", ".join(f"`{code}`" for code in sorted(c.codes)) or "—"
        lines.append(f"| {c.fault} | {c.labels} | {c.detected} | {c.detected_falsification} | {by} |")
    return "\n".join(lines) + "\n"


_CLASS_HEAD = (N_("fraud class"), N_("labels"), N_("detected"), N_("by falsification sign"), N_("detected by"))


def print_tables(s: HonestScore, console, lang: str | None = None) -> None:
    """The tables and summary sentences of :func:`to_markdown` on the terminal, in ``lang`` (default the
    terminal's language): heads, kinds, severities and fraud classes said, each code with its rule's name."""
    from rich.table import Table

    from ecosentry.terminal.messages import gettext_of

    _ = gettext_of(lang)
    t = code_table(_(N_("Detectors on the honest-plant set (tolerance ±%(tolerance)s h)"))
                   % {"tolerance": f"{s.tolerance_h:g}"}, _CODE_HEAD, [r.code for r in s.codes], 3, _)
    for r in s.codes:
        t.add_row(*_code_cells(r, s.labels, s.clean_point_days, name=lambda c: code_cell(c, _),
                               kind=lambda k: kind_word(k, _), severity=lambda v: severity_name(v, _)))
    console.print(t)
    c = Table(title=_(N_("Fraud classes")))
    for i, col in enumerate(_CLASS_HEAD):
        c.add_column(_(col), justify="right" if 1 <= i <= 3 else "left")
    for cl in s.classes:
        c.add_row(class_name(cl.fault, _), str(cl.labels), str(cl.detected), str(cl.detected_falsification),
                  ", ".join(sorted(cl.codes)) or "—")
    console.print(c)
    for line in _overall_lines(s, _, bold=str):
        console.print(line)


def speed_line(timings: Mapping[str, float], _: Callable[[str], str] = _english) -> str:
    """``ecosentry detect`` against the naive pandas script of the simple rules (or why it was not run)."""
    detect = timings["detect_s"]
    naive = timings.get("naive_pandas_s")
    if naive is None:
        return _(N_("ecosentry detect %(detect)s s; naive pandas script of the simple rules not run: pandas is not "
                    "installed (pip install pandas, or the test extra)")) % {"detect": f"{detect:.1f}"}
    cpu, naive_cpu = timings.get("detect_cpu_s"), timings.get("naive_pandas_cpu_s")
    if cpu is None or naive_cpu is None:
        return _(N_("ecosentry detect %(detect)s s, naive pandas script of the simple rules %(naive)s s "
                    "(ratio detect / naive %(ratio)s)")) % {
            "detect": f"{detect:.1f}", "naive": f"{naive:.1f}", "ratio": f"{detect / naive:.1f}"}
    # CPU time (user + system) beside wall: the machine may be shared, and CPU time is what a job costs
    return _(N_("ecosentry detect %(detect)s s wall, %(cpu)s s CPU; naive pandas script of the simple rules "
                "%(naive)s s wall, %(naive_cpu)s s CPU (ratio detect / naive: wall %(ratio)s, CPU %(cpu_ratio)s)")) % {
        "detect": f"{detect:.1f}", "cpu": f"{cpu:.1f}", "naive": f"{naive:.1f}", "naive_cpu": f"{naive_cpu:.1f}",
        "ratio": f"{detect / naive:.1f}", "cpu_ratio": f"{cpu / naive_cpu:.1f}"}


#: The set and the run, said above the markdown tables and on the terminal.
_SETUP = N_("%(points)s points (%(gas)s flue gas, %(water)s wastewater; %(clean)s clean), %(days)s days of minute "
            "data (%(rows)s rows), seed %(seed)s, %(labels)s labelled fraud windows (%(subtle)s subtle), "
            "%(detectors)s registered detectors, tolerance ±%(tolerance)s h; detect %(detect)s s (%(detect_cpu)s s "
            "CPU); both timed as commands, each in its own process")
_SETUP_WITH_NAIVE = N_("%(points)s points (%(gas)s flue gas, %(water)s wastewater; %(clean)s clean), %(days)s days "
                       "of minute data (%(rows)s rows), seed %(seed)s, %(labels)s labelled fraud windows (%(subtle)s "
                       "subtle), %(detectors)s registered detectors, tolerance ±%(tolerance)s h; detect %(detect)s s "
                       "(%(detect_cpu)s s CPU), naive pandas script of the simple rules %(naive)s s (%(naive_cpu)s s "
                       "CPU); both timed as commands, each in its own process")


def write_section(path: Path, name: str, text: str) -> None:
    """Replace the section ``name`` of a markdown file (between ``<!-- bench:name:begin/end -->``), or
    append it; the rest of the file is kept. Written to a temporary file and renamed."""
    import os

    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    new = pattern.sub(lambda _: block, old) if pattern.search(old) else (old.rstrip() + "\n\n" + block if old else block)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(new.rstrip() + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- the benchmark


def _cpu_with_children() -> float:
    """CPU seconds (user + system) of this process and of its reaped children: ``ecosentry detect`` judges
    the points in worker processes, whose time ``time.process_time()`` does not see."""
    own = time.process_time()
    try:
        import resource
    except ImportError:  # not POSIX: detect runs in one process there (fanout.available_workers)
        return own
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + children.ru_utime + children.ru_stime


def run_bench_honest(
    run_detect: Callable[[Mapping[str, Path], Path, str], int],
    *,
    seed: int = 1,
    points: int = 40,
    days: int = 5,
    tolerance_h: float = DEFAULT_TOLERANCE_H,
    out_json: Path | None = Path("docs/bench-detect-honest.json"),
    out_markdown: Path | None = Path("docs/bench-detect.md"),
    keep_dir: Path | None = None,
    console=None,
) -> HonestScore:
    """Generate the honest set, run ``ecosentry detect`` on it, score, print and record.

    Parameters
    ----------
    run_detect : callable
        ``run_detect(paths, findings_path, tz) -> exit code``: runs ``ecosentry detect`` on the set's files
        (role → path, :data:`ecosentry.subsystems.monitoring.simulate.inject.FILES`) and writes
        ``findings.jsonl``; the CLI passes the command itself, run as its own process (the benchmark does not
        import the CLI). Its wall-clock and CPU time (with its worker processes) are compared with those of the
        naive pandas script, also run as its own process (:func:`~ecosentry.subsystems.monitoring.bench.naive_rules.time_naive_rules`).
    seed, points, days :
        Passed to :func:`ecosentry.subsystems.monitoring.simulate.honest.generate_honest`.
    tolerance_h : float
        Matching tolerance around a label. [h]
    out_json : Path or None
        Raw result (``None`` = not written).
    out_markdown : Path or None
        Markdown file whose ``honest`` section is replaced by the tables (``None`` = not written).
    keep_dir : Path or None
        Keep the generated files (and ``findings.jsonl``) here; default a temporary directory.

    Raises
    ------
    Said
        When ``ecosentry detect`` rejects the generated files (exit code 2).
    """
    from rich.console import Console

    from ecosentry.subsystems.monitoring.detect.registry import all_detectors
    from ecosentry.subsystems.monitoring.simulate.honest import SUBTLE_CLASSES, generate_honest, write_honest_set
    from ecosentry.terminal.messages import gettext_of

    console = console or Console()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ecosentry-bench-honest-") as tmp:
        where = Path(keep_dir) if keep_dir is not None else Path(tmp)
        t0 = time.perf_counter()
        hs = generate_honest(seed=seed, points=points, days=days)
        paths = write_honest_set(hs, where)
        timings["generate_s"] = time.perf_counter() - t0
        rows = sum(1 for _ in open(paths["data"], encoding="utf-8")) - 1
        out = where / "findings.jsonl"
        t0, c0 = time.perf_counter(), _cpu_with_children()
        code = run_detect(paths, out, hs.tz)
        timings["detect_s"] = time.perf_counter() - t0
        # user + system, every thread of the process and of the worker processes detect forked (and reaped)
        timings["detect_cpu_s"] = _cpu_with_children() - c0
        if code == 2 or not out.exists():
            raise Said(N_("ecosentry detect rejected the honest set (exit code %(code)s)"), code=code)
        # the yardstick of issue 13, on the same file in the same run: a naive pandas script of the simple rules,
        # run as its own process like the command (interpreter start and pandas' import included)
        from ecosentry.subsystems.monitoring.bench.naive_rules import time_naive_rules

        naive = time_naive_rules(paths["data"], hs.tz)
        if naive is not None:
            timings["naive_pandas_s"] = naive[0]
            if naive[1] is not None:
                timings["naive_pandas_cpu_s"] = naive[1]
        findings = [Judged.from_json(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()
                    if line.strip()]
    s = score(findings, hs.labels, clean_points=hs.clean_points, days=hs.days,
              tolerance=timedelta(hours=tolerance_h))
    _ = gettext_of()
    print_tables(s, console)
    n_gas = sum(p.medium == "gas" for p in hs.points)
    numbers = {"points": points, "gas": n_gas, "water": points - n_gas, "clean": len(hs.clean_points), "days": days,
               "rows": f"{rows:,}", "seed": seed, "labels": s.labels,
               "subtle": sum(1 for lb in hs.labels if lb.fault in SUBTLE_CLASSES), "detectors": len(all_detectors()),
               "tolerance": f"{tolerance_h:g}", "detect": f"{timings['detect_s']:.1f}",
               "detect_cpu": f"{timings['detect_cpu_s']:.1f}", "naive": f"{timings.get('naive_pandas_s', 0.0):.1f}",
               "naive_cpu": f"{timings.get('naive_pandas_cpu_s', 0.0):.1f}"}
    setup_msgid = _SETUP_WITH_NAIVE if "naive_pandas_cpu_s" in timings else _SETUP
    setup = setup_msgid % numbers
    doc = {
        "bench": "detect-honest",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
        "setup": {"seed": seed, "points": points, "days": days, "rows": rows, "tolerance_h": tolerance_h,
                  "clean_points": hs.clean_points, "detect_exit_code": code,
                  "archetypes": {p.point: p.archetype for p in hs.points}},
        "timings": timings,
        **s.to_json(),
    }
    if out_json is not None:
        out_json = Path(out_json)
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if out_markdown is not None:
        write_section(Path(out_markdown), "honest",
                      "## Honest-plant set (latest run)\n\n" + to_markdown(s, note=f"Set: {setup}."))
    console.print(_(N_("%(setup)s; generate %(seconds)s s")) % {"setup": _(setup_msgid) % numbers,
                                                                 "seconds": f"{timings['generate_s']:.1f}"})
    console.print(speed_line(timings, _))
    if code == 1:
        console.print("[yellow]" + _(N_("some detector raised on some point (see the warnings above)")) + "[/yellow]")
    return s


def _parse(x: Any) -> datetime:
    if isinstance(x, datetime):
        return x if x.tzinfo else x.replace(tzinfo=timezone.utc)
    t = datetime.fromisoformat(str(x).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
