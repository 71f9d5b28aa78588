"""Reports page: the choice is checked against the scope and leads to the report's API download."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, start_copy  # noqa: E402


@pytest.fixture
def world(db_copy, tmp_path):
    client, w = start_copy(db_copy, tmp_path)  # the world made once per module and database kind
    with client:
        yield client, w
    w.engine.dispose()


def test_page_offers_only_points_in_scope(world):
    client, w = world
    page = client.get("/reports", headers=w.bearer("ent_a"))
    assert page.status_code == 200
    assert GAS_A in page.text and GAS_B not in page.text
    assert client.get("/reports", follow_redirects=False).status_code == 303


def test_daily_pdf_and_monthly_xlsx_download_through_the_api(world):
    client, w = world
    pid = w.points[GAS_A]
    r = client.get(f"/reports/download?kind=daily&point={pid}&day=2026-11-20&format=pdf", headers=w.bearer("ent_a"),
                   follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/api/v1/points/{pid}/reports/daily?day=2026-11-20&format=pdf"
    pdf = client.get(r.headers["location"], headers=w.bearer("ent_a"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    m = client.get(f"/reports/download?kind=monthly&point={pid}&month=2026-10&format=xlsx",
                   headers=w.bearer("county_a"))
    assert m.status_code == 200 and m.content[:2] == b"PK"  # XLSX is a zip
    y = client.get(f"/reports/download?kind=yearly&point={pid}&year=2025&format=xlsx", headers=w.bearer("admin"),
                   follow_redirects=False)
    assert y.headers["location"] == f"/api/v1/points/{pid}/reports/yearly?year=2025&format=xlsx"


def test_rates_report_region_follows_the_scope(world):
    client, w = world
    own = client.get("/reports/download?kind=rates&start_day=2026-11-01&end_day=2026-11-20&format=xlsx",
                     headers=w.bearer("county_a"), follow_redirects=False)
    assert own.status_code == 303 and "region=320506" in own.headers["location"]
    other = client.get("/reports/download?kind=rates&region=320507&start_day=2026-11-01&end_day=2026-11-20"
                       "&format=xlsx", headers=w.bearer("county_a"))
    assert other.status_code == 422 and "320507" in other.text
    ent = client.get("/reports/download?kind=rates&start_day=2026-11-01&end_day=2026-11-20&format=pdf",
                     headers=w.bearer("ent_a"))
    assert ent.status_code == 422 and "企业账号无权生成区域报表" in ent.text  # the guard's refusal, in the page's language
    data = client.get("/reports/download?kind=rates&region=320500&start_day=2026-11-01&end_day=2026-11-02"
                      "&format=xlsx", headers=w.bearer("city"))
    assert data.status_code == 200 and data.content[:2] == b"PK"


@pytest.mark.parametrize("query, sentence", [
    ("kind=daily&point={b}&day=2026-11-20&format=pdf", "请选择您的监测点"),
    ("kind=daily&point={a}&day=20.11.2026&format=pdf", "不是日期"),
    ("kind=monthly&point={a}&month=2026-13&format=pdf", "不是月份"),
    ("kind=yearly&point={a}&year=1999&format=pdf", "2000 至 2100"),
    ("kind=daily&point={a}&day=2026-11-20&format=docx", "请选择 XLSX 或 PDF"),
    ("kind=rates&start_day=2026-11-20&end_day=2026-11-01&format=pdf", "结束日期不能早于开始日期"),
])
def test_bad_choices_come_back_with_a_sentence(world, query, sentence):
    client, w = world
    r = client.get("/reports/download?" + query.format(a=w.points[GAS_A], b=w.points[GAS_B]),
                   headers=w.bearer("county_a"))
    assert r.status_code == 422 and sentence in r.text
