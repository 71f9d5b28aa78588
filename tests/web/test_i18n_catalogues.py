"""The Chinese and Vietnamese catalogues translate every UI string of the templates and page modules.

The msgids are extracted with Babel's own extraction API and the repository's ``babel.cfg`` (Jinja2
templates and the Python of ``ecosentry.web``), so a page added by any subsystem without its translations
fails here, naming the strings and where they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from ecosentry.installed import locale_dirs
from ecosentry.web.i18n import BABEL_LOCALE, LOCALE_DIR, translations

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "ecosentry" / "web"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _extracted() -> dict[str | tuple, list[str]]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    out: dict[str | tuple, list[str]] = {}
    for filename, lineno, msgid, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        out.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return out


def _catalogue(lang: str):
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=BABEL_LOCALE[lang])


def _subsystem_catalogues(lang: str) -> list:
    """The installed subsystems' own catalogues (``Subsystem.locale``): a subsystem's words travel with it, so
    a msgid of its pages may be translated there instead of in the core's catalogue."""
    out = []
    for d in locale_dirs():
        po = d / lang / "LC_MESSAGES" / "messages.po"
        if po.is_file():
            with open(po, "rb") as fh:
                out.append(read_po(fh, locale=BABEL_LOCALE[lang]))
    return out


def _translated(message) -> bool:
    strings = () if message is None else (message.string if isinstance(message.string, tuple) else (message.string,))
    return message is not None and not message.fuzzy and bool(strings) and all(strings)


def test_extraction_covers_every_template_and_page_module():
    found = {loc.split(":")[0] for locs in _extracted().values() for loc in locs}
    templates = {str(p.relative_to(ROOT)) for p in (WEB / "templates").glob("*.html")
                 if "_(" in p.read_text(encoding="utf-8") or "ngettext(" in p.read_text(encoding="utf-8")}
    views = {str(p.relative_to(ROOT)) for p in (WEB / "views").glob("*.py")
             if re.search(r"\b_\(\s*[\"']", p.read_text(encoding="utf-8"))}
    assert templates and templates <= found
    assert views <= found
    assert "src/ecosentry/web/templates/base.html" in found


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_msgid_is_translated(lang):
    catalogues = [_catalogue(lang), *_subsystem_catalogues(lang)]
    missing = []
    for msgid, where in sorted(_extracted().items(), key=lambda kv: str(kv[0])):
        if not any(_translated(c.get(msgid)) for c in catalogues):
            missing.append(f"{msgid!r} ({where[0]})")
    assert not missing, f"{len(missing)} strings lack a {lang} translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_translations_keep_the_placeholders(lang):
    for message in _catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == wanted, (message.id, s)


def test_template_catalogue_lists_every_msgid():
    with open(LOCALE_DIR / "messages.pot", "rb") as fh:
        pot = {m.id for m in read_po(fh) if m.id}
    own = {m.id for lang in ("zh", "vi") for c in _subsystem_catalogues(lang) for m in c if m.id}
    missing = sorted(str(m) for m in _extracted() if m not in pot and m not in own)
    assert not missing, "messages.pot is stale; run pybabel extract -F babel.cfg (see babel.cfg):\n" + "\n".join(missing)


@pytest.mark.parametrize("msgid, zh, vi", [
    ("Exceedance", "超标", "Vượt quy chuẩn"),
    ("Monitoring points", "监测点", "Điểm quan trắc"),
    ("Effective transmission rate", "有效传输率", "Tỷ lệ truyền hợp lệ"),
    ("Transmission rate", "传输率", "Tỷ lệ truyền"),
    ("Marks", "标记", "Đánh dấu"),
])
def test_domain_terms(msgid, zh, vi):
    assert translations("zh").gettext(msgid) == zh
    assert translations("vi").gettext(msgid) == vi
    assert translations("en").gettext(msgid) == msgid


@pytest.mark.parametrize("po", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "src" / "ecosentry").rglob("messages.po")))
def test_every_catalogue_is_well_formed(po):
    """A msgid without its msgstr (a merge can leave one) makes Babel print warnings into the first command's
    output that loads the catalogue, e.g. an English `registry import`; every catalogue parses strictly."""
    with open(ROOT / po, "rb") as fh:
        read_po(fh, abort_invalid=True)



#: msgids two catalogues translated differently. The clashes found when this check was written (2026-12-07: 29 zh,
#: 18 vi) are resolved: two wordings of one meaning got one wording; two meanings of one English word got a msgid
#: each (the gates' ``Quantity`` beside the core's ``Number``: 数量 / 编号; the O&M's health ``green code`` 绿码
#: beside the plate colour ``green`` 绿色; the gates' ``Performance grade`` 绩效分级 beside the O&M's ``Grade`` 等级 …).
#: The list may only shrink and is empty: a new clash fails, and so does a listed one that is gone.
KNOWN_CLASHES: dict[str, set[str]] = {"zh": set(), "vi": set()}


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_a_msgid_in_several_catalogues_is_translated_alike(lang):
    """The catalogues are merged into one at run time (the subsystems', then the core's over them), so a msgid two of
    them translate differently takes whichever loads last: the gates' "allowed" (放行, the gate's decision) showed as
    the O&M's 允许 on the gate pages. Each msgid has one translation across the catalogues, but for the clashes known
    when this check was written (:data:`KNOWN_CLASHES`)."""
    seen: dict[tuple, set] = {}
    for cat in [_catalogue(lang), *_subsystem_catalogues(lang)]:
        for m in cat:
            if m.id and _translated(m):  # plural forms and msgids with a context (msgctxt) too
                seen.setdefault((m.context, m.id), set()).add(m.string)
    said = {(msgid if context is None else (context, msgid)): v for (context, msgid), v in seen.items() if len(v) > 1}
    clashes = set(said)
    new = sorted(f"{k!r}: {' / '.join(sorted(map(str, said[k])))}" for k in clashes - KNOWN_CLASHES[lang])
    assert not new, "new: give one translation, or a distinct msgid or a context (msgctxt):\n" + "\n".join(new)
    assert KNOWN_CLASHES[lang] - clashes == set(), "resolved: take them off KNOWN_CLASHES"
