"""Tests for huiqi.uscc: 统一社会信用代码 per GB 32100-2015 (法人和其他组织统一社会信用代码编码规则)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.uscc import (
    CHARSET,
    WEIGHTS,
    USCCError,
    compute_check_char,
    is_valid_uscc,
    make_uscc,
    validate_uscc,
)

# Codes published on business-licence records (国家企业信用信息公示系统), recalled from
# public sources; each one's check character was verified by the independent
# computation in `_reference_check` below, so they are not merely trusted from memory.
PUBLISHED = [
    "91310000MA1FL4LK6B",
    "914403001922038216",  # check character is a digit
    "9144030071526726XG",  # organisation-code part ends in X
    "91110108558521630L",
    "91330100716105852F",
    "91440300100012316L",
    "91110000802100433B",
    "91110000710925462X",  # check character X
]


def _reference_check(first17: str) -> str:
    """GB 32100-2015 §5 written out longhand, independent of the module."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights))
    check = 31 - total % 31
    return "0" if check == 31 else alphabet[check]


def test_charset_and_weights_match_the_standard() -> None:
    """GB 32100-2015: 31 characters without I, O, Z, S, V; weights are 3^i mod 31."""
    assert CHARSET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_validate(code: str) -> None:
    """GB 32100-2015 check character of real published codes."""
    assert _reference_check(code[:17]) == code[17]
    assert validate_uscc(code) == code
    assert is_valid_uscc(code)
    assert compute_check_char(code[:17]) == code[17]


def test_check_char_zero_when_sum_is_multiple_of_31() -> None:
    """GB 32100-2015: 31 - (sum mod 31) == 31 is written as '0' (the mod-31 wrap)."""
    first17 = "91310000MA1FL4LKP"
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS))
    assert total % 31 == 0  # so the check value is 31, which wraps to '0'
    assert compute_check_char(first17) == "0"
    assert validate_uscc(first17 + "0") == first17 + "0"
    assert not is_valid_uscc(first17 + "Y")


def test_check_char_y_is_reachable() -> None:
    """GB 32100-2015: check value 30 is 'Y', the last character of the alphabet."""
    for last in CHARSET:
        first17 = "9131000071234567" + last
        if _reference_check(first17) == "Y":
            assert compute_check_char(first17) == "Y"
            return
    pytest.fail("no body with check character Y found")  # pragma: no cover


@pytest.mark.parametrize(
    "first17",
    ["Y1110000MA0000001", "N2330100MA2AB3CD4", "A1100000MA0000001", "Y1110000MA000000N"],
)
def test_codes_starting_with_a_letter(first17: str) -> None:
    """GB 32100-2015: the registration-authority code may be a letter (A, N, Y)."""
    code = make_uscc(first17)
    assert code[17] == _reference_check(first17)
    assert validate_uscc(code) == code


def test_letter_start_with_zero_check() -> None:
    """GB 32100-2015: letter-initial code whose check character wraps to '0'."""
    assert make_uscc("Y1110000MA000000N") == "Y1110000MA000000N0"


def test_input_is_normalised() -> None:
    """Lower case, surrounding/inner whitespace and full-width characters are normalised."""
    assert validate_uscc(" 91310000ma1fl4lk6b\n") == "91310000MA1FL4LK6B"
    assert validate_uscc("9131 0000 MA1F L4LK 6B") == "91310000MA1FL4LK6B"
    assert validate_uscc("９１３１００００ＭＡ１ＦＬ４ＬＫ６Ｂ") == "91310000MA1FL4LK6B"


@pytest.mark.parametrize(("code", "got"), [("", 0), ("9131", 4), ("91310000MA1FL4LK6BB", 19)])
def test_wrong_length(code: str, got: int) -> None:
    """GB 32100-2015: a code is exactly 18 characters."""
    with pytest.raises(USCCError) as info:
        validate_uscc(code, field="applicant.uscc")
    err = info.value
    assert err.field == "applicant.uscc"
    assert "18" in err.message_zh and f"{got} 位" in err.message_zh
    assert "18 characters" in err.message_en and str(got) in err.message_en
    assert "applicant.uscc" in str(err)


@pytest.mark.parametrize(
    ("code", "position", "char"),
    [
        ("91310000MA1FL4LKIB", 17, "I"),
        ("O1310000MA1FL4LK6B", 1, "O"),
        ("91310000MA1FL4LZ6B", 16, "Z"),
        ("91310000MA1FS4LK6B", 13, "S"),
        ("91310000MA1FL4LK6V", 18, "V"),
        ("91310000MA1FL4-K6B", 15, "-"),
        ("91310000MA1FL4LK6*", 18, "*"),
    ],
)
def test_bad_character_names_position(code: str, position: int, char: str) -> None:
    """GB 32100-2015: only the 31-character alphabet; the error names the 1-based position."""
    with pytest.raises(USCCError) as info:
        validate_uscc(code)
    err = info.value
    assert err.field == "uscc"
    assert f"第 {position} 位" in err.message_zh and repr(char) in err.message_zh
    assert f"position {position}" in err.message_en and repr(char) in err.message_en
    if char in "IOZSV":
        assert "I、O、Z、S、V" in err.message_zh


def test_wrong_check_char_says_expected_and_got() -> None:
    """GB 32100-2015 check character: the error says which was expected and which was found."""
    with pytest.raises(USCCError) as info:
        validate_uscc("91310000MA1FL4LK6C", field="uscc")
    err = info.value
    assert "'B'" in err.message_zh and "'C'" in err.message_zh
    assert "expected 'B', got 'C'" in err.message_en
    assert not is_valid_uscc("91310000MA1FL4LK6C")


def test_non_string_is_an_error() -> None:
    """A code must be a string."""
    with pytest.raises(USCCError):
        validate_uscc(913100001234567890)  # type: ignore[arg-type]
    assert not is_valid_uscc(None)  # type: ignore[arg-type]


def test_compute_check_char_validates_its_input() -> None:
    """compute_check_char/make_uscc need exactly 17 alphabet characters."""
    with pytest.raises(USCCError) as info:
        make_uscc("91310000MA1FL4LK")
    assert info.value.field == "first17"
    assert "17" in info.value.message_en
    with pytest.raises(USCCError):
        compute_check_char("91310000MA1FL4LKI")


def test_uscc_error_is_value_error() -> None:
    """USCCError can be caught as ValueError."""
    assert issubclass(USCCError, ValueError)


bodies = st.text(alphabet=CHARSET, min_size=17, max_size=17)


@given(bodies)
def test_make_uscc_always_validates(first17: str) -> None:
    """Property (GB 32100-2015): make_uscc output always validates and matches the reference."""
    code = make_uscc(first17)
    assert len(code) == 18 and code[:17] == first17
    assert code[17] == _reference_check(first17)
    assert validate_uscc(code) == code


@given(bodies, st.integers(min_value=0, max_value=16), st.sampled_from(CHARSET))
def test_single_substitution_is_detected(first17: str, position: int, replacement: str) -> None:
    """Property (GB 32100-2015): weights are non-zero mod 31, so any single change is caught."""
    code = make_uscc(first17)
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_uscc(changed)


def test_the_organisation_type_comes_from_the_first_two_characters():
    # GB 32100-2015 附录 A: 9 工商 + 1 企业; 1 机构编制 + 2 事业单位; 5 民政 + 1 社会团体 / 2 民办非企业单位
    from huiqi.uscc import make_uscc, org_type_from_uscc

    body = "310000MA1FL8TQ3"  # 15 characters after the two-character category
    assert org_type_from_uscc(make_uscc("91" + body)) == "企业"
    assert org_type_from_uscc(make_uscc("12" + body)) == "事业单位"
    assert org_type_from_uscc(make_uscc("51" + body)) == "社会团体"
    assert org_type_from_uscc(make_uscc("52" + body)) == "民办非企业单位"
    assert org_type_from_uscc(make_uscc("92" + body)) is None  # 个体工商户: none of the four kinds
    code = make_uscc("91" + body)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")  # a wrong check character: not a code at all
    assert org_type_from_uscc(wrong) is None
    assert org_type_from_uscc(" " + code.lower() + " ") == "企业"  # spaces and case do not matter
