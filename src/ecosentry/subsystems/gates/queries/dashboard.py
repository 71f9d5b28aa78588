"""The alert-period dashboard per region: for one heavy-pollution alert, the enterprises with gates in the
alert's region (and the regions below it) that the reader sees, each with its passages during the alert, the
entries per emission stage (from the ledger; a row without a stage counts as unknown), the share of the grade's
required stage or better, and its violations: the findings the checks job stored for the period whose code
raises an alarm (:data:`.findings.VIOLATION_CODES`; the page lists every warning and critical one with its
evidence) once the job has read the enterprise; before that, an estimate
from the passages: those the gate rule refused (stage below the grade's least stage, or no truck allowed), exits
at a side gate and a short share. The regions' totals sum their enterprises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import alerts_overlapping, region_ancestry
from ecosentry.subsystems.gates.queries.findings import VIOLATION_CODES, checked_enterprises, findings_in_period
from ecosentry.subsystems.gates.queries.passages import gated_enterprises
from ecosentry.subsystems.gates.rules.decision import GradeRules, least_rank
from ecosentry.subsystems.gates.rules.stages import is_new_energy, stage_rank
from ecosentry.subsystems.gates.schema import gates_decisions, gates_gates, gates_ledger, gates_passages

__all__ = ["STAGE_COLUMNS", "EnterpriseRow", "RegionTotal", "RegionDashboard", "region_subtree", "alert_dashboard", "alerts_seen"]

#: The stage columns of the dashboard, best last; ``?`` a ledger row without a stage.
STAGE_COLUMNS = ("?", "0", "1", "2", "3", "4", "5", "6", "d")


@dataclass
class EnterpriseRow:
    enterprise_id: int
    name: str
    grade: str
    tz: str
    passages: int = 0
    entries: dict[str, int] = field(default_factory=dict)  # stage → ledger entries
    refused: int = 0
    side_exits: int = 0
    share_stage: str | None = None
    share_min: float | None = None
    region_code: str | None = None
    region_name: str = ""
    #: The stored findings of the period (None: the checks job has not read the enterprise yet).
    findings: list[dict] | None = None

    @property
    def entry_total(self) -> int:
        return sum(self.entries.values())

    @property
    def share(self) -> float | None:
        """Entries of the grade's share stage or better (or new energy) over all entries; None without a
        requirement or without entries."""
        if self.share_stage is None or not self.entry_total:
            return None
        least = least_rank(self.share_stage)
        good = sum(n for st, n in self.entries.items() if st != "?" and least is not None
                   and (is_new_energy(st, None) or stage_rank(st) >= least))
        return good / self.entry_total

    @property
    def share_short(self) -> bool:
        return self.share is not None and self.share_min is not None and self.share < self.share_min

    @property
    def checked(self) -> bool:
        return self.findings is not None

    @property
    def violations(self) -> int:
        if self.findings is not None:
            return sum(1 for f in self.findings if f["code"] in VIOLATION_CODES)
        return self.refused + self.side_exits + (1 if self.share_short else 0)

    @property
    def codes(self) -> dict[str, int]:
        """Stored findings per code, most first."""
        out: dict[str, int] = {}
        for f in self.findings or ():
            out[f["code"]] = out.get(f["code"], 0) + 1
        return dict(sorted(out.items(), key=lambda x: (-x[1], x[0])))


@dataclass
class RegionTotal:
    code: str
    name: str
    enterprises: int = 0
    passages: int = 0
    violations: int = 0


@dataclass
class RegionDashboard:
    rows: list[EnterpriseRow]

    @property
    def regions(self) -> list[RegionTotal]:
        """Per region of the enterprises (the alert's region and those below it), the most violations first."""
        out: dict[str, RegionTotal] = {}
        for r in self.rows:
            t = out.setdefault(r.region_code or "", RegionTotal(r.region_code or "", r.region_name))
            t.enterprises += 1
            t.passages += r.passages
            t.violations += r.violations
        return sorted(out.values(), key=lambda t: (-t.violations, t.name))

    @property
    def findings(self) -> list[tuple[EnterpriseRow, dict]]:
        """Every stored finding of the period with its enterprise, critical first, then the latest."""
        out = [(r, f) for r in self.rows for f in (r.findings or ())]
        out.sort(key=lambda x: (x[1]["severity"] != "critical", -x[1]["start"].timestamp()))
        return out

    def total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.rows)

    def stage_total(self, stage: str) -> int:
        return sum(r.entries.get(stage, 0) for r in self.rows)

    @property
    def entry_total(self) -> int:
        return sum(r.entry_total for r in self.rows)


def region_subtree(conn: Connection, code: str) -> set[str]:
    """The region and every region below it."""
    children: dict[str, list[str]] = {}
    for c, parent in conn.execute(select(s.regions.c.code, s.regions.c.parent_code)):
        children.setdefault(parent, []).append(c)
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo.extend(children.get(c, ()))
    return out


def alert_dashboard(conn: Connection, scope: ColumnElement[bool], region_code: str, start: datetime, end: datetime,
                    rules: GradeRules) -> RegionDashboard:
    """The dashboard of the period ``[start, end)`` over the enterprises with gates in ``region_code``'s subtree
    that ``scope`` (a clause on ``enterprises.id``) lets the reader see; the worst first."""
    regions = region_subtree(conn, region_code)
    ents = [e for e in gated_enterprises(conn, scope) if e["region_code"] in regions]
    names = dict(conn.execute(select(s.regions.c.code, s.regions.c.name)).all())
    rows = {e["id"]: EnterpriseRow(e["id"], e["name"], e["grade"], e["tz"], region_code=e["region_code"],
                                   region_name=names.get(e["region_code"], e["region_code"] or ""))
            for e in ents}
    for r in rows.values():
        g = rules.of(r.grade)
        r.share_stage, r.share_min = g.share_stage, g.share_min
    ids = sorted(rows)
    if ids:
        p, d, lg, gg = gates_passages, gates_decisions, gates_ledger, gates_gates
        in_period = (p.c.enterprise_id.in_(ids), p.c.at >= start, p.c.at < end)
        for ent, n in conn.execute(select(p.c.enterprise_id, func.count()).where(*in_period).group_by(p.c.enterprise_id)):
            rows[int(ent)].passages = int(n)
        for ent, stage, n in conn.execute(
                select(lg.c.enterprise_id, lg.c.emission_stage, func.count())
                .where(lg.c.enterprise_id.in_(ids), lg.c.at >= start, lg.c.at < end, lg.c.inbound.is_(True))
                .group_by(lg.c.enterprise_id, lg.c.emission_stage)):
            key = stage if stage in STAGE_COLUMNS else "?"
            e = rows[int(ent)].entries
            e[key] = e.get(key, 0) + int(n)
        for ent, n in conn.execute(
                select(p.c.enterprise_id, func.count()).join(d, (d.c.passage_id == p.c.id) & (d.c.kind == "rule"))
                .where(*in_period, d.c.allowed.is_(False)).group_by(p.c.enterprise_id)):
            rows[int(ent)].refused = int(n)
        for ent, n in conn.execute(
                select(p.c.enterprise_id, func.count()).join(gg, gg.c.id == p.c.gate_id)
                .where(*in_period, p.c.inbound.is_(False), gg.c.side.is_(True)).group_by(p.c.enterprise_id)):
            rows[int(ent)].side_exits = int(n)
        checked = checked_enterprises(conn, ids)
        for ent in checked:
            rows[ent].findings = []
        for f in findings_in_period(conn, sorted(checked), start, end):
            rows[int(f["enterprise_id"])].findings.append(f)
    return RegionDashboard(sorted(rows.values(), key=lambda r: (-r.violations, r.name)))


#: How far back the alerts go. [days]
LIST_DAYS = 400


def alerts_seen(conn, principal, now: datetime) -> list[dict]:
    """The alerts the reader sees (issued for its regions, above them, or over its enterprises), newest first."""
    rows = alerts_overlapping(conn, now - timedelta(days=LIST_DAYS), now + timedelta(days=30))
    if principal.region_codes is not None:
        above = set(region_ancestry(conn, principal.region_code)) if principal.region_code else set()
        if principal.enterprise_ids:
            e = s.enterprises
            for code in set(conn.execute(select(e.c.region_code)
                                         .where(e.c.id.in_(sorted(principal.enterprise_ids)))).scalars()):
                above |= set(region_ancestry(conn, code))
        rows = [a for a in rows if a["region_code"] in principal.region_codes or a["region_code"] in above]
    names = dict(conn.execute(select(s.regions.c.code, s.regions.c.name)).all())
    return [a | {"region_name": names.get(a["region_code"], a["region_code"])}
            for a in sorted(rows, key=lambda a: a["starts_at"], reverse=True)]
