"""Each check of issue 16 item 5 fires on a constructed stream that breaks it and stays silent on one that does
not; entry/exit pairing; the inspection's seeded sampling."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.gates.check import check_dataset
from ecosentry.subsystems.gates.rules.checks import Alert, CheckSettings, Dataset, Enterprise
from ecosentry.subsystems.gates.rules.decision import Vehicle
from ecosentry.subsystems.gates.rules.ledger import LedgerRows, Passages, local_days, pair
from ecosentry.subsystems.gates.settings import GatesSettings
from ecosentry.subsystems.gates.simulate import make_vin

ZONE = ZoneInfo("Asia/Shanghai")
T0 = int(datetime(2026, 1, 5, 8, 0, tzinfo=ZONE).timestamp())
H = 3600
RNG = np.random.default_rng(1)
FLEET = {p: Vehicle(p, "yellow", make_vin(RNG), s, "diesel", "2022-01-01")
         for p, s in (("冀A00006", "6"), ("冀A10006", "6"), ("冀A20006", "6"), ("冀A00005", "5"), ("冀A00004", "4"),
                      ("冀A00003", "3"))}


def trips(ent: str, *spec, gate_in="G1", gate_out="G2"):
    """(plate, entry time, stay) → passages and their ledger rows (the ledger 40 s after the camera)."""
    p, lg = [], []
    for plate, t, stay in spec:
        for gate, tt, inbound in ((gate_in, t, True), (gate_out, t + stay, False)):
            p.append((ent, gate, tt, inbound, plate, "yellow", 0.97))
            v = FLEET.get(plate)
            lg.append((ent, tt + 40, inbound, plate, v.vin if v else make_vin(RNG), v.stage if v else "6", "diesel",
                       "coal", 30.0))
    return p, lg


def dataset(p, lg, grade="B", alerts=(), exempt=False, register=None) -> Dataset:
    return Dataset(Passages.of(p), LedgerRows.of(lg), FLEET if register is None else register,
                   {"E1": Enterprise("E1", grade, exempt)}, list(alerts))


def codes(ds, settings=None) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in check_dataset(ds, settings):
        out.setdefault(f.code, []).append(f)
    return out


def honest_day():
    return trips("E1", ("冀A00006", T0, H), ("冀A00005", T0 + 600, H), ("冀A10006", T0 + 2 * H, 2 * H),
                 ("冀A20006", T0 + 3 * H, H + 300), ("冀A00006", T0 + 5 * H, H))


def test_an_honest_day_raises_nothing():
    p, lg = honest_day()
    assert codes(dataset(p, lg)) == {}


# ------------------------------------------------------------------------------------------- alert stage
def test_a_china_iv_truck_in_an_orange_alert_at_a_b_enterprise():
    p, lg = honest_day()
    p2, lg2 = trips("E1", ("冀A00004", T0 + 4 * H, 1800))
    orange = Alert("E1", "orange", T0 + 3 * H, T0 + 10 * H)
    got = codes(dataset(p + p2, lg + lg2, alerts=[orange]))
    [f] = got["VEH-ALERT-STAGE"]
    assert f.plate == "冀A00004" and f.severity == "critical" and f.params["count"] == 2
    assert f.explanation.startswith("冀A00004 (China IV) passed 2 time(s) from 2026-01-05 12:00:00 under the orange alert")
    assert f.start.utcoffset().total_seconds() == 8 * H  # local time


def test_the_same_truck_is_allowed_in_a_yellow_alert_and_outside_alerts():
    p, lg = honest_day()
    p2, lg2 = trips("E1", ("冀A00004", T0 + 4 * H, 1800))
    assert "VEH-ALERT-STAGE" not in codes(dataset(p + p2, lg + lg2, alerts=[Alert("E1", "yellow", T0, T0 + 10 * H)]))
    assert "VEH-ALERT-STAGE" not in codes(dataset(p + p2, lg + lg2, alerts=[Alert("E1", "red", T0 + 8 * H,
                                                                                  T0 + 10 * H)]))


def test_a_truck_the_register_lacks_takes_its_stage_from_the_ledger():
    p, lg = trips("E1", ("蒙K00004", T0 + 4 * H, 1800))
    lg = [(*r[:5], "4", *r[6:]) for r in lg]  # the guard wrote 国四 in the ledger
    got = codes(dataset(p, lg, alerts=[Alert("E1", "red", T0, T0 + 10 * H)]))
    assert got["VEH-ALERT-STAGE"][0].plate == "蒙K00004" and "VEH-UNKNOWN-VEHICLE" in got


def test_no_truck_may_pass_a_d_enterprise_in_an_alert():
    p, lg = trips("E1", ("冀A00006", T0, H))
    got = codes(dataset(p, lg, grade="D", alerts=[Alert("E1", "yellow", T0 - H, T0 + 2 * H)]))
    assert "no road truck may pass" in got["VEH-ALERT-STAGE"][0].explanation


# ------------------------------------------------------------------------------------------- shares
def test_the_share_of_china_v_and_better_below_80_percent():
    spec = [(pl, T0 + i * 1200, 600) for i, pl in enumerate(["冀A00004", "冀A00006", "冀A00004", "冀A00005",
                                                              "冀A10006"])]
    p, lg = trips("E1", *spec)
    yellow = Alert("E1", "yellow", T0 - H, T0 + 5 * H)
    got = codes(dataset(p, lg, alerts=[yellow]))
    [a], [m] = got["VEH-SHARE-ALERT"], got["VEH-SHARE-MONTH"]
    assert a.evidence["share"] == 0.6 and a.evidence["by_stage"] == {"4": 2, "5": 1, "6": 2}
    assert m.params["month"] == "2026-01" and m.evidence["by_fuel"] == {"diesel": 5}
    assert "VEH-ALERT-STAGE" not in got  # 国四 is allowed one by one in a yellow alert


def test_the_share_at_80_percent_passes_and_c_grades_have_none():
    spec = [(pl, T0 + i * 1200, 600) for i, pl in enumerate(["冀A00004", "冀A00006", "冀A20006", "冀A00005",
                                                              "冀A10006"])]
    p, lg = trips("E1", *spec)
    assert not {"VEH-SHARE-ALERT", "VEH-SHARE-MONTH"} & set(codes(dataset(p, lg)))
    bad = [(pl, T0 + i * 1200, 600) for i, pl in enumerate(["冀A00004"] * 5)]
    p, lg = trips("E1", *bad)
    assert not {"VEH-SHARE-MONTH"} & set(codes(dataset(p, lg, grade="C")))


# ------------------------------------------------------------------------------------------- video ↔ ledger
def test_a_passage_without_its_ledger_row_and_a_row_without_a_passage():
    p, lg = honest_day()
    lg_missing = [r for r in lg if not (r[3] == "冀A10006" and r[2])]
    extra = ("E1", T0 + 4 * H, True, "冀A00003", FLEET["冀A00003"].vin, "3", "diesel", "coal", 20.0)
    got = codes(dataset(p, lg_missing + [extra]))
    [a] = got["VEH-PASSAGE-NO-LEDGER"]
    [b] = got["VEH-LEDGER-NO-PASSAGE"]
    assert a.plate == "冀A10006" and a.evidence["direction"] == "in" and a.severity == "critical"
    # the ledger's day: one finding, the row among its examples
    assert b.plate == "" and b.evidence["count"] == 1 and b.evidence["day"] == "2026-01-05"
    assert [x["plate"] for x in b.evidence["examples"]] == ["冀A00003"] and b.evidence["directions"]["in"] == 1


def test_a_ledger_row_within_the_tolerance_matches_and_the_direction_counts():
    p, lg = trips("E1", ("冀A00006", T0, H))
    late = [(r[0], r[1] + 250, *r[2:]) for r in lg]  # 290 s after the camera: within 300 s
    assert codes(dataset(p, late)) == {}
    flipped = [(r[0], r[1], not r[2], *r[3:]) for r in lg]
    flipped[1] = (flipped[1][0], flipped[1][1] + 3 * H, *flipped[1][2:])
    assert "VEH-PASSAGE-NO-LEDGER" in codes(dataset(p, flipped))


def test_passages_outside_the_ledgers_span_are_not_compared():
    p, lg = honest_day()
    p2, _ = trips("E1", ("冀A00006", T0 + 30 * H, H))  # the next day: the ledger file stops before
    assert "VEH-PASSAGE-NO-LEDGER" not in codes(dataset(p + p2, lg))


# ------------------------------------------------------------------------------------------- ledger rows
def test_incomplete_rows_and_a_faked_stage():
    p, lg = honest_day()
    lg[0] = (*lg[0][:4], "", *lg[0][5:])                 # no VIN
    lg[1] = (*lg[1][:4], lg[1][4][:8] + ("1" if lg[1][4][8] != "1" else "2") + lg[1][4][9:], *lg[1][5:])  # bad check
    p2, lg2 = trips("E1", ("冀A00004", T0 + 7 * H, 600))
    lg2[0] = (*lg2[0][:5], "6", *lg2[0][6:])             # the ledger says 国六 for a 国四 truck
    got = codes(dataset(p + p2, lg + lg2))
    [day] = got["VEH-LEDGER-INCOMPLETE"]                   # one finding for the enterprise's day
    assert day.evidence["fields"] == {"vin": 1, "vin_invalid": 1} and day.evidence["count"] == 2
    assert day.evidence["rows"] == len(lg + lg2) and day.evidence["day"] == "2026-01-05"
    [m] = got["VEH-LEDGER-STAGE-MISMATCH"]
    assert m.plate == "" and m.evidence["by_vehicle"] == [
        {"plate": "冀A00004", "ledger_stage": "6", "register_stage": "4", "rows": 1}]
    # row by row (``by_day`` False): one finding a row, as the rule sees them
    from ecosentry.subsystems.gates.rules.checks import ledger_rows

    rows = ledger_rows(dataset(p + p2, lg + lg2), ZONE, by_day=False)
    problems = sorted(f.evidence["problems"][0].split(":")[0] for f in rows if f.code == "VEH-LEDGER-INCOMPLETE")
    assert problems == ["vin", "vin"]
    [m] = [f for f in rows if f.code == "VEH-LEDGER-STAGE-MISMATCH"]
    assert m.plate == "冀A00004" and m.evidence == {"line": -1, "ledger_stage": "6", "register_stage": "4"}


def test_what_a_ledger_row_lacks_is_said_in_the_readers_words():
    """The fields and the VIN's fault are words of the catalogue, not the rule's keys or English (a regulator read
    "记录不完整：cargo; weight_t" before)."""
    from ecosentry.locale import translations

    p, lg = honest_day()
    good = lg[1][4]
    bad_check = good[:8] + ("1" if good[8] != "1" else "2") + good[9:]
    lg[1] = (*lg[1][:4], bad_check, lg[1][5], lg[1][6], "", float("nan"))   # a wrong check digit, no cargo, no volume
    from ecosentry.subsystems.gates.rules.checks import ledger_rows

    [f] = [x for x in ledger_rows(dataset(p, lg), ZONE, by_day=False) if x.code == "VEH-LEDGER-INCOMPLETE"]
    assert f.explanation.endswith("is incomplete: cargo; transport volume (t); VIN: check digit "
                                  f"{bad_check[8]} at position 9, {good[8]} expected.")
    zh = f.say(translations("zh").gettext)
    assert "货物名称；运输量（吨）；车辆识别代号：第 9 位校验位为" in zh
    vi = f.say(translations("vi").gettext)
    assert "hàng hóa; khối lượng vận chuyển (tấn); số VIN: chữ số kiểm tra ở vị trí 9" in vi
    for said in (zh, vi):
        assert not any(word in said for word in ("cargo", "weight_t", "check digit", "expected"))
    assert f.evidence["problems"] == ["cargo", "weight_t", f"vin: check digit {bad_check[8]} at position 9, "
                                      f"{good[8]} expected"]


# ------------------------------------------------------------------------------------------- inspection
def test_the_inspection_samples_windows_on_alert_days_reproducibly():
    spec = [("冀A00006" if i % 2 else "冀A10006", T0 + i * 200, 100) for i in range(40)]
    p, lg = trips("E1", *spec)
    lg = [r for i, r in enumerate(lg) if i % 2 == 1 or i % 8 != 0]  # a quarter of the entries missing
    alert = Alert("E1", "yellow", T0 - H, T0 + 10 * H)
    s = GatesSettings()
    a = codes(dataset(p, lg, alerts=[alert]), s)["VEH-INSPECT-VIDEO"]
    b = codes(dataset(p, lg, alerts=[alert]), s)["VEH-INSPECT-VIDEO"]
    assert [f.evidence for f in a] == [f.evidence for f in b]  # the same seed draws the same windows
    assert 1 <= len(a) <= 3
    for f in a:
        minutes = f.params["minutes"]
        assert 5 <= minutes <= 10 and f.params["missing"] >= 1 and f.evidence["not_in_ledger"]
    assert "VEH-INSPECT-VIDEO" not in codes(dataset(p, lg))  # no alert day, no window


def test_the_inspection_samples_five_to_ten_ledger_rows():
    spec = [("冀A00006", T0 + i * 1200, 600) for i in range(10)]
    p, lg = trips("E1", *spec)
    lg = [(*r[:7], "", r[8]) for r in lg]  # every row lacks its cargo
    [f] = codes(dataset(p, lg))["VEH-INSPECT-LEDGER"]
    assert 5 <= f.params["sampled"] <= 10 and f.params["bad"] == f.params["sampled"]


# ------------------------------------------------------------------------------------------- side gates
def test_an_exit_without_an_entry_and_an_entry_without_an_exit():
    p, lg = honest_day()
    p2, lg2 = trips("E1", ("冀A00005", T0 + 8 * H, H))
    p2 = [x for x in p2 if not x[3]] + [x for x in p2 if x[3]]
    side = [x for x in p2 if not x[3]]  # its entry (by a side gate) was not seen
    got = codes(dataset(p + side, lg + [r for r in lg2 if not r[2]]))
    [f] = got["VEH-EXIT-WITHOUT-ENTRY"]
    assert f.plate == "冀A00005" and f.start == datetime.fromtimestamp(T0 + 9 * H, ZONE)
    p3, lg3 = trips("E1", ("冀A00006", T0 + 8 * H, H), ("冀A00006", T0 + 10 * H, H))
    p3.pop(1)  # the exit at 9:00 was by a side gate
    lg3.pop(1)
    got = codes(dataset(p + p3, lg + lg3))
    assert "VEH-ENTRY-WITHOUT-EXIT" in got and "VEH-EXIT-WITHOUT-ENTRY" not in got


def test_an_exit_at_the_start_of_the_data_is_not_judged():
    p, lg = trips("E1", ("冀A00006", T0, H))
    early = [("E1", "G2", T0 - 1800, False, "冀A00005", "yellow", 0.97)]
    assert "VEH-EXIT-WITHOUT-ENTRY" not in codes(dataset(early + p, lg))


def test_pairing_and_repeated_reads():
    p, _ = trips("E1", ("冀A00006", T0, H), ("冀A00005", T0 + 100, 2 * H))
    p.append(("E1", "G1", T0 + 3, True, "冀A00006", "yellow", 0.95))  # the camera read it twice
    pr = pair(Passages.of(p), max_stay_hours=72, repeat_seconds=60)
    assert len(pr.pairs) == 2 and not len(pr.exit_without_entry) and not len(pr.entry_without_exit)
    assert "VEH-TAILGATE" not in codes(dataset(p, trips("E1", ("冀A00006", T0, H), ("冀A00005", T0 + 100, 2 * H))[1]))


# ------------------------------------------------------------------------------------------- tailgating
def test_two_trucks_two_seconds_apart_and_an_unread_plate():
    p, lg = honest_day()
    p2, lg2 = trips("E1", ("冀A00003", T0 + 2, 2 * H))
    unread = [("E1", "G1", T0 + 9 * H, True, "", "", float("nan")), ("E1", "G1", T0 + 9 * H + 600, True, "冀A00005",
                                                                       "yellow", 0.42)]
    got = codes(dataset(p + p2 + unread, lg + lg2))
    [t] = got["VEH-TAILGATE"]
    assert {t.params["first"], t.params["second"]} == {"冀A00006", "冀A00003"} and t.params["seconds"] == 2
    assert len(got["VEH-PLATE-UNREAD"]) == 2
    assert codes(dataset(p + p2, lg + lg2), GatesSettings(checks=CheckSettings(tailgate_seconds=1))).get(
        "VEH-TAILGATE") is None


# ------------------------------------------------------------------------------------------- VIN ↔ plate, volume
def test_one_vin_under_two_plates():
    p, lg = honest_day()
    lg[0] = (*lg[0][:4], FLEET["冀A00005"].vin, *lg[0][5:])  # 冀A00006 written with 冀A00005's VIN
    [f] = codes(dataset(p, lg))["VEH-VIN-MULTI-PLATE"]
    assert f.params["plates"] == "冀A00005, 冀A00006" and f.evidence["plates"]["冀A00005"] == ["ledger", "register"]


def test_more_than_ten_entries_a_day_where_the_exemption_was_claimed():
    spec = [(pl, T0 + i * 1800, 600) for i, pl in enumerate(["冀A00006", "冀A10006", "冀A20006"] * 4)][:11]
    p, lg = trips("E1", *spec)
    [f] = codes(dataset(p, lg, exempt=True))["VEH-SMALL-VOLUME"]
    assert f.params == {"count": 11, "day": "2026-01-05", "limit": 10}
    assert "VEH-SMALL-VOLUME" not in codes(dataset(p[:-2], lg[:-2], exempt=True))
    assert "VEH-SMALL-VOLUME" not in codes(dataset(p, lg, exempt=False))


def test_unknown_vehicles_and_invalid_registers():
    p, lg = trips("E1", ("蒙K99999", T0, H))
    register = dict(FLEET) | {"京A12345": Vehicle("京A12345", "green", "11111111X11111111", "6", "diesel")}
    got = codes(dataset(p, lg, register=register))
    assert got["VEH-UNKNOWN-VEHICLE"][0].plate == "蒙K99999"
    assert got["VEH-VIN-INVALID"][0].plate == "京A12345" and got["VEH-PLATE-FORMAT"][0].plate == "京A12345"
    assert got["VEH-VIN-INVALID"][0].start == datetime.fromtimestamp(T0, ZONE)  # a register has no time: the data's


def test_local_days_follow_the_zone():
    t = np.array([int(datetime(2026, 1, 5, 23, 59, tzinfo=ZONE).timestamp()),
                  int(datetime(2026, 1, 6, 0, 1, tzinfo=ZONE).timestamp())])
    d = local_days(t, ZONE)
    assert d[1] - d[0] == 1 and str(np.datetime64(int(d[0]), "D")) == "2026-01-05"


def test_daily_indicators_and_the_alert_day_ratio():
    from ecosentry.subsystems.gates.rules.checks import passage_ranks
    from ecosentry.subsystems.gates.rules.indicators import alert_day_ratio, daily_indicators

    day1 = [(pl, T0 + i * 1200, 600) for i, pl in enumerate(["冀A00004", "冀A00006", "冀A00005", "冀A10006"])]
    day2 = [("冀A00004", T0 + 24 * H, 600), ("冀A00006", T0 + 25 * H, 600)]
    p, lg = trips("E1", *day1, *day2)
    p.append(("E1", "G1", T0 + 3, True, "冀A00004", "yellow", 0.9))  # a repeated read is not an entry
    ds = dataset(p, lg, alerts=[Alert("E1", "orange", T0 + 23 * H, T0 + 30 * H)])
    ranks, _, _ = passage_ranks(ds.passages.plate, ds.register)
    rows = daily_indicators(ds, ranks, ZONE)
    assert [(r.day, r.alert, r.entries) for r in rows] == [("2026-01-05", False, 4), ("2026-01-06", True, 2)]
    assert rows[0].by_stage == {"4": 1, "5": 1, "6": 2} and rows[0].share_v_plus == 0.75
    assert rows[0].share_vi_ne == 0.5 and rows[0].iv_and_below_in_alert == 0
    assert rows[1].iv_and_below_in_alert == 1
    assert alert_day_ratio(rows) == {"E1": 0.5}


def test_empty_and_one_sided_data():
    ent = {"E1": Enterprise("E1", "B", True)}
    red = [Alert("E1", "red", T0, T0 + H)]
    assert check_dataset(Dataset(Passages.of([]), LedgerRows.of([]), {}, ent, red)) == []
    only_unread = Passages.of([("E1", "G1", T0 + 5, True, "", "", float("nan"))])
    assert [f.code for f in check_dataset(Dataset(only_unread, LedgerRows.of([]), {}, ent, red))] == [
        "VEH-PLATE-UNREAD"]  # no ledger at all: nothing to compare the passage with


def test_single_event_checks_over_the_new_data_find_what_the_whole_run_finds():
    """``run_checks(events_from=…)`` (the scheduled job's bounded run): on simulated enterprises with every kind of
    violation, the findings ending at or after ``t`` are those of the whole run when the single-event checks start
    at ``t`` less the pairing's reach — at several ``t``."""
    from ecosentry.subsystems.gates.bench import fleet
    from ecosentry.subsystems.gates.rules.checks import run_checks
    from ecosentry.subsystems.gates.simulate import merge

    st = GatesSettings()
    good, bad = fleet(16, 4, 8, 14)
    ds = merge(good + bad)
    zone = ZoneInfo("Asia/Shanghai")
    whole = run_checks(ds, st.grades, zone, st.checks, with_inspection=False)
    reach = int(st.checks.max_stay_hours * 3600) + st.checks.match_tolerance_s
    t_min, t_max = int(ds.passages.t.min()), int(ds.passages.t.max())

    def key(f):
        return (f.code, f.enterprise, f.plate, f.start, f.end, f.msgid, repr(sorted(f.params.items())))

    checked = 0
    for frac in (0.3, 0.55, 0.8, 0.97):
        t = t_min + int(frac * (t_max - t_min))
        since = datetime.fromtimestamp(t, tz=zone)
        bounded = run_checks(ds, st.grades, zone, st.checks, events_from=t - reach, with_inspection=False)
        want = sorted(key(f) for f in whole if f.end >= since)
        got = sorted(key(f) for f in bounded if f.end >= since)
        assert got == want, frac
        checked += len(want)
    assert checked > 20 and {f.code for f in whole} >= {"VEH-PASSAGE-NO-LEDGER", "VEH-EXIT-WITHOUT-ENTRY",
                                                         "VEH-TAILGATE", "VEH-ALERT-STAGE"}
