"""The park subsystem's part of ``ecosentry demo`` (issue 17 item 7; ``Subsystem.demo``). Chinese demo only.

At the start of the run (:func:`prepare`): the park of the demo fleet's ``park`` account (the committee; else the
first park, else one made in the first county) gets a dozen enterprises, their sources, twelve boundary (厂界) and
eight park-edge stations, a met station, a school and a village (:mod:`.scene`), through the registry import
(``ecosentry.fleet.import_fleet``: core ``enterprises:`` + ``park:``; idempotent, a second run upserts the same
rows). Then the stations (:mod:`.stations`) send an hour of history (its last 12 minutes with two releases) and every minute the minute that ended:
over HJ 212 to the park gateway and, when ``mosquitto`` is installed, the park-edge stations over MQTT through a
broker the demo runs itself (anonymous, on the loopback only; :mod:`.broker`; started before the service, whose
subscriber then connects at once, and stopped after it). Every 6 minutes a release of
Cl2, NH3, HCl or H2S (50–200 g/s, rotating over the sources, :mod:`.air`) reaches a station above level I, so the
warning, its incident (zones, ranked sources) and the e-mails come within minutes of the start.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ecosentry.contracts.subsystem import DemoOptions, DemoPlan
from ecosentry.said import N_
from ecosentry.terminal.messages import operator_language, say

__all__ = ["demo", "prepare", "HISTORY_MINUTES"]

#: Minutes of quiet history the stations send first (the traceback reads 90 minutes back).
HISTORY_MINUTES = 60
#: Where the park's origin lies when none of its enterprises has a position (Zhangjiagang).
_ORIGIN = (120.50, 31.90)


def prepare(engine) -> dict | None:
    """Import the demo park (idempotent); its registry document, or None when the database has no region."""
    from ecosentry.fleet import import_fleet
    from ecosentry.store import schema as s
    from ecosentry.subsystems.park.demo.scene import registry

    with engine.connect() as conn:
        code = conn.execute(select(s.users.c.park_code).where(s.users.c.username == "park")).scalar()
        row = None
        if code:
            row = conn.execute(select(s.parks).where(s.parks.c.code == code)).mappings().first()
        row = row or conn.execute(select(s.parks).order_by(s.parks.c.code)).mappings().first()
        parks = []
        if row is None:
            region = conn.execute(select(s.regions.c.code).where(s.regions.c.level == "county")
                                  .order_by(s.regions.c.code)).scalar()
            if region is None:
                return None
            row = {"code": "PDEMO", "name": "示范化工园区", "region_code": region}
            parks = [{"code": row["code"], "name": row["name"], "region": region}]
        e = s.enterprises.c
        lon, lat = conn.execute(select(e.lon, e.lat).where(e.park_code == row["code"], e.lon.is_not(None))
                                .order_by(e.id)).first() or _ORIGIN
    doc = registry(row["code"], row["name"], row["region_code"], (round(lon - 0.02, 4), round(lat - 0.012, 4)))
    import_fleet(engine, {"parks": parks, **doc}, actor="demo")
    return doc


def demo(options: DemoOptions) -> DemoPlan | None:
    if options.country != "cn":
        return None
    from ecosentry.subsystems.park.demo import broker

    mosquitto = broker.binary()
    mqtt_port = broker.free_port() if mosquitto else None
    settings: dict = {}
    if mqtt_port:
        settings["park"] = {"mqtt": {"url": f"mqtt://127.0.0.1:{mqtt_port}", "client_id": "ecosentry-park-demo",
                                     "persistent_session": False, "reconnect_every": 1.0}}
    state: dict = {}

    @asynccontextmanager
    async def around(st) -> AsyncIterator[None]:
        """The broker, up before the service's subscriber connects to it and until the service has stopped."""
        state["broker"] = await broker.start(st.data_dir, mosquitto, mqtt_port)
        try:
            yield
        finally:
            if (proc := state.pop("broker")) is not None:
                broker.stop(proc)

    async def run(svc, stop: asyncio.Event) -> None:
        from ecosentry.subsystems.park.demo.air import CYCLE_MIN, Air
        from ecosentry.subsystems.park.demo.scene import sources, stations
        from ecosentry.subsystems.park.demo.stations import HJ212Sender, MqttSender, run_stations

        t0 = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        doc = await asyncio.to_thread(prepare, svc.engine)
        gw = svc.parts.get("park_hj212")
        if doc is None or gw is None:
            return
        state["park"] = doc["park"][0]["code"]
        await asyncio.to_thread((await gw.shared.get()).reload)   # the stations just registered
        proc = state.get("broker")
        subscriber = svc.parts.get("park_mqtt")
        if proc is not None and subscriber is not None:  # what a station sends before would be lost
            try:
                await asyncio.wait_for(subscriber.subscribed.wait(), 30)
            except TimeoutError:
                pass
        state["mqtt"] = proc is not None
        srcs = sources(doc["enterprises"][0]["region"])
        stas = stations(srcs)
        hj = HJ212Sender("127.0.0.1", gw.port)
        mq = MqttSender("127.0.0.1", mqtt_port, svc.settings.park.mqtt.topic_prefix) if proc is not None else None
        routes = [(st, mq if mq is not None and st.tier == "edge" else hj) for st in stas]
        # releases from two cycles before the start: the first warnings come with the history
        air = Air(srcs, stas, t0 - timedelta(minutes=2 * CYCLE_MIN))
        try:
            state["sent_to"] = await run_stations(air, routes, t0 - timedelta(minutes=HISTORY_MINUTES), stop)
        finally:
            for sender in (hj, mq):  # cancelled with the demo: disconnect from the broker before it stops
                if sender is not None:
                    sender.close()

    def banner(svc) -> list[str]:
        lang = operator_language(getattr(svc, "settings", None))
        gw = svc.parts.get("park_hj212")
        where = f"127.0.0.1:{gw.port}" if gw is not None else say(N_("off"), lang)
        mqtt = (say(N_("park-edge stations over MQTT %(address)s (the demo's own mosquitto)"), lang,
                    address=f"127.0.0.1:{mqtt_port}") if mqtt_port
                else say(N_("MQTT off (no mosquitto installed: every park station sends over HJ 212)"), lang))
        return [say(N_("park HJ 212 on %(address)s"), lang, address=where) + f" · {mqtt}",
                "  " + say(N_("chemical park early warning: %(url)s (account park) — a release every 6 minutes (Cl2, "
                              "NH3, HCl or H2S, 50–200 g/s, rotating over 12 sources): the warning, its plume zones "
                              "and the ranked sources within minutes"), lang, url=f"{svc.url}park")]

    return DemoPlan(fleet={}, run=run, banner=banner, settings=settings, around=around if mqtt_port else None)
