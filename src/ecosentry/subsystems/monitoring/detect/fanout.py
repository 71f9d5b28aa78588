"""Run the per-point detectors of one ``ecosentry detect`` run on several processors (issue 13 item 3).

Every per-point detector reads one point only (:func:`~ecosentry.subsystems.monitoring.detect.registry.run_detectors`),
so the points of a run can be built and judged in separate processes and their findings gathered: the
findings are the same as one process gives, in any order (the command sorts them). The tests across points
(:func:`~ecosentry.subsystems.monitoring.detect.registry.run_fleet_detectors`) run afterwards in the calling
process, on what each of them needs of every point
(:func:`~ecosentry.subsystems.monitoring.detect.registry.fleet_digests`), which the workers take and send back
in point order.

The workers are *forked* after the input was read: they share the parsed columns with the parent (copy on
write) instead of reading the file again or receiving it through a pipe; only the points' names go to them
and only the findings, the fleet digests and the errors come back. Fork is a POSIX start method; where it is
missing or unsafe (Windows, macOS), :func:`available_workers` says 1 and the caller runs in its own process.
A worker builds one point at a time (dynamic share: a point with more channels does not leave the other
processor idle at the end).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from ecosentry.subsystems.monitoring.detect.model import DetectorSpec, Finding, PointData

__all__ = ["PointsJob", "PointResult", "WorkerDied", "available_workers", "run_points"]


@dataclass
class PointsJob:
    """What a worker needs to build and judge its points: everything but the points' names.

    Attributes
    ----------
    build : callable
        ``build(only) -> iterator of PointData``: the points named in ``only`` (e.g.
        :func:`~ecosentry.subsystems.monitoring.detect.csvinput.build_points` with its inputs bound).
    cfg : DetectorSettings
    specs : dict
        Name → detector spec to run on each point.
    only_codes : sequence of str or None
        Keep only findings with these codes.
    fleet : bool
        Send back each point's fleet digests (the long format's run; not for a NAB series).
    """

    build: Callable[[Sequence[str] | None], Iterator[PointData]]
    cfg: Any
    specs: dict[str, DetectorSpec]
    only_codes: Sequence[str] | None = None
    fleet: bool = True


@dataclass
class PointResult:
    """Findings of one point, its fleet digests (``None`` when not asked) and its detectors' failures."""

    point: str
    findings: list[Finding]
    fleet: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)


def judge_point(job: PointsJob, data: PointData) -> PointResult:
    """Run ``job``'s detectors on one built point (the same call in a worker and in the parent)."""
    from ecosentry.subsystems.monitoring.detect.registry import fleet_digests, run_detectors

    errors: list[str] = []
    found = run_detectors(data, job.cfg, job.specs, only_codes=job.only_codes,
                          on_error=lambda name, point, exc: errors.append(
                              f"detector {name} failed on point {point}: {exc!r}"))
    # after the detectors: the digests reuse what they kept on the point's series (validity, resolution)
    digests = fleet_digests(data, job.cfg, only_codes=job.only_codes,
                            on_error=lambda name, point, exc: errors.append(
                                f"fleet detector {name} failed on point {point}: {exc!r}")) if job.fleet else None
    return PointResult(data.point, found, digests, errors)


def available_workers() -> int:
    """Processors this process may run on (Linux), else 1: fork is missing on Windows and not safe on macOS
    (its system libraries), where the command stays in one process."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(len(os.sched_getaffinity(0)), 1)


#: The job of the forked workers (set by :func:`run_points` just before the fork; a worker inherits it).
_JOB: PointsJob | None = None


def _work(point: str) -> list[PointResult]:
    assert _JOB is not None, "run_points sets the job before forking"
    return [judge_point(_JOB, data) for data in _JOB.build([point])]


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed, out of memory, a crash in native code)."""


def run_points(job: PointsJob, names: Sequence[str], workers: int) -> Iterator[PointResult]:
    """The results of every point of ``names``, in that order, from ``workers`` processes.

    ``workers`` ≤ 1 (or a single point) builds and judges the points here, one at a time, as they are
    built. Otherwise ``workers`` forked processes take one point at a time. An exception outside the
    detectors (a point that cannot be built) is raised here, as in one process; a worker that dies raises
    :class:`WorkerDied` (the pool notices it: the run does not wait for an answer that cannot come).
    """
    global _JOB
    workers = min(int(workers), len(names))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():  # Windows: one process
        for data in job.build(None):
            yield judge_point(job, data)
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _JOB = job  # inherited by the workers, which fork at the first submit (all of them, the fork method)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        for results in pool.map(_work, list(names)):
            yield from results
    except BrokenProcessPool as exc:
        raise WorkerDied(f"a worker process ended without answering ({exc})") from None
    finally:
        # Not waiting for the workers to end: their exit (the system freeing what they hold) overlaps the
        # caller's next step, the tests across points; the interpreter joins them before it exits.
        pool.shutdown(wait=False, cancel_futures=True)
        _JOB = None  # the parent does not keep the job (and the input it holds) alive
