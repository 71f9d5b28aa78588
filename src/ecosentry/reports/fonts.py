"""The font of the reports: Noto Sans SC, Regular, from the PyPI wheel ``justmytype-intl-cjk``.

The wheel is a dependency of ecosentry, so reports need no font from the operating system (no
fontconfig, no ``fonts-noto-cjk``). It ships ``NotoSansSC[wght].ttf``, a *variable* TrueType font
(OFL-1.1) whose default instance is Thin (wght 100): reportlab and matplotlib ignore the variation
tables and would draw that hairline instance, so both consumers get the Regular (wght 400) instance made
with ``fontTools.varLib.instancer`` (fontTools is a matplotlib dependency). Its character map also covers
Latin, Vietnamese (Latin Extended Additional: ệ ữ ạ ơ ư đ …) and the units and punctuation of the reports,
so one font draws Chinese, Vietnamese and English text.

Two consumers:

* **matplotlib** (charts): :func:`register_matplotlib_font` needs a font *file*. The Regular instance of
  the whole font (31 000 glyphs, ~10 MB) takes ~15 s to make, so it is made once and kept in the user's
  cache directory (:func:`font_cache_dir`), named after the wheel's version.
* **reportlab** (PDF): :func:`reportlab_font` subsets the variable font to the characters a document uses,
  instantiates that small subset at wght 400 in memory (well under a second) and registers it; the PDF
  embeds only those glyphs.
"""

from __future__ import annotations

import io
import os
import tempfile
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

__all__ = ["CJKFontMissing", "font_cache_dir", "regular_font_path", "regular_font_target",
           "register_matplotlib_font", "reportlab_font", "variable_font_path"]

#: The distribution (PyPI name) and import package that carry the font.
DISTRIBUTION = "justmytype-intl-cjk"
PACKAGE = "justmytype_intl_cjk"
#: The simplified-Chinese variable font inside :data:`PACKAGE`.
RESOURCE = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")
FAMILY = "Noto Sans SC"
#: OS/2 weight class of Regular (OpenType ``usWeightClass``), the weight the reports are set in.
REGULAR_WEIGHT = 400


class CJKFontMissing(RuntimeError):
    """The font wheel is not installed (or does not carry the font)."""


def _missing(detail: str) -> CJKFontMissing:
    return CJKFontMissing(
        f"the report font (Noto Sans SC) is missing: {detail}; install the Python package {DISTRIBUTION} "
        f"(pip install {DISTRIBUTION}, a dependency of ecosentry); Chinese and Vietnamese text in PDF "
        "reports and charts needs it"
    )


@lru_cache(maxsize=1)
def variable_font_path() -> Path:
    """Path of ``NotoSansSC[wght].ttf`` inside the installed wheel (no fontconfig involved)."""
    try:
        root = resources.files(PACKAGE)
    except ModuleNotFoundError:
        raise _missing(f"the package {PACKAGE} is not installed") from None
    path = Path(str(root.joinpath(*RESOURCE)))
    if not path.is_file():
        raise _missing(f"{path} does not exist")
    return path


def font_cache_dir() -> Path:
    """Where the Regular instance is kept: ``$XDG_CACHE_HOME/ecosentry/fonts`` (``~/.cache/…``), or a
    per-user folder in the temporary directory when the home directory cannot be written."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    for candidate in (Path(base) / "ecosentry" / "fonts", Path(tempfile.gettempdir()) / f"ecosentry-fonts-{user}"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    raise _missing("no writable cache directory for its Regular instance")


def _instantiate_regular(font):  # fontTools TTFont → TTFont
    from fontTools.varLib import instancer

    if "fvar" not in font:
        return font
    return instancer.instantiateVariableFont(font, {"wght": REGULAR_WEIGHT}, updateFontNames=True)


def regular_font_target() -> Path:
    """Where the Regular instance is (or will be) cached: named after the wheel's version."""
    src = variable_font_path()
    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        version = str(int(src.stat().st_mtime))
    return font_cache_dir() / f"NotoSansSC-Regular-{DISTRIBUTION}-{version}.ttf"


@lru_cache(maxsize=1)
def regular_font_path() -> Path:
    """The Regular (wght 400) static instance of the whole font, made once and cached on disk.

    Processes that make it at the same time (test workers, several servers) each write their own
    temporary file and rename it into place, so a reader never sees half a font. ``python -m
    ecosentry.reports.fonts`` makes it (the server runs that in the background when it starts).
    """
    from fontTools.ttLib import TTFont

    target = regular_font_target()
    if target.is_file():
        return target
    font = _instantiate_regular(TTFont(str(variable_font_path())))
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        font.save(str(tmp))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


@lru_cache(maxsize=1)
def register_matplotlib_font() -> str:
    """Add the Regular instance to matplotlib's font manager; return the family name to use."""
    from matplotlib import font_manager

    path = regular_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


BASE_CHARS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "—–·°℃³²µ±×÷≥≤%（）：，。、；【】“”‘’《》"
)


def _regular_subset(text: str) -> bytes:
    """The variable font subset to ``text``, then instantiated at wght 400 (subsetting first keeps the
    instancing to a few hundred glyphs)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    ft = TTFont(str(variable_font_path()), lazy=True)  # tables read as the subsetter asks: ~0.7 s, not ~10 s (same bytes)
    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(text=text)
    sub.subset(ft)
    ft = _instantiate_regular(ft)
    buf = io.BytesIO()
    ft.save(buf)
    return buf.getvalue()


@lru_cache(maxsize=32)
def _registered(chars: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = f"NotoSansSC-Regular-{abs(hash(chars)) % 10**10}"
    ttf = TTFont(name, io.BytesIO(_regular_subset(chars)))
    # reportlab's registerFont maps every later font whose PostScript name equals an already registered
    # one to that first font object, so a second document (another character subset) would be drawn
    # with the first subset's glyphs: give each subset its own face name.
    ttf.face.name = name.encode("ascii")
    pdfmetrics.registerFont(ttf)
    return name


def reportlab_font(text: str) -> str:
    """Register Noto Sans SC Regular with reportlab for a document whose strings are ``text``; return its
    name. The registered font covers ``text`` plus ASCII and common units/punctuation (:data:`BASE_CHARS`).
    """
    chars = "".join(sorted(set(text) | set(BASE_CHARS)))
    return _registered(chars)


if __name__ == "__main__":  # make the cached Regular instance (see regular_font_path)
    print(regular_font_path())
