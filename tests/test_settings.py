"""The one settings object: subsystem sections nested under ``__``, the sections' former flat variables still
read (below the new name) with a warning naming the new one, read once per process."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from ecosentry.settings import CoreSettings, Settings, get_settings, settings_class, with_changes


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No ECOSENTRY_* of the caller's and no .env of the checkout: each test sets what it reads."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("ECOSENTRY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_section_is_read_from_its_nested_variables(monkeypatch, caplog):
    monkeypatch.setenv("ECOSENTRY_FORWARD__POLL_EVERY", "2.5")
    monkeypatch.setenv("ECOSENTRY_FORWARD__WINDOW", "3")
    monkeypatch.setenv("ECOSENTRY_DETECT__NATIONAL__CONSTANT_HOURS", "6")
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = Settings()
    assert (st.forward.poll_every, st.forward.window) == (2.5, 3)
    assert st.forward.backoff_max == 300.0  # the others keep their defaults
    assert st.detect.national.constant_hours == 6
    assert not caplog.records


def test_the_former_flat_variable_is_still_read_with_a_warning_naming_the_new_one(monkeypatch, caplog):
    monkeypatch.setenv("ECOSENTRY_FORWARD_POLL_EVERY", "4")
    monkeypatch.setenv("ECOSENTRY_FORWARD_MAX_ATTEMPTS", "7")
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = Settings()
    assert (st.forward.poll_every, st.forward.max_attempts) == (4.0, 7)
    said = {r.getMessage() for r in caplog.records}
    assert any("ECOSENTRY_FORWARD_POLL_EVERY" in m and "ECOSENTRY_FORWARD__POLL_EVERY" in m for m in said), said
    assert any("ECOSENTRY_FORWARD_MAX_ATTEMPTS" in m and "ECOSENTRY_FORWARD__MAX_ATTEMPTS" in m for m in said), said


def test_the_new_name_wins_over_the_former_and_sections_merge(monkeypatch):
    monkeypatch.setenv("ECOSENTRY_FORWARD_POLL_EVERY", "4")
    monkeypatch.setenv("ECOSENTRY_FORWARD__POLL_EVERY", "0.5")
    monkeypatch.setenv("ECOSENTRY_FORWARD_WINDOW", "2")  # former name for another field of the same section
    st = Settings()
    assert (st.forward.poll_every, st.forward.window) == (0.5, 2)


def test_the_former_name_in_dot_env_is_read_too(tmp_path, caplog):
    (tmp_path / ".env").write_text("ECOSENTRY_FORWARD_ACK_TIMEOUT=2\nECOSENTRY_HJ212_PORT=9300\n")
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = Settings()
    assert (st.forward.ack_timeout, st.hj212_port) == (2.0, 9300)
    assert any("ECOSENTRY_FORWARD__ACK_TIMEOUT" in r.getMessage() for r in caplog.records)


def test_a_misspelt_field_of_a_section_is_refused_naming_it(monkeypatch):
    monkeypatch.setenv("ECOSENTRY_FORWARD__POLL_EVRY", "1")
    with pytest.raises(ValidationError, match="poll_evry"):
        Settings()


def test_flat_core_variables_keep_working_and_are_read_once(monkeypatch):
    monkeypatch.setenv("ECOSENTRY_HJ212_PORT", "9301")
    monkeypatch.setenv("ECOSENTRY_MONITORING__DETECT_EVERY", "15")
    first = get_settings()
    monkeypatch.setenv("ECOSENTRY_HJ212_PORT", "9302")
    assert get_settings() is first and first.hj212_port == 9301 and first.monitoring.detect_every == 15.0
    get_settings.cache_clear()
    assert get_settings().hj212_port == 9302


def test_the_vietnamese_sections_read_new_and_former_names(monkeypatch, tmp_path, caplog):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("ECOSENTRY_VN_FOLDER_DIRS", f'["{inbox}"]')  # former name, a JSON list as before
    monkeypatch.setenv("ECOSENTRY_VN_DECIMAL_COMMA", "true")  # former name
    monkeypatch.setenv("ECOSENTRY_VN__LATE_AFTER_MINUTES", "10")  # new name
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = Settings()
    assert st.vn_folder.dirs == [inbox]
    assert (st.vn.decimal_comma, st.vn.late_after_minutes, st.vn.max_age_days) == (True, 10.0, 60.0)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "ECOSENTRY_VN_FOLDER__DIRS" in said and "ECOSENTRY_VN__DECIMAL_COMMA" in said
    assert "LATE_AFTER_MINUTES" not in said  # the new name is not a deprecated one


def test_the_intake_and_the_watcher_take_their_section_by_default(monkeypatch, tmp_path):
    """Built without settings, the Vietnamese file sink, the folder watcher and the FTP gateway use the one
    settings object."""
    from ecosentry.gateways.folder import FolderWatcher
    from ecosentry.gateways.ftp import FtpGateway
    from ecosentry.subsystems.monitoring.vn.sink import VnFileSink

    monkeypatch.setenv("ECOSENTRY_VN__MAX_AGE_DAYS", "30")
    monkeypatch.setenv("ECOSENTRY_VN_FOLDER__QUIET_S", "0.5")
    monkeypatch.setenv("ECOSENTRY_FTP__MAX_CONS_PER_IP", "7")
    sink = VnFileSink.from_settings(None, get_settings(), None)  # engine and directory unused before a file
    assert sink.settings is get_settings().vn and sink.settings.max_age_days == 30.0
    assert FolderWatcher(None, [tmp_path], get_settings().vn_folder).settings.quiet_s == 0.5
    assert FtpGateway(None, None, tmp_path / "ftp", get_settings().ftp).settings.max_cons_per_ip == 7


def test_the_ftp_gateway_is_the_ftp_section_and_its_address_stays_flat(monkeypatch, caplog, tmp_path):
    """``ECOSENTRY_FTP_<FIELD>`` of the former FtpSettings is read into the section ``ftp`` with a warning;
    ``ECOSENTRY_FTP_HOST``/``_PORT``/``_ENABLED`` keep meaning the core's listening fields, without one."""
    monkeypatch.setenv("ECOSENTRY_FTP_ROOT", str(tmp_path / "drop"))  # former name
    monkeypatch.setenv("ECOSENTRY_FTP_IDLE_TIMEOUT", "42")  # former name
    monkeypatch.setenv("ECOSENTRY_FTP__PASSIVE_PORTS", "60000-60009")  # new name
    monkeypatch.setenv("ECOSENTRY_FTP_HOST", "127.0.0.2")
    monkeypatch.setenv("ECOSENTRY_FTP_PORT", "2122")
    monkeypatch.setenv("ECOSENTRY_FTP_ENABLED", "true")
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = Settings()
    assert (st.ftp.root, st.ftp.idle_timeout, st.ftp.passive_ports) == (tmp_path / "drop", 42.0, "60000-60009")
    assert (st.ftp_host, st.ftp_port, st.ftp_enabled) == ("127.0.0.2", 2122, True)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "ECOSENTRY_FTP__ROOT" in said and "ECOSENTRY_FTP__IDLE_TIMEOUT" in said
    assert "HOST" not in said and "PORT" not in said and "ENABLED" not in said


def test_the_notification_channels_are_the_notify_section(monkeypatch, caplog):
    from ecosentry.alarms.channels.config import build_channels

    monkeypatch.setenv("ECOSENTRY_NOTIFY_SMTP_HOST", "mail.example.gov.cn")  # former name
    monkeypatch.setenv("ECOSENTRY_NOTIFY__SMS_GATEWAY_URL", "https://sms.example.gov.cn/send")
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        assert sorted(build_channels(get_settings().notify)) == ["email", "live", "sms", "webhook"]
    assert get_settings().notify.smtp_host == "mail.example.gov.cn"
    assert any("ECOSENTRY_NOTIFY__SMTP_HOST" in r.getMessage() for r in caplog.records)


# --- the monitoring subsystem's section: what were flat core fields (issue 12 item 6)

#: Every field that left the core for the section ``monitoring``, with a value unlike its default.
MOVED = {"detect_every": 15.0, "detect_point_every": 30.0, "detect_recent_hours": 3.0, "detect_minute_hours": 4.0,
         "detect_hour_days": 10.0, "offline_factor": 2.0, "offline_min_minutes": 5.0, "auto_gap_marks": False,
         "zs_method": "corrected_hourly_mean", "realtime_grace_minutes": 30, "logger_fault_threshold": 4,
         "logger_fault_window_minutes": 20.0}


def test_the_monitoring_section_is_read_from_its_nested_variables(monkeypatch, caplog):
    for field, value in MOVED.items():
        monkeypatch.setenv(f"ECOSENTRY_MONITORING__{field.upper()}", str(value))
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = Settings()
    assert st.monitoring.model_dump() == MOVED
    assert not caplog.records
    assert not any(field in CoreSettings.model_fields for field in MOVED)  # no flat twin left in the core


def test_the_former_flat_monitoring_variables_are_read_with_a_warning_naming_the_new_ones(monkeypatch, caplog):
    for field, value in MOVED.items():
        monkeypatch.setenv(f"ECOSENTRY_{field.upper()}", str(value))
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = Settings()
    assert st.monitoring.model_dump() == MOVED
    said = [r.getMessage() for r in caplog.records]
    for field in MOVED:
        old, new = f"ECOSENTRY_{field.upper()}", f"ECOSENTRY_MONITORING__{field.upper()}"
        assert any(m.startswith(f"{old} is deprecated") and new in m for m in said), (old, said)


def test_the_new_monitoring_name_wins_over_the_former_one(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOSENTRY_DETECT_EVERY", "15")
    monkeypatch.setenv("ECOSENTRY_MONITORING__DETECT_EVERY", "45")
    (tmp_path / ".env").write_text("ECOSENTRY_MONITORING__OFFLINE_FACTOR=5\n")
    monkeypatch.setenv("ECOSENTRY_OFFLINE_FACTOR", "2")  # the former name in the environment, the new in .env
    monkeypatch.setenv("ECOSENTRY_AUTO_GAP_MARKS", "false")  # only the former name: read
    st = Settings()
    assert (st.monitoring.detect_every, st.monitoring.offline_factor, st.monitoring.auto_gap_marks) == (45.0, 5.0, False)


def test_a_keyword_section_merges_with_the_environment(monkeypatch):
    """``Settings(monitoring={...})`` (tests, the demo) sets those fields; the others still come from the
    environment, former names included."""
    monkeypatch.setenv("ECOSENTRY_OFFLINE_FACTOR", "2")
    st = Settings(monitoring={"detect_every": 3600})
    assert (st.monitoring.detect_every, st.monitoring.offline_factor, st.monitoring.zs_method) == (
        3600.0, 2.0, "mean_of_minute")


def test_the_jobs_read_the_monitoring_section():
    from ecosentry.subsystems.monitoring.pipeline.detection import DetectionSettings
    from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink

    st = Settings(monitoring=MOVED)
    job = DetectionSettings.from_settings(st)
    assert (job.every, job.point_every, job.recent_hours, job.offline_factor, job.offline_min_minutes,
            job.logger_fault_threshold, job.logger_fault_window_minutes) == (15.0, 30.0, 3.0, 2.0, 5.0, 4, 20.0)
    assert (job.window.minute_hours, job.window.hour_days) == (4.0, 10.0)
    assert ObservationSink.from_settings(None, st, None).auto_gap_marks is False


def test_the_installed_subsystems_sections_are_present():
    assert {"monitoring", "detect", "forward", "vn", "vn_folder", "notify"} <= set(Settings.model_fields)
    assert {"power", "gates", "park", "om"} <= set(Settings.model_fields)
    assert Settings.subsystems == ("ecosentry.subsystems.monitoring", "ecosentry.subsystems.power",
                                   "ecosentry.subsystems.gates", "ecosentry.subsystems.park",
                                   "ecosentry.subsystems.om")


def test_a_section_exists_only_while_its_subsystem_is_installed(monkeypatch, tmp_path, caplog):
    """Another list of subsystems gives another settings object: no ``monitoring`` section (its variables,
    new or former, are not read), and the listed subsystem's section with its own former names."""
    package = tmp_path / "gate_ledger"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from ecosentry.contracts.subsystem import Subsystem\n"
        "SUBSYSTEM = Subsystem(name='gate_ledger', title='Vehicle gate ledger',\n"
        "                      settings={'gate': 'gate_ledger.settings:GateSettings'},\n"
        "                      former_settings={'gate': 'ECOSENTRY_GATE_'})\n")
    (package / "settings.py").write_text(
        "from pydantic import BaseModel\n"
        "class GateSettings(BaseModel):\n"
        "    camera_timeout: float = 5.0\n"
        "    lanes: int = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ECOSENTRY_MONITORING__DETECT_EVERY", "15")
    monkeypatch.setenv("ECOSENTRY_OFFLINE_FACTOR", "2")
    monkeypatch.setenv("ECOSENTRY_GATE__LANES", "4")
    monkeypatch.setenv("ECOSENTRY_GATE_CAMERA_TIMEOUT", "1.5")  # former name of the gate section
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = settings_class(("gate_ledger",))()
    assert "monitoring" not in type(st).model_fields and not hasattr(st, "monitoring")
    assert "detect" not in type(st).model_fields
    assert (st.gate.lanes, st.gate.camera_timeout) == (4, 1.5)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "ECOSENTRY_GATE__CAMERA_TIMEOUT" in said and "OFFLINE_FACTOR" not in said
    core = settings_class(())()
    assert not set(type(core).model_fields) - set(CoreSettings.model_fields)  # the core alone: its own sections only


def test_changes_over_the_process_settings_do_not_read_the_environment_again(monkeypatch, caplog):
    """``ecosentry demo`` sets its choices over the one settings object (:func:`with_changes`)."""
    monkeypatch.setenv("ECOSENTRY_HTTP_PORT", "8100")
    monkeypatch.setenv("ECOSENTRY_DETECT_EVERY", "15")  # a former name: warned once, when first read
    with caplog.at_level(logging.WARNING, logger="ecosentry.settings"):
        st = get_settings()
        monkeypatch.setenv("ECOSENTRY_HTTP_PORT", "8200")
        demo = with_changes(st, {"hj212_port": 0, "monitoring": {"zs_method": "corrected_hourly_mean"}})
    assert len(caplog.records) == 1
    assert (demo.http_port, demo.hj212_port) == (8100, 0)
    assert (demo.monitoring.detect_every, demo.monitoring.zs_method) == (15.0, "corrected_hourly_mean")
    assert st.monitoring.zs_method == "mean_of_minute" and get_settings() is st  # the original is untouched
    with pytest.raises(ValidationError, match="detect_evry"):
        with_changes(st, {"monitoring": {"detect_evry": 1}})


def test_the_application_takes_the_process_settings(monkeypatch, tmp_path):
    from ecosentry.api.app import create_app

    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ECOSENTRY_RATE_LIMIT_DEFAULT", "7/minute")
    assert create_app(None).state.settings is get_settings()
