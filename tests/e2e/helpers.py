"""Test helpers: a small fleet, a running service, and a raw HJ 212 logger over a real socket."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx

from ecosentry.protocols.hj212 import build_frame
from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from ecosentry.fleet import import_fleet

GAS_MN = "TEST0000000000000000GAS1"
WATER_MN = "TEST000000000000000WAT01"
PW = "123456"

FLEET = {
    "regions": [
        {"code": "320000", "name": "江苏省", "level": "province"},
        {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"},
        {"code": "320506", "name": "吴中区", "level": "county", "parent": "320500"},
    ],
    "enterprises": [{
        "credit_code": "91320506MA1TEST001", "name": "苏州测试热电有限公司", "industry": "4411 火力发电",
        "region": "320506", "lon": 120.6, "lat": 31.3,
        "outlets": [
            {"code": "DA001", "name": "1号锅炉排口", "medium": "gas", "ref_o2": 6.0, "duct_area": 12.5,
             "points": [{"mn": GAS_MN, "password": PW, "st": "31", "name": "1号锅炉CEMS", "min_interval": 1,
                         "connected_at": "2020-01-01",
                         "factors": [{"code": "a21026", "range": [0, 200]}, {"code": "a21002", "range": [0, 300]},
                                     {"code": "a19001", "range": [0, 25]}]}]},
            {"code": "DW001", "name": "废水总排口", "medium": "water",
             "points": [{"mn": WATER_MN, "password": PW, "st": "32", "name": "总排口水质", "min_interval": 10,
                         "connected_at": "2020-01-01",
                         "factors": ["w01018", "w21003", "w00000"]}]},
        ],
    }],
}


def minute_frame(mn: str, t: datetime, values: dict[str, float], *, pw: str = PW, flag: int = 5,
                 qn: str | None = None, data_flag: str = "N", cn: str = "2051", st: str = "31") -> bytes:
    """A minute-data (or other CN) frame with DataTime = t (local, naive)."""
    cp = [{"DataTime": t.strftime("%Y%m%d%H%M%S")}]
    for code, v in values.items():
        cp.append({f"{code}-Min": f"{v}", f"{code}-Avg": f"{v}", f"{code}-Max": f"{v}", f"{code}-Flag": data_flag})
    return build_frame(qn=qn or t.strftime("%Y%m%d%H%M%S") + "000", st=st, cn=cn, pw=pw, mn=mn, flag=flag, cp=cp)


@asynccontextmanager
async def running_service(tmp_path: Path, db_url: str, *, web: bool = False, **overrides):
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    engine.dispose()
    st = Settings(**{"database_url": db_url, "data_dir": tmp_path / "state", "hj212_host": "127.0.0.1",
                     "hj212_port": 0, "http_host": "127.0.0.1", "http_port": 0, **overrides})
    svc = Service(st)
    await svc.start(web=web)
    try:
        yield svc
    finally:
        await svc.stop()


class Logger:
    """A raw TCP data logger for tests: writes bytes, reads replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> Logger:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        return cls(r, w)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self, timeout: float = 5.0) -> bytes:
        return await asyncio.wait_for(self.reader.readuntil(b"\r\n"), timeout)

    async def send_all(self, frames, window: int = 60) -> list[bytes]:
        """Send ``frames`` as a logger catching up on its backlog does: ``window`` frames written together, then
        their replies (one each, as :meth:`reply` reads them), then the next window. The gateway then spools a
        read's frames with one fsync and the worker writes them in one batch, where a frame-and-wait loop costs
        an fsync, a cursor commit and a database write per frame (~3 ms of CPU each). Returns the replies."""
        frames, replies = list(frames), []
        for i in range(0, len(frames), window):
            chunk = frames[i:i + window]
            self.writer.write(b"".join(chunk))
            await self.writer.drain()
            for _ in chunk:
                replies.append(await self.reply())
        return replies

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def api_user(engine, username: str, role: str = "admin", **scope) -> dict[str, str]:
    """Headers authenticating as ``username`` (created with ``role`` and ``scope`` if new) by a fresh API key."""
    from ecosentry.auth.accounts import create_user, get_user
    from ecosentry.auth.apikeys import create_api_key

    user = get_user(engine, username=username)
    user_id = user["id"] if user else create_user(engine, username=username, role=role, **scope)
    key, _ = create_api_key(engine, user_id, "tests")
    return {"Authorization": f"Bearer {key}"}


#: Test-only request header naming the account a request is made as (see :class:`AsUsers`).
TEST_USER = "X-Test-User"


class AsUsers(httpx.AsyncBaseTransport):
    """An ASGI transport that logs every request in: as the account named in its ``X-Test-User`` header
    (default ``default``), an admin created on first use, by that account's API key."""

    def __init__(self, app, engine, default: str = "tester") -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.engine, self.default = engine, default
        self.keys: dict[str, dict[str, str]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = request.headers.get(TEST_USER) or self.default
        if TEST_USER in request.headers:
            del request.headers[TEST_USER]
        if "authorization" not in request.headers:
            if name not in self.keys:
                self.keys[name] = api_user(self.engine, name)
            request.headers.update(self.keys[name])
        return await self.inner.handle_async_request(request)


def stop_demo(proc: subprocess.Popen, timeout: float = 45.0) -> int | None:
    """Stop a demo process as Ctrl-C does (SIGINT), killing it if it does not stop in time (1.5–3 s on a quiet
    machine; the time allowed is for a CI machine under the load of the whole suite)."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None
