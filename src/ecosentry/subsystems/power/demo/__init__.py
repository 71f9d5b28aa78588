"""The power subsystem's part of ``ecosentry demo`` (issue 15 item 9; ``Subsystem.demo``).

Chinese demo only: electricity monitoring of treatment facilities and stop/limit orders by the meters are
Chinese city programmes (``shared/reference/subsystems.md`` §1.2); the Vietnamese demo gets none.

* the fleet (:mod:`.fleet`): four metered enterprises of Zhangjiagang, two accounts (the county regulator
  ``zjg``, the coking plant's ``coking``; the city regulator ``regulator`` of the monitoring demo sees them too);
* the devices (:mod:`.devices`): three HJ 212 loggers over TCP to the power gateway and, when ``mosquitto`` is
  installed, one MQTT device through a broker the demo runs itself (:mod:`.broker`: the password file and ACL
  written from ``power_devices`` as ``ecosentry power mqtt-auth`` writes them; started before the service, whose
  subscriber then connects at once, and stopped after it); without it the honest enterprise's logger sends over
  HJ 212 too and the banner says MQTT is off;
* at the start of the run an **orange heavy-pollution alert for the city** (core
  ``store/pollution_alerts.issue``) from the clock hour two hours before the start, unless one is already in
  force there (a second run on the same data);
* up to 6 hours of history (``--backfill-hours``, at most 6: the live engine's window is 3 hours), so the
  enterprise pages have curves, and the staged violations of :mod:`.fleet` raise their alarms in the first
  minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

from ecosentry.contracts.subsystem import DemoOptions, DemoPlan
from ecosentry.said import N_
from ecosentry.terminal.messages import operator_language, padded, say
from ecosentry.subsystems.power.demo import broker as demo_broker
from ecosentry.subsystems.power.demo.devices import HJ212Logger, MqttDevice, Site, backfill, run_device
from ecosentry.subsystems.power.demo.fleet import (ALERT_LEVEL, ALERT_REGION, DEMO_PASSWORD, ISSUED_BY,
                                                   PLATFORM_MQTT_PASSWORD,
                                                   enterprises, fleet)

__all__ = ["demo", "plan_times", "issue_demo_alert"]

#: Hours of history the power devices send at most.
MAX_BACKFILL_HOURS = 6.0


def plan_times(now: datetime) -> tuple[datetime, datetime]:
    """The demo's start minute ``T0`` and the alert's start (the clock hour two hours before)."""
    t0 = now.astimezone(timezone.utc).replace(second=0, microsecond=0)
    return t0, t0.replace(minute=0) - timedelta(hours=2)


def issue_demo_alert(engine, alert_start: datetime) -> int:
    """The demo's orange alert for the city (or the one already in force at its start, on a second run)."""
    from ecosentry.store.pollution_alerts import issue
    from ecosentry.store.queries.pollution_alerts import alerts_overlapping

    with engine.connect() as conn:
        for a in alerts_overlapping(conn, alert_start, alert_start + timedelta(minutes=1), [ALERT_REGION]):
            if a["level"] == ALERT_LEVEL and a.get("lifted_at") is None:
                return int(a["id"])
    return issue(engine, region_code=ALERT_REGION, level=ALERT_LEVEL, starts_at=alert_start,
                 ends_at=alert_start + timedelta(days=3), issued_by=ISSUED_BY, document="苏重污应急〔2026〕8号",
                 note="演示：橙色预警，执行减排清单橙色级别措施", actor="demo")


def demo(options: DemoOptions) -> DemoPlan | None:
    if options.country != "cn":
        return None
    t0, alert_start = plan_times(datetime.now(timezone.utc))
    hours = min(float(options.backfill_hours), MAX_BACKFILL_HOURS)
    mosquitto = demo_broker.binary()
    mqtt_port = demo_broker.free_port() if mosquitto else None
    ents = enterprises(mqtt=mosquitto is not None)
    settings: dict = {}
    if mqtt_port:
        settings["power"] = {"mqtt": {"url": f"mqtt://127.0.0.1:{mqtt_port}", "password": PLATFORM_MQTT_PASSWORD,
                                      "username": "ecosentry-platform", "client_id": "ecosentry-power-demo",
                                      "persistent_session": False, "reconnect_every": 1.0}}
    state: dict = {}

    @asynccontextmanager
    async def around(st) -> AsyncIterator[None]:
        """The broker, up before the service's subscriber connects to it and until the service has stopped."""
        state["broker"] = await demo_broker.start(st, mosquitto, mqtt_port)
        try:
            yield
        finally:
            if (proc := state.pop("broker")) is not None:
                demo_broker.stop(proc)

    async def run(svc, stop: asyncio.Event) -> None:
        state["alert_id"] = await asyncio.to_thread(issue_demo_alert, svc.engine, alert_start)
        subscriber = svc.parts.get("power_mqtt")
        if state.get("broker") is not None and subscriber is not None:  # what a device sends before would be lost
            try:
                await asyncio.wait_for(subscriber.subscribed.wait(), 30)
            except TimeoutError:
                pass
        gw = svc.parts.get("power_hj212")
        history_from = t0 - timedelta(hours=hours)
        devices = []
        for e in ents:
            site = Site(e, t0, alert_start)
            if e.mqtt:
                devices.append((site, MqttDevice(site, "127.0.0.1", mqtt_port, svc.settings.power.mqtt.topic_prefix)))
            elif gw is not None:
                devices.append((site, HJ212Logger(site, "127.0.0.1", gw.port)))
        # the engine waits for the history: judged while it trickles in, a backlog looks like silences
        engine_part = svc.parts.get("power_engine")
        held = engine_part is not None and engine_part.running
        if held:
            await engine_part.close()
        tasks = []
        try:
            sent = await asyncio.gather(*(backfill(site, sender, history_from) for site, sender in devices),
                                        return_exceptions=True)
            for _ in range(10):  # the monitoring demo's history shares the worker: wait for ours, not forever
                try:
                    await svc.drain()
                    break
                except TimeoutError:
                    continue
            state["history_s"] = (datetime.now(timezone.utc) - t0).total_seconds()
            if held:
                engine_part.target.resume()
                await engine_part.start()
            tasks = [asyncio.create_task(run_device(site, sender, s if isinstance(s, datetime) else history_from,
                                                    stop))
                     for (site, sender), s in zip(devices, sent)]
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            for _, sender in devices:  # cancelled with the demo: disconnect from the broker before it stops
                sender.close()

    def banner(svc) -> list[str]:
        lang = operator_language(getattr(svc, "settings", None))
        gw = svc.parts.get("power_hj212")
        port = f"127.0.0.1:{gw.port}" if gw is not None else say(N_("off"), lang)
        mqtt = (say(N_("MQTT broker %(address)s (the demo's own mosquitto)"), lang, address=f"127.0.0.1:{mqtt_port}")
                if mqtt_port else say(N_("MQTT off (no mosquitto installed: every power device sends over HJ 212)"), lang))
        lines = [say(N_("power HJ 212 on %(address)s · %(n)s metered enterprises"), lang, address=port, n=len(ents))
                 + f" · {mqtt}"]
        lines.append("  " + say(N_("electricity monitoring: %(url)s · orange alert for %(region)s: %(alerts)s · alarms "
                                   "%(alarms)s (accounts regulator, zjg, coking)"), lang, url=f"{svc.url}power",
                                region="苏州市", alerts=f"{svc.url}power/alerts", alarms=f"{svc.url}alarms"))
        lines += [f"    {padded(e.name, 28)} " + say(N_("%(kind)s: %(what)s"), lang, what=say(e.what, lang),
                                                     kind=say(N_("honest") if e.honest else N_("staged"), lang))
                  for e in ents]
        return lines

    f = fleet(ents)
    return DemoPlan(fleet=f, run=run, banner=banner, settings=settings, password=DEMO_PASSWORD,
                    around=around if mqtt_port else None,
                    accounts=[(u["username"], u["role"], u["display_name"]) for u in f["users"]])
