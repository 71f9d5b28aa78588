"""Registry administration: forms create and change rows, refuse bad values beside the field, audit the
change with before/after; users through the account functions; only administrators get in."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, audit_rows, start  # noqa: E402

from ecosentry.auth.principal import ROLES  # noqa: E402
from ecosentry.store import registry_edit, schema as s  # noqa: E402


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    with client:
        yield client, w
    w.engine.dispose()


def _post(client, w, path, data):
    return client.post(path, headers=w.bearer("admin"), data=data, follow_redirects=False)


def test_only_administrators_get_in(world):
    client, w = world
    assert client.get("/admin", headers=w.bearer("admin")).status_code == 200
    for user in ("city", "ent_a", "om_b"):
        assert client.get("/admin/points", headers=w.bearer(user)).status_code == 403
        assert client.post("/admin/regions/new", headers=w.bearer(user), data={"code": "320508"},
                           follow_redirects=False).status_code == 403
    assert client.get("/admin/nothing", headers=w.bearer("admin")).status_code == 404


def test_build_a_new_enterprise_through_the_forms(world):
    client, w = world
    r = _post(client, w, "/admin/regions/new", {"code": "320508", "name": "姑苏区", "parent_code": "320500",
                                                "level": "county", "country": "CN"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/regions/320508?done=created"
    bad = _post(client, w, "/admin/enterprises/new", {"credit_code": "12345", "name": "新企业", "region_code": "320508"})
    assert bad.status_code == 422 and "统一社会信用代码为 18 位" in bad.text and 'data-field="credit_code"' in bad.text
    assert 'value="新企业"' in bad.text  # what was typed stays
    r = _post(client, w, "/admin/enterprises/new", {"credit_code": "91320508MA1TEST003", "name": "姑苏印染有限公司",
                                                    "region_code": "320508", "lon": "120.62", "lat": "31.31",
                                                    "published": "1"})
    ent_id = int(r.headers["location"].split("/")[3].split("?")[0])
    r = _post(client, w, "/admin/outlets/new", {"enterprise_id": str(ent_id), "code": "DW001", "name": "废水总排口",
                                                "medium": "water"})
    outlet_id = int(r.headers["location"].split("/")[3].split("?")[0])
    dup = _post(client, w, "/admin/outlets/new", {"enterprise_id": str(ent_id), "code": "DW001", "name": "again",
                                                  "medium": "water"})
    assert dup.status_code == 422 and "已被" in dup.text
    point = {"outlet_id": str(outlet_id), "mn": GAS_A, "password": "112233", "st": "32", "name": "印染废水",
             "tz": "Asia/Shanghai", "region_code": "320508", "min_interval": "10", "rtd_interval": "30", "active": "1"}
    taken = _post(client, w, "/admin/points/new", point)
    assert taken.status_code == 422 and f"{GAS_A} 已被其他记录使用" in taken.text
    bad_tz = _post(client, w, "/admin/points/new", {**point, "mn": "TEST00000000000000NEW01", "tz": "Mars/Olympus"})
    assert bad_tz.status_code == 422 and "未知时区" in bad_tz.text
    r = _post(client, w, "/admin/points/new", {**point, "mn": "TEST00000000000000NEW01"})
    assert r.status_code == 303
    point_id = int(r.headers["location"].split("/")[3].split("?")[0])
    with w.engine.begin() as conn:  # the factor at the point (point factors come with the fleet import)
        conn.execute(s.point_factors.insert().values(point_id=point_id, factor_code="w01018"))
    limit = {"point_id": str(point_id), "factor_code": "w01018", "kind": "day", "upper": "50", "lower": "80",
             "valid_from": "2026-01-01", "standard": "GB 4287-2012"}
    upside_down = _post(client, w, "/admin/limits/new", limit)
    assert upside_down.status_code == 422 and "下限高于上限" in upside_down.text
    unknown_factor = _post(client, w, "/admin/limits/new", {**limit, "lower": "", "factor_code": "w21003"})
    assert unknown_factor.status_code == 422 and "不监测因子" in unknown_factor.text
    r = _post(client, w, "/admin/limits/new", {**limit, "lower": ""})
    assert r.status_code == 303
    with w.engine.connect() as conn:
        row = conn.execute(select(s.limits).where(s.limits.c.point_id == point_id)).mappings().one()
    assert (row["kind"], row["upper"], row["lower"], row["standard"]) == ("day", 50.0, None, "GB 4287-2012")
    listing = client.get("/admin/enterprises?q=印染", headers=w.bearer("admin")).text
    assert "姑苏印染有限公司" in listing and "苏州测试热电有限公司" not in listing


def test_point_edit_is_audited_with_a_masked_password(world):
    client, w = world
    pid = w.points[GAS_B]
    form = client.get(f"/admin/points/{pid}", headers=w.bearer("admin")).text
    assert 'value="焚烧炉CEMS"' in form
    current = registry_edit.get_row(w.engine, "point", pid)
    data = {k: ("" if v is None else str(v)) for k, v in current.items() if k != "id"}
    data.update(name="焚烧炉CEMS（新）", password="999999", active="")
    assert _post(client, w, f"/admin/points/{pid}", data).status_code == 303
    after = registry_edit.get_row(w.engine, "point", pid)
    assert (after["name"], after["password"], after["active"]) == ("焚烧炉CEMS（新）", "999999", False)
    row = audit_rows(w.engine, "point", pid)[-1]
    assert (row["action"], row["actor"]) == ("update", "admin")
    assert row["before"]["password"] == "***" and row["after"]["password"] == "*** (changed)"
    assert row["before"]["active"] is True and row["after"]["active"] is False
    assert client.get(f"/admin/points/{pid}?done=saved", headers=w.bearer("admin")).text.count("999999") == 1


def test_users_are_written_by_the_account_functions(world):
    client, w = world
    no_region = _post(client, w, "/admin/users/new", {"username": "inspector", "role": "regulator", "active": "1"})
    assert no_region.status_code == 422 and "需要管辖范围" in no_region.text
    weak = _post(client, w, "/admin/users/new", {"username": "inspector", "role": "regulator", "region_code": "320507",
                                                 "new_password": "1", "active": "1"})
    refused = re.findall(r'class="form-error"[^>]*data-field="([^"]*)"[^>]*>([^<]*)', weak.text)
    assert weak.status_code == 422 and refused and refused[0][0] == "new_password" and "密码至少需要" in refused[0][1]
    # a regulator's account (not O&M: the form's empty list of maintained points is not an account field)
    inspector = _post(client, w, "/admin/users/new", {"username": "inspector", "role": "regulator",
                                                      "region_code": "320507", "new_password": "x" * 12,
                                                      "active": "1"})
    assert inspector.status_code == 303, re.findall(r'class="form-error"[^>]*>[^<]*', inspector.text)
    om = _post(client, w, "/admin/users/new", {"username": "om_a", "role": "om", "maintained_points": f"{GAS_A}\nNOPE",
                                               "active": "1"})
    assert om.status_code == 422 and "没有 MN 为 NOPE 的监测点" in om.text
    r = _post(client, w, "/admin/users/new", {"username": "om_a", "role": "om", "maintained_points": GAS_A,
                                              "active": "1", "locale": "vi"})
    assert r.status_code == 303
    uid = int(r.headers["location"].split("/")[3].split("?")[0])
    assert registry_edit.get_row(w.engine, "user", uid)["maintained_points"] == [GAS_A]
    r = _post(client, w, f"/admin/users/{uid}", {"role": "om", "maintained_points": f"{GAS_A}, {GAS_B}",
                                                 "active": "1", "locale": "vi"})
    assert r.status_code == 303
    assert registry_edit.get_row(w.engine, "user", uid)["maintained_points"] == sorted([GAS_A, GAS_B])
    assert {r["action"] for r in audit_rows(w.engine, "user", uid)} >= {"create", "update", "set_points"}


def test_reset_lock_out(world):
    client, w = world
    uid = w.users["ent_a"]
    with w.engine.begin() as conn:
        conn.execute(update(s.users).where(s.users.c.id == uid).values(
            failed_logins=3, locked_until=datetime.now(timezone.utc) + timedelta(minutes=15)))
    page = client.get(f"/admin/users/{uid}", headers=w.bearer("admin")).text
    assert 'id="form-unlock"' in page
    r = client.post(f"/admin/users/{uid}/unlock", headers=w.bearer("admin"), data={}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/users/{uid}?done=unlocked"
    row = registry_edit.get_row(w.engine, "user", uid)
    assert (row["failed_logins"], row["locked_until"]) == (0, None)
    last = audit_rows(w.engine, "user", uid)[-1]
    assert (last["action"], last["actor"], last["before"]["failed_logins"]) == ("reset_lockout", "admin", 3)


def test_registry_edit_knows_the_roles_of_the_principal():
    assert registry_edit.ROLES == ROLES
    assert registry_edit.ENTITIES["user"].field("role").choices == ROLES


def test_point_connection_time_is_edited_in_local_time(world):
    """联网时间 (issue 11 item 2): entered in the point's local time, stored in UTC, shown back locally."""
    client, w = world
    pid = w.points[GAS_B]
    current = registry_edit.get_row(w.engine, "point", pid)
    data = {k: ("" if v is None else str(v)) for k, v in current.items() if k != "id"}
    data.update(connected_at="2026-12-01T08:00", tz="Asia/Shanghai")
    assert _post(client, w, f"/admin/points/{pid}", data).status_code == 303
    after = registry_edit.get_row(w.engine, "point", pid)
    assert after["connected_at"] == datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
    assert after["decommissioned_at"] is None
    form = client.get(f"/admin/points/{pid}", headers=w.bearer("admin")).text
    assert 'type="datetime-local" name="connected_at" value="2026-12-01T08:00"' in form
    data.update(connected_at="1 Dec")
    bad = _post(client, w, f"/admin/points/{pid}", data)
    assert bad.status_code == 422 and 'data-field="connected_at"' in bad.text


def test_registry_edit_refusals_are_msgids(world):
    """The edit store's refusals of an unknown table, a key that is no number and a missing row or user are
    msgids with parameters (said in the reader's language), the English sentence for the logs."""
    from ecosentry.locale import translations

    _client, w = world
    refusals = []
    for call in (lambda: registry_edit.update(w.engine, "no_such_table", 1, {}, "admin"),
                 lambda: registry_edit.update(w.engine, "point", "abc", {}, "admin"),
                 lambda: registry_edit.update(w.engine, "point", 999999, {}, "admin"),
                 lambda: registry_edit.reset_lockout(w.engine, 999999, "admin")):
        with pytest.raises(registry_edit.RegistryEditError) as refused:
            call()
        refusals.append(refused.value)
    assert [str(r) for r in refusals[1:]] == ["the id 'abc' is not a number", "there is no monitoring point 999999",
                                              "there is no user 999999"]
    assert str(refusals[0]).startswith("unknown registry table 'no_such_table'; known: ")
    zh, vi = translations("zh").gettext, translations("vi").gettext
    assert [r.say(zh) for r in refusals[1:]] == ["编号 'abc' 不是数字", "没有监测点 999999", "没有用户 999999"]
    assert [r.say(vi) for r in refusals[1:]] == ["Mã số 'abc' không phải là số", "Không có điểm quan trắc 999999",
                                                 "Không có người dùng 999999"]
    assert refusals[0].say(vi).startswith("Bảng danh mục không xác định 'no_such_table'; ")


def test_an_administrator_sets_a_points_detection_limit_and_range(world):
    """The factors of a point (point_factors) are a registry table of their own: the analyser's range and the
    method's detection limit (which DET-AT-DETECTION-LIMIT reads) are set in a form, refused beside their field
    when they contradict each other, and audited."""
    client, w = world
    pid = w.points[GAS_A]
    with w.engine.connect() as conn:
        pf_id = conn.execute(select(s.point_factors.c.id).where(s.point_factors.c.point_id == pid,
                                                                s.point_factors.c.factor_code == "a21026")).scalar()
    page = client.get("/admin/point-factors", headers=w.bearer("admin"))
    assert page.status_code == 200 and "监测点因子（量程、检出限）" in page.text
    assert "二氧化硫" in page.text and f"({GAS_A})" in page.text  # the references by their names, the MN beside
    form = client.get(f"/admin/point-factors/{pf_id}", headers=w.bearer("admin")).text
    assert "方法检出限" in form and "仪器量程上限" in form and "参与传输有效率考核" in form
    # the select's factors in the reader's language (they were the Chinese names whatever the reader's)
    assert '<option value="a21026" selected>a21026 二氧化硫</option>' in form
    data = {"point_id": str(pid), "factor_code": "a21026", "range_low": "0", "range_high": "200",
            "detection_limit": "3", "assessed": "1"}
    assert _post(client, w, f"/admin/point-factors/{pf_id}", data).status_code == 303
    row = registry_edit.get_row(w.engine, "point_factor", pf_id)
    assert (row["range_low"], row["range_high"], row["detection_limit"], row["assessed"]) == (0, 200, 3, True)
    change = audit_rows(w.engine, "point_factor", pf_id)[-1]
    assert (change["action"], change["actor"]) == ("update", "admin")
    assert change["before"]["detection_limit"] is None and change["after"]["detection_limit"] == 3
    # contradictions are refused beside the field, in the reader's language
    bad = _post(client, w, f"/admin/point-factors/{pf_id}", {**data, "range_low": "250"})
    assert bad.status_code == 422 and "量程下限必须小于上限" in bad.text and 'data-field="range_low"' in bad.text
    bad = _post(client, w, f"/admin/point-factors/{pf_id}", {**data, "detection_limit": "200"})
    assert bad.status_code == 422 and "检出限必须小于量程上限" in bad.text
    bad = _post(client, w, "/admin/point-factors/new", data)
    assert bad.status_code == 422 and "该监测点已有此因子" in bad.text and 'data-field="factor_code"' in bad.text
    # a factor the point did not measure yet; the new form counts it in the rates unless unticked
    assert 'name="assessed" value="1" checked' in client.get("/admin/point-factors/new", headers=w.bearer("admin")).text
    r = _post(client, w, "/admin/point-factors/new", {**data, "factor_code": "a34013", "detection_limit": "1"})
    assert r.status_code == 303
    assert registry_edit.get_row(w.engine, "point_factor", int(r.headers["location"].split("/")[3].split("?")[0]))[
        "detection_limit"] == 1
