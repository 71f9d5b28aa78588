"""The CJK font of the reports: Noto Sans CJK SC from Debian's ``fonts-noto-cjk``.

Two consumers need it:

* **matplotlib** (charts): :func:`register_matplotlib_font` adds the font file to matplotlib's font
  manager and returns the family name to use.
* **reportlab** (PDF): reportlab embeds TrueType (``glyf``) outlines only and refuses the PostScript
  (CFF) outlines that Noto Sans CJK is built with (``TTFError: postscript outlines are not
  supported``), whatever ``subfontIndex`` is given. :func:`reportlab_font` therefore subsets the SC face
  to the characters a document actually uses (fontTools, a matplotlib dependency), converts the cubic
  CFF outlines of that subset to quadratic TrueType outlines (``cu2qu``, tolerance 1 font unit) and
  registers the result with reportlab. The PDF embeds glyphs of Noto Sans CJK SC itself; subsetting
  plus conversion takes well under a second.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["CJKFont", "CJKFontMissing", "find_cjk_font", "register_matplotlib_font", "reportlab_font"]

#: Paths where Debian/Ubuntu/Fedora/Alpine put the Noto Sans CJK collection (TTC, regular weight).
KNOWN_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/local/share/fonts/NotoSansCJK-Regular.ttc",
)
#: Face of the SC (simplified Chinese) font inside NotoSansCJK-Regular.ttc when fontconfig cannot say.
DEFAULT_SC_INDEX = 2
SC_FAMILY = "Noto Sans CJK SC"


class CJKFontMissing(RuntimeError):
    """No Noto Sans CJK font found."""


@dataclass(frozen=True)
class CJKFont:
    path: Path
    index: int  # face number inside the TTC collection
    family: str = SC_FAMILY


def _fc(args: list[str]) -> str:
    exe = shutil.which(args[0])
    if not exe:
        return ""
    try:
        return subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


@lru_cache(maxsize=1)
def find_cjk_font() -> CJKFont:
    """Locate Noto Sans CJK SC: fontconfig first (``fc-list``/``fc-match``), then known paths.

    Raises :class:`CJKFontMissing` naming the Debian package ``fonts-noto-cjk`` when none is found.
    """
    for line in _fc(["fc-list", "-f", "%{file}|%{index}|%{family}\n", ":lang=zh"]).splitlines():
        parts = line.split("|")
        if len(parts) >= 3 and SC_FAMILY in parts[2].split(",") and "Regular" in Path(parts[0]).name:
            if Path(parts[0]).is_file():
                return CJKFont(Path(parts[0]), int(parts[1] or 0))
    out = _fc(["fc-match", "-f", "%{file}|%{index}|%{family}", f"{SC_FAMILY}:style=Regular"]).strip()
    parts = out.split("|")
    if len(parts) >= 3 and SC_FAMILY in parts[2] and Path(parts[0]).is_file():
        return CJKFont(Path(parts[0]), int(parts[1] or 0))
    for p in KNOWN_PATHS:
        if Path(p).is_file():
            return CJKFont(Path(p), DEFAULT_SC_INDEX)
    raise CJKFontMissing(
        "Noto Sans CJK SC not found: install the Debian package fonts-noto-cjk "
        "(apt-get install fonts-noto-cjk); Chinese text in PDF reports and charts needs it"
    )


@lru_cache(maxsize=1)
def register_matplotlib_font() -> str:
    """Add the CJK font file to matplotlib's font manager; return the family name to use.

    matplotlib reads the first face of a TTC (Noto Sans CJK JP); every face of the collection carries
    the full CJK glyph set, so simplified Chinese renders (some glyph shapes follow Japanese style).
    """
    from matplotlib import font_manager

    font = find_cjk_font()
    font_manager.fontManager.addfont(str(font.path))
    return font_manager.FontProperties(fname=str(font.path)).get_name()


BASE_CHARS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "—–·°℃³²µ±×÷≥≤%（）：，。、；【】“”‘’《》"
)


def _truetype_subset(font: CJKFont, text: str) -> bytes:
    """Subset the face to ``text`` and convert its CFF outlines to TrueType ``glyf`` outlines."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    ft = TTFont(str(font.path), fontNumber=font.index, lazy=False)
    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(text=text)
    sub.subset(ft)
    if "CFF " in ft:
        order = ft.getGlyphOrder()
        glyphs = ft.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for name in order:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf.glyphs[name] = pen.glyph()
        ft["glyf"] = glyf
        ft["loca"] = newTable("loca")
        maxp = ft["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                     "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        ft["head"].glyphDataFormat = 0
        post = ft["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        for tag in ("CFF ", "VORG"):
            if tag in ft:
                del ft[tag]
        ft.sfntVersion = "\x00\x01\x00\x00"
    buf = io.BytesIO()
    ft.save(buf)
    return buf.getvalue()


@lru_cache(maxsize=32)
def _registered(chars: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = find_cjk_font()
    name = f"NotoSansCJKsc-{abs(hash(chars)) % 10**10}"
    try:  # a TrueType build (not shipped by Debian) can be embedded directly
        ttf = TTFont(name, str(font.path), subfontIndex=font.index)
    except Exception:
        ttf = TTFont(name, io.BytesIO(_truetype_subset(font, chars)))
        # reportlab's registerFont maps every later font whose PostScript name equals an already registered
        # one to that first font object, so a second document (another character subset) would be drawn
        # with the first subset's glyphs: give each subset its own face name.
        ttf.face.name = name.encode("ascii")
    pdfmetrics.registerFont(ttf)
    return name


def reportlab_font(text: str) -> str:
    """Register Noto Sans CJK SC with reportlab for a document whose strings are ``text``; return its name.

    The registered font covers ``text`` plus ASCII and common units/punctuation (:data:`BASE_CHARS`).
    """
    chars = "".join(sorted(set(text) | set(BASE_CHARS)))
    return _registered(chars)
