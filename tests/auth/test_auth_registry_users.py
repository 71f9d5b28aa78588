"""Accounts from the registry import (passwords, enterprise, park, O&M points, parks, published) and from
the ``ecosentry user`` command line; the demo fleet's one account per role."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from authkit import FLEET, MN_A_GAS, MN_B_GAS
from ecosentry.auth.accounts import LoginPolicy, login
from ecosentry.auth.deps import principal_for_user
from ecosentry.cli import app as cli
from ecosentry.service import prepare_database
from ecosentry.subsystems.monitoring.simulate.fleet import DEMO_PASSWORD, demo_fleet
from ecosentry.store import schema as s
from ecosentry.fleet import RegistryError, import_fleet

USERS = [
    {"username": "ent", "role": "enterprise", "enterprise": "91320506MA1MATRXA1", "password": "first password",
     "locale": "vi"},
    {"username": "ops", "role": "om", "organisation": "示例运维", "points": [MN_B_GAS], "password": "ops password"},
    {"username": "parkc", "role": "park", "park": "PARK-A"},
]


def test_import_users_with_scope_and_passwords(engine):
    import_fleet(engine, {**FLEET, "users": USERS})
    with engine.connect() as c:
        rows = {r["username"]: r for r in c.execute(select(s.users)).mappings()}
        published = dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.published)).all())
        park = c.execute(select(s.enterprises.c.park_code).where(s.enterprises.c.credit_code == "91320506MA1MATRXA1"))
        assert park.scalar() == "PARK-A"
    assert published == {"91320506MA1MATRXA1": True, "91320507MA1MATRXB2": False}
    assert rows["ent"]["password_hash"].startswith("$argon2id$") and rows["ent"]["locale"] == "vi"
    assert rows["parkc"]["password_hash"] is None and rows["ops"]["organisation"] == "示例运维"
    ops = principal_for_user(engine, rows["ops"]["id"])
    pts = dict((mn, i) for mn, i in engine.connect().execute(select(s.points.c.mn, s.points.c.id)).all())
    assert ops.point_ids == frozenset({pts[MN_B_GAS]})
    assert principal_for_user(engine, rows["parkc"]["id"]).sees_point(pts[MN_A_GAS])
    assert login(engine, "ent", "first password", policy=LoginPolicy())["username"] == "ent"
    # a re-import does not undo a password changed since
    from ecosentry.auth.accounts import set_password

    set_password(engine, rows["ent"]["id"], "changed by the user")
    import_fleet(engine, {**FLEET, "users": USERS})
    assert login(engine, "ent", "changed by the user", policy=LoginPolicy())["username"] == "ent"


@pytest.mark.parametrize("user, message", [
    ({"username": "x", "role": "boss"}, "role must be one of"),
    ({"username": "x", "role": "enterprise", "enterprise": "nope"}, "no enterprise with credit code"),
    ({"username": "x", "role": "om", "points": ["NOPE"]}, "no point with MN NOPE"),
    ({"username": "x", "role": "admin", "password": "short"}, "at least 8"),
    ({"username": "x", "role": "admin", "locale": "fr"}, "locale must be"),
])
def test_bad_users_are_refused_with_a_sentence(engine, user, message):
    with pytest.raises(RegistryError, match=message):
        import_fleet(engine, {**FLEET, "users": [user]})


def test_demo_fleet_has_one_account_per_role(tmp_path):
    engine = prepare_database(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    fleet = demo_fleet(8)
    import_fleet(engine, fleet)
    roles = {u["role"] for u in fleet["users"]}
    assert roles == {"admin", "regulator", "enterprise", "om", "park", "public"}
    assert {u["username"] for u in fleet["users"]} >= {"admin", "province", "regulator", "county", "enterprise",
                                                       "om", "park", "public"}
    assert any(e["published"] for e in fleet["enterprises"]) and not all(e["published"] for e in fleet["enterprises"])
    for u in fleet["users"]:
        user = login(engine, u["username"], DEMO_PASSWORD, policy=LoginPolicy())
        p = principal_for_user(engine, user["id"])
        if u["role"] in ("enterprise", "om", "park", "public"):
            assert p.point_ids, f"{u['username']} sees no point"
        if u["username"] == "county":
            assert p.region_codes == {u["region"]}


def test_cli_user_commands(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("LANGUAGE", "en")  # the English terminal (zh and vi: test_cli_user_commands_in_the_terminals_language)
    from ecosentry.settings import get_settings

    get_settings.cache_clear()
    try:
        engine = prepare_database(url)
        import_fleet(engine, FLEET)
        run = CliRunner().invoke
        r = run(cli, ["user", "add", "wz", "--role", "regulator", "--region", "320506", "--password", "a long password"])
        assert r.exit_code == 0 and "created user wz (regulator)" in r.output
        r = run(cli, ["user", "add", "ops", "--role", "om", "--point", MN_B_GAS, "--no-password"])
        assert r.exit_code == 0, r.output
        r = run(cli, ["user", "add", "bad", "--role", "regulator", "--password", "a long password"])
        assert r.exit_code == 2 and "regulator account needs a region" in r.output
        r = run(cli, ["user", "passwd", "wz", "--password", "another long one"])
        assert r.exit_code == 0
        assert login(engine, "wz", "another long one", policy=LoginPolicy())["region_code"] == "320506"
        r = run(cli, ["user", "apikey", "wz", "--name", "export"])
        key = r.output.strip().splitlines()[-1]
        assert r.exit_code == 0 and key.startswith("es_") and len(key) == 43
        listed = run(cli, ["user", "apikey", "wz", "--list"])
        assert "export" in listed.output and key not in listed.output
        users = run(cli, ["user", "list"])
        assert users.exit_code == 0 and "wz" in users.output and "320506" in users.output and "ops" in users.output
        r = run(cli, ["user", "passwd", "nobody", "--password", "whatever long"])
        assert r.exit_code == 2 and "no user 'nobody'" in r.output
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("lang, said", [
    ("zh", {"created": "已创建用户 wz（regulator），编号 ", "needs": "错误：监管账户需要指定管辖行政区",
            "key": "wz 的 API 密钥 ", "columns": ("编号", "名称", "前缀", "创建时间"),
            "no key": "错误：wz 没有编号为 999 的 API 密钥", "name": "错误：API 密钥需要 1 至 100 个字符的名称",
            "revoked": "已吊销 API 密钥 ", "no user": "错误：没有用户 'nobody'", "state": ("状态", "正常"),
            "unlocked": "已解锁 wz"}),
    ("vi", {"created": "Đã tạo người dùng wz (regulator), số ",
            "needs": "Lỗi: Tài khoản cơ quan quản lý cần có địa bàn quản lý",
            "key": "Khóa API số ", "columns": ("số", "tên", "tiền tố", "tạo lúc"),
            "no key": "Lỗi: wz không có khóa API số 999", "name": "Lỗi: Khóa API cần một tên dài 1 đến 100 ký tự",
            "revoked": "Đã thu hồi khóa API số ", "no user": "Lỗi: Không có người dùng 'nobody'",
            "state": ("trạng thái", "đang hoạt động"), "unlocked": "Đã mở khóa wz"}),
])
def test_cli_user_commands_in_the_terminals_language(tmp_path, monkeypatch, lang, said):
    """``ecosentry user`` says its results, tables and refusals (its own and the account and API-key stores')
    in the terminal's language; a refusal is ``error: …`` on the standard error with exit code 2."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANGUAGE", lang)
    monkeypatch.setenv("COLUMNS", "200")
    from ecosentry.settings import get_settings

    get_settings.cache_clear()
    try:
        engine = prepare_database(url)
        import_fleet(engine, FLEET)
        run = CliRunner().invoke
        r = run(cli, ["user", "add", "wz", "--role", "regulator", "--region", "320506", "--password", "a long password"])
        assert r.exit_code == 0 and r.stdout.startswith(said["created"]), r.output
        r = run(cli, ["user", "add", "bad", "--role", "regulator", "--password", "a long password"])
        assert r.exit_code == 2 and r.stderr.strip() == said["needs"], r.output
        r = run(cli, ["user", "apikey", "wz", "--name", "export"])
        assert r.exit_code == 0 and r.stdout.startswith(said["key"]) and "Authorization: Bearer" in r.stdout
        key_id = int(r.stdout.split(said["key"])[1].split()[0]) if lang == "vi" else \
            int(r.stdout.split(said["key"])[1].split("（")[0])
        assert r.stdout.strip().splitlines()[-1].startswith("es_")
        listed = run(cli, ["user", "apikey", "wz", "--list"])
        assert all(h in listed.stdout for h in said["columns"]) and "export" in listed.stdout
        r = run(cli, ["user", "apikey", "wz", "--revoke", "999"])
        assert r.exit_code == 2 and r.stderr.strip() == said["no key"]
        r = run(cli, ["user", "apikey", "wz", "--name", " "])
        assert r.exit_code == 2 and r.stderr.strip() == said["name"]
        r = run(cli, ["user", "apikey", "wz", "--revoke", str(key_id)])
        assert r.exit_code == 0 and r.stdout.strip() == f"{said['revoked']}{key_id}"
        users = run(cli, ["user", "list"])
        assert users.exit_code == 0 and all(w in users.stdout for w in said["state"])
        r = run(cli, ["user", "unlock", "wz"])
        assert r.exit_code == 0 and r.stdout.strip() == said["unlocked"]
        r = run(cli, ["user", "passwd", "nobody", "--password", "whatever long"])
        assert r.exit_code == 2 and r.stderr.strip() == said["no user"]
    finally:
        get_settings.cache_clear()
