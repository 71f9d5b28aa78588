"""A report download's refusal (an unknown point, 404; a period the report cannot have, 422) is said in the
reader's language, as the other API answers are: ``?lang=``, the account's locale, ``Accept-Language``; the
command line's in the terminal's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ecosentry.api.app import create_app
from ecosentry.auth.accounts import create_user
from ecosentry.auth.apikeys import create_api_key
from ecosentry.cli import app as cli_app
from ecosentry.service import prepare_database
from ecosentry.settings import Settings, get_settings


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("refusals")
    engine = prepare_database(f"sqlite:///{tmp / 'r.sqlite'}")
    keys = {}
    for name, locale in (("admin-zh", "zh"), ("admin-vi", "vi"), ("admin-any", None)):
        uid = create_user(engine, username=name, role="admin", **({"locale": locale} if locale else {}))
        keys[name] = {"Authorization": f"Bearer {create_api_key(engine, uid, 'test')[0]}"}
    st = Settings(database_url="sqlite://", data_dir=tmp / "state")
    with TestClient(create_app(engine, settings=st)) as client:
        yield client, keys, f"sqlite:///{tmp / 'r.sqlite'}"
    engine.dispose()


@pytest.mark.parametrize("who, accept, detail", [
    ("admin-zh", "", "监测点 9999 不存在"),
    ("admin-vi", "", "Điểm quan trắc 9999 không tồn tại"),
    ("admin-any", "vi-VN,vi;q=0.9", "Điểm quan trắc 9999 không tồn tại"),
    ("admin-any", "en", "point 9999 does not exist"),
])
def test_an_unknown_point_is_said_in_the_readers_language(api, who, accept, detail):
    client, keys, _ = api
    r = client.get("/api/v1/points/9999/reports/daily", params={"day": "2026-11-12"},
                   headers={**keys[who], "Accept-Language": accept})
    assert r.status_code == 404 and r.json()["detail"] == detail


@pytest.mark.parametrize("lang, detail", [("zh", "end_day 不能早于 start_day"),
                                          ("vi", "end_day không được trước start_day")])
def test_a_reversed_period_is_said_in_the_readers_language(api, lang, detail):
    client, keys, _ = api
    r = client.get("/api/v1/reports/rates", params={"start_day": "2026-11-12", "end_day": "2026-11-01", "lang": lang},
                   headers=keys["admin-any"])
    assert r.status_code == 422 and r.json()["detail"] == detail


@pytest.mark.parametrize("lang, line", [("zh", "错误：监测点 9999 不存在"),
                                        ("vi", "Lỗi: Điểm quan trắc 9999 không tồn tại")])
def test_the_command_line_says_it_in_the_terminals_language(api, lang, line, tmp_path, monkeypatch):
    *_, url = api
    out = tmp_path / "r.pdf"
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("LANGUAGE", lang)
    get_settings.cache_clear()  # the settings are read once per process
    try:
        result = CliRunner().invoke(cli_app, ["report", "daily", "--point", "9999", "--day", "2026-11-12",
                                              "-o", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and result.stderr.strip().splitlines()[-1] == line, result.output
    assert not out.exists()
