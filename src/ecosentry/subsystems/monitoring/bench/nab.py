"""``ecosentry bench nab``: the statistical detector scored on the Numenta Anomaly Benchmark.

Every series of the NAB corpus (58 files, 365,551 rows) goes the way ``ecosentry detect --format nab``
takes it: read by :func:`~ecosentry.subsystems.monitoring.detect.nab.read_point`, run through the NAB detector
set (:data:`~ecosentry.subsystems.monitoring.detect.nab.NAB_DETECTORS`, the statistical detector with the
default :class:`StatisticalSettings`: one fixed alarm decision, no threshold sweep, no per-series tuning),
and its findings scored at their ``detected_at`` by :mod:`ecosentry.subsystems.monitoring.detect.nab` under
the three NAB profiles. So the score is the score of what the command writes. The table shows each family under the chosen
profile; the JSON result holds every series, family and profile score, the settings and the timing.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.detect import nab
from ecosentry.subsystems.monitoring.detect.registry import run_detectors
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings, StatisticalSettings

__all__ = ["run_bench_nab", "SCOREBOARD"]

#: Published NAB standard-profile scores (anchors.md §6.2; NAB README scoreboard).
SCOREBOARD: dict[str, float] = {
    "ARTime": 74.9,
    "Numenta HTM": 70.5,
    "CAD OSE": 69.9,
    "Random Cut Forest": 51.7,
    "Twitter ADVec": 47.1,
    "windowed Gaussian": 39.6,
    "random": 11.0,
}


#: The per-family table's heads (a family is a folder of the NAB corpus, named as NAB names it).
_HEAD = (N_("data family"), N_("series"), N_("windows"), N_("TP"), N_("FP"), N_("FN"), N_("raw"), N_("score"))


def _family_score(fam: dict[str, float]) -> float | None:
    span = fam["perfect"] - fam["null"]
    return None if span == 0 else round(100.0 * (fam["raw"] - fam["null"]) / span, 2)


def run_bench_nab(nab_dir: Path, profile: str = "standard", out: Path | None = None,
                  console: Console | None = None, settings: StatisticalSettings | None = None) -> dict[str, Any]:
    """Score the statistical detector on the whole NAB corpus.

    Parameters
    ----------
    nab_dir : pathlib.Path
        NAB folder with ``data/``, ``labels/combined_windows.json`` and ``config/profiles.json``.
    profile : {"standard", "reward_low_FP", "reward_low_FN"}
        Profile of the per-family table (all three are computed and written).
    out : pathlib.Path or None
        JSON result file (written when given).
    console : rich.console.Console or None
    settings : StatisticalSettings or None
        Detector settings (defaults when ``None``).

    Returns
    -------
    dict
        ``score`` (chosen profile), ``scores`` (all profiles), ``families``, ``series``, ``rows``,
        ``seconds`` (detector time), ``settings``, ``scoreboard``.
    """
    from ecosentry.terminal.messages import gettext_of

    _ = gettext_of()
    console = console or Console()
    cfg = settings or StatisticalSettings()
    nab_dir = Path(nab_dir)
    profiles = nab.load_profiles(nab_dir)
    if profile not in profiles:
        raise Said(N_("unknown NAB profile %(profile)r; one of %(profiles)s"), profile=profile,
                   profiles=", ".join(profiles))
    windows = nab.load_windows(nab_dir)
    specs = nab.nab_detectors()
    detector_cfg = DetectorSettings(statistical=cfg)
    per_profile: dict[str, list[nab.SeriesScore]] = {p: [] for p in profiles}
    series_rows: list[dict[str, Any]] = []
    rows = 0
    detect_s = 0.0
    t_all = time.perf_counter()
    with Progress(TextColumn("NAB"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("", total=len(windows))
        for series in nab.iter_corpus(nab_dir, windows):
            progress.update(task, description=series.key)
            point = nab.read_point(nab_dir / "data" / series.key)
            t0 = time.perf_counter()
            findings = run_detectors(point, detector_cfg, specs) if point is not None else []
            detect_s += time.perf_counter() - t0
            detections = nab.detection_rows(series.times, findings)
            rows += len(series.values)
            entry: dict[str, Any] = {"key": series.key, "rows": len(series.values), "alarms": len(detections),
                                     "kinds": {k: sum(f.evidence.get("kind") == k for f in findings)
                                               for k in ("spike", "level_shift", "variance", "seasonal")}}
            for name, prof in profiles.items():
                sc = nab.score_series(series.key, series.times, detections, windows[series.key], prof)
                per_profile[name].append(sc)
                entry[name] = {"raw": round(sc.raw, 4), "tp": sc.tp, "fp": sc.fp, "fn": sc.fn}
            entry["windows"] = per_profile[profile][-1].windows
            series_rows.append(entry)
            progress.advance(task)
    total_s = time.perf_counter() - t_all

    scores = {name: round(nab.normalised_score(items), 2) for name, items in per_profile.items()}
    families = {}
    for name, items in per_profile.items():
        for fam, agg in nab.family_scores(items).items():
            families.setdefault(fam, {})[name] = {**{k: (round(v, 4) if isinstance(v, float) else v)
                                                    for k, v in agg.items()}, "score": _family_score(agg)}

    table = Table(title=_(N_("NAB, profile %(profile)s (fixed alarm decision, no threshold sweep)"))
                  % {"profile": profile})
    for i, col in enumerate(_HEAD):
        table.add_column(_(col), justify="left" if i == 0 else "right")
    for fam in sorted(families):
        f = families[fam][profile]
        fs = f["score"]
        table.add_row(fam, str(f["series"]), str(f["windows"]), str(f["tp"]), str(f["fp"]), str(f["fn"]),
                      f"{f['raw']:.2f}", "—" if fs is None else f"{fs:.1f}")
    console.print(table)
    console.print(_(N_("rows %(rows)s; detector %(detector)s s, total %(total)s s"))
                  % {"rows": f"{rows:,}", "detector": f"{detect_s:.1f}", "total": f"{total_s:.1f}"})
    console.print(_(N_("NAB score: %(scores)s"))
                  % {"scores": ", ".join(f"{k} [bold]{v:.1f}[/bold]" for k, v in scores.items())})
    ours = _(N_("ecosentry statistical"))
    board = sorted({**SCOREBOARD, ours: scores["standard"]}.items(), key=lambda kv: -kv[1])
    console.print(_(N_("standard-profile scoreboard: %(board)s"))
                  % {"board": ", ".join(f"{k} {v:.1f}" for k, v in board)})

    result = {
        "benchmark": "nab",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "profile": profile,
        "score": scores[profile],
        "scores": scores,
        "rows": rows,
        "series_count": len(series_rows),
        "seconds": round(detect_s, 2),
        "seconds_total": round(total_s, 2),
        "threshold": "fixed alarm decision of the detector (NAB's per-profile threshold sweep not used)",
        "detectors": list(nab.NAB_DETECTORS),
        "settings": cfg.model_dump(),
        "scoreboard": SCOREBOARD,
        "families": families,
        "series": series_rows,
    }
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        console.print(_(N_("wrote %(json)s")) % {"json": out}, highlight=False)
    return result
