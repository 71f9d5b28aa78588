"""Precision and recall of the detectors on the labelled synthetic set (``ecosentry bench detect``).

Matching (ours)
---------------
A finding and a label *match* when all hold:

* same point;
* the factors overlap (a label factor ``*`` covers the whole point; a finding without factor, or with
  ``*``, is point-wide too);
* the finding's span ``[start, end]`` overlaps the label's ``[start − tol, end + tol]``;
* the finding's family (:func:`ecosentry.subsystems.monitoring.detect.registry.family_of`) is the label's family, or its code
  is one of the label's codes → a **primary** match; the family is one of the label's ``also`` families
  → a **secondary** match (the fault legitimately looks like that too: a stuck 0 is also a constant).

Each finding is then a true positive (TP: primary match with some label), *explained* (only secondary
matches: neither rewarded nor punished) or a false positive (FP: no match). A label is *detected* when
at least one finding matches it primarily.

Per detector code: ``precision = TP / (TP + FP)``; ``recall`` = labels of the code's family detected by
this code / labels of that family. Per fault class and overall: recall = detected labels / labels,
precision over the findings of the family (overall: all findings). ``F1 = 2PR / (P + R)``. A ratio
with an empty denominator is ``None`` (shown as "—").
"""

from __future__ import annotations

import json
import platform
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ecosentry.said import N_
from ecosentry.subsystems.monitoring.bench.words import class_name, code_cell, code_table, pct as _pct
from ecosentry.subsystems.monitoring.detect.registry import family_of
from ecosentry.subsystems.monitoring.simulate.inject import FAULT_CLASSES, FAULT_FAMILY, Label

__all__ = [
    "Found",
    "CodeScore",
    "ClassScore",
    "Evaluation",
    "DEFAULT_TOLERANCE",
    "match",
    "evaluate",
    "ratio",
    "f1",
    "to_markdown",
    "run_bench_detect",
]

#: Time tolerance around a label when matching findings. [h] (ours: an hourly detector reports the
#: hour after a change at the earliest; a window detector may round to its window.)
DEFAULT_TOLERANCE = timedelta(hours=2)


@dataclass(frozen=True)
class Found:
    """A finding as the evaluation sees it (from :meth:`Finding.to_json` or a findings.jsonl line)."""

    code: str
    family: str | None
    point: str
    factors: frozenset[str]
    start: datetime
    end: datetime

    @classmethod
    def from_json(cls, d: Mapping[str, Any], detector_name: str = "") -> "Found":
        factor = str(d.get("factor") or "")
        factors = frozenset(f.strip() for f in factor.split(",") if f.strip())
        return cls(
            code=str(d["code"]), family=family_of(str(d["code"]), detector_name), point=str(d["point"]),
            factors=factors, start=_parse(d["start"]), end=_parse(d["end"]),
        )


def ratio(num: int, den: int) -> float | None:
    """``num / den``, ``None`` when ``den`` is 0."""
    return num / den if den else None


def f1(precision: float | None, recall: float | None) -> float | None:
    """Harmonic mean of precision and recall (``None`` if either is unknown; 0 if both are 0)."""
    if precision is None or recall is None:
        return None
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass
class CodeScore:
    code: str
    family: str | None
    findings: int = 0
    tp: int = 0
    explained: int = 0
    fp: int = 0
    family_labels: int = 0
    detected: int = 0

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return ratio(self.detected, self.family_labels)

    @property
    def f1(self) -> float | None:
        return f1(self.precision, self.recall)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "family": self.family, "findings": self.findings, "tp": self.tp,
                "explained": self.explained, "fp": self.fp, "family_labels": self.family_labels,
                "detected": self.detected, "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass
class ClassScore:
    fault: str
    family: str
    labels: int = 0
    detected: int = 0
    family_tp: int = 0
    family_fp: int = 0
    codes: set[str] = field(default_factory=set)

    @property
    def recall(self) -> float | None:
        return ratio(self.detected, self.labels)

    def to_json(self) -> dict[str, Any]:
        return {"fault": self.fault, "family": self.family, "labels": self.labels, "detected": self.detected,
                "recall": self.recall, "codes": sorted(self.codes)}


@dataclass
class Evaluation:
    """Result of :func:`evaluate`."""

    codes: list[CodeScore]
    classes: list[ClassScore]
    labels: int
    detected: int
    tp: int
    explained: int
    fp: int
    findings: int
    missed: list[Label]
    false_positives: list[Found]
    tolerance_h: float

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return ratio(self.detected, self.labels)

    @property
    def f1(self) -> float | None:
        return f1(self.precision, self.recall)

    def to_json(self) -> dict[str, Any]:
        return {
            "overall": {"labels": self.labels, "detected": self.detected, "findings": self.findings,
                        "tp": self.tp, "explained": self.explained, "fp": self.fp,
                        "precision": self.precision, "recall": self.recall, "f1": self.f1},
            "tolerance_h": self.tolerance_h,
            "codes": [c.to_json() for c in self.codes],
            "classes": [c.to_json() for c in self.classes],
            "missed": [lb.to_json() for lb in self.missed],
            "false_positive_sample": [
                {"code": f.code, "point": f.point, "factor": ",".join(sorted(f.factors)),
                 "start": _iso(f.start), "end": _iso(f.end)} for f in self.false_positives[:50]
            ],
        }


def match(found: Found, label: Label, tolerance: timedelta = DEFAULT_TOLERANCE) -> str | None:
    """``"primary"``, ``"secondary"`` or ``None`` (see the module docstring)."""
    if found.point != label.point:
        return None
    label_factors = set(label.factors)
    point_wide = "*" in label_factors or not found.factors or "*" in found.factors
    if not point_wide and not (found.factors & label_factors):
        return None
    if found.end < label.start - tolerance or found.start > label.end + tolerance:
        return None
    if found.family == label.family or found.code in label.codes:
        return "primary"
    if found.family is not None and found.family in label.also:
        return "secondary"
    return None


def evaluate(
    findings: Iterable[Found],
    labels: Sequence[Label],
    *,
    codes: Iterable[str] = (),
    code_family: Mapping[str, str | None] | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> Evaluation:
    """Score findings against labels.

    Parameters
    ----------
    findings : iterable of Found
    labels : sequence of Label
    codes : iterable of str
        Registered codes: listed even without findings (recall 0 on their family's labels).
    code_family : mapping or None
        Code → family for ``codes`` (default :func:`family_of`).
    tolerance : timedelta
    """
    found = list(findings)
    code_family = dict(code_family or {})
    scores: dict[str, CodeScore] = {}
    for code in codes:
        scores[code] = CodeScore(code, code_family.get(code, family_of(code)))
    for f in found:
        scores.setdefault(f.code, CodeScore(f.code, f.family))

    by_point: dict[str, list[Label]] = {}
    for lb in labels:
        by_point.setdefault(lb.point, []).append(lb)

    detected_by: dict[int, set[str]] = {lb.id: set() for lb in labels}
    tp = explained = fp = 0
    false_positives: list[Found] = []
    for f in found:
        score = scores[f.code]
        score.findings += 1
        kinds = [(lb, match(f, lb, tolerance)) for lb in by_point.get(f.point, [])]
        primary = [lb for lb, k in kinds if k == "primary"]
        if primary:
            score.tp += 1
            tp += 1
            for lb in primary:
                detected_by[lb.id].add(f.code)
        elif any(k == "secondary" for _, k in kinds):
            score.explained += 1
            explained += 1
        else:
            score.fp += 1
            fp += 1
            false_positives.append(f)

    for score in scores.values():
        family_labels = [lb for lb in labels if lb.family == score.family]
        score.family_labels = len(family_labels)
        score.detected = sum(1 for lb in family_labels if score.code in detected_by[lb.id])

    classes: dict[str, ClassScore] = {}
    for fault in FAULT_CLASSES:
        classes[fault] = ClassScore(fault, FAULT_FAMILY[fault])
    for lb in labels:
        cs = classes.setdefault(lb.fault, ClassScore(lb.fault, lb.family))
        cs.labels += 1
        if detected_by[lb.id]:
            cs.detected += 1
            cs.codes |= detected_by[lb.id]
    missed = [lb for lb in labels if not detected_by[lb.id]]
    return Evaluation(
        codes=sorted(scores.values(), key=lambda s: (s.family or "~", s.code)),
        classes=[c for c in classes.values() if c.labels],
        labels=len(labels),
        detected=sum(1 for lb in labels if detected_by[lb.id]),
        tp=tp, explained=explained, fp=fp, findings=len(found),
        missed=missed, false_positives=false_positives,
        tolerance_h=tolerance.total_seconds() / 3600.0,
    )


# --------------------------------------------------------------------------- presentation


def to_markdown(ev: Evaluation, *, note: str = "") -> str:
    """Two pasteable tables: per detector code, and recall per injected fault class."""
    lines = []
    if note:
        lines += [note, ""]
    lines += [
        "| code | family | findings | TP | explained | FP | precision | recall | F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in ev.codes:
        lines.append(
            f"| `{s.code}` | {s.family or '—'} | {s.findings} | {s.tp} | {s.explained} | {s.fp} | "
            f"{_pct(s.precision)} | {_pct(s.recall)} ({s.detected}/{s.family_labels}) | {_pct(s.f1)} |"
        )
    lines.append(
        f"| **all** | | {ev.findings} | {ev.tp} | {ev.explained} | {ev.fp} | **{_pct(ev.precision)}** | "
        f"**{_pct(ev.recall)}** ({ev.detected}/{ev.labels}) | **{_pct(ev.f1)}** |"
    )
    lines += ["", "| injected fault | expected family | labels | detected | recall | detected by |",
              "|---|---|---:|---:|---:|---|"]
    for c in ev.classes:
        by = ", ".join(f"`{code}`" for code in sorted(c.codes)) or "—"
        lines.append(f"| {c.fault} | {c.family} | {c.labels} | {c.detected} | {_pct(c.recall)} | {by} |")
    return "\n".join(lines) + "\n"


_CODE_HEAD = (N_("code"), N_("family"), N_("findings"), N_("TP"), N_("expl."), N_("FP"), N_("precision"),
              N_("recall"), N_("F1"))
_CLASS_HEAD = (N_("injected fault"), N_("family"), N_("labels"), N_("detected"), N_("recall"), N_("detected by"))


def print_tables(ev: Evaluation, console, lang: str | None = None) -> None:
    """Rich tables of :func:`to_markdown`'s content in ``lang`` (default the terminal's language): heads, families
    and fault classes said, each code with its rule's name."""
    from rich.table import Table

    from ecosentry.terminal.messages import gettext_of

    _ = gettext_of(lang)
    t = code_table(_(N_("Detectors on injected faults (tolerance ±%(tolerance)s h)"))
                   % {"tolerance": f"{ev.tolerance_h:g}"}, _CODE_HEAD, [s.code for s in ev.codes], 2, _)
    for s in ev.codes:
        t.add_row(code_cell(s.code, _), class_name(s.family, _), str(s.findings), str(s.tp), str(s.explained),
                  str(s.fp), _pct(s.precision), f"{_pct(s.recall)} ({s.detected}/{s.family_labels})", _pct(s.f1))
    t.add_row(_(N_("all")), "", str(ev.findings), str(ev.tp), str(ev.explained), str(ev.fp), _pct(ev.precision),
              f"{_pct(ev.recall)} ({ev.detected}/{ev.labels})", _pct(ev.f1), style="bold")
    console.print(t)
    c = Table(title=_(N_("Recall per injected fault class")))
    for i, col in enumerate(_CLASS_HEAD):
        c.add_column(_(col), justify="right" if 2 <= i <= 4 else "left")
    for cs in ev.classes:
        c.add_row(class_name(cs.fault, _), class_name(cs.family, _), str(cs.labels), str(cs.detected),
                  _pct(cs.recall), ", ".join(sorted(cs.codes)) or "—")
    console.print(c)


# --------------------------------------------------------------------------- the benchmark


#: The set, said above the markdown tables and on the terminal.
_SETUP = N_("%(points)s points (%(gas)s flue gas), %(days)s days of hourly values (means of 1-min samples), seed "
            "%(seed)s, %(faults)s injected faults (%(per_class)s per class), %(clean)s clean points, %(detectors)s "
            "registered detectors, tolerance ±%(tolerance)s h")


def run_bench_detect(
    *,
    seed: int = 1,
    points: int = 24,
    days: int = 30,
    per_class: int = 2,
    tolerance_h: float = 2.0,
    out_json: Path | None = Path("docs/bench-detect.json"),
    out_markdown: Path | None = Path("docs/bench-detect.md"),
    keep_dir: Path | None = None,
    console=None,
) -> Evaluation:
    """Generate the labelled set, write it, read it back as ``ecosentry detect`` does, run every
    registered detector, score, print and record.

    Parameters
    ----------
    seed, points, days, per_class :
        Passed to :func:`ecosentry.subsystems.monitoring.simulate.inject.generate`.
    tolerance_h : float
        Matching tolerance. [h]
    out_json, out_markdown : Path or None
        Where to write the raw result and the pasteable tables (``None`` = not written).
    keep_dir : Path or None
        Keep the generated files here (default: a temporary directory, removed).
    console : rich.console.Console or None
    """
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress

    from ecosentry.subsystems.monitoring.detect import csvinput
    from ecosentry.subsystems.monitoring.detect.registry import all_detectors, code_families, codes_of_family, run_detectors
    from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
    from ecosentry.subsystems.monitoring.simulate.inject import generate, read_labels, write_set
    from ecosentry.terminal.messages import gettext_of

    _ = gettext_of()
    console = console or Console()
    specs = all_detectors()
    families = code_families(specs.values())
    cfg = DetectorSettings()
    timings: dict[str, float] = {}
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ecosentry-bench-detect-") as tmp:
        where = Path(keep_dir) if keep_dir is not None else Path(tmp)
        with Progress(console=console, transient=True) as progress:
            t0 = time.perf_counter()
            task = progress.add_task(_(N_("generating the labelled set")), total=points)
            ls = generate(seed=seed, points=points, days=days, per_class=per_class,
                          on_point=lambda: progress.advance(task, 1))
            paths = write_set(ls, where, codes_of=lambda fam: codes_of_family(fam, specs.values()))
            timings["generate_s"] = time.perf_counter() - t0

            t0 = time.perf_counter()
            zone = ZoneInfo(ls.tz)
            raw = csvinput.read_long(paths["data"], zone)
            analysers, detection_limits = csvinput.read_instruments(paths["ranges"])
            points_data = list(csvinput.build_points(
                raw, tz=ls.tz,
                limits=csvinput.read_limits(paths["limits"]),
                ranges=analysers,
                detection_limits=detection_limits,
                marks=csvinput.read_detect_marks(paths["marks"], zone),
                parameters=csvinput.read_parameters(paths["parameters"], zone),
            ))
            timings["read_s"] = time.perf_counter() - t0

            t0 = time.perf_counter()
            task = progress.add_task(_(N_("detecting")), total=len(points_data))
            findings = []
            for data in points_data:
                findings += run_detectors(
                    data, cfg, specs, on_error=lambda name, point, exc: errors.append(f"{name} on {point}: {exc!r}")
                )
                progress.advance(task, 1)
            timings["detect_s"] = time.perf_counter() - t0
        labels = read_labels(paths["labels"])[0]

    found = [Found.from_json(f.to_json(), _detector_of(f.code, specs)) for f in findings]
    ev = evaluate(found, labels, codes=families, code_family=families, tolerance=timedelta(hours=tolerance_h))
    print_tables(ev, console)
    unfamilied = sorted(code for code, fam in families.items() if fam is None)
    no_detector = sorted({lb.family for lb in labels} - {fam for fam in families.values() if fam})
    if no_detector:
        console.print("[yellow]" + _(N_("no registered detector for these families: %(families)s")) % {
            "families": ", ".join(class_name(f, _) for f in no_detector)} + "[/yellow]")
    if unfamilied:
        console.print("[yellow]" + _(N_("codes without a family (never a true positive): %(codes)s")) % {
            "codes": ", ".join(unfamilied)} + "[/yellow]")
    for e in errors[:10]:
        console.print("[red]" + _(N_("detector error:")) + "[/red] " + escape(e))

    numbers = {"points": points, "gas": sum(p.medium == "gas" for p in ls.points), "days": days, "seed": seed,
               "faults": len(labels), "per_class": per_class, "clean": len(ls.clean_points), "detectors": len(specs),
               "tolerance": f"{tolerance_h:g}"}
    setup = _SETUP % numbers
    doc = {
        "bench": "detect",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
        "setup": {"seed": seed, "points": points, "days": days, "per_class": per_class,
                  "clean_points": ls.clean_points, "tolerance_h": tolerance_h,
                  "detectors": {n: list(s.codes) for n, s in specs.items()}},
        "timings": timings,
        "errors": errors,
        "families_without_detector": no_detector,
        "codes_without_family": unfamilied,
        **ev.to_json(),
    }
    if out_json is not None:
        _write(Path(out_json), json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    markdown = to_markdown(ev, note=f"Set: {setup}.")
    if out_markdown is not None:  # its own section: the honest-plant set keeps its section in the same file
        from ecosentry.subsystems.monitoring.bench.honest_eval import write_section

        write_section(Path(out_markdown), "injected", markdown)
    console.print(_(N_("%(setup)s; generate %(generate)s s, read %(read)s s, detect %(detect)s s")) % {
        "setup": _(_SETUP) % numbers, "generate": f"{timings['generate_s']:.1f}", "read": f"{timings['read_s']:.1f}",
        "detect": f"{timings['detect_s']:.1f}"})
    if out_json is not None:
        wrote = (_(N_("wrote %(json)s and %(markdown)s")) if out_markdown else _(N_("wrote %(json)s")))
        console.print(wrote % {"json": out_json, "markdown": out_markdown}, highlight=False)
    return ev


def _detector_of(code: str, specs) -> str:
    for name, spec in specs.items():
        if code in spec.codes:
            return name
    return ""


def _write(path: Path, text: str) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _parse(x: Any) -> datetime:
    if isinstance(x, datetime):
        return x if x.tzinfo else x.replace(tzinfo=timezone.utc)
    t = datetime.fromisoformat(str(x).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
