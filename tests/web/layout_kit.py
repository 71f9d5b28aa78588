"""A page server for layout tests: the pages of :mod:`pages_testkit`'s fleet served by uvicorn on a free local
port in a thread, for Debian's chromium (Playwright) to measure and photograph."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import uvicorn

from ecosentry.api.app import create_app


@contextmanager
def serve(engine):
    """Yield the base URL of the application on ``engine`` while it runs (on a socket bound here and kept, so no
    other program can take the port before uvicorn listens)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(engine), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:  # uvicorn sets it once the socket listens
        if not thread.is_alive():
            raise RuntimeError("the page server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
