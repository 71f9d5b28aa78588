"""Shared pieces of the parameter-mapping page tests: two Vietnamese facilities with one chimney station each
(QCVN 19:2009/BTNMT limits), the DONRE and facility accounts, station files written by hand."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ecosentry.auth import accounts
from ecosentry.fleet import import_fleet
from ecosentry.store import schema as s

from work_world import PASSWORD

VN = ZoneInfo("Asia/Ho_Chi_Minh")
KHI = "HN_MINHPHAT_KHI1"
KHI_OTHER = "HN_DONGA_KHI1"
QCVN19 = "QCVN 19:2009/BTNMT cột B, Kp 1, Kv 1"


def _gas_point(mn: str, name: str) -> dict:
    return {"mn": mn, "password": "pw-" + mn[-4:], "st": "31", "name": name, "tz": "Asia/Ho_Chi_Minh",
            "min_interval": 5,
            "factors": [{"code": "a01012", "range": [0, 300]}, {"code": "a01013", "range": [-5, 5]},
                        {"code": "a21026", "range": [0, 2000], "limits": [
                            {"kind": "hour", "upper": 500.0, "valid_from": "2010-01-01", "standard": QCVN19}]},
                        "a00000", "a34013"]}


FLEET = {
    "regions": [{"code": "VN", "name": "Việt Nam", "level": "country", "country": "VN"},
                {"code": "VN01", "name": "Thành phố Hà Nội", "level": "province", "parent": "VN", "country": "VN"}],
    "enterprises": [
        {"credit_code": "0144620082", "name": "Công ty Hóa chất Minh Phát", "region": "VN01",
         "outlets": [{"code": "KT1", "name": "Ống khói lò hơi số 1", "medium": "gas",
                      "points": [_gas_point(KHI, "Trạm khí thải ống khói số 1")]}]},
        {"credit_code": "0100000001", "name": "Công ty Thép Đông Á", "region": "VN01",
         "outlets": [{"code": "KT1", "name": "Ống khói lò nung", "medium": "gas",
                      "points": [_gas_point(KHI_OTHER, "Trạm khí thải lò nung")]}]},
    ],
}


LINES = [("Pressure", "101.42", "kPa"), ("Temp", "130.0", "oC"), ("Nong do SO2", "100", "ppm"),
         ("Flow_In", "5400", "m3/h")]



def populate(engine: Engine) -> dict[str, int]:
    """Import the fleet and create the accounts ``donre`` (regulator, VN01), ``minhphat`` and ``donga``
    (enterprise); returns point id by MN."""
    import_fleet(engine, FLEET)
    with engine.connect() as conn:
        points = dict(conn.execute(select(s.points.c.mn, s.points.c.id)).all())
        ents = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    accounts.create_user(engine, username="donre", role="regulator", password=PASSWORD, actor="test",
                         region_code="VN01", display_name="Sở TN&MT Hà Nội")
    accounts.create_user(engine, username="minhphat", role="enterprise", password=PASSWORD, actor="test",
                         enterprise_id=ents["0144620082"])
    accounts.create_user(engine, username="donga", role="enterprise", password=PASSWORD, actor="test",
                         enterprise_id=ents["0100000001"])
    return points


def station_file(station: str, t: datetime, lines=None) -> tuple[str, bytes]:
    """A file ``<station>_<yyyyMMddHHmmss>.txt`` at ``t`` (station local time), status 00 on every line."""
    local = t.astimezone(VN).replace(tzinfo=None)
    ts = f"{local:%Y%m%d%H%M%S}"
    body = "".join(f"{p}\t{v}\t{u}\t{ts}\t00\r\n" for p, v, u in (lines or LINES))
    return f"{station}_{ts}.txt", body.encode()
