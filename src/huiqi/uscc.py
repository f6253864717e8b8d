"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015.

A code is 18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V).
Position 18 is a check character: with each of the first 17 characters mapped to its
index in that alphabet and weighted by ``3**i mod 31`` (1, 3, 9, 27, 19, 26, 16, 17, 20,
29, 25, 13, 8, 24, 10, 30, 28), the check value is ``31 - (sum mod 31)``, and a value of
31 is written as ``'0'``.

Input is normalised before checking: Unicode NFKC (full-width ``９`` becomes ``9``), all
whitespace removed, upper-cased.  Only length, alphabet and check character are
verified; the structure of positions 1–17 (registration authority, region code, the
GB 11714 organisation code) is not.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "CHARSET",
    "WEIGHTS",
    "USCCError",
    "normalise_uscc",
    "compute_check_char",
    "validate_uscc",
    "is_valid_uscc",
    "make_uscc",
    "org_type_from_uscc",
    "ORG_TYPES_BY_CODE",
]

# Positions 1–2: the registration authority (登记管理部门) and the organisation category (机构类别)
# of GB 32100-2015 附录 A, for the kinds the policies distinguish (enum enterprise.org_type).
ORG_TYPES_BY_CODE = {
    "91": "企业",  # 工商 · 企业
    "12": "事业单位",  # 机构编制 · 事业单位
    "51": "社会团体",  # 民政 · 社会团体
    "52": "民办非企业单位",  # 民政 · 民办非企业单位
}

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_FORBIDDEN = "IOZSV"


class USCCError(ValueError):
    """An invalid 统一社会信用代码, with bilingual messages naming the field."""

    def __init__(self, *, field: str, message_zh: str, message_en: str) -> None:
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{field}: {message_zh} / {message_en}")


def normalise_uscc(code: str) -> str:
    """Return ``code`` NFKC-normalised, with all whitespace removed, in upper case."""
    return "".join(unicodedata.normalize("NFKC", code).split()).upper()


def _check_chars(code: str, *, field: str, length: int) -> None:
    """Raise ``USCCError`` unless ``code`` has ``length`` characters, all from CHARSET."""
    if len(code) != length:
        raise USCCError(
            field=field,
            message_zh=f"应为 {length} 位，实际为 {len(code)} 位",
            message_en=f"must be {length} characters long, got {len(code)}",
        )
    for position, char in enumerate(code, start=1):
        if char not in CHARSET:
            hint_zh = "（代码中不使用 I、O、Z、S、V）" if char in _FORBIDDEN else ""
            hint_en = " (I, O, Z, S and V are never used)" if char in _FORBIDDEN else ""
            raise USCCError(
                field=field,
                message_zh=f"第 {position} 位字符 {char!r} 不合法{hint_zh}",
                message_en=f"character {char!r} at position {position} is not allowed{hint_en}",
            )


def compute_check_char(first17: str, *, field: str = "first17") -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a code."""
    body = normalise_uscc(first17)
    _check_chars(body, field=field, length=17)
    total = sum(CHARSET.index(char) * weight for char, weight in zip(body, WEIGHTS))
    value = 31 - total % 31
    return CHARSET[0 if value == 31 else value]


def validate_uscc(code: str, *, field: str = "uscc") -> str:
    """Return the normalised code, or raise ``USCCError`` saying exactly what is wrong."""
    if not isinstance(code, str):
        raise USCCError(
            field=field,
            message_zh=f"应为字符串，收到 {type(code).__name__}",
            message_en=f"must be a string, got {type(code).__name__}",
        )
    normalised = normalise_uscc(code)
    _check_chars(normalised, field=field, length=18)
    expected = compute_check_char(normalised[:17], field=field)
    if normalised[17] != expected:
        raise USCCError(
            field=field,
            message_zh=f"校验码错误：第 18 位应为 {expected!r}，实际为 {normalised[17]!r}",
            message_en=f"check character expected {expected!r}, got {normalised[17]!r}",
        )
    return normalised


def is_valid_uscc(code: str) -> bool:
    """Return whether ``code`` is a valid 统一社会信用代码."""
    try:
        validate_uscc(code)
    except USCCError:
        return False
    return True


def make_uscc(first17: str) -> str:
    """Append the check character to 17 characters, e.g. to make demo data."""
    body = normalise_uscc(first17)
    return body + compute_check_char(body, field="first17")


def org_type_from_uscc(code: str) -> str | None:
    """The kind of organisation a valid code's first two characters say (91 企业, 12 事业单位,
    51 社会团体, 52 民办非企业单位); None for other kinds (机关, 个体工商户, 基金会 …) or a bad code."""
    if not is_valid_uscc(code):
        return None
    return ORG_TYPES_BY_CODE.get(normalise_uscc(code)[:2])
