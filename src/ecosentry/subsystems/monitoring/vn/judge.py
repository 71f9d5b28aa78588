"""Judge one Vietnamese station file: what it is, whether it counts, and which readings it carries.

Steps, in the order a person would check them (Circular 10/2021/TT-BTNMT Art. 39; reference notes
china-vietnam-rules.md §7.2; subsystems.md §7 req. 31–34):

1. the name is parsed (station key = ``Province_Facility_Station`` = ``points.mn``) and the station looked up
   (an unknown or inactive station, or a file of another station than the FTP account, is *quarantined*);
2. timeliness (:mod:`.timeliness`): late, back-fill, refused ``too_old`` or ``future``;
3. duplicates: the same station and name again with the same SHA-256 → *duplicate* (no second data); with a
   different content → refused ``conflict`` (see :func:`judge_file` for why);
4. the content is parsed (:func:`ecosentry.protocols.vn_txt.parser.parse_file`; any error refuses the whole
   file with its reason and line) and each line mapped to a canonical factor (:mod:`.mapping`).

The result is an :class:`~.outcome.Outcome` (receipt and file-log row) and the ``observations`` envelope the
store writes (raw bytes, status, readings). No database access here: the station directory, the mapper and
the earlier files are handed in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable

from ecosentry.contracts.envelope import Envelope
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.protocols.vn_txt.model import VnFileError
from ecosentry.protocols.vn_txt.parser import parse_file, parse_name
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.vn.mapping import ParameterMapper, to_readings
from ecosentry.subsystems.monitoring.vn.outcome import Outcome
from ecosentry.subsystems.monitoring.vn.timeliness import assess_timeliness

log = logging.getLogger(__name__)

__all__ = ["CN_VN_TXT", "judge_file", "file_name_of", "detail_of"]

#: ``Envelope.cn`` of a Vietnamese station file in the raw archive (the payload format, whatever the transport).
CN_VN_TXT = "vn-txt"


def file_name_of(env: Envelope) -> str:
    """The file's name as received (no folder), from the ``vn-file`` envelope."""
    return re.split(r"[\\/]", str(env.meta.get("file") or ""))[-1] or "?"


def judge_file(env: Envelope, *, directory: PointDirectory, mapper: ParameterMapper,
               previous: Callable[[str, str], str | None], settings: VnIntakeSettings) -> tuple[Outcome, Envelope]:
    """Judge the station file of a ``vn-file`` envelope.

    Decisions (tag "ours")
    ----------------------
    * **Same name, different content → refused as ``conflict``.** The platform keeps the first value received
      for a period (``store/ingest.py``); accepting a "correction" silently would let a station rewrite data
      after seeing an exceedance. The conflicting bytes stay in ``raw_frames`` (status rejected, error
      ``conflict``) and in ``rejected/`` for a person to judge; corrections go through marks / manual values.
    * **Same name and content → ``duplicate``**: logged, archived (every upload is kept), no new data.
    * A previously *rejected* file sent again (fixed) is judged afresh.

    Parameters
    ----------
    env : Envelope
        Kind ``vn-file``: ``raw`` the bytes, ``meta["file"]`` the name, ``meta["account"]`` the FTP account
        (a station key) or ``None``.
    directory : PointDirectory
        Station key (= ``points.mn``) → point.
    mapper : ParameterMapper
    previous : callable
        ``(station, file name) → SHA-256`` of the file of that name the station had accepted, or ``None``.
    settings : VnIntakeSettings

    Returns
    -------
    outcome : Outcome
    observations : Envelope
        Kind ``observations``, the same raw bytes, ``cn`` ``vn-txt``, ``qn`` the file time, and the readings
        when accepted.
    """
    data, received_at, transport = env.raw, env.received_at, env.transport
    account = env.meta.get("account")
    base = file_name_of(env)
    out = Outcome(file_name=base, status="accepted", received_at=received_at, transport=transport,
                  sha256=hashlib.sha256(data).hexdigest(), size=len(data), peer=env.peer, station=account)
    obs = Envelope(transport=transport, received_at=received_at, raw=data, status="accepted", peer=env.peer,
                   mn=account, cn=CN_VN_TXT)

    def refuse(status: str, reason: str, message: str, line: int | None = None) -> tuple[Outcome, Envelope]:
        out.status, out.reason, out.message, out.line = status, reason, message, line
        obs.status = "quarantined" if status == "quarantined" else "rejected"
        obs.error, obs.readings = reason, []
        log.warning("VN file %s from %s %s: %s: %s", base, env.peer or transport, status, reason, message)
        return out, obs

    try:
        fname = parse_name(base)
    except VnFileError as exc:
        # a name that cannot be read names no station, but the authenticated account does: the file is that
        # station's, so its facility and its regulators see the rejection (issue 14 item 7)
        sender = directory.by_mn(account) if account else None
        if sender is not None:
            out.point_id = obs.point_id = sender.point_id
        return refuse("rejected", exc.reason, str(exc))
    station = fname.station_key
    out.station = obs.mn = station
    obs.qn = fname.time.strftime("%Y%m%d%H%M%S")
    info = directory.by_mn(station)
    tl = assess_timeliness(fname.time, info.tz if info else settings.default_tz, received_at, settings)
    out.file_time, out.delay_s = tl.file_time, tl.delay.total_seconds()
    out.late, out.backfill = tl.late, tl.backfill
    if account is not None and account != station:
        return refuse("quarantined", "station_mismatch",
                      f"account {account} may send only its own files, not those of station {station}")
    if info is None:
        return refuse("quarantined", "unknown_mn", f"station {station} is not in the registry")
    out.point_id = obs.point_id = info.point_id
    if not info.active:
        return refuse("quarantined", "inactive_point", f"station {station} is not active")
    if tl.refusal == "too_old":
        return refuse("rejected", "too_old",
                      f"file time is {tl.delay.total_seconds() / 86400:.1f} days old; back-fill is accepted up "
                      f"to {settings.max_age_days:g} days")
    if tl.refusal == "future":
        return refuse("rejected", "future",
                      f"file time is {-tl.delay.total_seconds() / 60:.1f} min in the future (logger clock?)")
    earlier = previous(station, base)
    if earlier is not None:
        if earlier == out.sha256:
            out.status, out.reason, out.message = "duplicate", "duplicate", "the same file was received before"
            obs.status, obs.error = "rejected", "duplicate"
            return out, obs
        return refuse("rejected", "conflict", "a file of this name with other content was accepted before; "
                                              "the first one stands")
    try:
        vn = parse_file(base, data, strict_time=True, decimal_comma=settings.decimal_comma)
    except VnFileError as exc:
        return refuse("rejected", exc.reason, str(exc), exc.line)
    out.n_lines, out.notes = len(vn.lines), list(vn.notes)
    obs.readings, out.unmapped = to_readings(vn, info, mapper)
    out.n_readings = len(obs.readings)
    not_mapped = [u for u in out.unmapped if u["reason"] != "ignored"]
    if not_mapped:
        out.message = f"{len(not_mapped)} line(s) not mapped to a factor"
    return out, obs


def detail_of(out: Outcome) -> str:
    """``raw_frames.detail`` of a station file: JSON with the file name (read by forward/queue.py) and what
    became of it."""
    return json.dumps({"file": out.file_name, "message": out.message, "line": out.line, "delay_s": out.delay_s,
                       "late": out.late, "backfill": out.backfill, "status": out.status}, ensure_ascii=False)
