"""Vietnam Circular 10/2021/TT-BTNMT station files: one ``.txt`` per measurement, tab-separated lines.

:func:`parse_file` / :func:`parse_name` read them (accepting the variants seen in the field, rejecting the
rest with a reason), :func:`write_file` writes canonical ones. See :mod:`.parser` for the decisions.
"""

from ecosentry.protocols.vn_txt.model import STATUS_MEANING, VnFile, VnFileError, VnFileName, VnLine
from ecosentry.protocols.vn_txt.parser import REASON_WORDS, REASONS, canonical_unit, parse_file, parse_name, parse_time
from ecosentry.protocols.vn_txt.writer import format_name, format_value, write_file

__all__ = [
    "STATUS_MEANING", "VnFile", "VnFileError", "VnFileName", "VnLine",
    "REASONS", "REASON_WORDS", "canonical_unit", "parse_file", "parse_name", "parse_time",
    "format_name", "format_value", "write_file",
]
