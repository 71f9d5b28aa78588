"""Each filed mark judged once against its work orders and station-room door (issue 18 item 4, when filed).

Marks reach the platform through the core (``marks``: the core's mark API, the monitoring subsystem's automatic
marks, an enterprise's filing), so O&M reads them as stored data and imports no other subsystem. A maintenance,
calibration or fault mark (``consistency.supported_kinds``) is judged ``marks.grace_hours`` after its end and at
least ``marks.filing_grace_minutes`` after its filing; a mark still open ``marks.open_mark_hours`` after its start —
by the pure rule
:func:`..rules.consistency.unsupported_marks` over the point's work orders, the door events of the point's station
rooms and the analyser's own zero/span checks: ``OM-MARK-NO-ORDER`` and ``OM-MARK-NO-DOOR`` are stored in
``om_findings`` (subject ``mark:<id>``) and raise ``ALM-OM-MARK-UNSUPPORTED`` (originator ``mark``). Every judged
mark gets its row in ``om_mark_checks``, in the transaction of its findings: a mark is judged once, and a pass run
twice stores and raises nothing twice. The alarm is raised after that commit (through the service's dispatcher
when given, so that it is notified).

A mark judged while still open is judged once more when it is closed (``judged_end`` keeps the end it was judged
with), over its whole time: its findings are replaced; an alarm is raised if the verdict is new (supported before,
or other codes), and the alarm of its open time is cleared if it is supported now. A mark deleted or rejected after
its verdict keeps its alarm: withdrawing a mark once it was found unsupported is for the regulator to weigh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, select, update

from ecosentry.alarms import store as alarm_store
from ecosentry.locale import translations
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.om.alarms import MARK, MARK_UNSUPPORTED
from ecosentry.subsystems.om.queries import assessment as q
from ecosentry.subsystems.om.queries.marks import marks_due
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck
from ecosentry.subsystems.om.rules.consistency import DoorEvent, Mark, unsupported_marks
from ecosentry.subsystems.om.rules.findings import Finding
from ecosentry.subsystems.om.schema import om_findings, om_mark_checks as mc
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store.parameters import store_findings
from ecosentry.subsystems.om.store.workorders import as_rule_order

__all__ = ["check_marks", "judge_mark"]


def judge_mark(engine: Engine, row: dict, now: datetime, settings: OmSettings) -> list[Finding]:
    """The findings of one stored mark (a row of :func:`..queries.marks.marks_due`) at ``now``."""
    zone = ZoneInfo(settings.timezone)
    cs = settings.consistency
    point = row["point_id"]
    end = row["end"] or now
    order_margin = timedelta(hours=cs.order_margin_hours)
    door_margin = timedelta(minutes=cs.door_margin_minutes)
    with engine.connect() as conn:
        orders = [as_rule_order(r) for r in q.month_orders(conn, [point], row["start"] - order_margin,
                                                            end + order_margin)]
        doors = [DoorEvent(str(point), r["at"], r["event"] == "open")
                 for r in q.month_doors(conn, [point], row["start"] - door_margin, end + door_margin)]
        checks = [CalibrationCheck(str(point), r["factor_code"], r["at"], r["kind"], r["result"], r["drift_pct"])
                  for r in q.month_checks(conn, [point], row["start"] - door_margin, end + door_margin)]
    factor = (row["factor_codes"] or "").split(",")[0].strip()
    mark = Mark(str(row["id"]), str(point), factor, row["type"], row["start"], row["end"])
    return unsupported_marks([mark], orders, doors, now, cs, zone, checks)


def check_marks(engine: Engine, now: datetime, settings: OmSettings, raise_alarm: Callable | None = None,
                locale: str | None = None) -> dict[str, int]:
    """One pass: every mark whose grace period has passed judged once; the counts (judged, unsupported, raised).
    ``locale``: the language of the stored explanations (None: English, the point by its MN)."""
    ms = settings.marks
    with engine.connect() as conn:
        due = marks_due(conn, now, settings.consistency.supported_kinds, grace=timedelta(hours=ms.grace_hours),
                        filing_grace=timedelta(minutes=ms.filing_grace_minutes), open_after=timedelta(hours=ms.open_mark_hours), since=now - timedelta(days=ms.lookback_days))
        ids = {r["point_id"] for r in due}
        points = {r.id: (r.mn, r.name) for r in conn.execute(
            select(s.points.c.id, s.points.c.mn, s.points.c.name).where(s.points.c.id.in_(ids)))} if ids else {}
    stats = {"judged": 0, "unsupported": 0, "raised": 0, "cleared": 0}
    gettext = translations(locale).gettext if locale else None
    for row in due:
        mn, name = points.get(row["point_id"], (str(row["point_id"]), None))
        said_point = (name or mn) if locale else mn
        findings = [replace(f, point=mn, params={**f.params, "point": said_point})
                    for f in judge_mark(engine, row, now, settings)]
        subject = f"mark:{row['id']}"
        codes = ",".join(f.code for f in findings) or None
        again = row["was_supported"] is not None     # judged while open, closed since
        verdict = {"checked_at": now, "supported": not findings, "codes": codes, "judged_end": row["end"]}
        with engine.begin() as conn:
            if again:   # the claim: the row still says "judged while open"
                claimed = conn.execute(update(mc).where(mc.c.mark_id == row["id"], mc.c.judged_end.is_(None))
                                       .values(**verdict).returning(mc.c.mark_id)).first()
            else:
                claimed = conn.execute(insert_for(conn, mc).values(mark_id=row["id"], **verdict)
                                       .on_conflict_do_nothing(index_elements=[mc.c.mark_id])
                                       .returning(mc.c.mark_id)).first()
            if claimed is None:          # another worker judged it meanwhile
                continue
            if again:   # the findings over the time it was open give way to those over its whole time
                conn.execute(delete(om_findings).where(om_findings.c.subject == subject))
            store_findings(conn, findings, row["point_id"], lambda _f: subject, now)
        stats["judged"] += 1
        if again and not findings and not row["was_supported"]:
            # closed, the mark is supported over its whole time: the alarm of its open time ends
            cleared = alarm_store.clear_by_data(
                engine, type=MARK_UNSUPPORTED, source_type=MARK, source_id=row["id"], at=now,
                explanation=f"the mark, closed at {row['end'].isoformat()}, is supported over its whole time")
            stats["cleared"] += cleared is not None
            continue
        if not findings or (again and not row["was_supported"] and row["was_codes"] == codes):
            continue     # supported, or the same verdict as while open: nothing new to raise
        stats["unsupported"] += 1
        first = findings[0]
        explanation = " ".join(f.say(gettext) if gettext else f.explanation for f in findings)
        kwargs = dict(type=MARK_UNSUPPORTED, source_type=MARK, source_id=row["id"], severity=None, title="",
                      explanation=explanation, point_id=row["point_id"], at=now,
                      factor_codes=[first.evidence["factor"]] if first.evidence.get("factor") else None,
                      evidence={"mark_id": row["id"], "kind": row["type"], "filed_by": row["filed_by"],
                                "filed_at": row["filed_at"].isoformat(), "codes": [f.code for f in findings],
                                "findings": [f.evidence for f in findings],
                                "sentence": {"msgid": first.msgid, "params": first.params}})
        _alarm, change = (raise_alarm or (lambda **k: alarm_store.raise_alarm(engine, **k)))(**kwargs)
        stats["raised"] += change.kind == "raised"
    return stats
