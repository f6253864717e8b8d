"""``huiqi calendar``: load a State Council holiday notice; count working days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

app = typer.Typer(help="Working-day calendar / 工作日历（国务院节假日安排）", no_args_is_help=True)


class CalendarCommandError(Exception):
    """A bad date or count, with bilingual messages (printed by ``huiqi.cli.main.run``)."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        self.field, self.message_zh, self.message_en = field, zh, en
        super().__init__(f"{field}: {zh} / {en}")


@app.command("load")
def load(file: Path = typer.Argument(..., help="notice YAML file / 节假日安排文件")) -> None:
    """Validate a holiday notice and install it for every later run."""
    from huiqi.calendar import install_notice_file, read_notice_file

    notice = read_notice_file(file)
    target = install_notice_file(file)
    typer.echo(f"✓ {notice.year} 年节假日安排已载入 / holiday calendar for {notice.year} installed: {target}")


@app.command("add-workdays")
def add_workdays(date: str = typer.Argument(..., help="start date YYYY-MM-DD (not counted) / 起算日（不计入）"), n: int = typer.Argument(..., help="working days / 工作日数")) -> None:
    """Print the date n working days after DATE (民法典第二百零一条: the start day is not counted)."""
    from huiqi.calendar import WorkCalendar

    try:
        start = dt.date.fromisoformat(date)
    except ValueError:
        raise CalendarCommandError("DATE", f"不是有效日期（应为 YYYY-MM-DD）：{date!r}", f"not a valid date (YYYY-MM-DD): {date!r}") from None
    if n < 1:
        raise CalendarCommandError("N", f"工作日数应为正整数：{n}", f"the number of working days must be positive: {n}")
    typer.echo(WorkCalendar.default().add_workdays(start, n).isoformat())
