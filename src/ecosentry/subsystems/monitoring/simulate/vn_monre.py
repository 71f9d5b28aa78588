"""The demo's Ministry (MONRE): a local FTP receiver the DONRE forwards its station files to, down now and then,
so the forwarding view (``/vn/forwarding``) shows a backlog, failures with their reasons and deliveries within
minutes of ``ecosentry demo --country vn``.

A real FTP server (pyftpdlib, as the FTP gateway) on 127.0.0.1 writing into ``<data dir>/monre``; the forwarder
of the service (``forward/``) is the one that sends, through the target this module registers (``Bộ TN&MT
(demo)``, kind ``vn-ftp``). The receiver is up ``up_s`` seconds, then down ``down_s`` seconds (the forwarder
retries with back-off and logs each failed attempt; the stations send every 5 minutes, so an outage of 7
minutes leaves a backlog), and so on until the demo stops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer
from sqlalchemy import Engine

from ecosentry.subsystems.monitoring.forward.queue import ForwardError, add_target, load_targets

log = logging.getLogger(__name__)

__all__ = ["MonreReceiver", "run_monre", "TARGET_NAME"]

TARGET_NAME = "Bộ TN&MT (demo)"
USER, PASSWORD = "sotnmt-demo", "demo-monre-pw"


class MonreReceiver:
    """A pyftpdlib FTP server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root, self.port = root, port
        root.mkdir(parents=True, exist_ok=True)
        self._server: FTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        auth = DummyAuthorizer()
        auth.add_user(USER, PASSWORD, str(self.root), perm="elradfmw")
        handler = type("MonreHandler", (FTPHandler,), {"authorizer": auth, "banner": "MONRE demo receiver"})
        # its own I/O loop: pyftpdlib's default is one per process, already run by the FTP gateway's thread
        self._server = FTPServer(("127.0.0.1", self.port), handler, ioloop=IOLoop())
        self.port = self._server.address[1]
        # handle_exit=False: no start/stop logging, which reads the socket and races a quick stop()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="monre-demo-ftp",
                                        kwargs={"timeout": 0.2, "handle_exit": False})
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.close_all()
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None


async def run_monre(engine: Engine, root: Path, stop: asyncio.Event, *, up_s: float = 180.0,
                    down_s: float = 420.0) -> None:
    """Run the receiver with its outages until ``stop``; register the forwarding target on first use (a demo
    started again on the same data folder reuses the target and its port)."""
    known = {t.name: t for t in await asyncio.to_thread(load_targets, engine, active_only=False)}
    rx = MonreReceiver(root, port=known[TARGET_NAME].port if TARGET_NAME in known else 0)
    try:
        await asyncio.to_thread(rx.start)
    except OSError as exc:  # the old port is taken: the forwarding view shows the failures, as in real life
        log.warning("demo MONRE receiver could not listen on %s: %s", rx.port, exc)
        return
    if TARGET_NAME not in known:
        try:
            await asyncio.to_thread(lambda: add_target(engine, name=TARGET_NAME, kind="vn-ftp", host="127.0.0.1",
                                                       port=rx.port, username=USER, password=PASSWORD,
                                                       remote_path="/"))
        except ForwardError as exc:
            log.warning("demo MONRE target not added: %s", exc)
    try:
        while not stop.is_set():
            if await _wait(stop, up_s):
                break
            await asyncio.to_thread(rx.stop)
            log.info("demo MONRE receiver down for %.0f s (the forwarder keeps the files and retries)", down_s)
            if await _wait(stop, down_s):
                break
            await asyncio.to_thread(rx.start)
    finally:
        await asyncio.to_thread(rx.stop)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop``; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except asyncio.TimeoutError:
        return False
