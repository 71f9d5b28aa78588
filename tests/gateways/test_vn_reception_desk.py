"""The reception desk (issue 14 item 2): one station's constructed day, sent through the real intake (spool,
ingest worker, ``vn-file`` sink), counted by the desk's read model and shown on its pages, against hand counts.
SQLite and PostgreSQL.

The day D is yesterday (local), the water station connected at D 00:00, one file every 5 minutes: 288 expected.

===================================  =========================================================  =========
what is sent                         files                                                      counts as
===================================  =========================================================  =========
on time (received + 1 min)           00:00 … 00:45 (10) and 23:55 (received after midnight)     11 on time
late (received + 20 min)             01:00, 01:05, 01:10                                        3 late
back-filled (received + 3 h)         02:00, 02:05, 02:10, 02:15                                 4 back-filled
malformed (spaces, not TAB)          03:00, 03:05                                               2 rejected (bad_line)
the 00:00 file again, same bytes     00:00                                                      1 duplicate
another file in the 00:00 slot       00:02:30                                                   1 duplicate
the 00:05 name, other content        00:05                                                      1 conflict
an unknown parameter in one file     00:10 has "Chất lạ"                                        1 unmapped
a line the station marks "not a      00:15 has "Flow_In", which the station's rule says is not   0 unmapped
factor" (its rule, set before)       a factor
===================================  =========================================================  =========

covered = 11 + 3 + 4 = 18, missing = 288 − 18 = 270, completeness = 18 / 288 = 6.25 %.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.queries import vn_reception
from ecosentry.subsystems.monitoring.rules.vn.units import DEFAULT_REFERENCE
from ecosentry.subsystems.monitoring.store.vn import set_mapping
from ecosentry.subsystems.monitoring.vn.mapping import plan_rule

from vn_testkit import GAS, VN, WATER, drained, file_bytes, file_name, intake_stack, point_id, send, setup_db

LINES = [("COD", "45.20", "mg/L", "00"), ("TSS", "12.5", "mg/L", "00"), ("pH", "7.21", "", "00")]
ODD = LINES + [("Chất lạ", "3.3", "mg/L", "00")]
INFLOW = LINES + [("Flow_In", "20.5", "m3/h", "00")]


def _day():
    return (datetime.now(VN) - timedelta(days=1)).date()


def _at(day, hh: int, mm: int, ss: int = 0) -> datetime:
    """Local time of day D, naive (what a file name carries)."""
    return datetime.combine(day, time(hh, mm, ss))


def _utc(t_local: datetime) -> datetime:
    return t_local.replace(tzinfo=VN).astimezone(timezone.utc)


async def _send_day(engine, tmp_path, day) -> None:
    drop = tmp_path / "ftp" / WATER
    plan: list[tuple[str, bytes, datetime]] = []

    def add(t: datetime, delay: timedelta, lines=LINES, sep="\t", name_time: datetime | None = None) -> None:
        plan.append((file_name(WATER, name_time or t), file_bytes(t, lines, sep=sep), _utc(t) + delay))

    for k in range(10):
        t = _at(day, 0, 5 * k)
        add(t, timedelta(minutes=1), ODD if k == 2 else INFLOW if k == 3 else LINES)
    add(_at(day, 23, 55), timedelta(minutes=1))
    for mm in (0, 5, 10):
        add(_at(day, 1, mm), timedelta(minutes=20))
    for mm in (0, 5, 10, 15):
        add(_at(day, 2, mm), timedelta(hours=3))
    for mm in (0, 5):
        add(_at(day, 3, mm), timedelta(minutes=1), sep="  ")
    add(_at(day, 0, 0), timedelta(minutes=30))                                  # the same file again
    add(_at(day, 0, 2, 30), timedelta(minutes=2))                               # a second file in slot 00:00
    plan.append((file_name(WATER, _at(day, 0, 5)),                              # same name, other content
                 file_bytes(_at(day, 0, 5), [("COD", "99.9", "mg/L", "00")]), _utc(_at(day, 0, 5)) + timedelta(hours=1)))
    # the other station's file of the same day is not this station's
    plan.append((file_name(GAS, _at(day, 0, 0)), file_bytes(_at(day, 0, 0), [("SO2", "35", "mg/Nm3", "00")]),
                 _utc(_at(day, 0, 0)) + timedelta(minutes=1)))
    async with intake_stack(engine, tmp_path) as (appender, _directory, spool, worker):
        for name, data, received in sorted(plan, key=lambda x: x[2]):
            await send(appender, name, data, received_at=received, dest=drop if WATER in name else tmp_path / "g",
                       transport="vn-folder")
        await drained(worker, spool)


@pytest.fixture
def day_sent(db_url, tmp_path):
    engine = setup_db(db_url)
    day = _day()
    with engine.begin() as c:
        c.execute(update(s.points).where(s.points.c.mn == WATER).values(connected_at=_utc(_at(day, 0, 0))))
    # the officer marked the station's inflow "not a factor" (the mapping page's rule)
    set_mapping(engine, plan_rule(point_id(engine, WATER), "Flow_In", "", None, None, "ignore", DEFAULT_REFERENCE))
    asyncio.run(_send_day(engine, tmp_path, day))
    yield engine, day
    engine.dispose()


HAND = {"expected": 288, "on_time": 11, "late": 3, "backfilled": 4, "missing": 270, "rejected": 2, "duplicates": 2,
        "conflicts": 1, "unmapped_lines": 1}


def test_a_constructed_day_is_counted_as_by_hand(day_sent):
    engine, day = day_sent
    wid = point_id(engine, WATER)
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        sts = vn_reception.stations(conn, s.points.c.id == wid)
        rec = vn_reception.station_receptions(conn, sts, [day], now)[wid][0]
        files = vn_reception.day_files(conn, wid, day, "Asia/Ho_Chi_Minh")
    assert {k: getattr(rec, k) for k in HAND} == HAND
    assert rec.reasons == {"bad_line": 2}
    assert rec.covered == 18 and rec.completeness == pytest.approx(18 / 288)
    assert len(files) == 11 + 3 + 4 + 2 + 1 + 1 + 1 == rec.files
    # the province's summary ranks the least complete first (the gas station sent 1 of its 288 files from its
    # first measurement on) and adds the counts up; completeness of the sums, not a mean of percentages
    with engine.connect() as conn:
        rows, total = vn_reception.provincial_summary(conn, s.points.c.id.is_not(None), [day], now)
    assert [r.station.mn for r in rows] == [GAS, WATER]
    assert (total.expected, total.on_time, total.missing) == (576, 12, 270 + 287)
    assert total.completeness == pytest.approx(19 / 576)


def test_the_desk_pages_show_the_counts_and_any_file_with_its_bytes(day_sent, tmp_path):
    engine, day = day_sent
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
    from vn_desk_world import client_for, keys_for

    wid = point_id(engine, WATER)
    keys = keys_for(engine)
    with client_for(engine, tmp_path) as client:
        donre = {"Authorization": f"Bearer {keys['donre']}"}
        page = client.get(f"/vn/reception/{wid}?day={day.isoformat()}", headers=donre)
        assert page.status_code == 200
        for what in ("expected", "on_time", "late", "backfilled", "missing", "rejected", "duplicates", "conflicts",
                     "unmapped_lines"):
            assert f'<div data-count="{what}"><b>{HAND[what]}</b>' in page.text, what
        assert 'id="missing-slots"' in page.text and ">03:00<" in page.text   # the malformed 03:00 left a gap
        summary = client.get(f"/vn/reception?day={day.isoformat()}", headers=donre)
        assert summary.status_code == 200 and WATER in summary.text
        with engine.connect() as conn:
            bad = conn.execute(select(ms.vn_files.c.id).where(ms.vn_files.c.reason == "bad_line")
                               .order_by(ms.vn_files.c.id)).scalars().first()
        drill = client.get(f"/vn/files/{bad}", headers=donre)
        assert drill.status_code == 200
        assert "COD  45.20  mg/L" in drill.text          # the raw bytes as received (spaces, not TAB)
        assert "bad_line" in drill.text                  # the receipt and the parse result
        raw = client.get(f"/vn/files/{bad}/raw", headers=donre)
        assert raw.content == file_bytes(_at(day, 3, 0), LINES, sep="  ")
        # a facility account of another facility sees neither the station nor its files
        other = {"Authorization": f"Bearer {keys['other_facility']}"}
        assert client.get(f"/vn/reception/{wid}?day={day.isoformat()}", headers=other).status_code == 404
        assert client.get(f"/vn/files/{bad}", headers=other).status_code == 404
        assert WATER not in client.get(f"/vn/reception?day={day.isoformat()}", headers=other).text
        # the station's own facility sees them
        own = {"Authorization": f"Bearer {keys['facility']}"}
        assert client.get(f"/vn/files/{bad}", headers=own).status_code == 200
