"""A migrated database (SQLite, PostgreSQL) with one graded enterprise, its gate, its gate device and a
vehicle register of mixed stages, imported through the registry import (``gates:`` of a fleet file)."""

from __future__ import annotations

import base64
import struct
import zlib

from sqlalchemy import insert

from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.gates.store.registry import import_gates

CREDIT = "91141000MA0GATE001"
TOKEN = "gate-device-token-0001-abcdefghijkl"
OTHER_TOKEN = "gate-device-token-0002-retired-xyzw"
#: Registered trucks: 国四 diesel, 国五 diesel, 国六 diesel, an electric one.
STAGE4, STAGE5, STAGE6, ELECTRIC = "晋A12344", "晋A12345", "晋A12346", "晋AD12347"

FLEET = {"gates": {"enterprises": [{
    "credit_code": CREDIT, "grade": "B", "small_volume_exempt": False,
    "gates": [{"code": "G1", "name": "东门", "barrier": True,
               "cameras": [{"code": "CAM1", "kind": "plate"}, {"code": "CAM2", "kind": "video"}],
               "devices": [{"code": "GD-0001", "token": TOKEN}]},
              {"code": "G2", "name": "侧门", "side": True,
               "devices": [{"code": "GD-0002", "token": OTHER_TOKEN, "active": False}]}],
    "loading_places": [{"code": "L1", "name": "原料库", "cameras": [{"code": "CAM3", "kind": "video"}]}],
    "vehicles": [
        {"plate": STAGE4, "plate_colour": "yellow", "vin": "LZZ1CLVB5KA123456", "fuel": "diesel",
         "emission_stage": "国四", "registration_date": "2015-03-01", "owner": "临汾运输公司"},
        {"plate": STAGE5, "plate_colour": "yellow", "vin": "LZZ1CLVB7KA123457", "fuel": "柴油",
         "emission_stage": "5", "owner": "临汾运输公司"},
        {"plate": STAGE6, "plate_colour": "yellow", "emission_stage": "国六", "fuel": "diesel"},
        {"plate": ELECTRIC, "plate_colour": "green", "emission_stage": "d", "fuel": "electric", "in_plant": True}],
    "machinery": [{"registration_code": "14100012345", "emission_stage": "x", "machine_code": "ZL50",
                   "production_date": "2018-03-01"}],
}]}}


def gates_database(url: str):
    """The engine of the migrated database with the enterprise (region 临汾市) and its gates registry."""
    engine = prepare_database(url)
    with engine.begin() as c:
        c.execute(insert(s.regions), [{"code": "140000", "name": "山西省", "level": "province", "parent_code": None},
                                      {"code": "141000", "name": "临汾市", "parent_code": "140000", "level": "city"}])
        c.execute(insert(s.enterprises).values(credit_code=CREDIT, name="临汾焦化", region_code="141000"))
        import_gates(c, FLEET, "test")
    return engine


def png(seed: int = 0) -> bytes:
    """A real 1×1 PNG (its colour from ``seed``)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00" + bytes([seed % 256, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
