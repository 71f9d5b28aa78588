"""Shared pieces of the VN desk tests: a second facility, DONRE and facility accounts with API keys, and a
TestClient on the application of a Vietnamese deployment (no service running)."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import Engine, insert, select

from ecosentry.auth.deps import hash_api_key
from ecosentry.fleet import import_fleet
from ecosentry.store import schema as s

OTHER_STATION = "HN_KHAC_NUOC01"
OTHER_FACILITY = {
    "credit_code": "VN0100000000000002", "name": "Công ty Sông Hồng", "region": "VN-HN",
    "outlets": [{"code": "NUOC01", "name": "Cửa xả", "medium": "water",
                 "points": [{"mn": OTHER_STATION, "password": "other-pw", "st": "32", "name": "Trạm nước Sông Hồng",
                             "tz": "Asia/Ho_Chi_Minh", "min_interval": 5, "factors": ["w01018"]}]}],
}


def keys_for(engine: Engine) -> dict[str, str]:
    """Add the second facility (once) and the accounts ``donre`` (regulator of Hà Nội), ``facility`` (the
    first facility), ``other_facility`` and ``admin``; returns username → API key."""
    with engine.connect() as c:
        have = c.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == OTHER_FACILITY["credit_code"]))
    if have is None:
        import_fleet(engine, {"enterprises": [OTHER_FACILITY]})
    now = datetime.now(timezone.utc)
    keys = {}
    with engine.begin() as c:
        ents = dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
        for name, row in (("donre", {"role": "regulator", "region_code": "VN-HN"}),
                          ("facility", {"role": "enterprise", "enterprise_id": ents["VN0100000000000001"]}),
                          ("other_facility", {"role": "enterprise", "enterprise_id": ents["VN0100000000000002"]}),
                          ("admin", {"role": "admin"})):
            uid = c.scalar(select(s.users.c.id).where(s.users.c.username == name))
            if uid is None:
                uid = c.execute(insert(s.users).values(username=name, locale="vi", **row)
                                .returning(s.users.c.id)).scalar_one()
            key = "es_" + secrets.token_urlsafe(24)
            c.execute(insert(s.api_keys).values(user_id=uid, name="test", prefix=key[:12], key_hash=hash_api_key(key),
                                                created_at=now))
            keys[name] = key
    return keys


@contextmanager
def client_for(engine: Engine, tmp_path):
    """A TestClient on the app of a Vietnamese deployment over ``engine``."""
    from fastapi.testclient import TestClient

    from ecosentry.api.app import create_app
    from ecosentry.settings import Settings

    st = Settings(database_url=str(engine.url.render_as_string(hide_password=False)), data_dir=tmp_path / "state",
                  default_tz="Asia/Ho_Chi_Minh", default_locale="vi")
    with TestClient(create_app(engine, settings=st)) as client:
        yield client
