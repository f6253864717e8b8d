"""Tests for huiqi.calendar.

Rules checked:
* 民法典第二百零一条: 按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算。
* 民法典第二百零二条: 按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日。
* 民法典第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。
* 国办发明电〔2025〕7号 (国务院办公厅关于2026年部分节假日安排的通知) for 2026.

Years 2031+ below use made-up notices, clearly labelled as such: they only exercise the
loader and are never shipped.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.calendar import (
    ENV_CALENDAR_DIR,
    PACKAGED_CALENDAR_DIR,
    CalendarNoticeError,
    CalendarYearMissing,
    WorkCalendar,
    add_period,
    chinesecalendar_years,
    install_notice_file,
    parse_notice,
    read_notice_file,
    user_calendar_dir,
)

D = dt.date

# 国办发明电〔2025〕7号, transcribed from the notice.
NOTICE_2026 = """\
year: 2026
source: "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"
holidays:
  - {name: 元旦, start: 2026-01-01, end: 2026-01-03}
  - {name: 春节, start: 2026-02-15, end: 2026-02-23}
  - {name: 清明节, start: 2026-04-04, end: 2026-04-06}
  - {name: 劳动节, start: 2026-05-01, end: 2026-05-05}
  - {name: 端午节, start: 2026-06-19, end: 2026-06-21}
  - {name: 中秋节, start: 2026-09-25, end: 2026-09-27}
  - {name: 国庆节, start: 2026-10-01, end: 2026-10-07}
workdays: [2026-01-04, 2026-02-14, 2026-02-28, 2026-05-09, 2026-09-20, 2026-10-10]
"""

# A made-up notice for loader tests (NOT a real State Council notice).
FAKE_2031 = """\
year: 2031
source: "测试用虚构通知 / made-up notice for tests"
holidays:
  - "2031-01-01..2031-01-03"
  - {name: 测试, date: 2031-05-01}
  - 2031-10-01
  - {start: "2031-10-02", end: "2031-10-07"}
workdays:
  - 2031-10-11
"""


@pytest.fixture(autouse=True)
def user_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point HUIQI_CALENDAR_DIR at an empty temporary directory for every test."""
    directory = tmp_path / "user-calendar"
    monkeypatch.setenv(ENV_CALENDAR_DIR, str(directory))
    return directory


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """The package-only calendar (chinesecalendar, no user notices)."""
    return WorkCalendar()


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a notice file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- chinesecalendar coverage


def test_chinesecalendar_years_are_contiguous_and_include_2026() -> None:
    """chinesecalendar 1.11 covers 2004–2026; the calendar reports exactly what it has."""
    years = chinesecalendar_years()
    assert years[0] == 2004
    assert 2026 in years
    assert list(years) == list(range(years[0], years[-1] + 1))
    assert WorkCalendar().years() == years


def test_2026_matches_notice_day_by_day(cal: WorkCalendar) -> None:
    """国办发明电〔2025〕7号: every day of 2026 agrees with the notice as transcribed."""
    notice = parse_notice(yaml.safe_load(NOTICE_2026))
    day = D(2026, 1, 1)
    while day.year == 2026:
        expected = day in notice.workdays or (day.weekday() < 5 and day not in notice.holidays)
        assert cal.is_workday(day) is expected, day
        day += dt.timedelta(days=1)


def test_2026_notice_loads_over_package_when_consistent(tmp_path: Path) -> None:
    """A notice for a year chinesecalendar covers is checked against it and accepted if equal."""
    calendar = WorkCalendar()
    notice = calendar.load_notice_file(write(tmp_path, "2026.yaml", NOTICE_2026))
    assert notice.year == 2026
    assert calendar.source(2026).startswith("chinesecalendar")


def test_notice_disagreeing_with_package_is_refused(tmp_path: Path) -> None:
    """Never guess: a notice contradicting chinesecalendar (10-08 as holiday) is an error."""
    wrong = NOTICE_2026.replace("end: 2026-10-07", "end: 2026-10-08")
    with pytest.raises(CalendarNoticeError) as info:
        WorkCalendar().load_notice_file(write(tmp_path, "2026.yaml", wrong))
    assert "2026-10-08" in str(info.value)
    assert "不一致" in info.value.message_zh and "disagrees" in info.value.message_en


# ---------------------------------------------------------------- is_workday / add_workdays (2026)


def test_national_day_2026_publication_plus_five_workdays(cal: WorkCalendar) -> None:
    """民法典第二百零一条 + 国办发明电〔2025〕7号: published 2026-09-30, 5 working days → 2026-10-13.

    10-01..10-07 are holidays; 10-08 (1), 10-09 (2), Saturday 10-10 make-up (3), 10-12 (4), 10-13 (5).
    """
    assert cal.add_workdays(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 13)) == 5


def test_count_across_spring_festival_2026(cal: WorkCalendar) -> None:
    """国办发明电〔2025〕7号: 春节 2-15..2-23 off, Saturdays 2-14 and 2-28 worked."""
    start = D(2026, 2, 12)  # Thursday, not counted (民法典第二百零一条)
    assert cal.add_workdays(start, 1) == D(2026, 2, 13)
    assert cal.add_workdays(start, 2) == D(2026, 2, 14)  # make-up Saturday
    assert cal.add_workdays(start, 3) == D(2026, 2, 24)  # first day after the holiday
    assert cal.add_workdays(start, 7) == D(2026, 2, 28)  # make-up Saturday
    assert cal.add_workdays(start, 8) == D(2026, 3, 2)
    assert cal.workdays_between(D(2026, 2, 14), D(2026, 2, 23)) == 0


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)],
)
def test_make_up_weekend_days_are_workdays(cal: WorkCalendar, day: dt.date) -> None:
    """国办发明电〔2025〕7号: 调休 weekend days are working days."""
    assert day.weekday() >= 5
    assert cal.is_workday(day)


def test_make_up_saturday_is_counted(cal: WorkCalendar) -> None:
    """民法典第二百零一条 + 国办发明电〔2025〕7号: 2026-05-09 (Saturday) is counted."""
    assert cal.add_workdays(D(2026, 5, 8), 1) == D(2026, 5, 9)
    assert cal.add_workdays(D(2026, 4, 30), 1) == D(2026, 5, 6)  # 5-01..5-05 off
    assert cal.add_workdays(D(2026, 4, 30), 4) == D(2026, 5, 9)


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 16), D(2026, 2, 23), D(2026, 4, 6), D(2026, 5, 5),
     D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 7), D(2026, 10, 11), D(2026, 3, 7)],
)
def test_holidays_and_ordinary_weekends_are_not_workdays(cal: WorkCalendar, day: dt.date) -> None:
    """国办发明电〔2025〕7号: statutory holidays and non-调休 weekends are rest days."""
    assert not cal.is_workday(day)


def test_start_day_is_not_counted(cal: WorkCalendar) -> None:
    """民法典第二百零一条: a working start day is not counted; a holiday start day neither."""
    assert cal.add_workdays(D(2026, 3, 2), 1) == D(2026, 3, 3)  # Monday → Tuesday
    assert cal.add_workdays(D(2026, 10, 1), 1) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 3, 6), 1) == D(2026, 3, 9)  # Friday → Monday


def test_datetime_is_treated_as_its_date(cal: WorkCalendar) -> None:
    """A datetime counts as its calendar date."""
    assert cal.is_workday(dt.datetime(2026, 10, 10, 9, 30))
    assert cal.add_workdays(dt.datetime(2026, 9, 30, 23, 59), 5) == D(2026, 10, 13)


@pytest.mark.parametrize("n", [0, -1, True, 1.0])
def test_add_workdays_needs_positive_integer(cal: WorkCalendar, n: object) -> None:
    """A count of working days is a positive integer."""
    with pytest.raises(ValueError):
        cal.add_workdays(D(2026, 3, 2), n)  # type: ignore[arg-type]


def test_workdays_between_edges(cal: WorkCalendar) -> None:
    """workdays_between counts start < d <= end and refuses a reversed interval."""
    assert cal.workdays_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert cal.workdays_between(D(2026, 3, 1), D(2026, 3, 8)) == 5
    with pytest.raises(ValueError):
        cal.workdays_between(D(2026, 3, 8), D(2026, 3, 1))


# ---------------------------------------------------------------- missing years


def test_missing_year_is_an_error(cal: WorkCalendar) -> None:
    """Never guess: a year neither in chinesecalendar nor loaded raises CalendarYearMissing."""
    with pytest.raises(CalendarYearMissing) as info:
        cal.is_workday(D(2031, 3, 3))
    err = info.value
    assert isinstance(err, LookupError)
    assert err.year == 2031
    assert "2031 年的节假日安排未加载" in err.message_zh
    assert "the holiday calendar for 2031 is not loaded" in err.message_en
    assert "huiqi calendar load FILE" in str(err)
    with pytest.raises(CalendarYearMissing):
        cal.source(2031)
    with pytest.raises(CalendarYearMissing):
        cal.is_workday(D(2003, 6, 2))


def test_counting_into_a_missing_year_is_an_error(cal: WorkCalendar) -> None:
    """Never guess: counting past the last covered year raises, naming the next year."""
    last = max(chinesecalendar_years())
    with pytest.raises(CalendarYearMissing) as info:
        cal.add_workdays(D(last, 12, 31), 1)
    assert info.value.year == last + 1
    with pytest.raises(CalendarYearMissing):
        cal.workdays_between(D(last, 12, 1), D(last + 1, 1, 5))


# ---------------------------------------------------------------- notice files


def test_load_made_up_notice(tmp_path: Path) -> None:
    """A loaded notice supplies holidays, make-up days and the weekday rule for its year."""
    calendar = WorkCalendar()
    notice = calendar.load_notice_file(write(tmp_path, "n.yaml", FAKE_2031))
    assert notice.year == 2031
    assert notice.holidays == frozenset(
        [D(2031, 1, 1), D(2031, 1, 2), D(2031, 1, 3), D(2031, 5, 1)]
        + [D(2031, 10, d) for d in range(1, 8)]
    )
    assert calendar.source(2031) == "测试用虚构通知 / made-up notice for tests"
    assert 2031 in calendar.years()
    assert not calendar.is_workday(D(2031, 1, 2))  # Thursday, holiday
    assert calendar.is_workday(D(2031, 1, 6))  # ordinary Monday
    assert not calendar.is_workday(D(2031, 1, 4))  # ordinary Saturday
    assert calendar.is_workday(D(2031, 10, 11))  # make-up Saturday
    assert calendar.add_workdays(D(2031, 9, 30), 3) == D(2031, 10, 10)
    assert calendar.add_workdays(D(2031, 9, 30), 4) == D(2031, 10, 11)


def test_notice_only_calendar() -> None:
    """Without chinesecalendar only loaded years are known."""
    calendar = WorkCalendar(use_chinesecalendar=False)
    assert calendar.years() == ()
    with pytest.raises(CalendarYearMissing):
        calendar.is_workday(D(2026, 3, 2))
    calendar.load_notice(parse_notice(yaml.safe_load(NOTICE_2026)))
    assert calendar.add_workdays(D(2026, 9, 30), 5) == D(2026, 10, 13)


def test_notice_may_reach_into_preceding_december(tmp_path: Path) -> None:
    """A 元旦 arrangement can use December of the previous year (cf. the 2019 notice, 2018-12-29/30/31)."""
    text = FAKE_2031.replace("workdays:\n", "workdays:\n  - 2030-12-28\n").replace(
        '  - "2031-01-01', '  - "2030-12-30'
    )
    calendar = WorkCalendar(use_chinesecalendar=False)
    calendar.load_notice_file(write(tmp_path, "2031.yaml", text))
    with pytest.raises(CalendarYearMissing) as info:  # 2030 itself is still unknown
        calendar.is_workday(D(2030, 12, 28))
    assert info.value.year == 2030
    calendar.load_notice(
        parse_notice({"year": 2030, "source": "测试用虚构通知", "holidays": ["2030-10-01..2030-10-07"]})
    )
    assert calendar.is_workday(D(2030, 12, 28))  # Saturday made a workday by the 2031 notice
    assert not calendar.is_workday(D(2030, 12, 30))  # Monday made a holiday by the 2031 notice
    assert calendar.is_workday(D(2030, 12, 27))


def test_package_keeps_preceding_december_from_its_own_data(cal: WorkCalendar) -> None:
    """chinesecalendar's 2019 data: 2018-12-29 (Sat) worked, 2018-12-31 (Mon) off."""
    assert cal.is_workday(D(2018, 12, 29))
    assert not cal.is_workday(D(2018, 12, 31))


@pytest.mark.parametrize(
    ("text", "field", "zh", "en"),
    [
        (FAKE_2031.replace("  - 2031-10-01\n", "  - 2032-10-01\n"), "holidays[2]", "不属于 2031 年", "not in 2031"),
        (FAKE_2031.replace("  - 2031-10-01\n", "  - 2030-11-30\n"), "holidays[2]", "不属于 2031 年", "not in 2031"),
        (FAKE_2031.replace("  - 2031-10-11\n", "  - 2031-10-04\n"), "workdays[0]", "同时", "both"),
        (FAKE_2031.replace("  - 2031-10-11\n", "  - 2031-10-13\n"), "workdays[0]", "周六或周日", "weekend"),
        (FAKE_2031.replace("workdays:", "workday:"), "workday", "未知字段", "unknown field"),
        (FAKE_2031.replace("year: 2031", "year: '2031'"), "year", "年份", "year"),
        (FAKE_2031.replace("year: 2031", "year: true"), "year", "年份", "year"),
        (FAKE_2031.replace('source: "测试用虚构通知 / made-up notice for tests"', "source: ''"), "source", "文号", "notice"),
        (FAKE_2031.replace("  - 2031-10-01\n", "  - 2031-02-30\n"), "holidays[2]", "有效日期", "valid date"),
        (FAKE_2031.replace("  - 2031-10-01\n", "  - 1 Oct 2031\n"), "holidays[2]", "有效日期", "valid date"),
        (FAKE_2031.replace("  - 2031-10-01\n", "  - 2031-10-01 08:00:00\n"), "holidays[2]", "有效日期", "valid date"),
        (FAKE_2031.replace('end: "2031-10-07"', 'end: "2031-10-01"'), "holidays[3]", "早于", "before"),
        (FAKE_2031.replace('"2031-01-01..2031-01-03"', '"2031-01-03..2031-01-01"'), "holidays[0]", "早于", "before"),
        (FAKE_2031.replace('end: "2031-10-07"', 'until: "2031-10-07"'), "holidays[3]", "start 和 end", "start and end"),
        (FAKE_2031.replace("{name: 测试, date: 2031-05-01}", "{name: 测试, date: 2031-13-01}"), "holidays[1].date", "有效日期", "valid date"),
        (FAKE_2031.replace("  - 2031-10-11\n", "  x: 1\n"), "workdays", "列表", "list"),
        ("- 2031-01-01\n", "(file)", "映射", "mapping"),
        ("year: 2031\nsource: x\n", "holidays", "缺少", "missing"),
        ("year: [2031\n", "(file)", "YAML", "YAML"),
    ],
)
def test_invalid_notice_files(tmp_path: Path, text: str, field: str, zh: str, en: str) -> None:
    """Notice validation: bilingual errors naming the field and the file."""
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(CalendarNoticeError) as info:
        WorkCalendar().load_notice_file(path)
    err = info.value
    assert err.field == field
    assert zh in err.message_zh
    assert en in err.message_en
    assert err.path == path
    assert str(path) in str(err) and field in str(err)


def test_unreadable_notice_file(tmp_path: Path) -> None:
    """A missing file is a CalendarNoticeError, not a bare OSError."""
    with pytest.raises(CalendarNoticeError) as info:
        read_notice_file(tmp_path / "nope.yaml")
    assert info.value.field == "(file)"


def test_workdays_may_be_omitted() -> None:
    """A notice without make-up workdays is valid."""
    notice = parse_notice({"year": 2031, "source": "测试用虚构通知", "holidays": ["2031-01-01"]})
    assert notice.workdays == frozenset()


# ---------------------------------------------------------------- default() and installing


def test_user_calendar_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """HUIQI_CALENDAR_DIR wins; else $XDG_DATA_HOME/huiqi/calendar; else ~/.local/share/huiqi/calendar."""
    monkeypatch.setenv(ENV_CALENDAR_DIR, str(tmp_path / "a"))
    assert user_calendar_dir() == tmp_path / "a"
    monkeypatch.delenv(ENV_CALENDAR_DIR)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert user_calendar_dir() == tmp_path / "xdg" / "huiqi" / "calendar"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_calendar_dir() == tmp_path / "home" / ".local" / "share" / "huiqi" / "calendar"


def test_install_then_default_persists(tmp_path: Path, user_dir: Path) -> None:
    """install_notice_file validates and copies to the user dir; default() then knows the year."""
    with pytest.raises(CalendarYearMissing):
        WorkCalendar.default().is_workday(D(2031, 10, 11))
    source = write(tmp_path, "downloaded notice.yaml", FAKE_2031)
    target = install_notice_file(source)
    assert target == user_dir / "2031.yaml"
    assert target.read_text(encoding="utf-8") == FAKE_2031
    assert WorkCalendar.default().is_workday(D(2031, 10, 11))
    assert install_notice_file(target) == target  # reinstalling the installed file is harmless
    assert target.read_text(encoding="utf-8") == FAKE_2031
    assert [p.name for p in user_dir.iterdir()] == ["2031.yaml"]


def test_install_refuses_invalid_file(tmp_path: Path, user_dir: Path) -> None:
    """An invalid notice is never installed."""
    bad = write(tmp_path, "bad.yaml", FAKE_2031.replace("  - 2031-10-01\n", "  - 2032-10-01\n"))
    with pytest.raises(CalendarNoticeError):
        install_notice_file(bad)
    assert not user_dir.exists() or not any(user_dir.iterdir())


def test_install_to_explicit_directory_and_replace(tmp_path: Path) -> None:
    """install_notice_file(directory=...) writes <year>.yaml, replacing an earlier one."""
    target_dir = tmp_path / "cal"
    first = install_notice_file(write(tmp_path, "a.yaml", FAKE_2031), directory=target_dir)
    updated = FAKE_2031.replace("  - 2031-10-11\n", "  - 2031-10-12\n")
    second = install_notice_file(write(tmp_path, "b.yaml", updated), directory=target_dir)
    assert first == second == target_dir / "2031.yaml"
    assert second.read_text(encoding="utf-8") == updated
    assert sorted(os.listdir(target_dir)) == ["2031.yaml"]


def test_default_refuses_two_files_for_one_year(user_dir: Path) -> None:
    """Two notices for one year in the user dir are ambiguous: an error, not a guess."""
    user_dir.mkdir(parents=True)
    write(user_dir, "2031.yaml", FAKE_2031)
    write(user_dir, "2031-copy.yml", FAKE_2031)
    with pytest.raises(CalendarNoticeError) as info:
        WorkCalendar.default()
    assert info.value.field == "year"


def test_default_surfaces_invalid_user_file(user_dir: Path) -> None:
    """A broken installed file is reported, not skipped."""
    user_dir.mkdir(parents=True)
    write(user_dir, "2031.yaml", "year: 2031\n")
    with pytest.raises(CalendarNoticeError):
        WorkCalendar.default()


def test_packaged_notices_are_real_and_valid() -> None:
    """Shipped notices validate and name a State Council notice (国办发明电); none is invented."""
    calendar = WorkCalendar()
    for path in sorted(PACKAGED_CALENDAR_DIR.glob("*.y*ml")):
        notice = calendar.load_notice_file(path)
        assert "国办发明电" in notice.source, path
        assert path.stem == str(notice.year)


# ---------------------------------------------------------------- natural-day periods


@pytest.mark.parametrize(
    ("start", "kwargs", "expected"),
    [
        (D(2025, 12, 25), {"days": 30}, D(2026, 1, 24)),  # 第二百零一条: "30日后实施"
        (D(2026, 1, 1), {"days": 1}, D(2026, 1, 2)),
        (D(2026, 3, 15), {"months": 1}, D(2026, 4, 15)),  # 第二百零二条: corresponding day
        (D(2026, 1, 31), {"months": 1}, D(2026, 2, 28)),  # 第二百零二条: no such day → month end
        (D(2024, 1, 31), {"months": 1}, D(2024, 2, 29)),
        (D(2026, 8, 31), {"months": 1}, D(2026, 9, 30)),
        (D(2026, 11, 30), {"months": 3}, D(2027, 2, 28)),
        (D(2024, 2, 29), {"years": 1}, D(2025, 2, 28)),
        (D(2024, 2, 29), {"years": 4}, D(2028, 2, 29)),
        (D(2026, 6, 30), {"years": 1, "months": 6}, D(2027, 12, 30)),
        (D(2026, 1, 31), {"months": 1, "days": 1}, D(2026, 3, 1)),  # months first, then days
        (D(2026, 5, 20), {}, D(2026, 5, 20)),
    ],
)
def test_add_period(start: dt.date, kwargs: dict[str, int], expected: dt.date) -> None:
    """民法典第二百零一条、第二百零二条 natural-day periods."""
    assert add_period(start, **kwargs) == expected


def test_add_period_refuses_negative() -> None:
    """Periods run forward only."""
    with pytest.raises(ValueError):
        add_period(D(2026, 1, 1), days=-1)


def test_deadline_moves_past_rest_days(cal: WorkCalendar) -> None:
    """民法典第二百零三条: a last day on a rest day moves to the next working day."""
    assert add_period(D(2026, 9, 20), days=11) == D(2026, 10, 1)
    assert cal.deadline(D(2026, 9, 20), days=11) == D(2026, 10, 8)
    assert cal.deadline(D(2026, 9, 30), days=10) == D(2026, 10, 10)  # make-up Saturday stands
    assert cal.deadline(D(2026, 3, 2), days=3) == D(2026, 3, 5)
    assert cal.next_workday_on_or_after(D(2026, 10, 10)) == D(2026, 10, 10)


# ---------------------------------------------------------------- properties

covered_days = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 6, 30))


@settings(max_examples=200, deadline=None)
@given(covered_days, st.integers(min_value=1, max_value=60))
def test_add_workdays_properties(start: dt.date, n: int) -> None:
    """Property (民法典第二百零一条): the result is a working day strictly after start, n counted."""
    calendar = WorkCalendar()
    end = calendar.add_workdays(start, n)
    assert end > start
    assert calendar.is_workday(end)
    assert calendar.workdays_between(start, end) == n
    assert calendar.workdays_between(start, end - dt.timedelta(days=1)) == n - 1


@given(st.dates(min_value=D(1950, 1, 1), max_value=D(2200, 12, 31)), st.integers(0, 1200))
def test_add_period_months_properties(start: dt.date, months: int) -> None:
    """Property (民法典第二百零二条): right month; the corresponding day or else the month's last day."""
    end = add_period(start, months=months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    if end.day != start.day:
        assert end.day < start.day
        assert (end + dt.timedelta(days=1)).day == 1


@given(st.dates(max_value=D(9000, 1, 1)), st.integers(0, 10000))
def test_add_period_days_property(start: dt.date, days: int) -> None:
    """Property (民法典第二百零一条): n days after start is start + n (start day not counted)."""
    assert add_period(start, days=days) == start + dt.timedelta(days=days)


def test_stdlib_calendar_not_shadowed() -> None:
    """huiqi.calendar does not hide the standard library's calendar module."""
    import calendar

    assert calendar.monthrange(2024, 2) == (3, 29)
