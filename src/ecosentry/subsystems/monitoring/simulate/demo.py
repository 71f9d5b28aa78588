"""The monitoring subsystem's part of ``ecosentry demo``: a Chinese fleet of HJ 212 loggers over TCP, or a
Vietnamese DONRE platform whose stations upload Circular 10/2021 files over FTP (issue 7)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ecosentry.contracts.subsystem import DemoOptions, DemoPlan
from ecosentry.said import N_
from ecosentry.terminal.messages import operator_language, padded, say
from ecosentry.subsystems.monitoring.simulate.fleet import DEMO_PASSWORD, demo_accounts, demo_fleet
from ecosentry.subsystems.monitoring.simulate.profiles import Episode
from ecosentry.subsystems.monitoring.simulate.runner import run_fleet
from ecosentry.subsystems.monitoring.simulate.vn_monre import run_monre
from ecosentry.subsystems.monitoring.simulate.vn_register_seed import seed_register
from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet
from ecosentry.subsystems.monitoring.simulate.vn_uploader import run_vn_stations


#: A demo is looked at the minute it starts: its detection passes (and the Vietnamese missing-file check) come
#: every 20 s, not a server's 60 s, so its staged alarms show within the first half minute (a pass over the demo's
#: dozen points takes milliseconds).
DEMO_MONITORING = {"detect_every": 20.0}


def demo(options: DemoOptions) -> DemoPlan:
    return _vn(options) if options.country == "vn" else _cn(options)


def _cn(o: DemoOptions) -> DemoPlan:
    # the demo's points go live now, with the history they back-fill: data are expected from then on
    now = datetime.now(timezone.utc)
    fleet = demo_fleet(o.size, connected_at=now - timedelta(hours=o.backfill_hours))
    episodes = staged_violations(fleet, now, o.backfill_hours)

    async def run(svc, stop) -> None:
        await run_fleet(fleet, "127.0.0.1", svc.hj212_port, stop=stop, backfill_hours=o.backfill_hours,
                        rtd_interval=10, episodes=episodes)

    return DemoPlan(
        fleet=fleet, run=run, accounts=demo_accounts(fleet), password=DEMO_PASSWORD,
        # every simulated logger connects from 127.0.0.1: the per-address bound must admit them all
        settings={"hj212_max_connections_per_peer": max(64, 2 * o.size), "monitoring": DEMO_MONITORING},
        banner=lambda svc: [say(N_("HJ 212 on %(address)s · %(n)s simulated loggers"), operator_language(getattr(svc, "settings", None)),
                                address=f"127.0.0.1:{svc.hj212_port}", n=o.size)])


def staged_violations(fleet: dict, now: datetime, backfill_hours: float) -> dict[str, list[Episode]]:
    """What the demo shows a regulator at once: the first flue-gas point's desulfurisation fails from the last
    complete hour of the history it sends first until two hours into the live data (SO2 × 2.5, over its hourly
    limit): an exceedance alarm on the first detection passes, cleared by the data when the episode ends. Nothing
    when the history is shorter than two hours."""
    if backfill_hours < 2:
        return {}
    hour = now.replace(minute=0, second=0, microsecond=0)
    for ent in fleet.get("enterprises", []):
        for outlet in ent.get("outlets", []):
            if outlet.get("medium") != "gas":
                continue
            for p in outlet.get("points", []):
                return {str(p["mn"]): [Episode("a21026", hour - timedelta(hours=1), hour + timedelta(hours=2), 2.5)]}
    return {}


#: The Vietnamese demo is one DONRE's platform: Bắc Ninh (its districts and industrial zones in
#: :data:`~ecosentry.subsystems.monitoring.simulate.vn_stations.DISTRICTS`).
VN_DEMO_PROVINCE = "BN"


def _vn(o: DemoOptions) -> DemoPlan:
    fleet = seed_register(demo_vn_fleet(o.size, province=VN_DEMO_PROVINCE))
    now = datetime.now(timezone.utc)
    misbehaving = stage_vn_misbehaviour(fleet, now, o.backfill_hours)
    fleet["users"] = vn_demo_users(fleet)
    for e in fleet["enterprises"]:
        e["published"] = True

    unmapped = _inflow_left_unmapped(fleet)
    if unmapped is not None:
        misbehaving[unmapped] = "unmapped"

    async def run(svc, stop) -> None:
        st = svc.settings
        await asyncio.to_thread(_inflow_not_a_factor, svc.engine, fleet, unmapped)
        intake = svc.part("vn_intake")
        history = (intake.appender, Path(st.ftp.root or st.data_dir / "ftp")) if intake is not None else None
        monre = asyncio.create_task(run_monre(svc.engine, Path(o.data_dir) / "monre", stop))  # MONRE, down at times
        await run_vn_stations(fleet, "127.0.0.1", svc.ftp_port, stop=stop, backfill_hours=o.backfill_hours,
                              late_share=0.0, malformed_share=0.0, history_spool=history)
        await monre

    def banner(svc) -> list[str]:
        lang = operator_language(getattr(svc, "settings", None))
        lines = [say(N_("FTP on %(address)s (one account per station) · %(n)s stations"), lang,
                     address=f"127.0.0.1:{svc.ftp_port}", n=o.size)]
        lines.append(f"    {padded(say(N_('(public)'), lang), 12)} {padded(say(N_('public'), lang), 18)} "
                     + say(N_("no account: the public page %(url)s"), lang, url=f"{svc.url}public"))
        lines.append("  " + say(N_("stations that misbehave:"), lang))
        return lines + [f"    {mn:<16} {say(_BEHAVIOUR_WORDS[b], lang)}" for mn, b in misbehaving.items()]

    return DemoPlan(
        fleet=fleet, run=run, accounts=demo_accounts(fleet), password=DEMO_PASSWORD,
        settings={"ftp_enabled": True, "ftp_host": "127.0.0.1", "ftp_port": 0, "hj212_port": 0,
                  "monitoring": DEMO_MONITORING},
        banner=banner)


_BEHAVIOUR_WORDS = {
    "exceedance": N_("above QCVN (SO2) one hour in every six, and at once"),
    "status": N_("calibrating (01) and device error (02) in turn"),
    "missing": N_("a quarter of its files missing"),
    "late": N_("sends its files more than 5 minutes late"),
    "malformed": N_("now and then a malformed file (refused)"),
    "backfill": N_("offline 75 minutes every 3 hours, then sends the backlog"),
    "unmapped": N_("sends Flow_In (inflow), which no factor takes: mark it on the parameter mapping page"),
}
#: The inflow a wastewater station writes beside its discharge (Decree 08/2022 lists both): no HJ 212 factor.
INFLOW = "Flow_In"


def _water_points(fleet: dict) -> list[dict]:
    return [p for e in fleet.get("enterprises") or [] for o in e.get("outlets") or [] for p in o.get("points") or []
            if (p.get("simulation") or {}).get("medium") == "water"]


def _inflow_left_unmapped(fleet: dict) -> str | None:
    """The wastewater station whose ``Flow_In`` lines the demo leaves for the officer to map (the last one
    without another staged case): the other stations' inflow is already marked "not a factor", as a DONRE
    running for a while would have it, so the reception page shows one station's unmapped lines, not every
    wastewater station's."""
    water = _water_points(fleet)
    calm = [p for p in water if "behaviour" not in p["simulation"]]  # one case per station in the banner
    return (calm or water)[-1]["mn"] if water else None


def _inflow_not_a_factor(engine, fleet: dict, keep: str | None) -> int:
    """Mark ``Flow_In`` "not a factor" at every wastewater station of ``fleet`` but ``keep`` (the mapping
    page's rule, audited as the demo's); returns how many rules were set."""
    from sqlalchemy import select

    from ecosentry.store import schema as s
    from ecosentry.subsystems.monitoring.rules.vn.units import DEFAULT_REFERENCE
    from ecosentry.subsystems.monitoring.store.vn import set_mapping
    from ecosentry.subsystems.monitoring.vn.mapping import plan_rule

    keys = [p["mn"] for p in _water_points(fleet) if p["mn"] != keep]
    with engine.connect() as conn:
        ids = dict(conn.execute(select(s.points.c.mn, s.points.c.id).where(s.points.c.mn.in_(keys))).all())
    for key in keys:
        if key in ids:
            set_mapping(engine, plan_rule(ids[key], INFLOW, "", None, None, "ignore", DEFAULT_REFERENCE, actor="demo"),
                        actor="demo")
    return sum(1 for key in keys if key in ids)
#: The order in which stations get a misbehaviour: the first facility's chimney exceeds, its other station
#: shows status 01/02 periods, then the next stations in the fleet's order.
VN_DEMO_BEHAVIOURS = ("exceedance", "status", "missing", "late", "malformed", "backfill")


def stage_vn_misbehaviour(fleet: dict, now: datetime, backfill_hours: float) -> dict[str, str]:
    """Give the first stations of a Vietnamese demo fleet one misbehaviour each (see
    :data:`~ecosentry.subsystems.monitoring.simulate.vn_stations.BEHAVIOURS`), so a new user sees every case
    the DONRE controls within minutes: the first facility's first exhaust station exceeds its QCVN SO2 limit
    (periodically, and staged from the last complete hour of the history to two hours into the live data when
    the history is two hours or longer), the facility's other station has status 01/02 periods, and the next
    stations in the fleet's order miss files, send late, send malformed files, and back-fill after outages.

    Returns
    -------
    dict
        Station key → behaviour, in the order given (fewer than six with a small fleet).
    """
    points = [p for e in fleet.get("enterprises") or [] for o in e.get("outlets") or [] for p in o.get("points") or []
              if p.get("simulation")]
    first_gas = next((p for p in points if p["simulation"].get("medium") == "gas"), None)
    order = ([first_gas] if first_gas is not None else []) + [p for p in points if p is not first_gas]
    out: dict[str, str] = {}
    behaviours = iter(VN_DEMO_BEHAVIOURS if first_gas is not None else VN_DEMO_BEHAVIOURS[1:])
    for p, behaviour in zip(order, behaviours):
        p["simulation"]["behaviour"] = behaviour
        if behaviour == "exceedance" and backfill_hours >= 2:
            hour = now.replace(minute=0, second=0, microsecond=0)
            p["simulation"]["episodes"] = [[(hour - timedelta(hours=1)).isoformat(),
                                            (hour + timedelta(hours=2)).isoformat()]]
        out[str(p["mn"])] = behaviour
    return out


def vn_demo_users(fleet: dict) -> list[dict]:
    """The Vietnamese demo's accounts (password :data:`DEMO_PASSWORD`, language vi): the administrator, a DONRE
    officer of the province, an officer of the first facility's district (Phòng TN&MT: sees that district's
    facilities only), and the first facility's own account (sees its own stations only). The public needs no
    account: the public page."""
    province = next(r for r in fleet["regions"] if r.get("level") == "province")
    first = fleet["enterprises"][0] if fleet.get("enterprises") else None
    users = [
        {"username": "admin", "role": "admin", "display_name": "Quản trị hệ thống"},
        {"username": "donre", "role": "regulator", "region": province["code"],
         "display_name": f"Nguyễn Thị Thu Hà (Sở TN&MT {province['name'].removeprefix('Tỉnh ')})"},
    ]
    if first is not None:
        district = next(r for r in fleet["regions"] if r["code"] == first["region"])
        if district.get("level") == "county":
            users.append({"username": "huyen", "role": "regulator", "region": district["code"],
                          "display_name": f"Trần Văn Minh (Phòng TN&MT {district['name']})"})
        users.append({"username": "coso", "role": "enterprise", "enterprise": first["credit_code"],
                      "organisation": first["name"], "display_name": f"Lê Hoàng Nam ({first['name']})"})
    for u in users:
        u.update(password=DEMO_PASSWORD, locale="vi")
    return users
