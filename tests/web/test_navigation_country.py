"""The menu of a deployment shows the subsystems of its country: a DONRE's platform has no Chinese-only pages
(electricity monitoring, gates, chemical parks, third-party O&M under HJ 75), a Chinese one has no Vietnamese desk."""

from __future__ import annotations

from ecosentry.auth.principal import Principal
from ecosentry.web.templating import navigation

CHINESE_ONLY = ("/power", "/gates", "/park", "/om/")


def _paths(country: str) -> list[str]:
    menu = navigation(Principal("admin", "admin"), country)
    return [e.path for group in menu.values() for e in group]


def test_a_vietnamese_deployment_shows_no_chinese_only_pages():
    vn = _paths("vn")
    assert "/vn/control" in vn and "/alarms" in vn
    assert [p for p in vn if p.startswith(CHINESE_ONLY)] == []


def test_a_chinese_deployment_shows_its_subsystems_and_no_vietnamese_desk():
    cn = _paths("cn")
    assert {"/power", "/gates", "/park", "/om/orders", "/om/ranking"} <= set(cn)
    assert [p for p in cn if p.startswith("/vn/")] == []
