"""The power subsystem's demo fleet (issue 15 item 9): four metered enterprises in Zhangjiagang (张家港市, one of
the cities of ``shared/reference/subsystems.md`` §1.2), their loggers, meters, equipment, linkage and
emission-reduction lists, and each unit's schedule around the demo's "now".

Made up: names, credit codes (valid check characters, GB 32100-2015), MNs, ratings. What each enterprise
shows (minutes relative to the demo's start ``T0``; the heavy-pollution alert is orange, for the city, from
the clock hour two hours before ``T0``):

* **coking** (焦化): its dust removal stops at T0 − 25 min while coke oven 1 runs, and starts again two hours
  into the demo → ``PWR-TREAT-OFF`` (open when the demo starts, cleared by data later); it stops coke oven 2 for
  the alert as its list says;
* **cement** (水泥): the cement mill starts at T0 − 70 min, its bag filter 15 minutes later (grace 5) →
  ``PWR-START-ORDER`` (raised and cleared); it stops its raw mill for the alert as its list says;
* **chemical** (化工): reactor 2 must stop at orange and runs on through the alert (night production during a
  stop order) → ``PWR-ORDER-STOP-RUNNING``;
* **steel** (特钢, honest): stops its arc furnace 10 minutes before the alert, its dust removal 10 minutes
  after the furnace; nothing to find. Sends over MQTT when the demo has a broker, else over HJ 212.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecosentry.protocols.credit_code import credit_code_check_digit, organization_code_check_digit
from ecosentry.said import N_

PROVINCE = {"code": "320000", "name": "江苏省", "level": "province"}
CITY = {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"}
COUNTY = {"code": "320582", "name": "张家港市", "level": "county", "parent": "320500"}
#: The demo's alert: issued for the city (its counties inherit it), orange.
ALERT_REGION, ALERT_LEVEL = CITY["code"], "orange"
ISSUED_BY = "苏州市重污染天气应急指挥部办公室"
TZ = "Asia/Shanghai"
HJ212_PASSWORD = "123456"
MQTT_PASSWORD = "pwr-demo-mqtt"
PLATFORM_MQTT_PASSWORD = "pwr-demo-platform"
#: The demo accounts' login password (the same as the monitoring demo's).
DEMO_PASSWORD = "ecosentry-demo"


def credit_code(serial: int) -> str:
    """A fictitious credit code of Zhangjiagang: 91 + division + an organisation code ``MA1PD…``."""
    first8 = f"MA1PD{serial:03d}"
    first17 = "91" + COUNTY["code"] + first8 + organization_code_check_digit(first8)
    return first17 + credit_code_check_digit(first17)


@dataclass(frozen=True)
class Unit:
    """One metered unit of a demo enterprise and when it runs.

    ``off`` lists spans ``(start, end)`` in minutes relative to the demo's start ``T0`` (``None`` = open) during
    which the unit is stopped; ``alert_off`` the minutes relative to the alert's start from which it stops for the
    alert (an honest enterprise obeying its stop order)."""

    code: str
    name: str
    role: str                      # production | treatment | total
    normal_kw: float
    kind: str | None = None        # treatment kind
    serves: tuple[str, ...] = ()
    off: tuple[tuple[float | None, float | None], ...] = ()
    alert_off: float | None = None
    line: str | None = None


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    serial: int
    name: str
    industry: str
    units: tuple[Unit, ...]
    #: (level, unit code, measure, limit %)
    measures: tuple[tuple[str, str, str, int | None], ...] = ()
    lines: tuple[tuple[str, str], ...] = ()
    #: Load drawn by the site besides its sub-metered units (lighting, offices), on the total meter. [kW]
    other_kw: float = 0.0
    what: str = ""
    honest: bool = True
    mqtt: bool = False

    @property
    def credit_code(self) -> str:
        return credit_code(self.serial)

    @property
    def mn(self) -> str:
        return f"PWRMQ{COUNTY['code']}{self.serial:03d}" if self.mqtt else f"PWR{COUNTY['code']}{self.serial:05d}"


def enterprises(*, mqtt: bool) -> list[DemoEnterprise]:
    """The demo's metered enterprises; the honest one on MQTT when ``mqtt``."""
    coking = DemoEnterprise(
        "coking", 1, "张家港示范焦化有限公司", "2520 炼焦",
        lines=(("L1", "1号焦炉线"),),
        units=(
            Unit("oven1", "1号焦炉推焦装煤", "production", 420, line="L1"),
            Unit("oven2", "2号焦炉推焦装煤", "production", 380, line="L1", alert_off=-5),
            Unit("desulf1", "焦炉烟气脱硫塔", "treatment", 160, kind="desulfurisation", serves=("oven1", "oven2")),
            Unit("dust1", "装煤除尘地面站", "treatment", 210, kind="dust_removal", serves=("oven1",),
                 off=((-25, 120),)),
            Unit("total", "厂区总表", "total", 0),
        ),
        measures=(("orange", "oven2", "stop", None), ("red", "oven1", "stop", None)), other_kw=45,
        what=N_("dust removal off while coke oven 1 runs (since T0-25 min, for 2 h 25 min)"), honest=False)
    cement = DemoEnterprise(
        "cement", 2, "张家港示范水泥有限公司", "3011 水泥制造",
        lines=(("K1", "熟料生产线"), ("M1", "水泥粉磨")),
        units=(
            Unit("kiln", "回转窑", "production", 520, line="K1"),
            Unit("rawmill", "生料磨", "production", 640, line="K1", alert_off=-15),
            Unit("sncr", "SNCR脱硝", "treatment", 45, kind="denitrification", serves=("kiln",)),
            Unit("bag1", "窑尾袋式除尘器", "treatment", 260, kind="dust_removal", serves=("kiln", "rawmill")),
            Unit("cmill", "水泥磨", "production", 900, line="M1", off=((None, -70),)),
            Unit("bag2", "水泥磨袋式除尘器", "treatment", 110, kind="dust_removal", serves=("cmill",),
                 off=((None, -55),)),
        ),
        measures=(("orange", "rawmill", "stop", None), ("red", "cmill", "stop", None), ("red", "kiln", "limit", 50)),
        what=N_("cement mill started at T0-70 min, its bag filter 15 min later (grace 5 min)"), honest=False)
    chemical = DemoEnterprise(
        "chemical", 3, "张家港示范化工有限公司", "2614 有机化学原料制造",
        lines=(("R", "合成车间"),),
        units=(
            Unit("reactor1", "1号合成反应釜", "production", 180, line="R"),
            Unit("reactor2", "2号合成反应釜", "production", 210, line="R"),
            Unit("rto", "RTO蓄热焚烧炉", "treatment", 95, kind="voc_treatment", serves=("reactor1", "reactor2")),
            Unit("wwtp", "厂内污水处理站", "treatment", 60, kind="wastewater_treatment",
                 serves=("reactor1", "reactor2")),
        ),
        measures=(("orange", "reactor2", "stop", None), ("red", "reactor1", "stop", None)),
        what=N_("reactor 2 runs on through the orange alert's stop order"), honest=False)
    steel = DemoEnterprise(
        "steel", 4, "张家港示范特钢有限公司", "3120 炼钢",
        lines=(("E", "电炉炼钢"), ("Z", "轧钢")),
        units=(
            Unit("eaf", "电弧炉", "production", 1800, line="E", alert_off=-10),
            Unit("eafdust", "电炉除尘系统", "treatment", 320, kind="dust_removal", serves=("eaf",), alert_off=0),
            Unit("rolling", "棒材轧机", "production", 950, line="Z"),
            Unit("safety", "保安用电(照明、循环水)", "production", 40, line="E"),
        ),
        measures=(("orange", "eaf", "stop", None), ("red", "rolling", "stop", None)),
        what=N_("stops its arc furnace before the alert, its dust removal after the furnace"), mqtt=mqtt)
    return [coking, cement, chemical, steel]


def channel(index: int) -> str:
    return f"SB{index + 1}"


def fleet(ents: list[DemoEnterprise]) -> dict:
    """The registry import document: regions, the enterprises (core), two accounts, and the ``power:`` key."""
    core, devices, power = [], [], []
    for e in ents:
        core.append({"credit_code": e.credit_code, "name": e.name, "industry": e.industry,
                     "region": COUNTY["code"], "address": f"江苏省苏州市张家港市示范路{e.serial * 11}号",
                     "lon": 120.50 + 0.03 * e.serial, "lat": 31.86 + 0.01 * e.serial, "published": True})
        devices.append({"mn": e.mn, "transport": "mqtt" if e.mqtt else "hj212",
                        "password": MQTT_PASSWORD if e.mqtt else HJ212_PASSWORD, "tz": TZ,
                        "enterprise": e.credit_code})
        meters, equipment = [], []
        for i, u in enumerate(e.units):
            rated = u.normal_kw * 1.25 if u.role != "total" else total_kw(e) * 1.3
            meter = {"id": f"SB{i + 1:03d}", "device": e.mn, "channel": channel(i), "ct_ratio": "300/5",
                     "phases": 3, "rated_kw": round(rated, 1)}
            if u.role != "total":
                meter["thresholds"] = {"on": round(0.3 * u.normal_kw, 1), "off": round(0.15 * u.normal_kw, 1),
                                       "dwell": 3}
            meters.append(meter)
            item = {"id": u.code, "name": u.name, "role": u.role, "meter": meter["id"], "rated_kw": round(rated, 1)}
            if u.role != "total":
                item["normal_kw"] = u.normal_kw
            if u.line:
                item["line"] = u.line
            if u.kind:
                item["kind"] = u.kind
            if u.serves:
                item["serves"] = list(u.serves)
            if u.code == "safety":
                item["safety_load"] = True
            equipment.append(item)
        power.append({"credit_code": e.credit_code, "lines": [{"id": c, "name": n} for c, n in e.lines],
                      "meters": meters, "equipment": equipment,
                      "measures": [{"level": lv, "equipment": eq, "measure": m, **({"limit_pct": p} if p else {})}
                                   for lv, eq, m, p in e.measures]})
    coking = ents[0]
    users = [
        {"username": "zjg", "role": "regulator", "region": COUNTY["code"], "display_name": "苏州市张家港生态环境局"},
        {"username": "coking", "role": "enterprise", "display_name": coking.name, "enterprise": coking.credit_code,
         "organisation": coking.name},
    ]
    for u in users:
        u["password"] = DEMO_PASSWORD
    return {"regions": [dict(PROVINCE), dict(CITY), dict(COUNTY)], "enterprises": core, "users": users,
            "power": {"devices": devices, "enterprises": power}}


def total_kw(e: DemoEnterprise) -> float:
    return sum(u.normal_kw for u in e.units if u.role != "total") + e.other_kw
