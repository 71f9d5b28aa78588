"""Vietnamese monitoring stations: a demo registry (provinces, facilities, stations) and their 5-minute files.

:func:`demo_vn_fleet` returns a fleet in the registry import format (``ecosentry.fleet.
import_fleet``); :func:`iter_station_files` produces, for every station and every 5-minute slot, the file a
data logger would upload under Circular 10/2021/TT-BTNMT (name + bytes, written by
:func:`ecosentry.protocols.vn_txt.write_file`) and the time it is meant to be uploaded — a share of them
late, malformed, or with calibrating / device-error statuses. The upload itself (FTP) is not done here.

Stations (Decree 08/2022/NĐ-CP Art. 97/98 parameter lists, china-vietnam-rules.md §7.1 [R])
-------------------------------------------------------------------------------------------
================  ==========  ===========  ==========  =========================================
medium            parameter   unit         factor      signal (reusing :mod:`.profiles`)
================  ==========  ===========  ==========  =========================================
wastewater        Flow_In     m3/h         —           outflow × (1.03–1.08), no HJ 212 code
                  Flow_Out    m3/h         w00000      profile flow, rescaled to the design flow
                  Temp        oC           w01010      26–34 °C
                  pH          (empty)      w01001      6.6–8.2
                  TSS         mg/L         w01012      15–70
                  COD         mg/L         w01018      40–130
                  NH4+        mg/L         w21003      1–8
exhaust           Flow        m3/h         a00000      velocity × duct area × 3600
                  Temp        oC           a01012      120–140 °C (no wet FGD)
                  Pressure    kPa          a01013      absolute: 101.325 + static pressure
                  O2          %            a19001      6–11
                  Dust        mg/Nm3       a34013      20–90
                  SO2         mg/Nm3       a21026      120–380
                  NOx         mg/Nm3       a21002      200–520
                  CO          mg/Nm3       a21005      40–260
================  ==========  ===========  ==========  =========================================

Each point of the fleet carries ``vn_parameters`` — the station's parameter name and unit → canonical
factor, ``value_canonical = value × scale + offset`` (m³/h → L/s: 1/3.6; m³/h → m³/s: 1/3600; absolute
kPa → static kPa: −101.325) — the seed of the per-station mapping table of requirement 34, and ``qcvn``:
the standard, column and K coefficients its limits were computed with.

Codes and names: what is real and what is made up
-------------------------------------------------
* Region codes: ``VN`` (country) and ``VN`` + the two-digit provincial code of the General Statistics
  Office list (Decision 124/2004/QĐ-TTg: Hà Nội 01, Hải Phòng 31, Quảng Ninh 22, Bắc Ninh 27, Thái Bình 34,
  Đà Nẵng 48, TP Hồ Chí Minh 79, Bình Dương 74, Đồng Nai 75, Cần Thơ 92), e.g. ``VN01``; the prefix keeps
  them apart from GB/T 2260 codes. These are the 63-province codes in force before the 2025 merger of
  provinces (Resolution 202/2025/QH15, 34 provinces from 1 July 2025 [R]); a deployment after it imports
  its own province list.
* The province letter code in file names (``HN``, ``TB`` ...) is assigned by each DONRE; the reference's
  samples use ``HN`` Hà Nội and ``TB`` Thái Bình (subsystems.md §5.2); the others are this module's choice.
* ``credit_code`` (``enterprises.credit_code``, 18 characters) holds the 10-digit Vietnamese tax code
  (mã số thuế, MST): two digits of the tax province, seven serial digits, one check digit
  :math:`c = 10 - (\\sum w_i d_i \\bmod 11)` with :math:`w = 31, 29, 23, 19, 17, 13, 7, 5, 3` (a result of 10
  is not a valid code). Tax-province prefixes [R]: Hà Nội 01, Hải Phòng 02, TP HCM 03, Đà Nẵng 04, others
  from memory. Serial numbers are made up.
* Industries: VSIC 2018 codes (Decision 27/2018/QĐ-TTg) [R]. Company names, addresses and coordinates are
  made up from neutral trade words; any likeness to a real company is accidental.
* Limits: QCVN 40:2011/BTNMT column B with Kq (seeded receiving river flow) and Kf (design flow), and
  QCVN 19:2009/BTNMT column B with Kp (design gas flow) and Kv (seeded zone) — values [R] as in
  ``rules/vn/limits_seed.yaml``. Water limits are ``day`` limits; exhaust limits are given as both ``hour``
  (so the hourly rules and alarms of the platform see them) and ``day`` (the Vietnamese daily judgement).

References
----------
.. [1] Circular 10/2021/TT-BTNMT Art. 39 and subsystems.md §5.2 (file format), §7 requirements 31–34.
.. [2] Decree 08/2022/NĐ-CP Art. 97/98 (parameters), china-vietnam-rules.md §7.1 [R].
.. [3] QCVN 40:2011/BTNMT, QCVN 19:2009/BTNMT via china-vietnam-rules.md §7.3 [R].
"""

from __future__ import annotations

import hashlib
import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ecosentry.protocols.vn_txt.model import VnFileName
from ecosentry.protocols.vn_txt.writer import write_file
from ecosentry.subsystems.monitoring.rules.vn.qcvn import cmax, kf_for_flow, kp_for_flow, kq_for_receiving_water, kv_for_zone, qcvn_limits
from ecosentry.subsystems.monitoring.simulate.profiles import PointProfile, gas_profile, water_profile

__all__ = ["PROVINCES", "DISTRICTS", "VN_REGIONS", "BEHAVIOURS", "TZ", "demo_vn_fleet", "mst_check_digit", "is_valid_mst",
           "SimulatedFile", "StationFile", "iter_station_files", "iter_station_files_detailed",
           "MALFORMED_KINDS", "VARIANT_KINDS"]

TZ = "Asia/Ho_Chi_Minh"
_ZONE = ZoneInfo(TZ)
INTERVAL_MIN = 5

#: Letter code → (GSO code, name, lon, lat, tax-province prefix of the MST [R]).
PROVINCES: dict[str, tuple[str, str, float, float, str]] = {
    "HN": ("01", "Thành phố Hà Nội", 105.854, 21.028, "01"),
    "HP": ("31", "Thành phố Hải Phòng", 106.688, 20.845, "02"),
    "QN": ("22", "Tỉnh Quảng Ninh", 107.080, 20.951, "57"),
    "BN": ("27", "Tỉnh Bắc Ninh", 106.076, 21.186, "23"),
    "TB": ("34", "Tỉnh Thái Bình", 106.340, 20.447, "10"),
    "DNG": ("48", "Thành phố Đà Nẵng", 108.202, 16.054, "04"),
    "HCM": ("79", "Thành phố Hồ Chí Minh", 106.700, 10.776, "03"),
    "BD": ("74", "Tỉnh Bình Dương", 106.652, 11.325, "37"),
    "DNA": ("75", "Tỉnh Đồng Nai", 106.824, 10.957, "36"),
    "CT": ("92", "Thành phố Cần Thơ", 105.784, 10.045, "18"),
}
#: Province letter code → its districts: (GSO district code, name, lon, lat, industrial zone or None). The codes
#: and names are those before the 2025 reorganisation (Decision 124/2004/QĐ-TTg list, later upgrades of Từ Sơn
#: to a city and Quế Võ, Thuận Thành to towns) [R]; coordinates are approximate centres; the industrial zones are
#: real zones of the district, used only in made-up addresses.
DISTRICTS: dict[str, tuple[tuple[str, str, float, float, str | None], ...]] = {
    "BN": (
        ("258", "Huyện Yên Phong", 105.952, 21.210, "Khu công nghiệp Yên Phong"),
        ("259", "Thị xã Quế Võ", 106.155, 21.148, "Khu công nghiệp Quế Võ"),
        ("260", "Huyện Tiên Du", 106.037, 21.127, "Khu công nghiệp Tiên Sơn"),
        ("261", "Thành phố Từ Sơn", 105.957, 21.117, "Khu công nghiệp VSIP Bắc Ninh"),
        ("256", "Thành phố Bắc Ninh", 106.076, 21.186, None),
        ("262", "Thị xã Thuận Thành", 106.083, 21.050, "Khu công nghiệp Thuận Thành II"),
        ("263", "Huyện Gia Bình", 106.193, 21.058, "Khu công nghiệp Gia Bình"),
        ("264", "Huyện Lương Tài", 106.225, 21.005, None),
    ),
}
COUNTRY = {"code": "VN", "name": "Việt Nam", "level": "country", "country": "VN"}
VN_REGIONS: list[dict] = [dict(COUNTRY)] + [
    {"code": f"VN{gso}", "name": name, "level": "province", "parent": "VN", "country": "VN"}
    for gso, name, _, _, _ in PROVINCES.values()
]

_VALID_FROM = {"QCVN 40:2011/BTNMT": "2012-03-15", "QCVN 19:2009/BTNMT": "2010-01-01"}  # [R], see the seed
_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


# --------------------------------------------------------------------------- station parameters


@dataclass(frozen=True)
class _Param:
    name: str           # as written in the station file
    unit: str
    factor: str | None  # canonical HJ 212 code (None: no code in the catalogue)
    scale: float        # canonical = value × scale + offset
    offset: float
    source: str | None  # profile channel driving the signal (None: derived)
    src_lo: float
    src_hi: float
    lo: float           # Vietnamese range of the signal [unit]
    hi: float
    range_hi: float     # analyser range high, canonical unit (registry)
    range_lo: float = 0.0
    analyser: bool = False  # calibrated daily (status 01 during calibration)


_WATER_PARAMS = (
    _Param("Flow_In", "m3/h", None, 1.0, 0.0, None, 0, 0, 0, 0, 0.0),
    _Param("Flow_Out", "m3/h", "w00000", 1 / 3.6, 0.0, "w00000", 0, 0, 0, 0, 0.0),
    _Param("Temp", "oC", "w01010", 1.0, 0.0, "w21001", 5.0, 15.0, 26.0, 34.0, 60.0),
    _Param("pH", "", "w01001", 1.0, 0.0, "w01001", 6.5, 8.5, 6.6, 8.2, 14.0),
    _Param("TSS", "mg/L", "w01012", 1.0, 0.0, "w21011", 0.1, 0.8, 15.0, 70.0, 500.0, analyser=True),
    _Param("COD", "mg/L", "w01018", 1.0, 0.0, "w01018", 20.0, 60.0, 40.0, 130.0, 1000.0, analyser=True),
    _Param("NH4+", "mg/L", "w21003", 1.0, 0.0, "w21003", 0.5, 5.0, 1.0, 8.0, 100.0, analyser=True),
)
_GAS_PARAMS = (
    _Param("Flow", "m3/h", "a00000", 1 / 3600, 0.0, "a00000", 0, 0, 0, 0, 0.0),
    _Param("Temp", "oC", "a01012", 1.0, 0.0, "a01012", 120.0, 140.0, 120.0, 140.0, 300.0),
    _Param("Pressure", "kPa", "a01013", 1.0, -101.325, "a01013", -0.3, 0.3, 101.025, 101.625, 5.0, -5.0),
    _Param("O2", "%", "a19001", 1.0, 0.0, "a19001", 5.5, 8.0, 6.0, 11.0, 25.0, analyser=True),
    _Param("Dust", "mg/Nm3", "a34013", 1.0, 0.0, "a34013", 3.0, 8.0, 20.0, 90.0, 500.0, analyser=True),
    _Param("SO2", "mg/Nm3", "a21026", 1.0, 0.0, "a21026", 15.0, 35.0, 120.0, 380.0, 2000.0, analyser=True),
    _Param("NOx", "mg/Nm3", "a21002", 1.0, 0.0, "a21002", 30.0, 50.0, 200.0, 520.0, 2000.0, analyser=True),
    _Param("CO", "mg/Nm3", "a21005", 1.0, 0.0, "a01014", 8.0, 12.0, 40.0, 260.0, 2000.0, analyser=True),
)


# --------------------------------------------------------------------------- tax codes


def mst_check_digit(first_nine: str) -> int | None:
    """Check digit of a Vietnamese tax code (MST) from its first nine digits; None if none exists.

    :math:`c = 10 - (31 d_1 + 29 d_2 + 23 d_3 + 19 d_4 + 17 d_5 + 13 d_6 + 7 d_7 + 5 d_8 + 3 d_9) \\bmod 11`;
    a result of 10 means no valid code has these nine digits.

    Examples
    --------
    >>> mst_check_digit("010004751")
    6
    """
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError(f"{first_nine!r} is not nine digits")
    c = 10 - sum(w * int(d) for w, d in zip(_MST_WEIGHTS, first_nine)) % 11
    return None if c == 10 else c


def is_valid_mst(code: str) -> bool:
    """A 10-digit MST, or 13 digits (``-`` allowed before the 3-digit branch number), with a right check
    digit, a province other than 00, a serial other than 0000000 and a branch other than 000."""
    digits = code.replace("-", "")
    if len(digits) not in (10, 13) or not digits.isdigit():
        return False
    if digits[:2] == "00" or digits[2:9] == "0000000" or digits[10:] == "000":
        return False
    return mst_check_digit(digits[:9]) == int(digits[9])


def _mst(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        nine = prefix + f"{rng.randint(1, 9_999_999):07d}"
        c = mst_check_digit(nine)
        if c is not None and nine + str(c) not in used:
            used.add(nine + str(c))
            return nine + str(c)


# --------------------------------------------------------------------------- fleet


@dataclass(frozen=True)
class _Industry:
    vsic: str
    prefix: str          # company name: "Công ty Cổ phần <prefix> <trade>"
    letter: str          # facility code letter(s)
    water: tuple[int, int]
    gas: tuple[int, int]
    weight: float


_INDUSTRIES = (
    _Industry("1313 Hoàn thiện sản phẩm dệt (dệt nhuộm)", "Dệt nhuộm", "DN", (1, 1), (0, 1), 1.5),
    _Industry("1701 Sản xuất bột giấy, giấy và bìa", "Giấy", "GI", (1, 1), (1, 1), 1.0),
    _Industry("1072 Sản xuất đường", "Mía đường", "MD", (1, 1), (1, 1), 0.7),
    _Industry("1103 Sản xuất bia và mạch nha ủ men bia", "Bia", "BI", (1, 1), (0, 1), 0.7),
    _Industry("2011 Sản xuất hoá chất cơ bản", "Hóa chất", "HC", (1, 1), (1, 1), 0.8),
    _Industry("2410 Sản xuất sắt, thép, gang", "Thép", "TH", (0, 1), (1, 2), 1.0),
    _Industry("2394 Sản xuất xi măng, vôi và thạch cao", "Xi măng", "XM", (0, 0), (1, 2), 0.8),
    _Industry("3511 Sản xuất điện (nhiệt điện)", "Nhiệt điện", "ND", (0, 1), (1, 2), 0.6),
    _Industry("3700 Thoát nước và xử lý nước thải (khu công nghiệp)", "Hạ tầng KCN", "KC", (1, 1), (0, 0), 1.2),
)
_TRADE = ("Phú Hưng", "Minh Phát", "Hoàng Long", "An Bình", "Thành Công", "Việt Thắng", "Tân Tiến", "Hải Âu",
          "Đại Việt", "Hưng Thịnh", "Phúc An", "Bảo Long", "Trường Sơn", "Kim Ngân", "Đông Á", "Sao Mai",
          "Hồng Hà", "Thái Sơn", "Nam Việt", "Quang Minh", "Thiên Phúc", "Vạn Xuân", "Lạc Hồng", "Hòa Bình")
_FORMS = ("Công ty Cổ phần", "Công ty TNHH", "Công ty TNHH MTV")


def _ascii_initials(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(w[0] for w in plain.split()).upper()


def demo_vn_fleet(n: int, *, seed: int = 1, password: str | None = None, province: str | None = None) -> dict:
    """A deterministic demo registry of ``n`` Vietnamese monitoring stations.

    Parameters
    ----------
    n : int
        Number of stations (points); about half wastewater (``(n + 1) // 2``), the rest exhaust.
    seed : int, default 1
    password : str, optional
        Transmission (FTP) password of every station; default: a seeded 10-character password each.
    province : str, optional
        A letter code of :data:`DISTRICTS` (``"BN"``): every facility lies in that one province, as on a
        DONRE's platform, two by two in its districts (regions of level ``county`` under the province, code
        ``VN`` + province + district, e.g. ``VN27258``), in the district's industrial zone when it has one
        (``industrial_zone`` of the enterprise, ignored by the registry importer; None outside a zone).
        Default: the facilities spread over the provinces of :data:`PROVINCES`, no districts.

    Returns
    -------
    dict
        ``{"regions": [...], "enterprises": [...]}`` in the registry import format (see
        :func:`ecosentry.subsystems.monitoring.simulate.fleet.demo_fleet`): regions ``VN`` and ``VN01`` ... with ``country: VN``;
        enterprises with ``credit_code`` = 10-digit MST; one outlet per station (``NT1``... wastewater,
        ``KT1``... exhaust) with one point: ``mn`` = station key ``Province_Facility_Station``,
        ``st`` 32 / 31, ``tz`` Asia/Ho_Chi_Minh, ``min_interval`` 5, factors with ranges and QCVN limits,
        plus ``vn_parameters`` (name/unit → factor mapping), ``qcvn`` and ``simulation`` (ignored by the
        importer).

    Raises
    ------
    ValueError
        If ``n`` is negative.
    """
    if n < 0:
        raise ValueError("n must be ≥ 0")
    rng = random.Random(f"vn-fleet|{seed}")
    need_water, need_gas = (n + 1) // 2, n // 2
    enterprises: list[dict] = []
    used_mst: set[str] = set()
    used_names: set[str] = set()
    used_fac: set[tuple[str, str]] = set()
    if province is not None and province not in DISTRICTS:
        raise ValueError(f"province must be one of {', '.join(DISTRICTS)}, not {province!r}")
    provinces = [province] if province else list(PROVINCES)
    while need_water + need_gas > 0:
        pool = [i for i in _INDUSTRIES if (need_water and i.water[1]) or (need_gas and i.gas[1])]
        ind = rng.choices(pool, weights=[i.weight for i in pool])[0]
        n_water = min(rng.randint(*ind.water), need_water)
        n_gas = min(rng.randint(*ind.gas), need_gas)
        if n_water + n_gas == 0:
            if need_water and ind.water[1]:
                n_water = 1
            else:
                n_gas = 1
        need_water -= n_water
        need_gas -= n_gas
        prov = provinces[len(enterprises) % len(provinces)] if len(enterprises) < len(provinces) \
            else rng.choice(provinces)
        gso, prov_name, lon0, lat0, mst_prefix = PROVINCES[prov]
        for _ in range(1000):
            trade = rng.choice(_TRADE)
            name = f"{rng.choice(_FORMS)} {ind.prefix} {trade}"
            if name not in used_names:
                break
        else:
            trade = f"{rng.choice(_TRADE)} {len(enterprises) + 1}"
            name = f"{_FORMS[0]} {ind.prefix} {trade}"
        used_names.add(name)
        facility = (ind.letter + _ascii_initials(trade))[:6]
        k = 1
        while (prov, facility) in used_fac:
            k += 1
            facility = (ind.letter + _ascii_initials(trade))[:5] + str(k)
        used_fac.add((prov, facility))
        region, zone_name, spread = f"VN{gso}", None, (0.08, 0.06)
        if province:
            dcode, _, lon0, lat0, zone_name = DISTRICTS[province][(len(enterprises) // 2) % len(DISTRICTS[province])]
            region, spread = f"VN{gso}{dcode}", (0.02, 0.015)
        lon = round(lon0 + rng.uniform(-spread[0], spread[0]), 6)
        lat = round(lat0 + rng.uniform(-spread[1], spread[1]), 6)
        outlets = []
        for i in range(1, n_water + 1):
            outlets.append(_water_station(rng, prov, facility, i, lon, lat, password))
        for i in range(1, n_gas + 1):
            outlets.append(_gas_station(rng, prov, facility, i, lon, lat, password))
        mst = _mst(rng, mst_prefix, used_mst)
        lot = f"Lô {rng.choice('ABCDEFGH')}{rng.randint(1, 40)}"
        zone_text = zone_name or f"Khu công nghiệp số {rng.randint(1, 6)}"
        address = f"{lot}, {zone_text}, {prov_name}"
        if province:
            district = next(d[1] for d in DISTRICTS[province] if region.endswith(d[0]))
            address = f"{lot}, {zone_name}, {district}, {prov_name}" if zone_name else \
                f"Số {rng.randint(1, 300)} đường {rng.choice(_TRADE)}, {district}, {prov_name}"
        enterprises.append({
            "credit_code": mst,
            "name": name,
            "industry": ind.vsic,
            "region": region,
            "address": address,
            **({"industrial_zone": zone_name} if province else {}),   # for the register (None: outside a zone)
            "lon": lon,
            "lat": lat,
            "outlets": outlets,
        })
    used_regions = {e["region"] for e in enterprises}
    if province:
        gso = PROVINCES[province][0]
        used_regions.add(f"VN{gso}")
    regions = [dict(r) for r in VN_REGIONS if r["code"] == "VN" or r["code"] in used_regions]
    if province:
        gso = PROVINCES[province][0]
        regions += [{"code": f"VN{gso}{d}", "name": name, "level": "county", "parent": f"VN{gso}", "country": "VN"}
                    for d, name, _, _, _ in DISTRICTS[province] if f"VN{gso}{d}" in used_regions]
    return {"regions": regions, "enterprises": enterprises}


def _password(rng: random.Random, password: str | None) -> str:
    if password is not None:
        return password
    return "".join(rng.choice("abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY2345679") for _ in range(10))


def _mapping(params) -> list[dict]:
    return [{"name": p.name, "unit": p.unit, "factor": p.factor, "scale": p.scale, "offset": p.offset}
            for p in params]


def _water_station(rng, prov, facility, i, lon, lat, password) -> dict:
    station = "NUOSXL" if i == 1 else f"NUOSX{i}"
    key = f"{prov}_{facility}_{station}"
    design_m3h = round(math.exp(rng.uniform(math.log(10.0), math.log(250.0))), 1)   # 240–6 000 m³/day
    river_q = round(math.exp(rng.uniform(math.log(10.0), math.log(800.0))), 1)       # m³/s
    kq = float(kq_for_receiving_water("river", river_q))
    kf = float(kf_for_flow(design_m3h * 24))
    standard, column = "QCVN 40:2011/BTNMT", "B"
    seeded = {lim.factor: lim for lim in qcvn_limits(standard, column)}
    factors = []
    for p in _WATER_PARAMS:
        if p.factor is None:
            continue
        high = round(design_m3h * 2.0 / 3.6, 1) if p.factor == "w00000" else p.range_hi
        limits = []
        if p.factor in seeded:
            b = cmax(seeded[p.factor], kq=kq, kf=kf)
            ks = f", Kq {kq:g}, Kf {kf:g}" if seeded[p.factor].k else ""
            limits.append({"kind": "day", "upper": round(b.upper, 4), "lower": b.lower,
                           "valid_from": _VALID_FROM[standard], "standard": f"{standard} cột {column}{ks}"})
        factors.append({"code": p.factor, "range": [p.range_lo, high], "limits": limits})
    return {
        "code": f"NT{i}",
        "name": f"Cửa xả nước thải sau xử lý số {i}",
        "medium": "water",
        "lon": round(lon + rng.uniform(-0.003, 0.003), 6),
        "lat": round(lat + rng.uniform(-0.003, 0.003), 6),
        "points": [{
            "mn": key, "password": _password(rng, password), "st": "32",
            "name": f"Trạm quan trắc nước thải tự động số {i}", "tz": TZ, "min_interval": INTERVAL_MIN,
            "rtd_interval": 30, "factors": factors,
            "vn_parameters": _mapping(_WATER_PARAMS),
            "qcvn": {"standard": standard, "column": column, "kq": kq, "kf": kf,
                     "receiving_water": {"kind": "river", "q_m3_per_s": river_q},
                     "discharge_m3_per_day": round(design_m3h * 24, 1)},
            "simulation": {"medium": "water", "design_m3h": design_m3h,
                           "inflow_ratio": round(rng.uniform(1.03, 1.08), 3)},
        }],
    }


def _gas_station(rng, prov, facility, i, lon, lat, password) -> dict:
    station = f"KHIOK{i}"
    key = f"{prov}_{facility}_{station}"
    area = round(rng.uniform(0.4, 3.0), 2)                      # m²; × 10–15 m/s → 14 000–160 000 m³/h
    design_m3h = round(area * 12.5 * 3600, 0)
    zone = rng.choice((2, 3, 3, 3, 4))
    kp = float(kp_for_flow(design_m3h))
    kv = kv_for_zone(zone)
    standard, column = "QCVN 19:2009/BTNMT", "B"
    seeded = {lim.factor: lim for lim in qcvn_limits(standard, column)}
    factors = []
    for p in _GAS_PARAMS:
        high = round(area * 40.0, 1) if p.factor == "a00000" else p.range_hi
        limits = []
        if p.factor in seeded:
            b = cmax(seeded[p.factor], kp=kp, kv=kv)
            for kind in ("hour", "day"):
                limits.append({"kind": kind, "upper": round(b.upper, 4), "lower": None,
                               "valid_from": _VALID_FROM[standard],
                               "standard": f"{standard} cột {column}, Kp {kp:g}, Kv {kv:g}"})
        factors.append({"code": p.factor, "range": [p.range_lo, high], "limits": limits})
    return {
        "code": f"KT{i}",
        "name": f"Ống khói lò hơi số {i}",
        "medium": "gas",
        "lon": round(lon + rng.uniform(-0.003, 0.003), 6),
        "lat": round(lat + rng.uniform(-0.003, 0.003), 6),
        "ref_o2": None,      # QCVN 19:2009: no reference O2 [R]
        "duct_area": area,
        "height": float(rng.randint(25, 80)),
        "points": [{
            "mn": key, "password": _password(rng, password), "st": "31",
            "name": f"Trạm quan trắc khí thải tự động ống khói số {i}", "tz": TZ,
            "min_interval": INTERVAL_MIN, "rtd_interval": 30, "factors": factors,
            "vn_parameters": _mapping(_GAS_PARAMS),
            "qcvn": {"standard": standard, "column": column, "kp": kp, "kv": kv, "zone": zone,
                     "design_flow_m3_per_h": design_m3h},
            "simulation": {"medium": "gas", "duct_area": area},
        }],
    }


# --------------------------------------------------------------------------- files


class SimulatedFile(NamedTuple):
    """What the uploader needs: station key, file name, bytes, and when to upload (aware, UTC)."""

    station_key: str
    filename: str
    data: bytes
    upload_at: datetime


class StationFile(NamedTuple):
    """A :class:`SimulatedFile` with what was done to it (for tests and demos).

    ``kind``: ``ok``, ``variant:<bom|crlf|header|unit_case>`` (still valid) or ``malformed:<reason>``;
    ``expected_reason``: the parser's rejection reason, or None; ``late``: uploaded > 5 min after
    ``measured_at`` (naive local time).
    """

    station_key: str
    filename: str
    data: bytes
    upload_at: datetime
    measured_at: datetime
    kind: str
    expected_reason: str | None
    late: bool
    statuses: tuple[str, ...]


MALFORMED_KINDS = ("bad_name", "bad_line", "time_mismatch", "bad_status")

#: What a misbehaving demo station does (``points[].simulation.behaviour``), so a new user of the demo sees
#: each case the DONRE controls within minutes (issue 14 item 7), whatever the shares given to the others:
#:
#: ``missing``     a quarter of its 5-minute files are never sent (seeded per slot): ALM-DATA-MISSING;
#: ``late``        half its files are uploaded 6–20 min after their time (Art. 39 wants ≤ 5 min);
#: ``malformed``   15 % of its files are spoiled (one of :data:`MALFORMED_KINDS`): rejected with the reason;
#: ``backfill``    an outage of 75 min in every 3 hours of local time (minutes 60–134 of each block of
#:                 180 from midnight); the held files are uploaded together 140–141 min into the block, so
#:                 the first four come > 60 min late (back-fill), the rest late;
#: ``exceedance``  SO2 at 1.3–1.7 × its QCVN limit (the station's hourly ``a21026`` limit) for one hour in
#:                 every six (local hours 03, 09, 15, 21) and over ``simulation.episodes`` (``[start, end)``
#:                 ISO pairs: the demo stages one at start, like the Chinese demo's staged SO2 violation);
#: ``status``      calibration (status 01 on the analysers) 00–14 min past every even local hour and a device
#:                 error (status 02 on every parameter) 30–39 min past hours 1, 4, 7 … (hour % 3 == 1).
BEHAVIOURS = ("missing", "late", "malformed", "backfill", "exceedance", "status")
_BACKFILL_BLOCK, _OUTAGE_FROM, _OUTAGE_TO, _BACKFILL_AT = 180, 60, 135, 140   # minutes of local time
VARIANT_KINDS = ("bom", "crlf", "header", "unit_case")


@dataclass
class _Station:
    key: str
    name: VnFileName
    medium: str
    params: tuple[_Param, ...]
    profile: PointProfile
    design_m3h: float | None
    inflow_ratio: float
    src_flow_lo: float
    src_flow_hi: float
    behaviour: str | None = None
    so2_limit: float | None = None
    episodes: tuple[tuple[datetime, datetime], ...] = ()


def _stations(fleet: dict) -> list[_Station]:
    out = []
    for e in fleet.get("enterprises") or []:
        for o in e.get("outlets") or []:
            for p in o.get("points") or []:
                sim = p.get("simulation")
                if not sim:
                    continue
                prov, fac, sta = p["mn"].split("_")
                name = VnFileName(prov, fac, sta, datetime(2000, 1, 1))
                behaviour = sim.get("behaviour")
                if behaviour is not None and behaviour not in BEHAVIOURS:
                    raise ValueError(f"station {p['mn']}: behaviour must be one of {', '.join(BEHAVIOURS)}, "
                                     f"not {behaviour!r}")
                extra = dict(behaviour=behaviour, so2_limit=_hour_limit(p, "a21026"),
                             episodes=tuple((_local(datetime.fromisoformat(a)), _local(datetime.fromisoformat(b)))
                                            for a, b in sim.get("episodes") or ()))
                if sim["medium"] == "water":
                    prof = water_profile(p["mn"], tz=TZ)
                    out.append(_Station(p["mn"], name, "water", _WATER_PARAMS, prof, sim["design_m3h"],
                                        sim.get("inflow_ratio", 1.05), 0.5 * prof.design_flow,
                                        1.3 * prof.design_flow, **extra))
                else:
                    prof = gas_profile(p["mn"], ref_o2=None, duct_area=sim["duct_area"], wet_fgd=False, tz=TZ)
                    out.append(_Station(p["mn"], name, "gas", _GAS_PARAMS, prof, None, 1.0, 0.0, 0.0, **extra))
    return sorted(out, key=lambda s: s.key)


def _hour_limit(point: dict, factor: str) -> float | None:
    for f in point.get("factors") or []:
        if isinstance(f, dict) and f.get("code") == factor:
            for lim in f.get("limits") or []:
                if lim.get("kind") == "hour" and lim.get("upper") is not None:
                    return float(lim["upper"])
    return None


def _rng(*parts) -> random.Random:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


def _local(t: datetime) -> datetime:
    """Aware → naive Vietnam time; naive is taken as Vietnam time already."""
    return t.astimezone(_ZONE).replace(tzinfo=None) if t.tzinfo is not None else t


def _values(st: _Station, t: datetime) -> dict[str, float]:
    raw = st.profile.sample(t.replace(tzinfo=_ZONE))
    out = {}
    for p in st.params:
        if st.medium == "water" and p.name in ("Flow_Out", "Flow_In"):
            u = (raw["w00000"] - st.src_flow_lo) / (st.src_flow_hi - st.src_flow_lo)
            flow = st.design_m3h * (0.6 + 0.7 * min(max(u, 0.0), 1.0))
            out[p.name] = flow * (st.inflow_ratio if p.name == "Flow_In" else 1.0)
        elif p.source == "a00000":
            out[p.name] = raw["a00000"] * 3600.0
        else:
            u = (raw[p.source] - p.src_lo) / (p.src_hi - p.src_lo)
            out[p.name] = p.lo + min(max(u, 0.0), 1.0) * (p.hi - p.lo)
    return out


def iter_station_files_detailed(fleet: dict, start: datetime, end: datetime, seed: int = 1,
                                late_share: float = 0.05, malformed_share: float = 0.02, *,
                                error_share: float = 0.01, calibration: bool = True,
                                variant_share: float = 0.0) -> Iterator[StationFile]:
    """Like :func:`iter_station_files`, with what was done to each file (:class:`StationFile`)."""
    for share, what in ((late_share, "late_share"), (malformed_share, "malformed_share"),
                        (error_share, "error_share"), (variant_share, "variant_share")):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{what} must be within [0, 1], not {share!r}")
    stations = _stations(fleet)
    t0, t1 = _local(start), _local(end)
    step = timedelta(minutes=INTERVAL_MIN)
    first = t0.replace(second=0, microsecond=0)
    first = first.replace(minute=first.minute // INTERVAL_MIN * INTERVAL_MIN)
    if first < t0:
        first += step
    t = first
    while t < t1:
        for st in stations:
            if st.behaviour == "missing" and _rng(seed, st.key, f"{t:%Y%m%d%H%M%S}", "missing").random() < 0.25:
                continue   # never sent
            yield _file(st, t, seed, late_share, malformed_share, error_share, calibration, variant_share)
        t += step


def iter_station_files(fleet: dict, start: datetime, end: datetime, seed: int = 1, late_share: float = 0.05,
                       malformed_share: float = 0.02, **options) -> Iterator[SimulatedFile]:
    """Every station's file for every 5-minute slot in ``[start, end)``.

    Parameters
    ----------
    fleet : dict
        From :func:`demo_vn_fleet` (points without a ``simulation`` entry are skipped).
    start, end : datetime
        Aware, or naive Vietnam local time. Slots on the 5-minute grid of local time.
    seed : int, default 1
        Same seed, same files (values, defects and delays), whatever the window or iteration order.
    late_share : float, default 0.05
        Share of files uploaded 6–120 min after their measurement time (Art. 39 wants ≤ 5 min); the
        others 3–90 s after.
    malformed_share : float, default 0.02
        Share of files spoiled in one of :data:`MALFORMED_KINDS` (bad name, a line split by spaces, a
        line time unequal to the name, status ``03``).
    **options
        ``error_share`` (default 0.01: one parameter with status 02), ``calibration`` (default True: a
        15-minute daily calibration of the analysers at a seeded time, status 01), ``variant_share``
        (default 0: accepted variants — BOM, CRLF, header line, ``mg/l``).

    Yields
    ------
    SimulatedFile
        ``(station_key, filename, data, upload_at)`` in measurement-time order, stations sorted by key;
        ``upload_at`` aware UTC (late files therefore come out of order if sorted by upload time).
    """
    for f in iter_station_files_detailed(fleet, start, end, seed, late_share, malformed_share, **options):
        yield SimulatedFile(f.station_key, f.filename, f.data, f.upload_at)


def _file(st: _Station, t: datetime, seed, late_share, malformed_share, error_share, calibration,
          variant_share) -> StationFile:
    rng = _rng(seed, st.key, f"{t:%Y%m%d%H%M%S}")
    values = _values(st, t)
    statuses = {p.name: "00" for p in st.params}
    if calibration:
        day_rng = _rng(seed, st.key, f"{t:%Y%m%d}", "calibration")
        cal_start = t.replace(hour=day_rng.randint(1, 22), minute=day_rng.randrange(0, 60, INTERVAL_MIN))
        if cal_start <= t < cal_start + timedelta(minutes=15):
            for p in st.params:
                if p.analyser:
                    statuses[p.name] = "01"
    if rng.random() < error_share:
        statuses[rng.choice(st.params).name] = "02"
    if st.behaviour == "status":
        if t.hour % 2 == 0 and t.minute < 15:
            statuses.update({p.name: "01" for p in st.params if p.analyser})
        if t.hour % 3 == 1 and 30 <= t.minute < 40:
            statuses.update({p.name: "02" for p in st.params})
    if st.behaviour == "exceedance" and st.so2_limit and "SO2" in values and (
            t.hour % 6 == 3 or any(a <= t < b for a, b in st.episodes)):
        values["SO2"] = st.so2_limit * _rng(seed, st.key, f"{t:%Y%m%d%H%M%S}", "so2").uniform(1.3, 1.7)
    if st.behaviour == "late":
        late_share = 0.5
    elif st.behaviour == "malformed":
        malformed_share = 0.15
    name = VnFileName(st.name.province, st.name.facility, st.name.station, t)
    filename, data = write_file(name, [(p.name, values[p.name], p.unit, statuses[p.name]) for p in st.params])
    kind, reason = "ok", None
    if rng.random() < malformed_share:
        spoil = rng.choice(MALFORMED_KINDS)
        filename, data = _spoil(spoil, rng, name, filename, data)
        kind, reason = f"malformed:{spoil}", spoil
    elif rng.random() < variant_share:
        variant = rng.choice(VARIANT_KINDS)
        data = _variant(variant, data)
        kind = f"variant:{variant}"
    late = rng.random() < late_share
    delay = timedelta(seconds=rng.uniform(6 * 60, (20 if st.behaviour == "late" else 120) * 60) if late
                      else rng.uniform(3, 90))
    if st.behaviour == "backfill":
        minute = t.hour * 60 + t.minute
        block, offset = divmod(minute, _BACKFILL_BLOCK)
        if _OUTAGE_FROM <= offset < _OUTAGE_TO:
            back = t.replace(hour=0, minute=0) + timedelta(minutes=block * _BACKFILL_BLOCK + _BACKFILL_AT)
            delay = back - t + timedelta(seconds=rng.uniform(0, 60))
            late = True
    upload_at = (t.replace(tzinfo=_ZONE) + delay).astimezone(timezone.utc)
    return StationFile(st.key, filename, data, upload_at, t, kind, reason, late,
                       tuple(statuses[p.name] for p in st.params))


def _spoil(kind: str, rng: random.Random, name: VnFileName, filename: str, data: bytes) -> tuple[str, bytes]:
    lines = data.decode("utf-8").split("\n")[:-1]
    i = rng.randrange(len(lines))
    fields = lines[i].split("\t")
    if kind == "bad_name":
        return f"{name.station_key}_{name.time:%Y%m%d%H%M}.txt", data     # minutes only: 12 digits
    if kind == "bad_line":
        lines[i] = " ".join(f or "-" for f in fields)
    elif kind == "time_mismatch":
        fields[3] = f"{name.time + timedelta(minutes=INTERVAL_MIN):%Y%m%d%H%M%S}"
        lines[i] = "\t".join(fields)
    elif kind == "bad_status":
        fields[4] = "03"
        lines[i] = "\t".join(fields)
    return filename, ("\n".join(lines) + "\n").encode("utf-8")


def _variant(kind: str, data: bytes) -> bytes:
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if kind == "header":
        return b"Parameter\tValue\tUnit\tTime\tStatus\n" + data
    return data.replace(b"\tmg/L\t", b"\tmg/l\t").replace(b"\tmg/Nm3\t", b"\tmg/nm3\t")
