"""Tests for huiqi.money.

大写 rules: 中国人民银行《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》
("PBOC rules" below). Rounding: ROUND_HALF_UP to 分.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.money import (
    MoneyError,
    format_wan,
    format_yuan,
    parse_money,
    to_chinese_capital,
    to_fen,
    to_wan,
)

D = Decimal

# Amounts in fen up to 9999亿 yuan, as Decimal yuan.
amounts = st.integers(min_value=0, max_value=10**14 - 1).map(lambda fen: D(fen).scaleb(-2))


# ---------------------------------------------------------------- parse_money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1200000, D("1200000")),
        ("1200000", D("1200000")),
        ("1,200,000.50", D("1200000.50")),
        ("120万", D("1200000")),
        ("120万元", D("1200000")),
        ("1.5亿", D("150000000")),
        ("1.5亿元", D("150000000")),
        ("0.5万", D("5000")),
        (" 1 200 ", D("1200")),
        ("¥1,200.00", D("1200")),
        ("￥3000元", D("3000")),
        ("1，200", D("1200")),  # full-width comma
        (D("99.99"), D("99.99")),
        (0, D("0")),
        ("0", D("0")),
        (".5", D("0.5")),
    ],
)
def test_parse_money_accepts_common_forms(value: object, expected: Decimal) -> None:
    """Integers, Decimals and written amounts with 万/亿/元 all parse to Decimal yuan."""
    result = parse_money(value, field="amount")  # type: ignore[arg-type]
    assert isinstance(result, Decimal)
    assert result == expected


def test_parse_money_does_not_round() -> None:
    """Parsing keeps more than two decimals; only to_fen rounds."""
    assert parse_money("1.2345678万", field="x") == D("12345.678")
    assert parse_money("0.125", field="x") == D("0.125")


def test_parse_money_result_has_no_exponent() -> None:
    """万/亿 scaling gives a plain number, not 1.5E+8."""
    assert str(parse_money("1.5亿", field="x")) == "150000000"
    assert str(parse_money("120万", field="x")) == "1200000"


@pytest.mark.parametrize("value", [1234.56, 0.5, 1200000.0, 0.1, 1e6])
def test_parse_money_accepts_floats_with_at_most_two_decimals(value: float) -> None:
    """A float is read through its shortest str form (spreadsheet cells)."""
    assert parse_money(value, field="x") == D(str(value))


@pytest.mark.parametrize("value", [0.1 + 0.2, 1.005 * 3, 1.234])
def test_parse_money_refuses_floats_with_residue(value: float) -> None:
    """A float with more than two decimals is float error, never silently rounded."""
    with pytest.raises(MoneyError) as info:
        parse_money(value, field="grant")
    assert info.value.field == "grant"
    assert "浮点" in info.value.message_zh
    assert "float" in info.value.message_en


@pytest.mark.parametrize(
    "value",
    [-1, "-5", "-1,200", D("-0.01"), -0.5],
)
def test_parse_money_refuses_negative(value: object) -> None:
    """Amounts are never negative."""
    with pytest.raises(MoneyError) as info:
        parse_money(value, field="subsidy_amount")  # type: ignore[arg-type]
    assert info.value.field == "subsidy_amount"
    assert "负数" in info.value.message_zh
    assert "negative" in info.value.message_en
    assert "subsidy_amount" in str(info.value)


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), D("NaN"), D("Infinity"), "NaN", "inf", "", "万", "abc",
     "1,2,3", "12,34", "1e6", "1.2.3", "--5", True, None, [1]],
)
def test_parse_money_refuses_garbage(value: object) -> None:
    """Non-finite, malformed and non-numeric values are MoneyErrors naming the field."""
    with pytest.raises(MoneyError) as info:
        parse_money(value, field="f")  # type: ignore[arg-type]
    assert info.value.field == "f"
    assert info.value.message_zh and info.value.message_en


def test_parse_money_refuses_absurdly_large() -> None:
    """A guard against precision loss: amounts of 10^15 yuan or more are refused."""
    with pytest.raises(MoneyError):
        parse_money(10**15, field="f")


def test_money_error_is_value_error() -> None:
    """MoneyError can be caught as ValueError."""
    assert issubclass(MoneyError, ValueError)


# ---------------------------------------------------------------- rounding and formatting


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), D("0.01")),
        (D("0.004"), D("0.00")),
        (D("2.675"), D("2.68")),  # HALF_UP, not banker's rounding
        (D("2.665"), D("2.67")),
        (D("1.125"), D("1.13")),
        (5, D("5.00")),
    ],
)
def test_to_fen_rounds_half_up(value: Decimal, expected: Decimal) -> None:
    """to_fen rounds ROUND_HALF_UP to 0.01 yuan."""
    assert to_fen(value) == expected
    assert to_fen(value).as_tuple().exponent == -2


def test_to_fen_refuses_float() -> None:
    """Formatting helpers take Decimal or int only."""
    with pytest.raises(TypeError):
        to_fen(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1234567.89"), "1,234,567.89"),
        (D("1234567.885"), "1,234,567.89"),
        (1000000, "1,000,000.00"),
        (0, "0.00"),
        (D("999.5"), "999.50"),
    ],
)
def test_format_yuan(value: Decimal, expected: str) -> None:
    """format_yuan groups thousands and always shows 分."""
    assert format_yuan(value) == expected


def test_to_wan_is_exact() -> None:
    """to_wan divides by 10,000 without rounding."""
    assert to_wan(D("1234567.89")) == D("123.456789")
    assert to_wan(500000) == D("50")
    assert str(to_wan(500000)) == "50"
    assert to_wan(1) == D("0.0001")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (D("1234567.89"), 4, "123.4568"),
        (500000, 4, "50"),
        (1234500, 4, "123.45"),
        (D("1234567.89"), 2, "123.46"),
        (D("1234567.89"), 0, "123"),
        (0, 4, "0"),
        (1, 4, "0.0001"),
        (D("0.4"), 4, "0"),
        (100000000, 4, "10000"),
    ],
)
def test_format_wan(value: Decimal, places: int, expected: str) -> None:
    """format_wan rounds HALF_UP to `places` and strips trailing zeros."""
    assert format_wan(value, places) == expected


# ---------------------------------------------------------------- 大写


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Examples from the task and common bank usage.
        (1000000, "壹佰万元整"),
        (D("100000.50"), "壹拾万元伍角"),  # chosen convention: no 整 after 角
        (1010, "壹仟零壹拾元整"),
        (D("10.05"), "壹拾元零伍分"),
        (0, "零元整"),
        (105000, "壹拾万伍仟元整"),
        (100005000, "壹亿零伍仟元整"),
        (20000000, "贰仟万元整"),
        (D("0.5"), "伍角"),
        # Worked examples printed in the PBOC rules.
        (D("1409.50"), "壹仟肆佰零玖元伍角"),  # 中间有 0 写零
        (D("6007.14"), "陆仟零柒元壹角肆分"),  # 连续几个 0 只写一个零
        (D("1680.32"), "壹仟陆佰捌拾元叁角贰分"),  # 元位 0、角位非 0：可不写零
        (D("107000.53"), "壹拾万柒仟元伍角叁分"),  # 万位、元位 0：可不写零
        (D("16409.02"), "壹万陆仟肆佰零玖元零贰分"),  # 角位 0、分位非 0：元后写零
        (D("325.04"), "叁佰贰拾伍元零肆分"),
        # Further structure checks.
        (10, "壹拾元整"),
        (1, "壹元整"),
        (D("0.05"), "伍分"),
        (D("0.55"), "伍角伍分"),
        (D("0.01"), "壹分"),
        (100500, "壹拾万零伍佰元整"),
        (100000001, "壹亿零壹元整"),
        (100010000, "壹亿零壹万元整"),
        (150000000, "壹亿伍仟万元整"),
        (100000000, "壹亿元整"),
        (1000000000, "壹拾亿元整"),
        (10001050, "壹仟万壹仟零伍拾元整"),
        (D("1001.10"), "壹仟零壹元壹角"),
        (D("1200000.99"), "壹佰贰拾万元玖角玖分"),
        (999999999999, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整"),
        (D("0.005"), "壹分"),  # rounded HALF_UP to 分 first
        (D("0.004"), "零元整"),
    ],
)
def test_to_chinese_capital(value: Decimal, expected: str) -> None:
    """大写 amounts follow the PBOC rules with the module's documented convention."""
    assert to_chinese_capital(value) == expected


@pytest.mark.parametrize("value", [10**12, D("999999999999.995"), -1, D("-0.01"), D("NaN")])
def test_to_chinese_capital_refuses_out_of_range(value: Decimal) -> None:
    """Only non-negative amounts up to 9999亿 (after rounding to 分) are supported."""
    with pytest.raises(MoneyError) as info:
        to_chinese_capital(value, field="grant_total")
    assert info.value.field == "grant_total"


@given(amounts)
def test_capital_is_well_formed(value: Decimal) -> None:
    """Property: only 大写 characters, never 'None', no doubled 零, correct ending (PBOC rules)."""
    text = to_chinese_capital(value)
    assert "None" not in text
    assert set(text) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    assert "零零" not in text
    assert not text.startswith("零") or text == "零元整"
    fen = int(value.scaleb(2)) % 100
    if fen == 0:
        assert text.endswith("元整")
    else:
        assert "整" not in text
        assert text.endswith("分" if fen % 10 else "角")
    assert "零元" not in text or text == "零元整"
    assert text == "零元整" or not any(f"零{unit}" in text for unit in "拾佰仟万亿元角分")


@given(amounts)
def test_format_yuan_round_trips(value: Decimal) -> None:
    """Property: parse_money(format_yuan(d)) == to_fen(d)."""
    assert parse_money(format_yuan(value), field="x") == to_fen(value)


@given(st.decimals(min_value=0, max_value=10**12, places=6, allow_nan=False, allow_infinity=False))
def test_to_wan_round_trips(value: Decimal) -> None:
    """Property: to_wan is exact, so scaling back gives the same amount."""
    assert to_wan(value) * 10000 == value


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_parse_wan_string_matches_to_wan(fen: int) -> None:
    """Property: parse_money(f"{to_wan(d)}万") == d."""
    value = D(fen).scaleb(-2)
    assert parse_money(f"{to_wan(value)}万", field="x") == value
