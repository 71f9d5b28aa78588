"""pydantic's refusals of a malformed value said in the reader's words: one msgid per error ``type``.

pydantic (v2) writes its ``msg`` in English only ("Field required", "Input should be a valid integer …").
Both shells that validate with it say the error again from its ``type``, its ``input`` and its ``ctx`` (the
bound of ``ge``, the ``max_length`` …) with these msgids, translated in the core's catalogues:

- the API (:mod:`ecosentry.web.errors`): every ``msg`` of a 422 validation answer, in the reader's language;
- the command line (:mod:`ecosentry.terminal.usage`): a malformed option value, in the terminal's language.

``text`` is the value given (``'abc' is not a whole number``); a type whose value may be large or not a
scalar (a body that is no object, a list too long) says no value. A type not listed here keeps pydantic's
English (:func:`invalid_value` answers ``None``); a ``value_error`` raised as a :class:`~ecosentry.said.Said` (the
``tz`` parameter's ``unknown time zone``) is that Said.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecosentry.said import N_, Said

__all__ = ["SENTENCES", "MSGIDS", "invalid_value"]

NOT_WHOLE = N_("%(text)r is not a whole number")
NOT_NUMBER = N_("%(text)r is not a number")
NOT_DATETIME = N_("%(text)r is not a date and time (ISO 8601, e.g. 2026-11-23T08:00:00+08:00)")
NOT_DATE = N_("%(text)r is not a date (YYYY-MM-DD)")
NOT_ONE_OF = N_("%(text)r is not one of %(expected)s")

#: pydantic error type → msgid. Parameters: ``text`` (the value given), ``minimum`` / ``maximum`` (a number's
#: bound), ``min_length`` / ``max_length`` (characters or items), ``expected`` (the allowed values), ``pattern``.
SENTENCES: dict[str, str] = {
    "missing": N_("a value is required"),
    "int_parsing": NOT_WHOLE,
    "int_from_float": NOT_WHOLE,
    "int_type": N_("a whole number is expected"),
    "float_parsing": NOT_NUMBER,
    "float_type": N_("a number is expected"),
    "finite_number": N_("%(text)r is not a finite number"),
    "bool_parsing": N_("%(text)r is not true or false"),
    "bool_type": N_("true or false is expected"),
    "string_type": N_("a text is expected"),
    "string_too_short": N_("at least %(min_length)s characters are needed"),
    "string_too_long": N_("at most %(max_length)s characters are allowed"),
    "string_pattern_mismatch": N_("%(text)r does not have the form %(pattern)s"),
    "too_short": N_("at least %(min_length)s items are needed"),
    "too_long": N_("at most %(max_length)s items are allowed"),
    "greater_than_equal": N_("%(text)r must be %(minimum)s or more"),
    "greater_than": N_("%(text)r must be more than %(minimum)s"),
    "less_than_equal": N_("%(text)r must be %(maximum)s or less"),
    "less_than": N_("%(text)r must be less than %(maximum)s"),
    "enum": NOT_ONE_OF,
    "literal_error": NOT_ONE_OF,
    "datetime_parsing": NOT_DATETIME,
    "datetime_from_date_parsing": NOT_DATETIME,
    "datetime_type": N_("a date and time is expected (ISO 8601, e.g. 2026-11-23T08:00:00+08:00)"),
    "date_parsing": NOT_DATE,
    "date_from_datetime_parsing": NOT_DATE,
    "date_type": N_("a date is expected (YYYY-MM-DD)"),
    "json_invalid": N_("the request body is not valid JSON"),
    "json_type": N_("the value is not valid JSON"),
    "extra_forbidden": N_("this field is not expected here"),
    "model_attributes_type": N_("an object ({…}) is expected"),
    "dict_type": N_("an object ({…}) is expected"),
    "list_type": N_("a list is expected"),
    # the API's own type: a number beyond the database's column (ecosentry.web.errors)
    "out_of_range": N_("A number in the request is larger than the database stores."),
}
#: pydantic's name of a bound → the parameter of the sentence.
BOUNDS = {"ge": "minimum", "gt": "minimum", "le": "maximum", "lt": "maximum"}
#: Every msgid said here (the catalogues' tests check each is translated).
MSGIDS = tuple(dict.fromkeys(SENTENCES.values()))


def _expected(text: str) -> str:
    """pydantic's list of allowed values (``'a', 'b' or 'c'``) without its English ``or``."""
    head, sep, last = text.rpartition(" or ")
    return f"{head}, {last}" if sep else text


def invalid_value(error: Mapping[str, Any]) -> Said | None:
    """The sentence of one pydantic error (an item of ``ValidationError.errors()``), else ``None`` (a type not
    listed: pydantic's English stays)."""
    kind, ctx = error.get("type"), error.get("ctx") or {}
    if kind == "value_error" and isinstance(ctx.get("error"), Said):
        return ctx["error"]
    msgid = SENTENCES.get(kind)
    if msgid is None:
        return None
    params: dict[str, Any] = {BOUNDS[k]: v for k, v in ctx.items() if k in BOUNDS}
    for name in ("min_length", "max_length", "pattern"):
        if name in ctx:
            params[name] = ctx[name]
    if "expected" in ctx:
        params["expected"] = _expected(str(ctx["expected"]))
    if "%(text)" in msgid:
        params["text"] = error.get("input")
    return Said(msgid, **params)
