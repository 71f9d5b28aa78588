"""``ecosentry detect``, ``ecosentry simulate-inject`` and ``ecosentry bench detect`` (no server needed).

Wire into the main CLI with ``app.command("detect")(detect_command)`` etc.; :data:`app` is a standalone
Typer app with the three commands for tests (``CliRunner().invoke(app, ["detect", "--input", ...])``).

Exit codes: 0 done; 1 a detector raised on some point (the others' findings are still written, the
errors are printed); 2 bad input or options (the message names the file and the line).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.offline.csvio import AuditInputError, write_atomically
from ecosentry.terminal.messages import fail as _fail

__all__ = ["app", "detect_command", "simulate_inject_command", "bench_detect_command"]

#: Inputs larger than this show a progress bar. [bytes]
PROGRESS_MIN_BYTES = 2_000_000
#: Inputs at least this large are judged by one process per processor unless --jobs says otherwise (below it,
#: starting the workers costs more than they save). [bytes]
PARALLEL_MIN_BYTES = 2_000_000
#: Exit code for bad input or bad options.
EXIT_BAD_INPUT = 2
#: Exit code when a detector raised on some point.
EXIT_DETECTOR_ERROR = 1

app = typer.Typer(add_completion=False, no_args_is_help=True)


def _check_file(path: Optional[Path], what: str) -> None:
    if path is not None and not path.is_file():
        _fail(N_("%(option)s: no such file %(path)s"), option=what, path=repr(str(path)))


def detect_command(
    input: Path = typer.Option(..., "--input", "-i", help="Data CSV: long point,factor,time,value[,flag][,zs_value] "
                               "or NAB timestamp,value (--format nab)."),
    output: Path = typer.Option(..., "--output", "-o", help="findings.jsonl to write (one JSON object a line)."),
    fmt: str = typer.Option("long", "--format", help="long | nab"),
    limits: Optional[Path] = typer.Option(
        None, "--limits", help="Limits CSV: point,factor,kind,limit (kind hour|day)."),
    ranges: Optional[Path] = typer.Option(
        None, "--ranges", help="Analyser ranges CSV: point,factor,low,high[,detection_limit] (the method detection "
        "limit in the factor's unit, an optional column)."),
    marks: Optional[Path] = typer.Option(None, "--marks", help="Marks CSV: point,factor,type,start,end."),
    parameters: Optional[Path] = typer.Option(
        None, "--parameters", help="Instrument parameters CSV: point,factor,name,value[,time] (no time = registered)."),
    tz: Optional[str] = typer.Option(
        None, "--tz", help="Zone of the points; times without offset are read in it (default Asia/Shanghai; "
        "UTC for --format nab, whose timestamps carry no zone)."),
    medium: Optional[str] = typer.Option(None, "--medium", help="gas | water (default: from the factor codes)."),
    only: Optional[str] = typer.Option(None, "--only", help="Comma-separated detector codes to run and report."),
    settings: Optional[Path] = typer.Option(None, "--settings", help="Detector thresholds, YAML or JSON mapping."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Processes that judge the points (0 = one per "
                             "processor for inputs of 2 MB or more, else 1)."),
) -> None:
    """Run the falsification and anomaly detectors on a CSV file and write one finding per line.

    Minute (or finer) data are rolled up to hours by the 45-minute rule first; hourly data are used as
    they are. Each line: code, severity, point, factor, start, end, detected_at (UTC), explanation,
    evidence. ``--format nab`` runs exactly the detectors that ``ecosentry bench nab`` scores
    (:data:`~ecosentry.subsystems.monitoring.detect.nab.NAB_DETECTORS`), on the file read as the bench reads it.
    Exit code 2 on bad input (the message names the line); the output is written only on success.
    """
    fmt = fmt.strip().lower()
    if fmt not in ("long", "nab"):
        _fail(N_("--format must be long or nab, not %(value)s"), value=repr(fmt))
    if medium is not None:
        medium = medium.strip().lower()
        if medium not in ("gas", "water"):
            _fail(N_("--medium must be gas or water, not %(value)s"), value=repr(medium))
    if fmt == "nab" and tz is None:
        from ecosentry.subsystems.monitoring.detect.nab import NAB_TZ

        tz = NAB_TZ
    tz = tz or "Asia/Shanghai"
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(N_("unknown time zone %(zone)s"), zone=repr(tz))
    _check_file(input, "--input")
    for path, what in ((limits, "--limits"), (ranges, "--ranges"), (marks, "--marks"), (parameters, "--parameters"),
                       (settings, "--settings")):
        _check_file(path, what)
    if not (output.parent if str(output.parent) else Path(".")).is_dir():
        _fail(N_("the folder of %(path)s does not exist"), path=repr(str(output)))

    keep_freed_memory()
    skip_garbage_search_at_exit()
    # The data's columns are read in a thread (polars parses without the GIL): from the command's first moment
    # when the ``ecosentry`` command started it (detect.early), else from here on, while this thread imports the
    # detectors and loads the settings.
    early = None
    if fmt == "long":
        from ecosentry.subsystems.monitoring.detect.early import read_columns_meanwhile, take

        early = take(input, tz) or read_columns_meanwhile(input, zone)
    from rich.console import Console
    from rich.progress import Progress

    from ecosentry.subsystems.monitoring.detect import csvinput, fanout, nab
    from ecosentry.subsystems.monitoring.detect.registry import (all_detectors, load_shared, run_fleet_detectors,
                                                                  select_detectors)

    cfg = _load_settings(settings)
    only_codes = [c.strip() for c in only.split(",") if c.strip()] if only else None
    try:
        if fmt == "nab":  # the one detector set of a NAB series, the one that bench nab scores
            specs = nab.nab_detectors(only_codes)
        else:
            specs = select_detectors(all_detectors(), only_codes=only_codes)
    except ValueError as exc:  # an unknown code (Said)
        _fail(exc if isinstance(exc, Said) else str(exc))

    if fmt != "nab":
        load_shared()  # while the input is parsed: once here, not once in each worker
    errors: list[str] = []
    findings = []
    n_points = 0
    catalogue = None  # the thread that loads the summary's catalogue while the workers judge the points
    console = Console(stderr=True)
    # One BLAS thread: the detectors' linear algebra is small (least squares of ~2,000 × 9), where OpenBLAS's
    # thread pool only costs (on a busy 2-core machine, 70 ms instead of 0.3 ms a call; issue 13 item 3).
    from threadpoolctl import threadpool_limits

    blas = threadpool_limits(limits=1, user_api="blas")
    try:
        size = input.stat().st_size
        with Progress(console=console, disable=size < PROGRESS_MIN_BYTES, transient=True) as progress:
            reading = progress.add_task(f"reading {input.name}", total=size)
            advance = lambda n: progress.advance(reading, n)  # noqa: E731
            if fmt == "nab":  # read as bench nab reads it (nab.read_point)
                point = nab.read_point(input, tz, medium=medium)
                progress.update(reading, completed=size)
                names = [point.point] if point is not None else []
                build = lambda only: iter([point] if point is not None else [])  # noqa: E731
            else:
                raw = csvinput.read_long(input, zone, on_progress=advance, read_columns=early.result)
                progress.update(reading, completed=size)
                analysers, detection_limits = csvinput.read_instruments(ranges) if ranges else (None, None)
                extra = {
                    "limits": csvinput.read_limits(limits) if limits else None,
                    "ranges": analysers,
                    "detection_limits": detection_limits,
                    "marks": csvinput.read_detect_marks(marks, zone) if marks else None,
                    "parameters": csvinput.read_parameters(parameters, zone) if parameters else None,
                }
                names = csvinput.point_names(raw, extra["limits"], extra["ranges"]) if raw else []
                # the whole input's part of building the points, once, before any worker is forked
                build = csvinput.prepare_points(raw, tz=tz, medium=medium, **extra) if raw else None
            if not names:
                _fail(N_("%(path)s: no data rows"), path=input)
            detecting = progress.add_task("detecting", total=len(names))
            fleet = []  # what the tests across points need of each point, kept while the others are judged
            job = fanout.PointsJob(build, cfg, specs, only_codes=only_codes, fleet=fmt != "nab")
            workers = jobs or (fanout.available_workers() if size >= PARALLEL_MIN_BYTES else 1)
            for result in fanout.run_points(job, names, workers):
                if catalogue is None and workers > 1 and len(names) > 1:
                    # every worker is forked by now, and this process only waits for them: it loads the
                    # terminal's catalogue for the closing summary meanwhile
                    from ecosentry.terminal.messages import load_meanwhile

                    catalogue = load_meanwhile() or False
                if result.fleet is not None:
                    fleet.append(result.fleet)
                findings += result.findings
                errors += result.errors
                progress.advance(detecting, 1)
                n_points += 1
            if fmt != "nab":  # tests that compare points with each other (a feed copied between plants)
                findings += run_fleet_detectors(
                    fleet, cfg, only_codes=only_codes,
                    on_error=lambda name, point, exc: errors.append(f"fleet detector {name} failed: {exc!r}"),
                )
    except AuditInputError as exc:
        _fail(exc)
    except fanout.WorkerDied as exc:  # nothing written: the findings of the lost points are unknown
        from ecosentry.terminal.messages import error_line

        typer.echo(error_line(N_("%(error)s; nothing written (run again, or with --jobs 1 to stay in one "
                                 "process)"), error=str(exc)), err=True)
        raise typer.Exit(code=EXIT_DETECTOR_ERROR) from None
    except UnicodeDecodeError as exc:
        _fail(N_("%(path)s: not UTF-8 text (%(reason)s)"), path=input, reason=exc.reason)
    except ValueError as exc:  # e.g. records of one factor spanning an odd hour layout
        _fail(N_("%(path)s: %(error)s"), path=input, error=exc if isinstance(exc, Said) else str(exc))
    finally:
        blas.restore_original_limits()

    findings.sort(key=lambda f: (f.point, f.start, f.code, f.factor))

    def write(fh) -> None:
        for f in findings:
            fh.write(json.dumps(f.to_json(), ensure_ascii=False) + "\n")

    os.replace(write_atomically(output, write), output)
    from ecosentry.terminal.messages import say

    if catalogue:
        catalogue.join()

    for e in errors:
        typer.echo(say(N_("warning: %(warning)s"), warning=e), err=True)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    summary = ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) or say(N_("none"))
    typer.echo(say(N_("%(points)s point(s), %(detectors)s detector(s): %(findings)s finding(s) (%(summary)s); "
                      "wrote %(output)s"), points=n_points, detectors=len(specs), findings=len(findings),
                   summary=summary, output=output))
    if errors:
        raise typer.Exit(code=EXIT_DETECTOR_ERROR)


#: glibc ``mallopt`` parameters (malloc.h): M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Let this process reuse the memory it frees instead of giving it back to the system at once.

    The detectors make and drop many arrays of one to a few tens of MB (a series, a window's ranks). By default
    glibc serves each from a fresh ``mmap`` and unmaps it when freed, so every one costs page faults and the
    zeroing of its pages by the kernel: 0.9-1.6 s of system time of ``ecosentry detect`` on 2 M rows (of ~8 s
    CPU). Served from the heap and kept there (blocks up to 32 MiB, glibc's ceiling, from the heap; the heap
    grown 256 MiB at a time and trimmed only above 1 GiB free), it is ~0.6-0.7 s; the peak grows by ~5 %. Linux with glibc only;
    elsewhere (or if ``mallopt`` is missing) nothing changes. Returns whether the settings were taken. A
    one-shot command's tuning: the server does not call it.
    """
    import sys

    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all(mallopt(param, value) == 1 for param, value in (
        (_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 256 << 20)))


def skip_garbage_search_at_exit() -> None:
    """Freeze the garbage collector's objects when the process ends, so that Python's shutdown does not search
    the whole heap for unreachable cycles (with numpy, polars, pydantic and the detectors loaded, ``ecosentry
    detect``'s shutdown took 0.14-0.20 s on seed 47, and 0.04-0.06 s with the freeze): the memory goes back to
    the system whole. Standard streams are flushed and modules torn down as before; only objects in reference cycles miss their finaliser, as they
    would with ``os._exit``. An ``atexit`` hook (once per process): a command run inside another program (the
    tests' runner) changes nothing until that program ends."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _load_settings(path: Optional[Path]):
    from pydantic import ValidationError

    from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings

    if path is None:
        return DetectorSettings()
    import yaml

    from ecosentry.yamltext import safe_load

    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        _fail(N_("%(path)s: not a YAML/JSON mapping (%(reason)s)"), path=path, reason=str(exc))
    if not isinstance(data, dict):
        _fail(N_("%(path)s: the settings file must hold a mapping"), path=path)
    try:
        return DetectorSettings.from_mapping(data)
    except ValidationError as exc:
        _fail(N_("%(path)s: %(error)s"), path=path, error=str(exc))


def simulate_inject_command(
    out: Path = typer.Option(..., "--out", "--inject-out", help="Directory for data.csv, limits.csv, ranges.csv, "
                             "marks.csv, parameters.csv and labels.json."),
    inject: str = typer.Option("all", "--inject", help="all, or comma-separated fault classes."),
    seed: int = typer.Option(1, "--seed"),
    points: int = typer.Option(24, "--points", min=2, help="Monitoring points (half flue gas, half wastewater)."),
    days: int = typer.Option(30, "--days", min=10, help="Days of hourly data."),
    per_class: int = typer.Option(2, "--per-class", min=1, help="Injections of each fault class."),
    clean: int = typer.Option(4, "--clean", min=0, help="Points left without any fault."),
) -> None:
    """Write a labelled synthetic CEMS set: realistic simulator data with seeded, labelled faults.

    Feed it to `ecosentry detect --input DIR/data.csv --limits DIR/limits.csv --ranges DIR/ranges.csv
    --marks DIR/marks.csv --parameters DIR/parameters.csv`; DIR/labels.json says what was injected where.
    """
    from ecosentry.subsystems.monitoring.simulate.inject import FAULT_CLASSES, generate, parse_classes, write_set

    try:
        classes = parse_classes(inject)
    except ValueError as exc:  # unknown classes (Said)
        _fail(exc if isinstance(exc, Said) else str(exc))
    if out.exists() and not out.is_dir():
        _fail(N_("%(path)s exists and is not a folder"), path=out)
    try:
        ls = generate(classes, seed=seed, points=points, days=days, per_class=per_class, clean=clean)
    except ValueError as exc:  # a set too small for a class (Said)
        _fail(exc if isinstance(exc, Said) else str(exc))
    from ecosentry.subsystems.monitoring.detect.registry import all_detectors, codes_of_family

    specs = all_detectors()
    paths = write_set(ls, out, codes_of=lambda fam: codes_of_family(fam, specs.values()))
    typer.echo(
        f"{len(ls.points)} points, {len(ls.times) // 24} days, {len(ls.labels)} labelled faults "
        f"({len(classes)} of {len(FAULT_CLASSES)} classes), clean points: {', '.join(ls.clean_points) or 'none'}; "
        f"wrote {', '.join(p.name for p in paths.values())} in {out}"
    )


def bench_detect_command(
    set_: str = typer.Option("injected", "--set", help="injected (faults on simulator data, hourly) | honest "
                             "(honest plants with labelled subtle fraud, minute data)."),
    seed: int = typer.Option(1, "--seed"),
    points: Optional[int] = typer.Option(None, "--points", help="Points (default 24 injected, 40 honest)."),
    days: Optional[int] = typer.Option(None, "--days", help="Days (default 30 injected, at least 10; 5 honest)."),
    per_class: int = typer.Option(2, "--per-class", min=1, help="Injections of each fault class (injected set)."),
    tolerance: Optional[float] = typer.Option(
        None, "--tolerance", help="Matching tolerance around a label. [h] (default 2 injected, 1 honest)"),
    out: Optional[Path] = typer.Option(
        None, "--out", help="JSON result file (default docs/bench-detect.json, docs/bench-detect-honest.json)."),
    markdown: Optional[Path] = typer.Option(
        Path("docs/bench-detect.md"), "--markdown", help="Pasteable tables (the set's section is replaced)."),
    keep: Optional[Path] = typer.Option(None, "--keep", help="Keep the generated set in this directory."),
) -> None:
    """Generate a labelled set, run every registered detector, print precision and recall per code.

    `--set injected` (default) scores by detector family on injected faults; `--set honest` runs
    `ecosentry detect` on honest plants with labelled subtle fraud and reports precision, recall and
    findings per clean point-day per code.
    """
    from rich.console import Console

    which = set_.strip().lower()
    if which not in ("injected", "honest"):
        _fail(N_("--set must be injected or honest, not %(value)r"), value=set_)
    if which == "honest":
        from ecosentry.subsystems.monitoring.bench.honest_eval import run_bench_honest

        points, days = points or 40, days or 5
        if points < 8 or days < 3:
            _fail(N_("the honest set needs at least 8 points and 3 days"))
        try:
            run_bench_honest(_detect_files, seed=seed, points=points, days=days, tolerance_h=1.0 if tolerance is None else tolerance,
                             out_json=out or Path("docs/bench-detect-honest.json"), out_markdown=markdown,
                             keep_dir=keep, console=Console())
        except ValueError as exc:  # a set too small to host every fraud class; detect refused it (Said)
            _fail(exc if isinstance(exc, Said) else str(exc))
        return
    from ecosentry.subsystems.monitoring.bench.detect_eval import run_bench_detect

    points, days = points or 24, days or 30
    if points < 2 or days < 10:
        _fail(N_("the injected set needs at least 2 points and 10 days"))
    try:
        run_bench_detect(seed=seed, points=points, days=days, per_class=per_class,
                         tolerance_h=2.0 if tolerance is None else tolerance,
                         out_json=out or Path("docs/bench-detect.json"), out_markdown=markdown, keep_dir=keep,
                         console=Console())
    except Said as exc:  # a set too small to host every fault class
        _fail(exc)


def _compile_package(root: Path | None = None) -> None:
    """Write ecosentry's byte code where it is missing or stale, as installing a wheel writes it, so that the
    timed ``ecosentry detect`` imports the package as an installed one does. An editable install (``./run``'s)
    has none after a change, and where ``PYTHONDONTWRITEBYTECODE`` is set the command compiles every module again
    at each run: ~0.13 s of CPU, 0.06-0.2 s of wall time on the honest set of seed 47 (issue 13 item 3). A
    package folder that cannot be written is left as it is (the run compiles, as before). ``root``: the package's
    folder (ecosentry's by default)."""
    import compileall

    if root is None:
        import ecosentry

        root = Path(ecosentry.__file__).parent
    compileall.compile_dir(root, quiet=2)


def _detect_files(paths, out: Path, tz: str) -> int:
    """Run ``ecosentry detect`` on a labelled set's files as a user does, a command in its own process
    (``python -m ecosentry detect ...``, as the ``ecosentry`` script: interpreter start and imports included in
    its time); its exit code (0, 1 when a detector raised, 2 bad input). Its output goes to this command's
    terminal."""
    import subprocess
    import sys

    _compile_package()
    args = ["detect", "--input", str(paths["data"]), "--output", str(out), "--limits", str(paths["limits"]),
            "--ranges", str(paths["ranges"]), "--marks", str(paths["marks"]), "--parameters",
            str(paths["parameters"]), "--tz", tz]
    return subprocess.run([sys.executable, "-m", "ecosentry", *args]).returncode


app.command("detect")(detect_command)
app.command("simulate-inject")(simulate_inject_command)
app.command("bench-detect")(bench_detect_command)
