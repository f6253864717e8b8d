"""Chinese working days and statutory periods (民法典第二百条至第二百零三条).

Working days
    A working day is Monday–Friday, except statutory holidays, plus the weekend days
    made working days (调休上班) by the State Council's yearly holiday notice
    (国务院办公厅关于某年部分节假日安排的通知).  Data come from the ``chinesecalendar``
    package for the years it covers (2004–2026 in version 1.11) and from notice files we
    load.  For a year the package covers, a loaded notice is only checked against the
    package (a disagreement is an error), so upgrading chinesecalendar never silently
    changes results.  A date whose year is covered by neither raises
    ``CalendarYearMissing``: we never guess.

Notice files
    YAML, one notice per file::

        year: 2026
        source: "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"
        holidays:                      # rest days, inclusive ranges or single dates
          - {name: 元旦, start: 2026-01-01, end: 2026-01-03}
          - "2026-10-01..2026-10-07"
          - 2026-06-19
        workdays:                      # make-up working days (周六/周日上班)
          - 2026-01-04
        notes: optional free text

    Every date must fall in ``year``, or in December of ``year - 1``: a notice's 元旦
    arrangement can reach into the preceding December (the 2019 notice made 2018-12-30/31
    holidays and 2018-12-29 a working day).  Such December dates override the data for
    that date only; the preceding year must still be covered on its own.  No date may be
    both a holiday and a workday, and a make-up workday must be a Saturday or Sunday.

    ``WorkCalendar.default()`` loads the package data, the YAML files shipped in
    ``huiqi/data/calendar/`` and then those in the user's directory: ``$HUIQI_CALENDAR_DIR``
    if set, else ``$XDG_DATA_HOME/huiqi/calendar``, else ``~/.local/share/huiqi/calendar``.
    ``install_notice_file`` validates a file and copies it there as ``<year>.yaml``.

Counting (民法典第二百零一条)
    The day a period starts from (e.g. the publication day) is not counted; counting
    starts the next day.  ``add_workdays(start, n)`` is the n-th working day after
    ``start``; ``add_period`` counts natural days, months and years; for months and years
    the period ends on the corresponding day of the last month, or that month's last day
    when there is no such day (第二百零二条).  ``WorkCalendar.deadline`` additionally moves
    a last day that is a rest day to the next working day (第二百零三条).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

__all__ = [
    "ENV_CALENDAR_DIR",
    "PACKAGED_CALENDAR_DIR",
    "CalendarYearMissing",
    "CalendarNoticeError",
    "HolidayNotice",
    "WorkCalendar",
    "add_period",
    "chinesecalendar_years",
    "install_notice_file",
    "parse_notice",
    "read_notice_file",
    "user_calendar_dir",
]

ENV_CALENDAR_DIR = "HUIQI_CALENDAR_DIR"
PACKAGED_CALENDAR_DIR = Path(__file__).resolve().parent / "data" / "calendar"
_NOTICE_KEYS = {"year", "source", "holidays", "workdays", "notes"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ONE_DAY = _dt.timedelta(days=1)


class _NoticeLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is reported with its field."""


_NoticeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class CalendarYearMissing(LookupError):
    """The holiday arrangement of a year is neither in chinesecalendar nor loaded."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.message_zh = (
            f"{year} 年的节假日安排未加载；请用 `huiqi calendar load FILE` 载入国务院办公厅的节假日安排通知"
        )
        self.message_en = (
            f"the holiday calendar for {year} is not loaded; "
            "load the State Council notice with `huiqi calendar load FILE`"
        )
        super().__init__(f"{self.message_zh} / {self.message_en}")


class CalendarNoticeError(ValueError):
    """An invalid holiday-notice file, with bilingual messages naming the field."""

    def __init__(
        self, *, field: str, message_zh: str, message_en: str, path: Path | None = None
    ) -> None:
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en
        self.path = path
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{field}: {message_zh} / {message_en}")


@dataclass(frozen=True)
class HolidayNotice:
    """One year's holiday arrangement as published by the State Council."""

    year: int
    source: str
    holidays: frozenset[_dt.date]
    workdays: frozenset[_dt.date]
    path: Path | None = None


def _as_date(d: _dt.date) -> _dt.date:
    """Return ``d`` as a plain ``date`` (a ``datetime`` is cut to its date)."""
    if isinstance(d, _dt.datetime):
        return d.date()
    if not isinstance(d, _dt.date):
        raise TypeError(f"expected datetime.date, got {type(d).__name__}")
    return d


# ---------------------------------------------------------------- natural-day periods


def _add_months(start: _dt.date, months: int) -> _dt.date:
    """Return the corresponding day ``months`` later, or that month's last day (第二百零二条)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    next_first = _dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_first - _ONE_DAY).day
    return _dt.date(year, month, min(start.day, last_day))


def add_period(start: _dt.date, *, days: int = 0, months: int = 0, years: int = 0) -> _dt.date:
    """Return the last day of a natural-day period from ``start`` (民法典第二百零一、二百零二条).

    The start day is not counted, so ``days=30`` from 2025-12-25 ends on 2026-01-24.
    Years and months are applied first (corresponding day, or the month's last day when
    there is none, e.g. 2024-01-31 + 1 month → 2024-02-29), then days.
    """
    start = _as_date(start)
    if min(days, months, years) < 0:
        raise ValueError(
            f"期间不能为负数 / period must not be negative: days={days}, months={months}, years={years}"
        )
    return _add_months(start, years * 12 + months) + _dt.timedelta(days=days)


# ---------------------------------------------------------------- notice files


def _notice_error(field: str, zh: str, en: str, path: Path | None) -> CalendarNoticeError:
    """Build a ``CalendarNoticeError``."""
    return CalendarNoticeError(field=field, message_zh=zh, message_en=en, path=path)


def _parse_date(value: Any, *, field: str, path: Path | None) -> _dt.date:
    """Parse a YAML date or an ``YYYY-MM-DD`` string."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _notice_error(
        field,
        f"不是有效日期（应为 YYYY-MM-DD）：{value!r}",
        f"not a valid date (expected YYYY-MM-DD): {value!r}",
        path,
    )


def _date_range(start: _dt.date, end: _dt.date, *, field: str, path: Path | None) -> list[_dt.date]:
    """Return the dates from ``start`` to ``end`` inclusive."""
    if end < start:
        raise _notice_error(
            field,
            f"区间结束日 {end} 早于开始日 {start}",
            f"range ends ({end}) before it starts ({start})",
            path,
        )
    return [start + _dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _parse_entry(item: Any, *, field: str, path: Path | None) -> list[_dt.date]:
    """Parse one list entry: a date, ``"A..B"``, ``{start, end[, name]}`` or ``{date[, name]}``."""
    if isinstance(item, str) and ".." in item:
        first, _, last = item.partition("..")
        start = _parse_date(first, field=field, path=path)
        end = _parse_date(last, field=field, path=path)
        return _date_range(start, end, field=field, path=path)
    if isinstance(item, dict):
        keys = set(item)
        if keys - {"name"} == {"date"}:
            return [_parse_date(item["date"], field=f"{field}.date", path=path)]
        if keys - {"name"} == {"start", "end"}:
            start = _parse_date(item["start"], field=f"{field}.start", path=path)
            end = _parse_date(item["end"], field=f"{field}.end", path=path)
            return _date_range(start, end, field=field, path=path)
        raise _notice_error(
            field,
            f"条目应含 start 和 end（或 date），以及可选的 name；实际键为 {sorted(map(str, keys))}",
            f"entry needs start and end (or date) and an optional name; got keys {sorted(map(str, keys))}",
            path,
        )
    return [_parse_date(item, field=field, path=path)]


def _parse_dates(data: dict[str, Any], key: str, *, year: int, path: Path | None) -> dict[_dt.date, str]:
    """Parse the list under ``key`` into dates mapped to the field each came from."""
    items = data.get(key, [])
    if items is None:
        items = []
    if not isinstance(items, list):
        raise _notice_error(key, "应为列表", "must be a list", path)
    found: dict[_dt.date, str] = {}
    for i, item in enumerate(items):
        field = f"{key}[{i}]"
        for day in _parse_entry(item, field=field, path=path):
            in_year = day.year == year or (day.year == year - 1 and day.month == 12)
            if not in_year:
                raise _notice_error(
                    field,
                    f"日期 {day} 不属于 {year} 年（只允许 {year} 年或 {year - 1} 年 12 月的日期）",
                    f"date {day} is not in {year} (only dates in {year} or December {year - 1} are allowed)",
                    path,
                )
            found.setdefault(day, field)
    return found


def parse_notice(data: Any, *, path: Path | None = None) -> HolidayNotice:
    """Validate parsed YAML data of a holiday notice and return it as a ``HolidayNotice``."""
    if not isinstance(data, dict):
        raise _notice_error("(file)", "文件内容应为映射（键: 值）", "file content must be a mapping", path)
    unknown = sorted(str(k) for k in set(data) - _NOTICE_KEYS)
    if unknown:
        raise _notice_error(
            unknown[0],
            f"未知字段 {unknown}；允许的字段为 {sorted(_NOTICE_KEYS)}",
            f"unknown field(s) {unknown}; allowed fields are {sorted(_NOTICE_KEYS)}",
            path,
        )
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2200:
        raise _notice_error("year", f"应为年份整数，收到 {year!r}", f"must be a year number, got {year!r}", path)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise _notice_error(
            "source",
            "应写明通知的标题和文号，如“国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）”",
            "must name the notice, its title and document number",
            path,
        )
    if not data.get("holidays"):
        raise _notice_error("holidays", "缺少放假日期", "holiday dates are missing", path)
    holidays = _parse_dates(data, "holidays", year=year, path=path)
    workdays = _parse_dates(data, "workdays", year=year, path=path)
    for day, field in workdays.items():
        if day in holidays:
            raise _notice_error(
                field,
                f"{day} 同时被列为放假日（{holidays[day]}）和上班日",
                f"{day} is listed both as a holiday ({holidays[day]}) and as a workday",
                path,
            )
        if day.weekday() < 5:
            raise _notice_error(
                field,
                f"{day} 不是周末；调休上班日应为周六或周日",
                f"{day} is not a weekend day; make-up workdays are Saturdays or Sundays",
                path,
            )
    return HolidayNotice(
        year=year,
        source=source.strip(),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        path=path,
    )


def read_notice_file(path: str | os.PathLike[str]) -> HolidayNotice:
    """Read and validate a holiday-notice YAML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _notice_error("(file)", f"无法读取文件：{exc}", f"cannot read file: {exc}", p) from exc
    try:
        data = yaml.load(text, Loader=_NoticeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise _notice_error("(file)", f"YAML 格式错误：{exc}", f"invalid YAML: {exc}", p) from exc
    except (RecursionError, ValueError) as exc:  # nested thousands deep, or a value YAML cannot build
        raise _notice_error("(file)", "YAML 嵌套过深或含无法读取的值", f"the YAML is nested too deeply or holds a value that cannot be read ({type(exc).__name__})", p) from None
    return parse_notice(data, path=p)


def user_calendar_dir() -> Path:
    """Return the directory of user-installed notices (``$HUIQI_CALENDAR_DIR`` or XDG default)."""
    configured = os.environ.get(ENV_CALENDAR_DIR, "").strip()
    if configured:
        return Path(configured).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home).expanduser() if data_home else Path.home() / ".local" / "share"
    return base / "huiqi" / "calendar"


def install_notice_file(
    path: str | os.PathLike[str], *, directory: str | os.PathLike[str] | None = None
) -> Path:
    """Validate a notice file and copy it to the user calendar directory as ``<year>.yaml``."""
    notice = read_notice_file(path)
    target_dir = Path(directory) if directory is not None else user_calendar_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{notice.year}.yaml"
    if target.exists() and target.resolve() == Path(path).resolve():
        return target
    fd, tmp_name = tempfile.mkstemp(prefix=f".{notice.year}.", suffix=".tmp", dir=target_dir)
    os.close(fd)
    try:
        shutil.copyfile(path, tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


# ---------------------------------------------------------------- chinesecalendar


def _package_data() -> tuple[frozenset[_dt.date], frozenset[_dt.date], frozenset[int], str]:
    """Return chinesecalendar's holidays, workdays, covered years and a source label."""
    import chinese_calendar
    from chinese_calendar import constants

    holidays = frozenset(constants.holidays)
    workdays = frozenset(constants.workdays)
    years = frozenset(d.year for d in holidays)
    version = getattr(chinese_calendar, "__version__", "?")
    return holidays, workdays, years, f"chinesecalendar {version}"


def chinesecalendar_years() -> tuple[int, ...]:
    """Return the years the installed chinesecalendar package covers."""
    return tuple(sorted(_package_data()[2]))


# ---------------------------------------------------------------- the calendar


class WorkCalendar:
    """Working-day calendar from chinesecalendar plus loaded State Council notices."""

    def __init__(self, *, use_chinesecalendar: bool = True) -> None:
        if use_chinesecalendar:
            self._pkg_holidays, self._pkg_workdays, self._pkg_years, self._pkg_source = _package_data()
        else:
            self._pkg_holidays = self._pkg_workdays = frozenset()
            self._pkg_years = frozenset()
            self._pkg_source = ""
        self._notices: dict[int, HolidayNotice] = {}

    @classmethod
    def default(cls) -> WorkCalendar:
        """Return chinesecalendar plus packaged notices plus the user's installed notices."""
        calendar = cls()
        calendar.load_dir(PACKAGED_CALENDAR_DIR)
        calendar.load_dir(user_calendar_dir())
        return calendar

    # -- loading

    def load_notice(self, notice: HolidayNotice) -> HolidayNotice:
        """Add a notice, replacing an earlier one for its year; check it against chinesecalendar."""
        if notice.year in self._pkg_years:
            self._check_against_package(notice)
        self._notices[notice.year] = notice
        return notice

    def _package_says_workday(self, d: _dt.date) -> bool:
        """Return chinesecalendar's verdict for ``d``."""
        return d in self._pkg_workdays or (d.weekday() < 5 and d not in self._pkg_holidays)

    def _check_against_package(self, notice: HolidayNotice) -> None:
        """Raise ``CalendarNoticeError`` if a notice for a package year disagrees with the package."""
        first, last = _dt.date(notice.year, 1, 1), _dt.date(notice.year, 11, 30)
        days = set(_days_after(first - _ONE_DAY, last)) | notice.holidays | notice.workdays
        differ = []
        for d in sorted(days):
            if d.year not in self._pkg_years:
                continue
            listed = d in notice.holidays or d in notice.workdays
            says = d in notice.workdays if listed else d.weekday() < 5
            if says != self._package_says_workday(d):
                differ.append(d.isoformat())
        if differ:
            shown = ", ".join(differ[:5]) + (" …" if len(differ) > 5 else "")
            raise _notice_error(
                "holidays/workdays",
                f"与 {self._pkg_source} 中 {notice.year} 年的数据不一致：{shown}",
                f"disagrees with {self._pkg_source} for {notice.year} on: {shown}",
                notice.path,
            )

    def load_notice_file(self, path: str | os.PathLike[str]) -> HolidayNotice:
        """Validate and load one notice YAML file."""
        return self.load_notice(read_notice_file(path))

    def load_dir(self, directory: str | os.PathLike[str]) -> list[HolidayNotice]:
        """Load every ``*.yaml``/``*.yml`` file in ``directory`` (missing directory: nothing)."""
        d = Path(directory)
        if not d.is_dir():
            return []
        files = sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        notices = [read_notice_file(p) for p in files]
        seen: dict[int, Path | None] = {}
        for notice in notices:
            if notice.year in seen:
                raise _notice_error(
                    "year",
                    f"{notice.year} 年的通知在目录中出现两次（另见 {seen[notice.year]}）",
                    f"the notice for {notice.year} appears twice in the directory (also {seen[notice.year]})",
                    notice.path,
                )
            seen[notice.year] = notice.path
        for notice in notices:
            self.load_notice(notice)
        return notices

    # -- queries

    def years(self) -> tuple[int, ...]:
        """Return every year whose holiday arrangement is known."""
        return tuple(sorted(self._pkg_years | set(self._notices)))

    def source(self, year: int) -> str:
        """Return where the arrangement for ``year`` comes from."""
        if year in self._pkg_years:
            return self._pkg_source
        if year in self._notices:
            return self._notices[year].source
        raise CalendarYearMissing(year)

    def is_workday(self, d: _dt.date) -> bool:
        """Return whether ``d`` is a working day; raise ``CalendarYearMissing`` if unknown."""
        d = _as_date(d)
        if d.year not in self._notices and d.year not in self._pkg_years:
            raise CalendarYearMissing(d.year)
        for year in (d.year + 1, d.year):  # a notice may reach into the preceding December
            notice = self._notices.get(year)
            if notice is not None and year not in self._pkg_years:
                if d in notice.workdays:
                    return True
                if d in notice.holidays:
                    return False
        return self._package_says_workday(d)

    def add_workdays(self, start: _dt.date, n: int) -> _dt.date:
        """Return the n-th working day after ``start`` (start not counted, 民法典第二百零一条)."""
        start = _as_date(start)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"工作日数应为正整数 / number of working days must be a positive integer, got {n!r}")
        day, counted = start, 0
        while counted < n:
            day += _ONE_DAY
            if self.is_workday(day):
                counted += 1
        return day

    def workdays_between(self, start: _dt.date, end: _dt.date) -> int:
        """Count working days ``d`` with ``start < d <= end`` (start not counted)."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            raise ValueError(f"结束日早于开始日 / end {end} is before start {start}")
        return sum(1 for day in _days_after(start, end) if self.is_workday(day))

    def next_workday_on_or_after(self, d: _dt.date) -> _dt.date:
        """Return ``d`` if it is a working day, else the first working day after it."""
        d = _as_date(d)
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    def deadline(self, start: _dt.date, *, days: int = 0, months: int = 0, years: int = 0) -> _dt.date:
        """Return a period's last day, moved past rest days (民法典第二百零一至二百零三条)."""
        return self.next_workday_on_or_after(add_period(start, days=days, months=months, years=years))


def _days_after(start: _dt.date, end: _dt.date) -> Iterable[_dt.date]:
    """Yield the days after ``start`` up to and including ``end``."""
    day = start
    while day < end:
        day += _ONE_DAY
        yield day
