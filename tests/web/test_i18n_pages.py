"""Every page, read by every role in Chinese and in Vietnamese, has no English left and no UTC timestamps.

A seeded world (tests/web/work_world.py) gets what the pipeline really writes: alarms raised by the
detection job's own code (exceedance, detector findings, device fault, logger offline), marks of several
types (one automatic communication-interruption mark), hourly values whose reasons the mark rules wrote.
Each role logs in through the login form and the crawler follows every link of the pages it can reach
(navigation, lists, details). The visible text (no scripts or styles; ``title``, ``placeholder``,
``aria-label``, ``alt`` and option texts included) must contain no English word: a run of three or more ASCII
letters that is not on :data:`ALLOWED` (units, standards, codes, proper names of the seeded data, the language
switcher's own names). The allow-list is small on purpose: an English word on a page is fixed in the page.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, WATER_A, log_in, start  # noqa: E402

from ecosentry.subsystems.monitoring.detect.model import Finding  # noqa: E402
from ecosentry.subsystems.monitoring.pipeline.detection import DetectionJob  # noqa: E402
from ecosentry.subsystems.monitoring.rules.cn.marks import hour_mark_effect  # noqa: E402
from ecosentry.subsystems.monitoring.store import marks as mark_store  # noqa: E402
from ecosentry.store import pollution_alerts as alert_store  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.store.registry import load_point_directory  # noqa: E402

#: Words allowed in a Chinese or Vietnamese page, and why.
ALLOWED = {
    # the product's name, the API link, file formats
    "ecosentry", "API", "PDF", "XLSX", "CSV", "JSON",
    # standards and protocols cited by name
    "HJ", "QCVN", "GB", "CEMS", "MN", "TCP", "FTP",
    # the HJ 212 checksum (CRC 校验 / kiểm tra CRC) and the base map's data set, by their own names
    "CRC", "GSHHG",
    # units and chemical formulas
    "mg", "Nm", "kg", "mgL", "NOx", "SO", "NO", "COD", "pH", "kPa", "min", "ppm", "mol", "kWh",
    # the issuing ministry in a QCVN's number (QCVN 19:2009/BTNMT)
    "BTNMT",
    # the Roman numeral of the Chinese emission stages (国III / Quốc III; II, IV, VI are too short to be looked at)
    "III",
    # the language switcher names each language in itself
    "English", "Ti", "Vi",
    # seeded proper names and codes: MNs (TEST…GAS1), credit codes (…MA1TEST001), outlet codes
    "TEST", "GAS", "GASB", "WAT", "MA1TEST001", "MA1TEST002", "DA001", "DW001",
}
#: The seeded accounts' user names (shown as who is logged in, as filer or actor).
ALLOWED |= {"admin", "city", "county_a", "county_b", "ent_a", "om_b", "test"}  # "test": the actor that created them
#: Vietnamese words written in ASCII that are not single syllables: loanwords and the month abbreviation
#: of Vietnamese dates ("thg 12" = tháng 12).
VI_WORDS = {"oxy", "oxit", "Amoni", "thg", "Coliform", "Formanđehit"}
#: A word: letters of any script with digits and underscores glued to it ("TEST0000GAS1" is one code,
#: "nghiệp" one Vietnamese word); only words made of ASCII letters alone can be English.
WORD = re.compile(r"[^\W\d_][\w]*")
#: A Vietnamese syllable written without diacritics ("quan", "Doanh", "trong"): initial consonant, vowels,
#: final consonant. English words rarely fit ("value", "logger", "offline", "range" do not).
VI_SYLLABLE = re.compile(r"(?i)(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
                         r"(oai|oay|uoi|uya|uyu|ai|ao|au|ay|eo|eu|ia|iu|oa|oe|oi|ua|ue|ui|uy|uo|[aeiouy])"
                         r"(ng|nh|ch|[cmnpt])?")
UTC_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(\+00:00|Z)")
ROLES = ("admin", "city", "county_a", "ent_a", "om_b")
#: Links the crawler does not follow: downloads, data for scripts, the API documentation, other languages.
SKIP = re.compile(r"^/(static|vendor|docs|redoc|openapi|api/)|/download|\.(json|pdf|xlsx|csv|zip)$|/evidence/|/logout")
MAX_PER_SHAPE = 3  # /alarms/1, /alarms/2 …: a few of each kind of page are enough


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Text(HTMLParser):
    """Visible text and attribute texts of a page, and its links. Content marked ``translate="no"`` (the
    HTML attribute for "do not translate": the audit log's stored values, shown verbatim as the record) is
    left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        self._verbatim = 0  # open elements inside a translate="no" element (0 = not inside one)

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        if d.get("href") and tag == "a":
            self.links.append(d["href"])
        if self._verbatim:
            self._verbatim += tag not in VOID
            return
        if d.get("translate") == "no" and tag not in VOID:
            self._verbatim = 1
            return
        if tag in ("script", "style"):
            self._skip += 1
        for name in ("title", "placeholder", "aria-label", "alt"):
            if d.get(name):
                self.parts.append(d[name])
        if tag == "input" and d.get("type") in ("submit", "button") and d.get("value"):
            self.parts.append(d["value"])

    def handle_endtag(self, tag):
        if self._verbatim:
            self._verbatim -= tag not in VOID
            return
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and not self._verbatim:
            self.parts.append(data)


def english_fragments(text: str, lang: str) -> list[str]:
    """The English words of ``text``: ASCII words of ≥ 3 letters not on the allow-list, not codes and (in
    Vietnamese) not a Vietnamese syllable without diacritics."""
    out = []
    for w in WORD.findall(text):
        if not w.isascii() or sum(c.isalpha() for c in w) < 3 or w in ALLOWED or _is_code(w):
            continue
        if lang == "vi" and (VI_SYLLABLE.fullmatch(w) or w in VI_WORDS or w in vi_vocabulary()):
            continue
        out.append(w)
    return out


@lru_cache(maxsize=1)
def vi_vocabulary() -> frozenset[str]:
    """ASCII words the Vietnamese catalogues' translators wrote (chemical names such as "Cacbon", "Benzen"):
    Vietnamese by construction, whereas a word leaking from code never went through the catalogue."""
    from babel.messages.pofile import read_po

    from ecosentry.installed import locale_dirs
    from ecosentry.web.i18n import LOCALE_DIR
    words = set()
    for folder in (LOCALE_DIR, *locale_dirs()):  # the core's catalogue and the installed subsystems'
        path = folder / "vi" / "LC_MESSAGES" / "messages.po"
        if not path.is_file():
            continue
        with open(path, "rb") as fh:
            catalog = read_po(fh)
        for m in catalog:
            if m.id and m.string and m.string != m.id:
                words |= {w for w in WORD.findall(m.string if isinstance(m.string, str) else " ".join(m.string))
                          if w.isascii()}
    return frozenset(words)


def _is_code(w: str) -> bool:
    """Identifiers that are codes, not words: HJ 212 factor codes (a21026, w01018), MNs and similar."""
    return bool(re.fullmatch(r"[a-z]\d{5}|[A-Z0-9]{8,}", w))


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def seed(w) -> None:
    """Alarms, marks and hours as the pipeline writes them, in the recent past of the wall clock."""
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    hour = now.replace(minute=0) - timedelta(hours=3)
    gas, water = w.points[GAS_A], w.points[WATER_A]
    # marks of several types: a filed maintenance, an approved stop, an automatic comm interruption
    maint = mark_store.file_mark(w.engine, point_id=gas, type="maintenance", start=hour - timedelta(hours=5),
                                 end=hour - timedelta(hours=4), reason="更换采样探头", filed_by="ent_a")
    mark_store.file_mark(w.engine, point_id=water, type="stopped", start=hour - timedelta(days=1),
                         end=hour - timedelta(hours=20), reason="停产检修", filed_by="ent_a")
    mark_store.file_mark(w.engine, point_id=w.points[GAS_B], type="force_majeure", start=hour - timedelta(hours=8),
                         end=hour - timedelta(hours=7), reason="雷击停电", filed_by="om_b", majeure_type=1)
    auto = mark_store.file_mark(w.engine, point_id=gas, type="comm_interruption", start=hour - timedelta(hours=2),
                                end=hour - timedelta(hours=1), source="auto", filed_by="system")
    spans = mark_store.marks_for_hours(w.engine, gas, hour - timedelta(hours=6), hour)
    rows = []
    for i in range(6):
        t = hour - timedelta(hours=6 - i)
        effect, _ids, reason = hour_mark_effect(spans, "a21026", t, t + timedelta(hours=1))
        valid = effect is None
        value = 120.0 + i if i == 5 else 80.0 + i
        rows.append({"point_id": gas, "factor_code": "a21026", "period_start": t, "value": value, "valid": valid,
                     "valid_minutes": 60 if valid else 0, "received_minutes": 60, "n_records": 60,
                     "reason": reason if not valid else None, "computed_at": now, "flag": "N",
                     "last_received_at": t + timedelta(minutes=59),
                     "exceeded": (value > 100) if valid else None,
                     "multiple": (value - 100) / 100 if valid and value > 100 else None, "limit_value": 100.0})
    with w.engine.begin() as c:
        c.execute(insert(s.hourly_values), rows)
        for mn in (GAS_A, WATER_A, GAS_B):
            c.execute(insert(s.latest_values).values(point_id=w.points[mn], factor_code="a21026", kind="min",
                                                     period_start=now - timedelta(minutes=1), value=50.0,
                                                     flag="N", received_at=now - timedelta(minutes=1)))
    assert maint and auto

    # alarms through the detection job's own code paths
    job = DetectionJob(w.engine)
    job.watching_since = now - timedelta(days=1)
    info = load_point_directory(w.engine)
    stats = {"points": 0, "raised": 0, "cleared": 0}

    async def raise_all() -> None:
        from ecosentry.subsystems.monitoring.pipeline.detection import _newest_judgements
        with w.engine.connect() as conn:
            newest = _newest_judgements(conn, gas, now - timedelta(days=2), now)
        await job._sync_exceedance(info[GAS_A], newest, now, stats)
        await job._offline(info[WATER_A], now - timedelta(hours=2), now, stats)
        await job._offline(info[GAS_B], None, now, stats)
        await job._sync_faults(info[GAS_A], [{"factor": "a21002", "flag": "D", "since": now - timedelta(minutes=30),
                                              "at": now - timedelta(minutes=1)}], now, stats)
        findings = [
            Finding("DET-STAT-SPIKE", "warning", GAS_A, ("a21026",), now - timedelta(minutes=40),
                    now - timedelta(minutes=39), "a21026 value 180 is 9.1 robust z-scores from the rolling median 82",
                    {"value": 180.0, "median": 82.0, "z": 9.1}),
            Finding("DET-CONST-4H", "critical", GAS_A, ("a19001",), now - timedelta(hours=5),
                    now - timedelta(minutes=5), "a19001 stayed at 9.5 for 5 h while running",
                    {"value": 9.5, "hours": 5}),
            Finding("DET-MISSING-HOUR", "warning", GAS_A, ("a21002",), now - timedelta(hours=2),
                    now - timedelta(hours=1), "hour of a21002 missing", {}),
        ]
        await job._sync_findings(info[GAS_A], findings, now, stats)

    asyncio.run(raise_all())
    assert stats["raised"] >= 6, stats
    # heavy-pollution alerts: the city's yellow alert upgraded to orange (an episode of two alerts, a history),
    # county B's red one, a scheduled one; the banner shows on every page
    city = alert_store.issue(w.engine, region_code="320500", level="yellow", starts_at=now - timedelta(hours=20),
                             ends_at=now + timedelta(days=2), issued_by="苏州市重污染天气应急指挥部",
                             document="苏重应急〔2026〕7号", actor="city")
    alert_store.change_level(w.engine, city, level="orange", at=now - timedelta(hours=2), actor="city")
    alert_store.issue(w.engine, region_code="320507", level="red", starts_at=now - timedelta(hours=1),
                      issued_by="相城区应急指挥部", actor="county_b")
    alert_store.issue(w.engine, region_code="320506", level="yellow", starts_at=now + timedelta(days=4),
                      issued_by="吴中区应急指挥部", actor="county_a")

    # a supervision case (督办) answered with evidence, so the alarm page shows its panel and history
    from ecosentry.alarms import disposal_store
    from ecosentry.alarms.disposal import Deadlines
    with w.engine.connect() as c:
        first = c.execute(select(s.alarms.c.id).where(s.alarms.c.point_id == gas).order_by(s.alarms.c.id)).scalar()
    for step, role, kw in [("push", "regulator", {"text": "请核查原因并反馈"}), ("handle", "enterprise", {}),
                           ("feedback", "enterprise", {"cause": "探头堵塞", "measures": "已清洗探头",
                                                       "files": [("记录.pdf", b"%PDF-1.4 record")]})]:
        disposal_store.take_step(w.engine, first, step, actor={"regulator": "county_a"}.get(role, "ent_a"),
                                 role=role, deadlines=Deadlines(), **kw)


def crawl(client, lang: str) -> dict[str, list[str]]:
    """English fragments and UTC stamps per page reached from the navigation, for the logged-in client."""
    found: dict[str, list[str]] = {}
    queue = ["/", "/dashboard", "/alarms?state=all", "/marks", "/reports", "/map", "/audit", "/admin", "/public",
             "/alerts"]
    seen: set[str] = set()
    shapes: dict[str, int] = defaultdict(int)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path, params={"lang": lang}, follow_redirects=False)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        parser = _Text()
        parser.feed(r.text)
        text = "\n".join(parser.parts)
        found[path] = english_fragments(text, lang) + [m.group(0) for m in UTC_STAMP.finditer(text)]
        for href in parser.links:
            url = urlsplit(urljoin("http://testserver" + path, href))
            if url.netloc != "testserver" or SKIP.search(url.path) or "lang=" in url.query:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target in seen or shapes[_shape(url.path)] >= MAX_PER_SHAPE:
                continue
            shapes[_shape(url.path)] += 1
            queue.append(target)
    return found


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    with client:
        seed(w)
        yield client, w
    w.engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_no_english_on_any_page(world, lang):
    client, _w = world
    report: dict[str, list[str]] = {}
    for role in ROLES:
        client.cookies.clear()
        log_in(client, role)
        for path, bad in crawl(client, lang).items():
            report.setdefault(path, [])
            report[path] += [b for b in bad if b not in report[path]]
    pages = len(report)
    dirty = {p: b for p, b in report.items() if b}
    total = sum(len(b) for b in dirty.values())
    summary = "\n".join(f"{p}: {' '.join(b[:25])}" for p, b in sorted(dirty.items()))
    print(f"\n[{lang}] {total} English fragments on {len(dirty)} of {pages} pages\n{summary}")
    assert pages >= 15, sorted(report)
    assert not dirty, f"{total} English fragments on {len(dirty)} of {pages} pages:\n{summary}"


FORM_ERROR = re.compile(r'class="form-error"[^>]*>(.*?)</p>', re.S)


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_validation_errors_are_in_the_language_with_local_times(world, lang):
    """A refused form says why in the reader's language, with the point's local times (not UTC)."""
    client, w = world
    client.cookies.clear()
    r = client.post(f"/marks/new?lang={lang}", follow_redirects=False, headers=w.bearer("ent_a"),
                    data={"point_id": str(w.points[GAS_A]), "type": "maintenance",
                          "start": "2026-11-20T09:00", "end": "2026-11-20T08:00"})
    assert r.status_code == 422
    error = FORM_ERROR.search(r.text).group(1)
    # 09:00 and 08:00 local time of the point (Asia/Shanghai), not 01:00 / 00:00 UTC
    assert "09:00" in error and "08:00" in error and not UTC_STAMP.search(error), error
    assert english_fragments(error, lang) == [], error
    bad = client.get("/alarms", params={"severity": "bogus", "lang": lang}, headers=w.bearer("county_a"))
    assert bad.status_code == 422
    error = FORM_ERROR.search(bad.text).group(1)
    assert "bogus" in error and english_fragments(error.replace("bogus", ""), lang) == [], error
