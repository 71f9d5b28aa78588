"""The control page, the station reports and the public page of Vietnamese stations, on the constructed day of
:mod:`vn_world` put through the real intake (SQLite and PostgreSQL): the QCVN arithmetic shown, the daily
exceedance with status 01/02 left out and shown, the suspicious data explained in Vietnamese, the reports'
cells and PDF text in Vietnamese, the public page and the scope."""

from __future__ import annotations

import io
import secrets
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vn_world import the_day, vn_world  # noqa: E402

from ecosentry.api.app import create_app  # noqa: E402
from ecosentry.auth.deps import hash_api_key  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.store.db import make_engine  # noqa: E402


def _user(engine, name: str, role: str, *, region: str | None = None, enterprise_id: int | None = None) -> str:
    with engine.begin() as c:
        uid = c.execute(insert(s.users).values(username=name, role=role, region_code=region,
                                               enterprise_id=enterprise_id).returning(s.users.c.id)).scalar_one()
        key = "es_" + secrets.token_urlsafe(24)
        c.execute(insert(s.api_keys).values(user_id=uid, name="test", prefix=key[:12], key_hash=hash_api_key(key),
                                            created_at=datetime.now(timezone.utc)))
    return key


def _build_world(url: str, folder: Path) -> dict:
    """The constructed day and three users with their API keys, made once per module and database kind."""
    engine, fleet, ids = vn_world(url, folder)
    province = fleet["enterprises"][0]["region"]
    with engine.begin() as c:
        ent = c.execute(select(s.enterprises.c.id)).scalar_one()
        other = c.execute(insert(s.enterprises).values(credit_code="0100000009", name="Công ty Khác", region_code=province)
                          .returning(s.enterprises.c.id)).scalar_one()
    keys = {"donre": _user(engine, "donre", "regulator", region=province),
            "facility": _user(engine, "facility", "enterprise", enterprise_id=ent),
            "other": _user(engine, "other", "enterprise", enterprise_id=other)}
    engine.dispose()
    return {"ids": ids, "keys": keys, "enterprise": ent}


@pytest.fixture
def world(db_copy):
    """A copy of the module's world (conftest.ModuleDatabases): building it once instead of for each of 18 tests."""
    url, w = db_copy("vn_world", _build_world)
    engine = make_engine(url)
    with TestClient(create_app(engine), follow_redirects=False) as client:
        yield {"engine": engine, "ids": w["ids"], "keys": w["keys"], "client": client, "enterprise": w["enterprise"]}
    engine.dispose()


def _as(w, who: str | None) -> TestClient:
    c = w["client"]
    c.headers.pop("Authorization", None)
    if who:
        c.headers["Authorization"] = f"Bearer {w['keys'][who]}"
    return c


def _row(page: str, marker: str) -> str:
    return page.split(marker, 1)[1].split("</tr>", 1)[0]


def test_control_page_shows_the_qcvn_arithmetic(world):
    page = _as(world, "donre").get(f"/vn/control/points/{world['ids']['water']}?lang=vi").text
    cod = _row(page, 'data-factor="w01018" class=')
    # C 150 × Kq 0.9 × Kf 1.1 = 148.5 (vi: decimal comma), with the K-table rows they stand for
    assert "150 × 0,9 × 1,1 = <b>148,5</b>" in cod
    assert "Kq (nguồn tiếp nhận) = <b>0,9</b>" in cod and "Kf (lưu lượng xả thải F) = <b>1,1</b>" in cod
    assert "50 &lt; F ≤ 500 m³/ngày" in cod and "sông: Q ≤ 50 m³/s" in cod
    assert "QCVN 40:2011/BTNMT · cột B" in cod and "QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1" in cod
    gas = _as(world, "donre").get(f"/vn/control/points/{world['ids']['gas']}?lang=vi").text
    dust = _row(gas, 'data-factor="a34013" class=')
    assert "200 × 0,9 × 1 = <b>180</b>" in dust and "Giá trị đã đăng ký khác với kết quả tính" in dust
    assert "vùng 3" in dust and "20.000 &lt; P ≤ 100.000 m³/giờ" in dust


def test_daily_exceedance_leaves_out_status_01_02_and_shows_them(world):
    page = _as(world, "donre").get(f"/vn/control/points/{world['ids']['water']}?lang=vi&days=7").text
    row = _row(page, f'data-day="{the_day().isoformat()}" data-factor="w01018"')
    # (144 × 140 + 96 × 170) / 240 = 152.0 > 148.5: ratio 1.024, 2.4 % above; 240 valid, 96 above, 36 / 12 left out
    assert "<b>152,00</b>" in row and "148,5" in row and "1,024" in row and "2,4%" in row
    assert [c.split("<")[0] for c in row.split('<td class="num">')[-3:]] == ["240", "96", "36 / 12"]
    periods = page.split('id="vn-status-periods"')[1].split("</table>")[0]
    assert "01 hiệu chuẩn" in periods and "180 phút" in periods
    assert "02 báo lỗi thiết bị" in periods and "60 phút" in periods
    # the other parameters have no exceedance
    assert page.count('class="bad" data-day=') == 1


def test_suspicious_data_explained_in_vietnamese(world):
    page = _as(world, "donre").get(f"/vn/control/points/{world['ids']['water']}?lang=vi").text
    table = page.split('id="vn-suspicious"')[1].split("</table>")[0]
    calib = _row(table, 'data-code="VN-STATUS-CALIBRATING-LONG"')
    assert "Hiệu chuẩn quá lâu" in calib and "báo trạng thái 01 (hiệu chuẩn) trong 180 phút" in calib
    assert "lâu hơn 120 phút" in calib
    const = _row(table, 'data-code="DET-CONST-4H" data-factor="w01012"')
    assert "Giá trị không đổi" in const and "giữ nguyên giá trị 50 mg/L" in const
    neg = _row(table, 'data-code="DET-NEGATIVE" data-factor="w21003"')
    assert "Giá trị âm" in neg and "thấp nhất -0,5 mg/L" in neg and "nồng độ không thể nhỏ hơn không" in neg
    assert "kept the same" not in table and "read negative" not in table   # no English left


def test_overview_counts_days_above_cmax(world):
    page = _as(world, "donre").get("/vn/control?lang=vi&days=7").text
    for medium in ("water", "gas"):
        row = _row(page, f'data-point="{world["ids"][medium]}"')
        assert '<td class="num"><b>1</b></td>' in row   # the constructed day, from the hours' valid means
    assert "Nhu cầu oxy hóa học" in _row(page, f'data-point="{world["ids"]["water"]}"')
    # the hours above Cmax, by hand (vn_world): COD 170 > 148.5 in hours 16–23 (hours 12–15 in status 01/02 are
    # not judged) = 8; SO2 460 > 450 all day = 24
    assert 'data-hours-exceeded="8"' in _row(page, f'data-point="{world["ids"]["water"]}"')
    assert 'data-hours-exceeded="24"' in _row(page, f'data-point="{world["ids"]["gas"]}"')
    # the facility sees its own stations; another facility sees none and gets 404 for them
    assert f'data-point="{world["ids"]["water"]}"' in _as(world, "facility").get("/vn/control").text
    other = _as(world, "other")
    assert f'data-point="{world["ids"]["water"]}"' not in other.get("/vn/control").text
    assert other.get(f"/vn/control/points/{world['ids']['water']}").status_code == 404
    assert other.get(f"/vn/control/points/{world['ids']['water']}/report?kind=daily&day="
                     f"{the_day().isoformat()}").status_code == 404
    # the download's refusals are in the reader's language (Vietnamese for a Vietnamese station by default)
    bad = _as(world, "donre").get(f"/vn/control/points/{world['ids']['water']}/report?kind=daily&day=12/11/2026")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("Kỳ không hợp lệ")
    bad = _as(world, "donre").get(f"/vn/control/points/{world['ids']['water']}/report?kind=monthly&month=2026-13"
                                  "&lang=zh")
    assert bad.status_code == 422 and bad.json()["detail"] == "月份 13 不在 1–12 之间"
    assert _as(world, None).get("/vn/control").status_code == 303   # anonymous: to the login page


def _report(world, kind: str, fmt: str, **q) -> bytes:
    params = "&".join(f"{k}={v}" for k, v in q.items())
    r = _as(world, "facility").get(f"/vn/control/points/{world['ids']['water']}/report?kind={kind}&format={fmt}"
                                   f"&{params}&lang=vi")
    assert r.status_code == 200, r.text
    return r.content


def test_daily_report_xlsx_cells(world):
    wb = load_workbook(io.BytesIO(_report(world, "daily", "xlsx", day=the_day().isoformat())))
    ws = wb.active
    cells = {(c.row, c.column): c for row in ws.iter_rows() for c in row if c.value is not None}
    text = [str(c.value) for c in cells.values()]
    assert ws["A1"].value.startswith("BÁO CÁO KẾT QUẢ QUAN TRẮC TỰ ĐỘNG, LIÊN TỤC NGÀY")
    assert any("Mã số thuế" in t for t in text) and any("QCVN 40:2011/BTNMT cột B (Kf = 1,1, Kq = 0,9)" in t
                                                            for t in text)
    assert not any("统一社会信用代码" in t for t in text)
    header = {c.value: c.column for (r, _), c in cells.items() if r == 6}
    cod = next(col for name, col in header.items() if "COD" in str(name))
    status = next(col for name, col in header.items() if "Trạng thái" in str(name))
    first = {c.value: r for (r, col), c in cells.items() if col == 1}
    assert ws.cell(first["11:00"], cod).value == pytest.approx(140.0)
    assert ws.cell(first["16:00"], cod).value == pytest.approx(170.0)
    assert "▲" in ws.cell(first["16:00"], cod).number_format                      # above Cmax, marked
    assert ws.cell(first["12:00"], cod).value == "—"                               # status 01: no valid value
    assert ws.cell(first["12:00"], status).value == "12 / 0" and ws.cell(first["15:00"], status).value == "0 / 12"
    assert ws.cell(first["Trung bình giá trị hợp lệ"], cod).value == pytest.approx(152.0)
    assert ws.cell(first["Giá trị tối đa cho phép Cmax"], cod).value == pytest.approx(148.5)
    assert ws.cell(first["Số giá trị vượt Cmax"], cod).value == 96
    assert ws.cell(first["Đánh giá theo ngày"], cod).value == "Vượt quy chuẩn"
    assert ws.cell(first["Mức đầy đủ dữ liệu"], cod).value == pytest.approx(240 / 288)


def test_todays_daily_report_expects_nothing_of_hours_still_to_come(world):
    """Today's report: an hour that has not begun has no completeness (not 0 %), and the day's completeness
    counts only the hours begun."""
    from datetime import datetime
    from vn_world import VN

    now = datetime.now(VN)
    wb = load_workbook(io.BytesIO(_report(world, "daily", "xlsx", day=now.date().isoformat())))
    ws = wb.active
    header = {c.value: c.column for c in ws[6] if c.value is not None}
    complete = next(col for name, col in header.items() if "đầy đủ" in str(name))
    first = {c.value: c.row for c in ws["A"] if c.value is not None}
    if now.hour < 23:  # the last hour of the day is still to come
        assert ws.cell(first["23:00"], complete).value in (None, "—", "")
    assert ws.cell(first["00:00"], complete).value == 0  # begun and nothing received (vn_world loads yesterday)


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())  # paragraphs wrap: compare words


def test_daily_and_monthly_report_pdf_in_vietnamese(world, tmp_path):
    text = _pdf_text(_report(world, "daily", "pdf", day=the_day().isoformat()), tmp_path)
    for words in ("BÁO CÁO KẾT QUẢ QUAN TRẮC TỰ ĐỘNG, LIÊN TỤC NGÀY", "Cơ sở", "Mã số thuế", "Trạm quan trắc",
                  "Nhu cầu oxy", "Trạng thái 01 / 02", "Vượt quy chuẩn", "152,00 ▲", "170,00 ▲",
                  "Điều 39 Thông tư 10/2021/TT-BTNMT", "150 × 0,9 × 1,1 = 148,5", "100,00%"):
        assert words in text, words
    assert "统一社会信用代码" not in text
    # Vietnamese formats all through: the pH range with the decimal comma, the zone by its name, the station's
    # region by its level (this world's stations are in a province; the demo's in districts: "Quận/huyện")
    assert "5,5–9" in text and "5.5" not in text, text
    assert "Giờ Việt Nam" in text and "Asia/Ho_Chi_Minh" not in text
    assert "Tỉnh/thành phố: Thành phố Hà Nội" in text and "Quận/huyện: Thành phố" not in text
    # drawn, not only written: the first page renders as a picture (not an empty page)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"),
                    str(tmp_path / "daily")], check=True)
    picture = next(tmp_path.glob("daily-*1.png"))
    assert picture.stat().st_size > 20_000
    month = _pdf_text(_report(world, "monthly", "pdf", month=the_day().strftime("%Y-%m")), tmp_path)
    assert "BÁO CÁO KẾT QUẢ QUAN TRẮC TỰ ĐỘNG, LIÊN TỤC THÁNG" in month and "Số ngày vượt Cmax" in month
    assert the_day().strftime("%d/%m") in month and "152,00 ▲" in month


def test_reports_and_station_pages_offer_the_vietnamese_reports(world):
    c = _as(world, "donre")
    page = c.get("/reports?lang=vi").text
    assert 'value="vn_daily"' in page and "báo cáo ngày theo QCVN" in page
    r = c.get(f"/reports/download?kind=vn_monthly&point={world['ids']['water']}&month={the_day():%Y-%m}&format=xlsx")
    assert r.status_code == 303
    assert r.headers["location"] == (f"/vn/control/points/{world['ids']['water']}/report?kind=monthly&month="
                                     f"{the_day():%Y-%m}&format=xlsx")
    point = c.get(f"/points/{world['ids']['water']}?lang=vi").text
    assert f'href="/vn/control/points/{world["ids"]["water"]}"' in point
    assert f"/vn/control/points/{world['ids']['water']}/report?kind=daily" in point   # not the HJ 76 report


def test_public_page_shows_vietnamese_stations_against_qcvn(world):
    with world["engine"].begin() as conn:
        conn.execute(s.enterprises.update().where(s.enterprises.c.id == world["enterprise"]).values(published=True))
    c = _as(world, None)
    listing = c.get("/public?lang=vi").text
    assert '<td class="num">1</td>' in _row(listing, f'data-enterprise="{world["enterprise"]}"')
    page = c.get(f"/public/enterprises/{world['enterprise']}?lang=vi").text
    water = page.split(f'data-point="{world["ids"]["water"]}"')[1].split("</section>")[0]
    assert "1 ngày vượt quy chuẩn QCVN" in water
    latest = _row(water, 'data-factor="w01018"')      # the latest file: 23:55, COD 170 (status 00)
    assert "170" in latest and "vượt Cmax" in latest and "148,5" in latest and "150 × Kq 0,9 × Kf 1,1" in latest
    days = water.split('class="latest public-days"')[1]
    assert "152,00 ▲" in days and "Cmax 148,5" in days
    assert "Giá trị trung bình ngày của" not in page.split("<h1>")[1].split("</h1>")[0]
