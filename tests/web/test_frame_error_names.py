"""Every reason a transmission is rejected (HJ 212 frame errors, Circular 10/2021 file errors, the store's
isolation codes) has a name on the point page in Chinese and Vietnamese: the logger-fault line never shows a
code such as ``bad_status``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecosentry.protocols.hj212 import errors as hj212_errors
from ecosentry.store.fit import FIELD_TOO_LONG, UNWRITABLE_RECORD
from ecosentry.web.i18n import translations
from ecosentry.web.templating import templates

SRC = Path(__file__).parents[2] / "src" / "ecosentry"


def _vn_reasons() -> set[str]:
    """The reason codes the Vietnamese file parser raises (read from its source, so a new one is covered)."""
    found = set()
    for path in (SRC / "protocols" / "vn_txt").glob("*.py"):
        found |= set(re.findall(r'VnFileError\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert {"bad_name", "bad_status", "time_mismatch"} <= found
    return found


def _hj212_codes() -> set[str]:
    return {c.__name__ for c in vars(hj212_errors).values()
            if isinstance(c, type) and issubclass(c, hj212_errors.HJ212Error) and c is not hj212_errors.HJ212Error}


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_rejection_reason_is_named_in_the_language(lang):
    macros = templates.env.get_template("site_macros.html").make_module({"_": translations(lang).gettext})
    english = templates.env.get_template("site_macros.html").make_module({"_": translations("en").gettext})
    other = translations(lang).gettext("other error")
    for code in sorted(_vn_reasons() | _hj212_codes() | {FIELD_TOO_LONG, UNWRITABLE_RECORD}):
        said = str(macros.frame_error(code)).strip()
        # a name of its own, translated (not the English sentence, not the code, not the catch-all)
        assert said and said not in (code, other, str(english.frame_error(code)).strip()), (code, said)
