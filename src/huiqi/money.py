"""Money as ``decimal.Decimal`` yuan (元): parsing, rounding, formatting and 大写 amounts.

Rules used here:

* Amounts are ``Decimal`` yuan, never ``float``.  ``parse_money`` accepts ``int``,
  ``Decimal``, strings such as ``"1,200,000.50"``, ``"120万"``, ``"120万元"``,
  ``"1.5亿"``, ``"¥1,200"``, and a ``float`` only when its shortest ``str()`` form has at
  most two decimal places (so spreadsheet cells like ``1234.56`` are accepted as
  ``Decimal("1234.56")`` while float residue like ``0.30000000000000004`` is refused).
  Parsing never rounds: ``"1.2345678万"`` is ``Decimal("12345.678")``.
* ``to_fen`` rounds to 0.01 yuan (分) with ROUND_HALF_UP.
* ``to_chinese_capital`` writes the 中文大写 amount following the People's Bank of China
  《支付结算办法》 attachment 《正确填写票据和结算凭证的基本规定》:

  - the amount is first rounded to 分 (ROUND_HALF_UP);
  - an amount ending at 元 gets 整 (``1000000 → 壹佰万元整``, ``0 → 零元整``);
  - **convention chosen here:** no 整 after 角 or 分 (the rule says 整 "可以不写" after
    角, and must not be written after 分): ``100000.50 → 壹拾万元伍角``;
  - zeros between digits are written as a single 零 (``1010 → 壹仟零壹拾元整``,
    ``6007.14 → 陆仟零柒元壹角肆分``, ``100005000 → 壹亿零伍仟元整``);
  - a zero 千 position directly after 万/亿 gets 零 (``100500 → 壹拾万零伍佰元整``), but
    trailing zeros of a 万/亿 group are not written (``105000 → 壹拾万伍仟元整``);
  - when 元 is zero but 角 is not, no 零 is written after 元
    (``1680.32 → 壹仟陆佰捌拾元叁角贰分``; the rule allows either form);
  - when 角 is zero but 分 is not, 零 is written after 元 (``10.05 → 壹拾元零伍分``);
  - below one yuan, no 元 is written (``0.5 → 伍角``, ``0.05 → 伍分``);
  - 拾 is always preceded by its digit (``10 → 壹拾元整``), as on bank documents;
  - supported up to 9999亿 (below 1,000,000,000,000 yuan); negative amounts are refused.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "MoneyError",
    "parse_money",
    "to_fen",
    "format_yuan",
    "to_wan",
    "format_wan",
    "to_chinese_capital",
]

_FEN = Decimal("0.01")
_MAX_PARSE = Decimal(10) ** 15  # 1000 万亿元: far above any real amount; guards precision
_MAX_CAPITAL = 10**12  # 大写 supported below 1 万亿 (i.e. up to 9999亿)
_UNITS = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SECTION_UNITS = ("亿", "万", "")
_PLACE_UNITS = ("仟", "佰", "拾", "")


class MoneyError(ValueError):
    """An amount that cannot be used as money, with bilingual messages naming the field."""

    def __init__(self, *, field: str, message_zh: str, message_en: str) -> None:
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{field}: {message_zh} / {message_en}")


def _plain(d: Decimal) -> Decimal:
    """Return ``d`` without exponent notation: integers as integers, else trailing zeros dropped."""
    if d == 0:
        return Decimal(0)
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def _check_amount(d: Decimal, *, field: str, raw: object) -> Decimal:
    """Refuse non-finite, negative and absurdly large amounts."""
    if not d.is_finite():
        raise MoneyError(
            field=field,
            message_zh=f"金额必须是有限数值，收到 {raw!r}",
            message_en=f"amount must be a finite number, got {raw!r}",
        )
    if d < 0:
        raise MoneyError(
            field=field,
            message_zh=f"金额不能为负数，收到 {raw!r}",
            message_en=f"amount must not be negative, got {raw!r}",
        )
    if d >= _MAX_PARSE:
        raise MoneyError(
            field=field,
            message_zh=f"金额过大（应小于 10^15 元），收到 {raw!r}",
            message_en=f"amount is too large (must be below 10^15 yuan), got {raw!r}",
        )
    return d


def _parse_str(text: str, *, field: str) -> Decimal:
    """Parse an amount written as text, e.g. ``"1,200,000.50"``, ``"120万元"``, ``"1.5亿"``."""
    s = "".join(text.split())  # drop all whitespace, including full-width spaces
    s = s.replace("，", ",").replace("．", ".")
    if s[:1] in ("¥", "￥"):
        s = s[1:]
    if s.endswith("元"):
        s = s[:-1]
    unit = ""
    if s[-1:] in ("万", "亿"):
        unit, s = s[-1], s[:-1]
    if s.startswith("-") and _NUMBER.fullmatch(s[1:]):
        raise MoneyError(
            field=field,
            message_zh=f"金额不能为负数，收到 {text!r}",
            message_en=f"amount must not be negative, got {text!r}",
        )
    if not _NUMBER.fullmatch(s):
        raise MoneyError(
            field=field,
            message_zh=(
                f"无法识别的金额 {text!r}；应为如 1200000、1,200,000.50、120万、1.5亿 的写法"
            ),
            message_en=(
                f"unrecognised amount {text!r}; expected e.g. 1200000, 1,200,000.50, 120万, 1.5亿"
            ),
        )
    return Decimal(s.replace(",", "")) * _UNITS[unit]


def parse_money(value: int | str | Decimal | float, *, field: str) -> Decimal:
    """Parse ``value`` as a non-negative amount in yuan (元), without rounding."""
    if isinstance(value, bool):
        raise MoneyError(
            field=field,
            message_zh=f"金额不能是布尔值，收到 {value!r}",
            message_en=f"amount must not be a boolean, got {value!r}",
        )
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, Decimal):
        d = value
    elif isinstance(value, float):
        d = _from_float(value, field=field)
    elif isinstance(value, str):
        d = _parse_str(value, field=field)
    else:
        raise MoneyError(
            field=field,
            message_zh=f"不支持的金额类型 {type(value).__name__}",
            message_en=f"unsupported amount type {type(value).__name__}",
        )
    return _plain(_check_amount(d, field=field, raw=value))


def _from_float(value: float, *, field: str) -> Decimal:
    """Accept a float only when its shortest decimal form has at most two decimal places."""
    try:
        d = Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - str(float) is always a valid Decimal
        d = Decimal("NaN")
    if d.is_finite() and d.as_tuple().exponent < -2:  # type: ignore[operator]
        raise MoneyError(
            field=field,
            message_zh=(
                f"浮点数 {value!r} 超过两位小数，可能是浮点误差；请以字符串或 Decimal 提供金额"
            ),
            message_en=(
                f"float {value!r} has more than two decimal places, likely float error; "
                "pass the amount as a string or Decimal"
            ),
        )
    return d


def _as_decimal(d: Decimal | int) -> Decimal:
    """Coerce an ``int`` to ``Decimal``; refuse floats and other types."""
    if isinstance(d, bool) or not isinstance(d, (int, Decimal)):
        raise TypeError(f"expected Decimal or int, got {type(d).__name__}")
    return Decimal(d)


def to_fen(d: Decimal | int) -> Decimal:
    """Round an amount to 0.01 yuan (分) with ROUND_HALF_UP."""
    return _as_decimal(d).quantize(_FEN, rounding=ROUND_HALF_UP)


def format_yuan(d: Decimal | int) -> str:
    """Format yuan with thousands separators and two decimals, e.g. ``"1,234,567.89"``."""
    return f"{to_fen(d):,.2f}"


def to_wan(d: Decimal | int) -> Decimal:
    """Convert yuan to 万元 exactly, e.g. ``1234567.89 → 123.456789``."""
    return _plain(_as_decimal(d).scaleb(-4))


def format_wan(d: Decimal | int, places: int = 4) -> str:
    """Format yuan as 万元 rounded HALF_UP to ``places`` decimals, trailing zeros dropped."""
    if places < 0:
        raise ValueError(f"places must be >= 0, got {places}")
    q = _as_decimal(d).scaleb(-4).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _section_capital(n: int) -> str:
    """Write a group of four digits (1..9999) in 大写, zeros inside collapsed to one 零."""
    out: list[str] = []
    pending_zero = False
    for place, digit in enumerate(f"{n:04d}"):
        if digit == "0":
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[int(digit)] + _PLACE_UNITS[place])
    return "".join(out)


def _integer_capital(yuan: int) -> str:
    """Write a whole number of yuan (1..999999999999) in 大写, without 元."""
    groups = (yuan // 10**8, yuan // 10**4 % 10**4, yuan % 10**4)
    out: list[str] = []
    zero_gap = False
    for group, unit in zip(groups, _SECTION_UNITS):
        if group == 0:
            zero_gap = bool(out)
            continue
        if out and (zero_gap or group < 1000):
            out.append("零")
        out.append(_section_capital(group) + unit)
        zero_gap = False
    return "".join(out)


def to_chinese_capital(d: Decimal | int, *, field: str = "amount") -> str:
    """Write an amount as the official 中文大写 amount, e.g. ``壹拾万元伍角`` (see module doc)."""
    amount = _as_decimal(d)
    if not amount.is_finite() or amount < 0:
        raise MoneyError(
            field=field,
            message_zh=f"大写金额只支持非负有限数值，收到 {d!r}",
            message_en=f"capital amount needs a finite non-negative number, got {d!r}",
        )
    fen_total = int(to_fen(amount).scaleb(2))
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if yuan >= _MAX_CAPITAL:
        raise MoneyError(
            field=field,
            message_zh=f"大写金额最多支持到 9999亿元，收到 {d!r}",
            message_en=f"capital amounts are supported up to 9999亿 yuan, got {d!r}",
        )
    if jiao == 0 and fen == 0:
        return (_integer_capital(yuan) if yuan else "零") + "元整"
    text = _integer_capital(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        if yuan and not jiao:
            text += "零"
        text += _DIGITS[fen] + "分"
    return text
