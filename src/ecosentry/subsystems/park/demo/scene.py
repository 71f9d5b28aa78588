"""The demo park (issue 17 item 7): a dozen enterprises with their sources of hazardous substances, boundary
(厂界) and park-edge stations, a met station, a school and a village, laid out in park metres around the park of
the demo fleet's ``park`` account, as one registry import document (core ``enterprises:`` + ``park:``).

Made up: names, credit codes (valid check characters, GB 32100-2015), MNs, positions."""

from __future__ import annotations

from dataclasses import dataclass

from ecosentry.protocols.credit_code import credit_code_check_digit, organization_code_check_digit

#: The park's extent [m east, m north] and the HJ 212 password of every demo station.
WIDTH, HEIGHT = 4000.0, 3000.0
PASSWORD = "246810"
SUBSTANCES = ("Cl2", "NH3", "HCl", "H2S")
#: HJ 212 code of each pollutant (``factors.py``).
HJ212_CODE = {"Cl2": "a21022", "NH3": "a21001", "HCl": "a21024", "H2S": "a21028"}
_TRADES = ("氯碱", "合成氨", "盐酸", "精细化工", "农药", "染料", "医药中间体", "氟化工", "有机硅", "涂料", "橡胶助剂",
           "新材料")


@dataclass(frozen=True)
class Source:
    id: str
    enterprise: str
    name: str
    x: float
    y: float
    height: float
    substances: tuple[str, ...]


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    tier: str
    x: float
    y: float
    mn: str
    enterprise: str | None = None


def credit_code(region: str, serial: int) -> str:
    first8 = f"MA1PK{serial:03d}"
    first17 = "91" + region + first8 + organization_code_check_digit(first8)
    return first17 + credit_code_check_digit(first17)


def sources(region: str) -> list[Source]:
    """Twelve sources on a 4 × 3 grid, one per enterprise; each handles one or two of :data:`SUBSTANCES`."""
    out = []
    for i in range(12):
        col, row = i % 4, i // 4
        subs = (SUBSTANCES[i % 4],) if i % 3 else (SUBSTANCES[i % 4], SUBSTANCES[(i + 2) % 4])
        out.append(Source(f"S{i + 1:02d}", credit_code(region, i + 1), f"{_TRADES[i]}装置",
                          600.0 + 930.0 * col, 600.0 + 900.0 * row, 5.0 + 5.0 * (i % 3), subs))
    return out


def stations(srcs: list[Source]) -> list[Station]:
    """A boundary station 200 m north-west (downwind of the prevailing south-east wind) of every source, eight
    park-edge stations, a met station."""
    out = [Station(f"B{i + 1:02d}", f"{_TRADES[i]}厂界", "boundary", s.x - 140, s.y + 140,
                   f"PARKDEMOB{i + 1:02d}000000000", s.enterprise) for i, s in enumerate(srcs)]
    edge = [(0, 0), (WIDTH / 2, 0), (WIDTH, 0), (WIDTH, HEIGHT / 2), (WIDTH, HEIGHT), (WIDTH / 2, HEIGHT),
            (0, HEIGHT), (0, HEIGHT / 2)]
    names = ("西南角", "南边界", "东南角", "东边界", "东北角", "北边界", "西北角", "西边界")
    out += [Station(f"E{i + 1:02d}", f"园区{n}", "edge", x, y, f"PARKDEMOE{i + 1:02d}000000000")
            for i, ((x, y), n) in enumerate(zip(edge, names))]
    out.append(Station("M01", "园区气象站", "met", WIDTH / 2, HEIGHT / 2 - 300, "PARKDEMOM01000000000"))
    return out


def registry(park: str, park_name: str, region: str, origin: tuple[float, float]) -> dict:
    """The registry import document of the demo park (idempotent: upserts by credit code, park and id)."""
    srcs = sources(region)
    ents = [{"credit_code": s.enterprise, "name": f"{park_name.removesuffix('示范化工园区')}示范{s.name[:-2]}有限公司",
             "industry": "2600 化学原料和化学制品制造业", "region": region, "park": park,
             "lon": round(origin[0] + s.x / 94_000, 5), "lat": round(origin[1] + s.y / 111_000, 5)} for s in srcs]
    stas = []
    for st in stations(srcs):
        item = {"id": st.id, "name": st.name, "tier": st.tier, "x": st.x, "y": st.y, "mn": st.mn,
                "password": PASSWORD}
        if st.tier == "met":
            item["factors"] = ["a01007", "a01008", "a01001", "xPGSC"]
        else:
            item["factors"] = [HJ212_CODE[c] for c in SUBSTANCES]
            item["instruments"] = [{"model": "EC-4", "principle": "electrochemical", "range_mg_m3": 500}]
        if st.enterprise:
            item["enterprise"] = st.enterprise
        stas.append(item)
    doc = {"code": park, "origin": {"lon": origin[0], "lat": origin[1]}, "tz": "Asia/Shanghai",
           "notify_radius_m": 900,
           "boundary": [[0, 0], [WIDTH, 0], [WIDTH, HEIGHT], [0, HEIGHT]],
           "sources": [{"id": s.id, "enterprise": s.enterprise, "name": s.name, "x": s.x, "y": s.y,
                        "height": s.height, "substances": list(s.substances)} for s in srcs],
           "stations": stas,
           "receptors": [{"id": "R01", "name": "园区实验小学", "kind": "school", "x": WIDTH + 700, "y": HEIGHT * 0.6,
                          "population": 900},
                         {"id": "R02", "name": "沿江村", "kind": "village", "x": -600, "y": HEIGHT + 500,
                          "population": 1600}]}
    return {"enterprises": ents, "park": [doc]}
