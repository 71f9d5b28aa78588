"""The gates pages through the app as each role sees them, on passages pushed over HTTP and stored by the sink:
the gate live view with its pictures (served through the access-checked route, refused for another enterprise),
the ledger search and its XLSX export read back with openpyxl, the alert-period dashboard per region."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from gates_dbkit import STAGE4, STAGE5, STAGE6, png
from gates_pages_world import B_PLATE, site as world_site


site = pytest.fixture(world_site, name="site")


def get(client, w, user, path, lang="zh"):
    sep = "&" if "?" in path else "?"
    return client.get(f"{path}{sep}lang={lang}", headers={"Authorization": f"Bearer {w['keys'][user]}"})


@pytest.mark.parametrize("lang, words", [("zh", ("门禁实时", "不得进出", "国四", "侧门")),
                                         ("vi", ("Cổng trực tiếp", "không được", "Quốc IV", "cổng phụ"))])
def test_the_live_view_shows_the_latest_passages_with_pictures_and_decisions(site, lang, words):
    w, client = site
    r = get(client, w, "city", f"/gates?enterprise={w['a']}", lang)
    assert r.status_code == 200, r.text
    for word in words[:3]:
        assert word in r.text, word
    for plate in (STAGE4, STAGE5, STAGE6, "晋B99999"):
        assert plate in r.text
    assert f'src="/gates/pictures/{w["pictures"][STAGE4]}"' in r.text
    assert 'data-reason="stage_below"' in r.text and 'data-reason="unknown_vehicle"' in r.text
    assert B_PLATE not in r.text  # one enterprise at a time
    side = get(client, w, "city", f"/gates?enterprise={w['b']}", lang)
    assert side.status_code == 200 and B_PLATE in side.text and words[3] in side.text


def test_each_role_sees_its_own_enterprises_only(site):
    w, client = site
    own = get(client, w, "plantA", "/gates")
    assert own.status_code == 200 and STAGE4 in own.text and "临汾钢铁" not in own.text
    assert get(client, w, "plantA", f"/gates?enterprise={w['b']}").status_code == 404
    assert get(client, w, "plantB", f"/gates?enterprise={w['a']}").status_code == 404
    far = get(client, w, "taiyuan", "/gates")
    assert far.status_code == 200 and STAGE4 not in far.text and 'id="no-gates"' in far.text
    for path in ("/gates", "/gates/ledger", "/gates/dashboard"):
        anon = client.get(path)
        assert anon.status_code == 303 and anon.headers["location"].startswith("/login")


def test_the_picture_route_serves_own_pictures_and_refuses_others(site):
    w, client = site
    sha_a, sha_b = w["pictures"][STAGE4], w["pictures"][B_PLATE]
    mine = get(client, w, "plantA", f"/gates/pictures/{sha_a}")
    assert mine.status_code == 200 and mine.content == png(3) and mine.headers["content-type"] == "image/png"
    assert get(client, w, "city", f"/gates/pictures/{sha_b}").status_code == 200
    assert get(client, w, "plantA", f"/gates/pictures/{sha_b}").status_code == 404
    assert get(client, w, "plantB", f"/gates/pictures/{sha_a}").status_code == 404
    assert get(client, w, "taiyuan", f"/gates/pictures/{sha_a}").status_code == 404
    assert get(client, w, "city", "/gates/pictures/" + "0" * 64).status_code == 404
    assert get(client, w, "city", "/gates/pictures/..%2F..%2Fetc").status_code == 404


def test_the_ledger_is_searched_and_exported_as_xlsx(site):
    w, client = site
    page = get(client, w, "city", "/gates/ledger")
    assert page.status_code == 200 and "电子台账" in page.text or "车辆台账" in page.text
    for plate in (STAGE4, STAGE5, B_PLATE):
        assert plate in page.text
    only = get(client, w, "city", f"/gates/ledger?enterprise={w['a']}&stage=4")
    assert STAGE4 in only.text and STAGE5 not in only.text
    unknown = get(client, w, "city", "/gates/ledger?unknown=1")
    assert "晋B99999" in unknown.text and STAGE4 not in unknown.text
    plate = get(client, w, "city", "/gates/ledger?plate=l5555")
    assert B_PLATE in plate.text and STAGE4 not in plate.text
    bad = get(client, w, "city", "/gates/ledger?from=yesterday")
    assert bad.status_code == 200 and 'role="alert"' in bad.text and 'id="no-ledger"' in bad.text
    mine = get(client, w, "plantB", "/gates/ledger")
    assert B_PLATE in mine.text and STAGE4 not in mine.text
    x = get(client, w, "city", f"/gates/ledger?enterprise={w['a']}&format=xlsx")
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(x.content)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    head = [c.value for c in ws[2]]
    assert head[:4] == ["企业", "时间", "方向", "车牌"]
    plates = sorted(r[3] for r in rows)
    assert plates == sorted([STAGE5, STAGE6, STAGE4, "晋B99999", STAGE5])  # four entries and the exit
    assert all(r[0] == "临汾焦化" for r in rows)
    stage4 = next(r for r in rows if r[3] == STAGE4)
    assert stage4[6] == "国四" and stage4[2] == "进厂"
    xb = get(client, w, "plantB", "/gates/ledger?format=xlsx")
    assert sorted(r[3] for r in load_workbook(io.BytesIO(xb.content)).active.iter_rows(min_row=3, values_only=True)) \
        == [B_PLATE, B_PLATE]


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_the_alert_dashboard_counts_passages_stages_and_violations(site, lang):
    w, client = site
    r = get(client, w, "city", "/gates/dashboard", lang)
    assert r.status_code == 200, r.text
    assert 'data-level="orange"' in r.text and "临汾焦化" in r.text and "临汾钢铁" in r.text
    text = r.text
    row_a = text[text.index(f'data-enterprise="{w["a"]}"'):]
    row_a = row_a[:row_a.index("</tr>")]
    assert 'data-violations="2"' in row_a  # the 国四 refused, and B's 80 % share of 国五+ not reached (2 of 4)
    row_b = text[text.index(f'data-enterprise="{w["b"]}"'):]
    row_b = row_b[:row_b.index("</tr>")]
    assert 'data-violations="1"' in row_b  # the side-gate exit
    own = get(client, w, "plantB", "/gates/dashboard", lang)
    assert own.status_code == 200 and "临汾钢铁" in own.text and "临汾焦化" not in own.text
    far = get(client, w, "taiyuan", "/gates/dashboard", lang)
    assert far.status_code == 200 and "临汾焦化" not in far.text
    assert get(client, w, "city", "/gates/dashboard?alert=999999").status_code == 404
