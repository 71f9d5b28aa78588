"""Reading the demo's welcome text, which is printed in the operator's language (the terminal's, else the
deployment's: Chinese for ``demo``, Vietnamese for ``demo --country vn``)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

#: The URL on the first line ("ecosentry demo running: open http://…", "…已运行： 请打开 http://…", "… mở http://…").
URL = re.compile(r"(?:open|请打开|mở) (http://127\.0\.0\.1:\d+/)")
#: The password in the accounts' heading, in any of the three languages.
PASSWORD = re.compile(r"(?:password|密码|mật khẩu) (\S+?)[,，]")


def deployment_language_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with no language of the terminal's own: the demo speaks the deployment's language."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = "C.UTF-8"
    return env


def url_in(line: str) -> str | None:
    m = URL.search(line)
    return m.group(1) if m else None


def password_in(text: str) -> str:
    m = PASSWORD.search(text)
    assert m, "the demo did not print its accounts' password:\n" + text
    return m.group(1)
