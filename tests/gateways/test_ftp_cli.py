"""``ecosentry ftp serve`` as its own process (gateway + worker + missing-file check), and the mapping commands."""

from __future__ import annotations

import ftplib
import io
import os
import signal
import subprocess
import sys
import time

from typer.testing import CliRunner

from ecosentry.cli import app
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.store.vn import load_mappings

from vn_testkit import PW, WATER, count, file_bytes, file_name, local, now_minute, point_id, setup_db
from netkit import free_port

RUN = "from ecosentry.cli import app; app()"  # ``ecosentry ftp ...``


def _wait(pred, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_ftp_serve_process_accepts_an_upload(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = setup_db(url)
    port = free_port()
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": url, "ECOSENTRY_DATA_DIR": str(tmp_path / "state"),
           "ECOSENTRY_FTP_HOST": "127.0.0.1", "ECOSENTRY_FTP_PORT": str(port), "ECOSENTRY_HOURLY_EVERY": "3600"}
    proc = subprocess.Popen([sys.executable, "-c", RUN, "ftp", "serve"], env=env, cwd=tmp_path)
    try:
        def up() -> bool:
            try:
                with ftplib.FTP() as ftp:
                    ftp.connect("127.0.0.1", port, timeout=5)
                    ftp.login(WATER, PW)
                    t = local(now_minute())
                    ftp.storbinary(f"STOR {file_name(WATER, t)}", io.BytesIO(file_bytes(t)))
                return True
            except (ConnectionError, OSError):
                assert proc.poll() is None, "ftp serve exited"
                return False

        _wait(up, what="the FTP server")
        wid = point_id(engine, WATER)
        _wait(lambda: count(engine, s.observations, s.observations.c.point_id == wid) == 6, what="observations")
        assert count(engine, ms.vn_files, ms.vn_files.c.status == "accepted") == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
    engine.dispose()


def test_map_set_and_list(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = setup_db(url)
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    from ecosentry.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        res = runner.invoke(app, ["ftp", "map-set", WATER, "Flow in", "w00000", "--unit", "m3/h", "--scale", "0.277778"])
        assert res.exit_code == 0, res.output
        assert runner.invoke(app, ["ftp", "map-set", "HN_NO_NO", "COD", "w01018"]).exit_code == 2
        # the refusals in the terminal's language
        for lang, station, factor, long in (
                ("vi", "Lỗi: Trạm không xác định HN_NO_NO", "Lỗi: thông số không xác định w99999",
                 "Lỗi: raw_name có 201 ký tự; chỉ lưu được tối đa 100"),
                ("zh", "错误：未知的站点 HN_NO_NO", "错误：未知因子 w99999", "错误：raw_name 有 201 个字符；最多保存 100 个")):
            env = {"LANGUAGE": lang, "LC_ALL": "", "LC_MESSAGES": "", "LANG": ""}
            res = runner.invoke(app, ["ftp", "map-set", "HN_NO_NO", "COD", "w01018"], env=env)
            assert res.exit_code == 2 and res.stderr.strip() == station, res.output
            res = runner.invoke(app, ["ftp", "map-set", WATER, "COD", "w99999"], env=env)
            assert res.exit_code == 2 and res.stderr.strip() == factor, res.output
            res = runner.invoke(app, ["ftp", "map-set", WATER, "C" * 201, "w01018"], env=env)
            assert res.exit_code == 2 and res.stderr.strip() == long, res.output
        rows = load_mappings(engine)[point_id(engine, WATER)]
        assert [(r.name_key, r.unit_key, r.factor_code) for r in rows] == [("flowin", "m3/h", "w00000")]
        listing = runner.invoke(app, ["ftp", "map-list", WATER])
        assert listing.exit_code == 0 and "Flow in" in listing.output
    finally:
        get_settings.cache_clear()
    engine.dispose()
