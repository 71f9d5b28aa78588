"""FTP gateway for Vietnamese station files (Circular 10/2021/TT-BTNMT Art. 39; reference notes §7.2).

A station's data logger logs in with its station key (``Province_Facility_Station`` = ``points.mn``) and its
transmission password (``points.password``) and uploads one ``.txt`` file per measurement into its own drop
folder ``<root>/<station>/`` (``root`` = ``data_dir/ftp``); it cannot leave that folder, and it may write only
directly into it. Each file is appended on arrival to the spool as one ``vn-file`` envelope
(:mod:`ecosentry.gateways.station_files`); the monitoring subsystem's sink judges it after the spool
(timeliness, duplicates, back-fill, parameter mapping) and puts it in ``processed/`` or ``rejected/`` under the
drop folder with ``<name>.receipt.json`` (the station may download its receipts).

Design
------
* **pyftpdlib's own IO loop in one thread** next to the asyncio service (not its asyncio-free multi-thread or
  pre-fork servers): one thread serves thousands of idle or uploading loggers, and the spool append is handed to
  the service's event loop (:class:`~ecosentry.gateways.station_files.SpoolAppender`: group commit, wakes the
  ingest worker). A file of a few hundred bytes takes one fsync, far within one file per station per 5 min.
* **Durable before acknowledged.** The data channel's ``close`` is where pyftpdlib answers ``226``; this
  gateway's data handler appends the file to the spool *before* that answer, so ``226`` means the bytes are in
  the spool (fsync). If the spool cannot be written the answer is ``451`` and the file stays in the drop folder
  for the next start (the logger re-sends it, too). The ``226`` says the file was stored; what the platform made
  of it (accepted, late, back-fill, duplicate, or the rejection reason) is in its receipt, written by the sink
  moments later (issue 12 item 3: no business rule before the spool).
* A file uploaded under a temporary name (``.tmp``, ``.part``, ``.filepart``) and then renamed (RNFR/RNTO) is
  spooled after the rename; there the ``250`` of the rename precedes the append (pyftpdlib answers inside
  RNTO) — the window is covered by the start-up scan of leftover files.
* Authentication reads the registry (:class:`~ecosentry.pipeline.directory.PointDirectory`, the gateway's
  cached copy of the accounts): an unknown station reloads it (a station registered while running can log in),
  a wrong password reloads it once (a changed password is taken at once), and it is reloaded every
  ``registry_refresh_s`` anyway (deactivation). Refusals are logged with the client address and counted
  (``ftp.login_failed.<reason>``); pyftpdlib delays the answer (``auth_failed_delay``) and disconnects after
  ``max_login_attempts``.
* Stored bytes are exactly the bytes received: ASCII-mode uploads are not converted (CRLF stays CRLF).
* The process never changes its working directory for a client's CWD (pyftpdlib's default ``chdir`` does,
  process-wide, which a multi-threaded service cannot allow).
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import FTPServer

from ecosentry.gateways.ftp_settings import FtpSettings
from ecosentry.gateways.station_files import TEMP_SUFFIXES, Received, SpoolAppender, spool_station_file
from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory

log = logging.getLogger(__name__)

__all__ = ["FtpSettings", "StationAuthorizer", "FtpGateway", "TRANSPORT", "TEMP_SUFFIXES", "describe"]

TRANSPORT = "ftp"
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class _NoChdirFS(AbstractedFS):
    """pyftpdlib's virtual file system without the process-wide ``os.chdir`` on CWD."""

    def chdir(self, path):
        if not self.isdir(path):
            raise OSError(20, "Not a directory")
        self.cwd = self.fs2ftp(path)


class StationAuthorizer:
    """pyftpdlib authorizer: one account per registered station (username = station key = ``points.mn``).

    Permissions: list and download anywhere in the drop folder (``elr``: the station reads its receipts);
    upload and rename (``w``, ``f``) only directly in the drop folder, never into ``processed/`` or
    ``rejected/``, never over a receipt; no delete, no mkdir.

    Parameters
    ----------
    directory : PointDirectory
    root : Path
        Parent of the drop folders.
    refresh_s : float
        Reload the registry at least this often. [s]
    """

    read_perms = "elr"
    write_perms = "wf"

    def __init__(self, directory: PointDirectory, root: Path, refresh_s: float = 60.0) -> None:
        self.directory = directory
        self.root = Path(root).resolve()
        self.refresh_s = refresh_s
        self._reloaded = time.monotonic()
        self._lock = threading.Lock()

    def _reload(self, min_age: float) -> None:
        with self._lock:
            if time.monotonic() - self._reloaded < min_age:
                return
            try:
                self.directory.reload()
            except Exception:
                log.exception("FTP: reloading the registry failed; keeping the accounts known")
            self._reloaded = time.monotonic()

    def _lookup(self, username: str):
        self._reload(self.refresh_s)
        if not _ACCOUNT_RE.match(username or ""):
            return None
        return self.directory.by_mn(username)

    def validate_authentication(self, username: str, password: str, handler) -> None:
        peer = getattr(handler, "remote_ip", "?")
        info = self._lookup(username)
        if info is not None and info.active and not hmac.compare_digest(info.password.encode(), password.encode()):
            self._reload(5.0)  # the password may have just been changed
            info = self.directory.by_mn(username)
        if info is None:
            reason = "unknown_station"
        elif not info.active:
            reason = "inactive_station"
        elif not hmac.compare_digest(info.password.encode(), password.encode()):
            reason = "bad_password"
        else:
            counters.inc("ftp.logins")
            return
        counters.inc("ftp.login_failed")
        counters.inc(f"ftp.login_failed.{reason}")
        log.warning("FTP login refused from %s: %s (user %r)", peer, reason, username[:64])
        raise AuthenticationFailed("Authentication failed.")

    def home(self, username: str) -> Path:
        return self.root / username

    def get_home_dir(self, username: str) -> str:
        if not _ACCOUNT_RE.match(username or "") or username in (".", ".."):
            raise AuthenticationFailed("Authentication failed.")
        home = self.home(username)
        home.mkdir(parents=True, exist_ok=True)
        return str(home)

    def has_user(self, username: str) -> bool:
        return self._lookup(username) is not None

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        if perm in self.read_perms:
            return True
        if perm not in self.write_perms:
            return False
        if path is None:
            return True
        p = Path(path)
        return p.parent == self.home(username) and not p.name.endswith(".receipt.json")

    def get_perms(self, username: str) -> str:
        return self.read_perms + self.write_perms

    def get_msg_login(self, username: str) -> str:
        return f"Welcome, station {username}. Upload one file per measurement (Circular 10/2021)."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        pass

    def terminate_impersonation(self, username: str) -> None:
        pass


class _SpoolingDTPHandler(DTPHandler):
    """Data channel that appends an uploaded file to the spool before pyftpdlib answers ``226``."""

    def enable_receiving(self, type, cmd):  # noqa: A002 - pyftpdlib's signature
        super().enable_receiving("i", cmd)  # store the bytes as received, whatever TYPE the client set

    def close(self):
        if (not self._closed and self.receive and self.transfer_finished and self.file_obj is not None
                and not self.file_obj.closed):
            self.file_obj.close()  # flushed to disk before it is read
            answer = self.cmd_channel.process_upload(Path(self.file_obj.name))
            if answer:
                self._resp = (answer, self._resp[1] if self._resp else logging.debug)
        super().close()


class _StationHandler(FTPHandler):
    """Control channel: binds a station's session to the spool (class attributes set by :class:`FtpGateway`)."""

    dtp_handler = _SpoolingDTPHandler
    abstracted_fs = _NoChdirFS
    appender: SpoolAppender
    station_authorizer: StationAuthorizer
    banner = "ecosentry FTP intake (Circular 10/2021/TT-BTNMT station files) ready."

    def process_upload(self, path: Path) -> str | None:
        """Spool a completed upload; the ``226``/``451`` answer to give, or ``None`` for the default."""
        counters.inc("ftp.uploads")
        if path.name.lower().endswith(TEMP_SUFFIXES):
            return None
        return self._spool(path)

    def _spool(self, path: Path) -> str:
        home = self.station_authorizer.home(self.username)
        try:
            got = spool_station_file(self.appender, path, dest=home, transport=TRANSPORT,
                                     received_at=datetime.now(timezone.utc),
                                     peer=f"{self.remote_ip}:{self.remote_port}", account=self.username)
        except Exception:
            counters.inc("ftp.spool_errors")
            log.exception("FTP: %s from %s could not be stored; answered 451", path.name, self.username)
            return "451 Local error: the file was not stored; send it again."
        counters.inc("ftp.files")
        return "226 Transfer complete; " + describe(got)

    def on_file_received(self, file):
        pass  # spooled in the data channel, before the answer

    def on_incomplete_file_received(self, file):
        counters.inc("ftp.incomplete_uploads")
        log.info("FTP: incomplete upload %s from %s removed (the logger sends it again)", file, self.username)
        try:
            Path(file).unlink(missing_ok=True)
        except OSError:
            log.exception("FTP: could not remove incomplete upload %s", file)

    def ftp_RNTO(self, path):
        res = super().ftp_RNTO(path)
        if res and not Path(res[1]).name.lower().endswith(TEMP_SUFFIXES):
            self._spool(Path(res[1]))
        return res


def describe(got: Received) -> str:
    """One line for the FTP answer: the file is stored; its receipt tells what the platform made of it."""
    return (f"stored ({got.size} bytes); the receipt {got.file_name}.receipt.json follows in processed/ "
            "or rejected/.")


class FtpGateway:
    """The FTP server in its own thread, appending station files to the spool.

    Parameters
    ----------
    appender : SpoolAppender
        The spool (and the service's loop) the files go to.
    directory : PointDirectory
        The station accounts.
    root : Path
        Parent of the drop folders ``<root>/<station>/``.
    settings : FtpSettings, optional
        The section ``ftp`` of the settings (``get_settings().ftp``); its defaults when omitted.
    """

    def __init__(self, appender: SpoolAppender, directory: PointDirectory, root: Path,
                 settings: FtpSettings | None = None) -> None:
        self.appender = appender
        self.settings = settings or FtpSettings()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.authorizer = StationAuthorizer(directory, self.root, self.settings.registry_refresh_s)
        self.server: FTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _handler_class(self) -> type[_StationHandler]:
        st = self.settings
        attrs = {"appender": self.appender, "station_authorizer": self.authorizer, "authorizer": self.authorizer,
                 "timeout": st.idle_timeout, "auth_failed_timeout": st.auth_failed_delay,
                 "max_login_attempts": st.max_login_attempts, "permit_foreign_addresses": False,
                 "masquerade_address": st.masquerade_address, "use_sendfile": False}
        if st.passive_ports:
            lo, _, hi = st.passive_ports.partition("-")
            attrs["passive_ports"] = list(range(int(lo), int(hi or lo) + 1))
        return type("BoundStationHandler", (_StationHandler,), attrs)

    def recover_leftovers(self) -> int:
        """Spool files left in drop folders (a crash between upload and spool, a 451); returns how many.

        Received time = the file's modification time (when the upload ended).
        """
        n = 0
        for home in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for f in sorted(p for p in home.iterdir() if p.is_file()):
                if f.name.endswith(".receipt.json") or f.name.lower().endswith(TEMP_SUFFIXES):
                    continue
                at = datetime.fromtimestamp(f.stat().st_mtime, timezone.utc)
                try:
                    spool_station_file(self.appender, f, dest=home, transport=TRANSPORT, received_at=at,
                                       account=home.name)
                    n += 1
                except Exception:
                    log.exception("FTP: leftover %s could not be spooled; kept for the next start", f)
        if n:
            log.info("FTP: spooled %d file(s) left in the drop folders", n)
        return n

    def start(self, host: str, port: int) -> None:
        """Bind ``host:port`` (``ECOSENTRY_FTP_HOST``/``_PORT``; port 0 = any free port), spool leftovers, and
        serve in a background thread."""
        self.recover_leftovers()
        handler = self._handler_class()
        self.server = FTPServer((host, port), handler)
        self.server.max_cons = self.settings.max_cons
        self.server.max_cons_per_ip = self.settings.max_cons_per_ip
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="ftp-gateway", daemon=True)
        self._thread.start()
        log.info("FTP gateway listening on %s:%d, drop folders in %s", *self.address, self.root)

    def _serve(self) -> None:
        assert self.server is not None
        try:
            while not self._stop.is_set():
                self.server.serve_forever(timeout=0.2, blocking=False, handle_exit=False)
        except Exception:
            counters.inc("ftp.server_errors")
            log.exception("FTP server loop failed")
        finally:
            self.server.close_all()

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        return self.server.socket.getsockname()[:2]

    @property
    def port(self) -> int:
        return self.address[1]

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (a transfer in progress is cut; its logger re-sends) and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
