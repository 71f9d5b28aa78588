"""Issue 11 item 5: a page about an object outside the account's scope answers exactly like a page about an
object that does not exist (404, the same HTML error page in the user's language), as the API does; the
pages never answer raw JSON."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from pages_testkit import add_alarm, add_mark, as_user, ids
from pages_testkit import client, engine, keys  # noqa: F401  (fixtures)

MISSING = 987654


def _pairs(engine) -> list[tuple[str, str]]:
    """(out-of-scope URL, missing URL) for every page with an object in its path or query, as 吴中分局 sees."""
    i = ids(engine)
    now = datetime.now(timezone.utc)
    alarm = add_alarm(engine, i["other"])["id"]
    mark = add_mark(engine, i["other"], now - timedelta(hours=3), now - timedelta(hours=1))
    return [(f"/enterprises/{i['other_ent']}", f"/enterprises/{MISSING}"),
            (f"/outlets/{i['other_outlet']}", f"/outlets/{MISSING}"),
            (f"/points/{i['other']}", f"/points/{MISSING}"),
            (f"/alarms/{alarm}", f"/alarms/{MISSING}"),
            (f"/marks/{mark}", f"/marks/{MISSING}"),
            ("/dashboard?region=320505", "/dashboard?region=999999"),
            ("/map?region=320505", "/map?region=999999")]


def _with_lang(url: str, lang: str) -> str:
    return url + ("&" if "?" in url else "?") + f"lang={lang}"


def _shape(html: str, *ids_: object) -> str:
    """The page with the ids of the request taken out (the rest must be equal)."""
    for x in ids_:
        html = html.replace(str(x), "#")
    return re.sub(r"\d+", "#", html)


@pytest.mark.parametrize("lang, title, sentence", [
    ("zh", "未找到", "此页面不存在，或您的账户无权查看。"),
    ("vi", "Không tìm thấy", "Trang này không tồn tại, hoặc tài khoản của bạn không được xem."),
])
def test_out_of_scope_and_missing_answer_the_same_page(client, engine, keys, lang, title, sentence):
    as_user(client, keys, "wuzhong")
    for outside, missing in _pairs(engine):
        a = client.get(_with_lang(outside, lang))
        b = client.get(_with_lang(missing, lang))
        assert (a.status_code, b.status_code) == (404, 404), (outside, a.status_code, missing, b.status_code)
        for r in (a, b):
            assert r.headers["content-type"].startswith("text/html"), (outside, r.text[:200])
            assert title in r.text and sentence in r.text, (outside, r.text[:400])
            assert '<header class="top">' in r.text  # the base layout, with the navigation
        assert _shape(a.text) == _shape(b.text), outside


def test_unpublished_enterprise_on_the_public_page_is_like_a_missing_one(client, engine):
    i = ids(engine)  # the home enterprise is not published
    a = client.get(f"/public/enterprises/{i['home']}", params={"lang": "vi"})
    b = client.get(f"/public/enterprises/{MISSING}", params={"lang": "vi"})
    assert a.status_code == b.status_code == 404
    assert a.headers["content-type"].startswith("text/html") and "Không tìm thấy" in a.text
    assert _shape(a.text) == _shape(b.text)


def test_unknown_address_is_a_page_and_the_api_stays_json(client, engine, keys):
    as_user(client, keys, "wuzhong")
    bad = client.get("/points/abc?lang=vi")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    assert "Hãy kiểm tra địa chỉ và thử lại." in bad.text
    assert client.get("/api/v1/points/abc").json()["detail"]  # the API keeps its JSON
    r = client.get("/no-such-page?lang=zh", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "未找到" in r.text
    api = client.get(f"/api/v1/points/{ids(engine)['other']}")
    assert api.status_code == 404 and api.json()["detail"]
    chart = client.get(f"/points/{ids(engine)['other']}/chart.json")
    assert chart.status_code == 404 and chart.json()["detail"] == client.get(
        f"/points/{MISSING}/chart.json").json()["detail"].replace(str(MISSING), str(ids(engine)["other"]))


def test_a_role_without_the_permission_gets_a_localized_403_page(client, engine, keys):
    as_user(client, keys, "plant")  # an enterprise account may not read the audit log
    r = client.get("/audit", params={"lang": "vi"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "Tài khoản của bạn không được mở trang này." in r.text
