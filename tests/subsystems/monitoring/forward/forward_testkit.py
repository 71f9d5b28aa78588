"""Test kit for forwarding: two databases, a VN and a CN fleet, a real FTP server (pyftpdlib) as MONRE,
a running ecosentry service as an HJ 212 platform, and waiting for states (never for fixed times)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

from ecosentry.subsystems.monitoring.forward.settings import ForwardSettings
from ecosentry.protocols.hj212 import build_frame
from ecosentry.service import Service
from ecosentry.settings import Settings
from netkit import SIDE_PORTS, free_port
from pgdb import make_pg_database

#: Quick retries for tests; the production defaults are in ForwardSettings.
FAST = ForwardSettings(poll_every=0.05, backoff_base=0.05, backoff_max=0.3, connect_timeout=2.0, ack_timeout=3.0,
                       window=4, send_batch=50)

# --------------------------------------------------------------------------------------------- fleets

VN_STATION = "HN_PHCH_NUOPCH"
VN_STATION_2 = "HN_PHCH_KHIAMO"
VN_OTHER_PROVINCE = "TB_CAPH_NUOSXL"
VN_FLEET = {
    "regions": [
        {"code": "VN", "name": "Việt Nam", "level": "country", "country": "VN"},
        {"code": "VN-HN", "name": "Hà Nội", "level": "province", "parent": "VN", "country": "VN"},
        {"code": "VN-TB", "name": "Thái Bình", "level": "province", "parent": "VN", "country": "VN"},
    ],
    "enterprises": [
        {"credit_code": "VNPHCH0000000001", "name": "Công ty Phúc Hà", "region": "VN-HN",
         "outlets": [{"code": "NUO", "name": "Nước thải sau xử lý", "medium": "water",
                      "points": [{"mn": VN_STATION, "password": "vnpw1", "st": "32", "tz": "Asia/Ho_Chi_Minh",
                                  "min_interval": 5, "factors": ["w01018", "w01012"]}]},
                     {"code": "KHI", "name": "Ống khói", "medium": "gas",
                      "points": [{"mn": VN_STATION_2, "password": "vnpw2", "st": "31", "tz": "Asia/Ho_Chi_Minh",
                                  "min_interval": 5, "factors": ["a21026"]}]}]},
        {"credit_code": "VNCAPH0000000002", "name": "Công ty Cà Phê", "region": "VN-TB",
         "outlets": [{"code": "NUO", "name": "Nước thải", "medium": "water",
                      "points": [{"mn": VN_OTHER_PROVINCE, "password": "vnpw3", "st": "32",
                                  "tz": "Asia/Ho_Chi_Minh", "min_interval": 5, "factors": ["w01018"]}]}]},
    ],
}

LOCAL_MN = "LOCAL00000000000000GAS1"
LOCAL_PW = "123456"
UPPER_MN = "UPPER0000000000000PROV1"
UPPER_PW = "up-pw-77"


def cn_fleet(mn: str, pw: str, credit: str) -> dict:
    return {
        "regions": [{"code": "320000", "name": "江苏省", "level": "province"},
                    {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"}],
        "enterprises": [{"credit_code": credit, "name": "苏州转发测试有限公司", "region": "320500",
                         "outlets": [{"code": "DA001", "name": "1号排口", "medium": "gas",
                                      "points": [{"mn": mn, "password": pw, "st": "31", "min_interval": 1,
                                                  "factors": ["a21026", "a21002", "a19001"]}]}]}],
    }


# --------------------------------------------------------------------------------------------- station files

def vn_file(station: str, t: datetime, values: dict[str, tuple[float, str, str]]) -> tuple[str, bytes]:
    """A Circular 10/2021 file: name and bytes (``parameter\\tvalue\\tunit\\ttime\\tstatus`` lines, CRLF)."""
    stamp = t.strftime("%Y%m%d%H%M%S")
    lines = [f"{p}\t{v:.2f}\t{unit}\t{stamp}\t{status}" for p, (v, unit, status) in values.items()]
    return f"{station}_{stamp}.txt", ("\r\n".join(lines) + "\r\n").encode("utf-8")


def minute_frame(mn: str, t: datetime, values: dict[str, float], *, pw: str = LOCAL_PW, flag: int = 5) -> bytes:
    """An HJ 212-2017 minute-data upload (CN 2051) with DataTime = t (local), as tests/e2e/helpers.py builds."""
    cp = [{"DataTime": t.strftime("%Y%m%d%H%M%S")}]
    for code, v in values.items():
        cp.append({f"{code}-Min": f"{v}", f"{code}-Avg": f"{v}", f"{code}-Max": f"{v}", f"{code}-Flag": "N"})
    return build_frame(qn=t.strftime("%Y%m%d%H%M%S") + "000", st="31", cn="2051", pw=pw, mn=mn, flag=flag, cp=cp)


# --------------------------------------------------------------------------------------------- databases

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_db_urls(request, tmp_path):
    """Two fresh, empty databases of one kind (a lower and an upper platform)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lower.sqlite'}", f"sqlite:///{tmp_path / 'upper.sqlite'}"
        return
    admin = request.getfixturevalue("pg_server")
    (a, drop_a), (b, drop_b) = make_pg_database(admin), make_pg_database(admin)
    yield a, b
    drop_a()
    drop_b()


# --------------------------------------------------------------------------------------------- waiting

async def wait_for(predicate: Callable[[], object], what: str, timeout: float = 30.0, every: float = 0.05):
    """Poll ``predicate`` (run in a thread: it may query a database) until truthy; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}")
        await asyncio.sleep(every)


# --------------------------------------------------------------------------------------------- FTP server

class MonreFtp:
    """A real pyftpdlib FTP server (the Ministry's receiver) on 127.0.0.1, stoppable and restartable on the
    same port. ``renames`` records every completed RNTO in order (what the receiver's ingest would see)."""

    USER, PASSWORD = "donre-hn", "s3cret"

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.renames: list[str] = []
        self.stores: list[str] = []
        self.port = free_port()  # kept across a restart: a port of its own, not one the kernel lends
        self._server: FTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        auth = DummyAuthorizer()
        auth.add_user(self.USER, self.PASSWORD, str(self.root), perm="elradfmwMT")
        kit = self

        class Handler(FTPHandler):
            def ftp_RNTO(self, path):  # noqa: N802 (pyftpdlib's naming)
                result = super().ftp_RNTO(path)
                if result:
                    kit.renames.append(Path(result[1]).name)
                return result

            def on_file_received(self, file):
                kit.stores.append(Path(file).name)

        Handler.authorizer = auth
        Handler.auth_failed_timeout = 0.05  # answer a wrong password at once (default 3 s)
        self._server = FTPServer(("127.0.0.1", self.port), Handler)
        # handle_exit=False: no start/stop logging, which reads the socket and races a quick stop()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="monre-ftp",
                                        kwargs={"timeout": 0.05, "handle_exit": False})
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.close_all()
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None


# --------------------------------------------------------------------------------------------- HJ 212 service

def service_settings(db_url: str, state: Path, port: int = 0) -> Settings:
    return Settings(database_url=db_url, data_dir=state, hj212_host="127.0.0.1", hj212_port=port,
                    http_host="127.0.0.1", http_port=0, hourly_every=0.2, **SIDE_PORTS)


@asynccontextmanager
async def running(settings: Settings):
    svc = Service(settings)
    await svc.start(web=False, forward=False)
    try:
        yield svc
    finally:
        await svc.stop()


class Logger:
    """A raw TCP data logger: write frames, read the platform's replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> Logger:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, data: bytes) -> bytes:
        self.writer.write(data)
        await self.writer.drain()
        return await asyncio.wait_for(self.reader.readuntil(b"\r\n"), 10)

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass
