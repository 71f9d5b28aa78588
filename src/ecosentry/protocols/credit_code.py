"""Check digits of Chinese registry codes: 统一社会信用代码 (GB 32100-2015) and 组织机构代码 (GB 11714-1997).

The unified social credit code has 18 characters:

========  =========================================================================
position  meaning
========  =========================================================================
1         registration authority (登记管理部门码), e.g. 9 = 工商 (market regulation)
2         entity type (机构类别码), e.g. 1 = enterprise
3–8       administrative division of the registering authority (GB/T 2260)
9–17      subject identifier = organization code (GB 11714: 8 body characters + check)
18        check character (GB 32100)
========  =========================================================================

References
----------
.. [1] GB 32100-2015 法人和其他组织统一社会信用代码编码规则, §4 (structure), Table 1 (character set),
   §5 / Appendix (check character: :math:`C_{18} = 31 - \\mathrm{MOD}(\\sum C_i W_i, 31)`,
   :math:`W_i = \\mathrm{MOD}(3^{i-1}, 31)`; worked example 91350100M000100Y4 → 3).
.. [2] GB 11714-1997 全国组织机构代码编制规则 (check character of the 9-character organization code).
"""

from __future__ import annotations

import re

__all__ = [
    "CREDIT_CODE_CHARSET",
    "credit_code_check_digit",
    "is_valid_credit_code",
    "organization_code_check_digit",
    "is_valid_organization_code",
]

#: GB 32100-2015 Table 1: digits and the 21 capital letters other than I, O, S, V, Z; value = index.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
#: GB 32100-2015: W_i = 3^(i-1) mod 31 for i = 1..17.
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CREDIT_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")

#: GB 11714-1997 weights of the 8 body characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_PATTERN = re.compile(r"^[0-9A-Z]{8}$")


def credit_code_check_digit(first17: str) -> str:
    """
    Check character of a unified social credit code (GB 32100-2015).

    .. math::

        C_{18} = 31 - \\mathrm{MOD}\\Big(\\sum_{i=1}^{17} C_i W_i,\\ 31\\Big), \\quad
        W_i = \\mathrm{MOD}(3^{i-1}, 31)

    where :math:`C_i` is the value of character i in the GB 32100 character set; a result of 31 is
    written 0.

    Parameters
    ----------
    first17 : str
        The first 17 characters (upper case).

    Returns
    -------
    str
        The 18th character.

    Raises
    ------
    ValueError
        If ``first17`` is not 17 characters of the GB 32100 character set.

    References
    ----------
    .. [1] GB 32100-2015, check-character algorithm and worked example (91350100M000100Y4 → 3).

    Examples
    --------
    >>> credit_code_check_digit("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17 or any(ch not in _CREDIT_VALUE for ch in first17):
        raise ValueError(f"need 17 characters of {CREDIT_CODE_CHARSET!r}, got {first17!r}")
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(first17, _CREDIT_WEIGHTS))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """
    Whether ``code`` is a well-formed unified social credit code with a correct check character.

    Checks the GB 32100-2015 structure (characters of Table 1, positions 3–8 digits) and the 18th
    character. It does not check that the division code exists or that the embedded organization code
    carries a valid GB 11714 check (use :func:`is_valid_organization_code` on ``code[8:17]``).

    Parameters
    ----------
    code : str
        Candidate code. Lower case and surrounding blanks are rejected, not corrected.

    Returns
    -------
    bool
    """
    if not isinstance(code, str) or not _CREDIT_PATTERN.match(code):
        return False
    return credit_code_check_digit(code[:17]) == code[17]


def organization_code_check_digit(first8: str) -> str:
    """
    Check character of an organization code (GB 11714-1997).

    .. math::

        C_9 = 11 - \\mathrm{MOD}\\Big(\\sum_{i=1}^{8} C_i W_i,\\ 11\\Big), \\quad
        W = (3, 7, 9, 10, 5, 8, 4, 2)

    with digits worth their value and letters A–Z worth 10–35; 10 is written ``X`` and 11 is ``0``.

    Parameters
    ----------
    first8 : str
        The 8 body characters (digits or capital letters).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``first8`` is not 8 digits or capital letters.

    References
    ----------
    .. [1] GB 11714-1997, check character of the organization code.

    Examples
    --------
    >>> organization_code_check_digit("M000100Y")
    '4'
    """
    if not _ORG_BODY_PATTERN.match(first8):
        raise ValueError(f"need 8 digits or capital letters, got {first8!r}")
    total = sum(int(ch, 36) * w for ch, w in zip(first8, _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_organization_code(code: str) -> bool:
    """Whether a 9-character organization code (GB 11714-1997) has a correct check character."""
    if not isinstance(code, str) or len(code) != 9 or not _ORG_BODY_PATTERN.match(code[:8]):
        return False
    return organization_code_check_digit(code[:8]) == code[8]
