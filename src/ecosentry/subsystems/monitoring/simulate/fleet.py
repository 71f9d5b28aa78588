"""Demo fleet: a registry of fictitious enterprises, outlets and data loggers in Suzhou (苏州市).

:func:`demo_fleet` returns the structure the registry importer reads (regions → enterprises → outlets →
points → factors with limits, and users); :func:`write_fleet_yaml` writes it. The fleet is deterministic
for ``(n_loggers, seed)``.

What is real and what is made up
--------------------------------
* Real: the administrative division codes (GB/T 2260: 江苏省 320000, 苏州市 320500 and its districts and
  county-level cities), the industry codes (GB/T 4754-2017), the structure and check characters of the
  credit codes (GB 32100-2015, GB 11714-1997), the HJ 212-2017 factor codes, system codes (ST 31 flue
  gas, ST 32 wastewater) and intervals, and the emission limits (reference notes §4.3, all tagged [R]
  there: recalled with high confidence, kept as editable seed data).
* Made up: enterprise names, addresses, coordinates, credit codes, MNs, stack heights and duct areas.
  Names are built from neutral trade words; any likeness to a real company is accidental.

Limits applied (reference notes §4.3)
-------------------------------------
========================  ===========================================  ==========  ==================
point                     standard                                     ref. O2     kind
========================  ===========================================  ==========  ==================
power / CHP flue gas      环发〔2015〕164号 超低排放: PM 10, SO2 35, NOx 50   6 %         hourly
cement kiln flue gas      GB 4915-2013 表1: PM 30, SO2 200, NOx 400      10 %        hourly
industrial boiler gas     GB 13271-2014 表3: PM 30, SO2 200, NOx 200     9 %         hourly
municipal WWTP water      GB 18918-2002 一级A: COD 50, NH3-N 5, TN 15,   —           daily
                          TP 0.5, pH 6–9
other wastewater          GB 8978-1996 表4 一级: COD 100, NH3-N 15,      —           daily
                          pH 6–9
========================  ===========================================  ==========  ==================

Suzhou is in a key region (重点地区), hence the special limits (表3) for industrial boilers. Industry
standards that would displace GB 8978 (e.g. GB 3544-2008 for paper mills) are not modelled.

References
----------
.. [1] GB/T 2260 中华人民共和国行政区划代码. .. [2] GB/T 4754-2017 国民经济行业分类.
.. [3] GB 32100-2015; GB 11714-1997 (see :mod:`ecosentry.protocols.credit_code`).
.. [4] HJ 212-2017 (ST system codes, MinInterval, RtdInterval, factor codes).
.. [5] shared/reference/china-vietnam-rules.md §3.2 (reference O2), §4.1 (hourly vs daily), §4.3 (limits).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from ecosentry.protocols.credit_code import CREDIT_CODE_CHARSET, credit_code_check_digit, organization_code_check_digit
from ecosentry.subsystems.monitoring.simulate.methods import DETECTION_LIMITS

__all__ = ["demo_fleet", "write_fleet_yaml", "demo_accounts", "REGIONS", "DEMO_PASSWORD"]

#: Login password of every demo account (``ecosentry demo`` prints the accounts). Demo only: a fleet file
#: with passwords holds secrets in clear text.
DEMO_PASSWORD = "ecosentry-demo"

PROVINCE = {"code": "320000", "name": "江苏省", "level": "province"}
CITY = {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"}

# GB/T 2260 code → (name, short name for enterprise names, approximate centre lon, lat).
_COUNTIES: dict[str, tuple[str, str, float, float]] = {
    "320506": ("吴中区", "吴中", 120.632, 31.262),
    "320507": ("相城区", "相城", 120.642, 31.369),
    "320508": ("姑苏区", "姑苏", 120.617, 31.336),
    "320509": ("吴江区", "吴江", 120.645, 31.139),
    "320581": ("常熟市", "常熟", 120.752, 31.654),
    "320582": ("张家港市", "张家港", 120.555, 31.875),
    "320583": ("昆山市", "昆山", 120.981, 31.386),
    "320585": ("太仓市", "太仓", 121.130, 31.458),
}

REGIONS: list[dict] = [PROVINCE, CITY] + [
    {"code": code, "name": name, "level": "county", "parent": CITY["code"]}
    for code, (name, _, _, _) in _COUNTIES.items()
]

_VALID_FROM = "2020-01-01"


@dataclass(frozen=True)
class _GasStandard:
    standard: str
    ref_o2: float
    limits: tuple[tuple[str, float], ...]   # (factor, hourly upper limit [mg/m³])
    ranges: tuple[tuple[str, float, float], ...]  # analyser ranges of the pollutants


_ULTRA_LOW = _GasStandard(
    "环发〔2015〕164号 超低排放", 6.0,
    (("a34013", 10.0), ("a21026", 35.0), ("a21002", 50.0)),
    (("a34013", 0.0, 50.0), ("a21026", 0.0, 200.0), ("a21002", 0.0, 200.0)),
)
_CEMENT_KILN = _GasStandard(
    "GB 4915-2013 表1", 10.0,
    (("a34013", 30.0), ("a21026", 200.0), ("a21002", 400.0)),
    (("a34013", 0.0, 100.0), ("a21026", 0.0, 500.0), ("a21002", 0.0, 1000.0)),
)
_BOILER_SPECIAL = _GasStandard(
    "GB 13271-2014 表3 特别排放限值", 9.0,
    (("a34013", 30.0), ("a21026", 200.0), ("a21002", 200.0)),
    (("a34013", 0.0, 100.0), ("a21026", 0.0, 500.0), ("a21002", 0.0, 500.0)),
)
# Flue-gas parameters: (code, range low, range high); the flow range is set from the duct area.
_GAS_PARAMETERS = (("a19001", 0.0, 25.0), ("a01011", 0.0, 40.0), ("a01012", 0.0, 300.0),
                   ("a01013", -5.0, 5.0), ("a01014", 0.0, 40.0))


@dataclass(frozen=True)
class _WaterStandard:
    standard: str
    limits: tuple[tuple[str, float], ...]   # (factor, daily upper limit [mg/L])
    cod_range: float


_WWTP_1A = _WaterStandard(
    "GB 18918-2002 一级A", (("w01018", 50.0), ("w21003", 5.0), ("w21011", 0.5), ("w21001", 15.0)), 200.0
)
_GB8978_1 = _WaterStandard("GB 8978-1996 表4 一级", (("w01018", 100.0), ("w21003", 15.0)), 500.0)
_WATER_RANGES = {"w01018": None, "w21003": 50.0, "w21011": 10.0, "w21001": 50.0}


@dataclass(frozen=True)
class _Industry:
    industry: str                     # GB/T 4754-2017 code and name
    suffixes: tuple[str, ...]         # enterprise-name endings
    counties: tuple[str, ...]         # where such plants are placed
    gas: tuple[int, int]              # min, max flue-gas outlets
    water: tuple[int, int]            # min, max wastewater outlets
    gas_standard: _GasStandard | None
    water_standard: _WaterStandard
    gas_source: str                   # outlet / point naming: "锅炉" or "水泥窑窑尾"
    stack_height: tuple[float, float]  # [m]
    duct_area: tuple[float, float]    # [m²]
    weight: float


_ALL = tuple(_COUNTIES)
_INDUSTRIES = {
    "power": _Industry("4411 火力发电", ("发电有限公司", "电力有限公司"),
                       ("320509", "320583", "320581", "320582", "320585"), (1, 2), (0, 1),
                       _ULTRA_LOW, _GB8978_1, "锅炉", (150.0, 210.0), (12.0, 28.0), 1.0),
    "chp": _Industry("4412 热电联产", ("热电有限公司", "能源有限公司"),
                     ("320506", "320507", "320509", "320581", "320582", "320583", "320585"), (1, 2), (0, 1),
                     _ULTRA_LOW, _GB8978_1, "锅炉", (80.0, 150.0), (4.0, 12.0), 1.5),
    "paper": _Industry("2221 机制纸及纸板制造", ("纸业有限公司", "造纸有限公司"),
                       ("320509", "320581", "320582", "320585"), (0, 1), (1, 1),
                       _BOILER_SPECIAL, _GB8978_1, "燃煤锅炉", (45.0, 80.0), (1.5, 4.0), 1.0),
    "chemical": _Industry("2614 有机化学原料制造", ("化工有限公司", "化学有限公司", "新材料有限公司"),
                          ("320581", "320582", "320585", "320583"), (1, 1), (1, 1),
                          _BOILER_SPECIAL, _GB8978_1, "燃煤锅炉", (45.0, 80.0), (1.5, 4.0), 1.2),
    "wwtp": _Industry("4620 污水处理及其再生利用", ("污水处理有限公司", "水务有限公司", "水质净化有限公司"),
                      _ALL, (0, 0), (1, 1),
                      None, _WWTP_1A, "", (0.0, 0.0), (0.0, 0.0), 1.5),
    "cement": _Industry("3011 水泥制造", ("水泥有限公司", "建材有限公司"),
                        ("320506", "320582"), (1, 2), (0, 0),
                        _CEMENT_KILN, _GB8978_1, "水泥窑窑尾", (80.0, 110.0), (7.0, 12.0), 0.5),
}
_GAS_LEANING = ("power", "chp", "cement", "chemical")
_WATER_LEANING = ("wwtp", "paper", "chemical")

_TRADE_FIRST = "恒瑞永宏嘉鑫新天东汇润康盛鼎博锦和兴富丰通泰源晨荣佳德立"
_TRADE_SECOND = "泰丰盛达禾源宇宏升通泽安远诚发昌隆业力辉明茂益顺祥合利阳凯"
_ROADS = ("兴业路", "创业路", "工业园路", "滨江路", "港城大道", "经二路", "纬三路", "环保路", "科技路",
          "长江路", "太湖路", "运河路", "新港路", "金港大道", "东方大道", "通园路")
_ORG_BODY_CHARSET = CREDIT_CODE_CHARSET  # letters valid in both GB 11714 and GB 32100


def demo_fleet(n_loggers: int, *, seed: int = 1, password: str = "123456",
               connected_at: datetime | None = None) -> dict:
    """
    Build a deterministic demo registry with ``n_loggers`` data loggers (monitoring points).

    Parameters
    ----------
    n_loggers : int
        Number of points (one data logger each). About half are flue-gas CEMS, exactly
        ``(n_loggers + 1) // 2``; the rest are wastewater stations.
    seed : int, default 1
        Seed of the fleet; the same ``(n_loggers, seed)`` always gives the same fleet.
    password : str, default "123456"
        HJ 212 access password (PW) of every point.
    connected_at : datetime or None
        联网时间 of every point (``connected_at`` in the registry): the demo's points go live when the demo
        starts (with the history they back-fill). ``None``: not set (the first data received counts).

    Returns
    -------
    dict
        ``{"regions": [...], "parks": [...], "enterprises": [...], "users": [...]}`` in the registry import
        format (users: one per role with password :data:`DEMO_PASSWORD`, see :func:`_demo_access`):
        enterprises carry ``credit_code, name, industry, region, address, lon, lat, published[, park],
        outlets``; outlets
        ``code, name, medium, lon, lat, ref_o2, duct_area, height, points``; points ``mn, password, st,
        name, tz, min_interval, rtd_interval, factors``; factors ``code, range, limits``; limits
        ``kind, upper[, lower], valid_from, standard``.

    Raises
    ------
    ValueError
        If ``n_loggers`` is negative.

    Notes
    -----
    Gas points: ST 31, MinInterval 1 min (HJ 76-2017: 1-min values); water points: ST 32, MinInterval
    10 min (the HJ 212-2017 Appendix D example); RtdInterval 30 s. MN = county code + 8-digit serial
    (14 characters, within the 24 of HJ 212-2017). Outlet codes follow the permit convention DA (废气) /
    DW (废水) + 3 digits.
    """
    if n_loggers < 0:
        raise ValueError("n_loggers must be ≥ 0")
    rng = random.Random(seed)
    need_gas = (n_loggers + 1) // 2
    need_water = n_loggers - need_gas

    enterprises: list[dict] = []
    used_names: set[str] = set()
    used_credit: set[str] = set()
    serial = 0
    while need_gas + need_water > 0:
        key = _pick_industry(rng, need_gas, need_water)
        ind = _INDUSTRIES[key]
        n_gas = min(rng.randint(*ind.gas), need_gas)
        n_water = min(rng.randint(*ind.water), need_water)
        if n_gas + n_water == 0:
            if need_gas and ind.gas[1]:
                n_gas = 1
            else:
                n_water = 1
        need_gas -= n_gas
        need_water -= n_water

        region = rng.choice(ind.counties)
        county, short, lon0, lat0 = _COUNTIES[region]
        lon = round(lon0 + rng.uniform(-0.06, 0.06), 6)
        lat = round(lat0 + rng.uniform(-0.05, 0.05), 6)
        outlets = []
        for i in range(1, n_gas + 1):
            serial += 1
            outlets.append(_gas_outlet(rng, ind, i, region, serial, lon, lat, password))
        for i in range(1, n_water + 1):
            serial += 1
            outlets.append(_water_outlet(rng, ind, i, region, serial, lon, lat, password))
        enterprises.append({
            "credit_code": _credit_code(rng, region, used_credit),
            "name": _enterprise_name(rng, short, ind, used_names),
            "industry": ind.industry,
            "region": region,
            "address": f"{PROVINCE['name']}{CITY['name']}{county}{rng.choice(_ROADS)}{rng.randint(1, 999)}号",
            "lon": lon,
            "lat": lat,
            "outlets": outlets,
        })

    if connected_at is not None:
        for e in enterprises:
            for o in e["outlets"]:
                for pt in o["points"]:
                    pt["connected_at"] = connected_at.isoformat()
    parks, users = _demo_access(enterprises)
    return {"regions": [dict(r) for r in REGIONS], "parks": parks, "enterprises": enterprises, "users": users}


def _demo_access(enterprises: list[dict]) -> tuple[list[dict], list[dict]]:
    """A chemical park, published enterprises and one account per role (password :data:`DEMO_PASSWORD`).

    * every other enterprise (the 1st, 3rd …) is published (信息公开);
    * the park lies in the county with the most enterprises and holds up to two of them;
    * the county regulator supervises the first enterprise's county; the enterprise account is the first
      enterprise's; the O&M contractor maintains the first point of the second and third enterprises (or
      of the first, in a one-enterprise fleet).
    """
    for i, e in enumerate(enterprises):
        e["published"] = i % 2 == 0
    parks: list[dict] = []
    users = [
        {"username": "admin", "role": "admin", "display_name": "系统管理员"},
        {"username": "province", "role": "regulator", "display_name": "江苏省生态环境厅", "region": PROVINCE["code"]},
        {"username": "regulator", "role": "regulator", "display_name": "苏州市生态环境局", "region": CITY["code"]},
        {"username": "public", "role": "public", "display_name": "公众"},
    ]
    if enterprises:
        first = enterprises[0]
        county = _COUNTIES[first["region"]][0]
        users.append({"username": "county", "role": "regulator", "display_name": f"苏州市{county}生态环境局",
                      "region": first["region"]})
        users.append({"username": "enterprise", "role": "enterprise", "display_name": first["name"],
                      "enterprise": first["credit_code"], "organisation": first["name"]})
        maintained = [e["outlets"][0]["points"][0]["mn"] for e in (enterprises[1:3] or enterprises[:1])]
        users.append({"username": "om", "role": "om", "display_name": "苏州示范环保运维有限公司",
                      "organisation": "苏州示范环保运维有限公司", "points": maintained})
        by_county: dict[str, list[dict]] = {}
        for e in enterprises:
            by_county.setdefault(e["region"], []).append(e)
        region = max(sorted(by_county), key=lambda c: len(by_county[c]))
        park = {"code": f"P{region}", "name": f"{_COUNTIES[region][1]}示范化工园区", "region": region}
        parks.append(park)
        for e in by_county[region][:2]:
            e["park"] = park["code"]
        users.append({"username": "park", "role": "park", "display_name": f"{park['name']}管委会",
                      "park": park["code"]})
    for u in users:
        u["password"] = DEMO_PASSWORD
    return parks, users


def demo_accounts(fleet: dict) -> list[tuple[str, str, str]]:
    """``(user name, role, display name)`` of the fleet's accounts, for the demo's welcome text."""
    return [(u["username"], u["role"], u.get("display_name") or "") for u in fleet.get("users") or []]


def write_fleet_yaml(fleet: dict, path: str | os.PathLike) -> Path:
    """
    Write a fleet (as returned by :func:`demo_fleet`) to a UTF-8 YAML file.

    Parameters
    ----------
    fleet : dict
    path : str or path-like
        Destination; parent directories are created.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as fh:
        yaml.safe_dump(fleet, fh, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)
    return target


# --------------------------------------------------------------------------- helpers


def _pick_industry(rng: random.Random, need_gas: int, need_water: int) -> str:
    """Lean towards the medium still most needed, so the gas/water split comes out as asked."""
    if need_water == 0:
        pool = tuple(k for k in _GAS_LEANING if _INDUSTRIES[k].gas[1] > 0)
    elif need_gas == 0:
        pool = tuple(k for k in _WATER_LEANING if _INDUSTRIES[k].water[1] > 0)
    else:
        pool = _GAS_LEANING if need_gas >= need_water else _WATER_LEANING
    weights = [_INDUSTRIES[k].weight for k in pool]
    return rng.choices(pool, weights=weights)[0]


def _mn(region: str, serial: int) -> str:
    return f"{region}{serial:08d}"


def _detection_limit(code: str, range_high: float) -> dict[str, float]:
    """The analyser's registered method detection limit (:data:`~.methods.DETECTION_LIMITS`), when it has one below
    its range's upper bound."""
    dl = DETECTION_LIMITS.get(code)
    return {"detection_limit": dl} if dl is not None and dl < range_high else {}


def _gas_outlet(rng, ind: _Industry, i: int, region: str, serial: int, lon: float, lat: float, password: str) -> dict:
    std = ind.gas_standard
    area = round(rng.uniform(*ind.duct_area), 2)
    factors = []
    limits = dict(std.limits)
    for code, lo, hi in std.ranges:
        factors.append({"code": code, "range": [lo, hi], **_detection_limit(code, hi), "limits": [
            {"kind": "hour", "upper": limits[code], "valid_from": _VALID_FROM, "standard": std.standard}
        ]})
    for code, lo, hi in _GAS_PARAMETERS:
        factors.append({"code": code, "range": [lo, hi], "limits": []})
    factors.append({"code": "a00000", "range": [0.0, round(40.0 * area, 1)], "limits": []})
    source = f"{i}号{ind.gas_source}"
    return {
        "code": f"DA{i:03d}",
        "name": f"{source}废气排放口",
        "medium": "gas",
        "lon": round(lon + rng.uniform(-0.003, 0.003), 6),
        "lat": round(lat + rng.uniform(-0.003, 0.003), 6),
        "ref_o2": std.ref_o2,
        "duct_area": area,
        "height": float(round(rng.uniform(*ind.stack_height))),
        "points": [{
            "mn": _mn(region, serial),
            "password": password,
            "st": "31",
            "name": f"{source}CEMS",
            "tz": "Asia/Shanghai",
            "min_interval": 1,
            "rtd_interval": 30,
            "factors": factors,
        }],
    }


def _water_outlet(rng, ind: _Industry, i: int, region: str, serial: int, lon: float, lat: float, password: str) -> dict:
    std = ind.water_standard
    limits = dict(std.limits)
    factors = []
    for code, high in _WATER_RANGES.items():
        entry_limits = []
        if code in limits:
            entry_limits.append({"kind": "day", "upper": limits[code], "valid_from": _VALID_FROM, "standard": std.standard})
        high = std.cod_range if high is None else high
        factors.append({"code": code, "range": [0.0, high], **_detection_limit(code, high), "limits": entry_limits})
    factors.append({"code": "w01001", "range": [0.0, 14.0], "limits": [
        {"kind": "day", "lower": 6.0, "upper": 9.0, "valid_from": _VALID_FROM, "standard": std.standard}
    ]})
    factors.append({"code": "w00000", "range": [0.0, 1000.0], "limits": []})
    wwtp = std is _WWTP_1A
    label = "尾水排放口" if wwtp else "废水总排口"
    name = label if i == 1 else f"{i}号{label}"
    return {
        "code": f"DW{i:03d}",
        "name": name,
        "medium": "water",
        "lon": round(lon + rng.uniform(-0.003, 0.003), 6),
        "lat": round(lat + rng.uniform(-0.003, 0.003), 6),
        "ref_o2": None,
        "duct_area": None,
        "height": None,
        "points": [{
            "mn": _mn(region, serial),
            "password": password,
            "st": "32",
            "name": f"{name}水质自动监测站",
            "tz": "Asia/Shanghai",
            "min_interval": 10,
            "rtd_interval": 30,
            "factors": factors,
        }],
    }


def _credit_code(rng: random.Random, region: str, used: set[str]) -> str:
    """A fictitious enterprise credit code: 9 (market regulation) 1 (enterprise) + division + MA… ."""
    while True:
        body = "MA" + rng.choice("0123456789") + "".join(rng.choice(_ORG_BODY_CHARSET) for _ in range(5))
        org = body + organization_code_check_digit(body)
        first17 = "91" + region + org
        code = first17 + credit_code_check_digit(first17)
        if code not in used:
            used.add(code)
            return code


def _enterprise_name(rng: random.Random, place: str, ind: _Industry, used: set[str]) -> str:
    name = ""
    for _ in range(50):
        first, second = rng.choice(_TRADE_FIRST), rng.choice(_TRADE_SECOND)
        if first == second:
            continue
        name = f"{rng.choice((place, '苏州'))}{first}{second}{rng.choice(ind.suffixes)}"
        if name not in used:
            used.add(name)
            return name
    # Name space exhausted (only for very large fleets): a branch of the last candidate.
    k = 1
    while f"{name}第{k}分公司" in used:
        k += 1
    used.add(f"{name}第{k}分公司")
    return f"{name}第{k}分公司"
