"""What the park ingest and warning tests share: the park subsystem listed beside the installed ones (it is not in
INSTALLED yet), a fleet with a park, its enterprises, stations, a met station, receptors and accounts, and the
spool's envelopes read back."""

from __future__ import annotations

import copy

from ecosentry.contracts.envelope import Envelope
from ecosentry.installed import INSTALLED
from ecosentry.pipeline.spool import SpoolReader

NAMES = tuple(dict.fromkeys((*INSTALLED, "ecosentry.subsystems.park")))
PARK = "JSHG"
CHLOR, AMMON, FAR = "91320582MA1PARK001", "91320582MA1PARK002", "91320582MA1PARK003"
B01_MN, B01_PW = "PARKB01000000000000001", "135790"
E01_MN, E01_PW = "PARKE01000000000000001", "135791"
MET_MN, MET_PW = "PARKM01000000000000001", "135792"
MQTT_MN = "PARKQ01"

FLEET = {
    "regions": [{"code": "320000", "name": "江苏省", "level": "province"},
                {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"},
                {"code": "320582", "name": "张家港市", "level": "county", "parent": "320500"}],
    "parks": [{"code": PARK, "name": "扬子江国际化学工业园", "region": "320582"},
              {"code": "OTHER", "name": "另一个园区", "region": "320582"}],
    "enterprises": [
        {"credit_code": CHLOR, "name": "园区氯碱化工有限公司", "region": "320582", "park": PARK},
        {"credit_code": AMMON, "name": "园区合成氨有限公司", "region": "320582", "park": PARK},
        {"credit_code": FAR, "name": "园区东区精细化工有限公司", "region": "320582", "park": PARK},
        {"credit_code": "91320582MA1OTHER01", "name": "另一园区企业", "region": "320582", "park": "OTHER"}],
    "users": [{"username": "park-committee", "role": "park", "park": PARK, "password": "x-park-pass-1"},
              {"username": "chlor", "role": "enterprise", "enterprise": CHLOR, "password": "x-park-pass-2"},
              {"username": "far", "role": "enterprise", "enterprise": FAR, "password": "x-park-pass-3"}],
    "park": [{
        "code": PARK, "origin": {"lon": 120.52, "lat": 31.95}, "tz": "Asia/Shanghai", "notify_radius_m": 800,
        "boundary": [[0, 0], [3000, 0], [3000, 2500], [0, 2500]],
        "sources": [
            {"id": "S01", "enterprise": CHLOR, "name": "电解车间", "x": 800, "y": 1200, "height": 10,
             "substances": ["Cl2", "HCl"]},
            {"id": "S02", "enterprise": AMMON, "name": "合成氨储罐", "x": 1400, "y": 1250, "height": 5,
             "substances": ["NH3"]},
            {"id": "S03", "enterprise": FAR, "x": 2900, "y": 2000, "substances": ["C6H6"]}],
        "stations": [
            {"id": "B01", "name": "氯碱厂界东", "tier": "boundary", "enterprise": CHLOR, "x": 1000, "y": 1200,
             "mn": B01_MN, "password": B01_PW, "factors": ["a21022", "HCl"],
             "instruments": [{"model": "EC-Cl2", "principle": "electrochemical", "range_mg_m3": 30}]},
            {"id": "E01", "name": "园区东边界", "tier": "edge", "lon": 120.5495, "lat": 31.961,
             "mn": E01_MN, "password": E01_PW, "factors": ["Cl2", "NH3", "C6H6"]},
            {"id": "M01", "name": "园区气象站", "tier": "met", "x": 1500, "y": 1000, "mn": MET_MN,
             "password": MET_PW, "factors": ["a01007", "a01008", "a01001", "xPGSC"]},
            {"id": "Q01", "name": "MQTT 敏感点", "tier": "receptor", "x": 3500, "y": 1300, "mn": MQTT_MN,
             "factors": ["Cl2", "H2S"]}],
        "receptors": [{"id": "R01", "name": "实验小学", "kind": "school", "x": 3600, "y": 1300, "population": 900},
                      {"id": "R02", "name": "东沙村", "kind": "village", "x": 3200, "y": -400}]}],
}


def fleet() -> dict:
    return copy.deepcopy(FLEET)


def park_env(monkeypatch) -> None:
    """List the park subsystem for this test (migrations, registry import, sinks, services)."""
    monkeypatch.setenv("ECOSENTRY_SUBSYSTEMS", ",".join(NAMES))


def spooled(spool_dir) -> list[Envelope]:
    """Every envelope on the spool, in order."""
    return [Envelope.decode(r.payload) for r in SpoolReader(spool_dir).read_batch(10_000)]
