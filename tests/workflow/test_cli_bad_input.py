"""Bad input, every workflow command (issue 14, "every endpoint and CLI command fed out-of-range ids,
NaN/Infinity, non-UTF-8 and deeply nested files"): each command of the ``huiqi`` Typer tree that
takes an id is run with ids no row can have (≥ 2³¹ for PostgreSQL's ``integer``, ≥ 2⁶³ for SQLite),
each that takes an amount or score with ``NaN``/``Infinity``, each that reads a file with one that
is not UTF-8 and one nested 10,000 deep. Every run ends with exit status 2 and a message in both
languages — never exit 1 (internal error) or a traceback. On SQLite and PostgreSQL.

The commands are enumerated from the Typer tree, so a new command with an id argument is swept
without editing this file (``serve`` and ``simulate`` are left out: one starts a server, the other
has its own input tests in tests/simulate).
"""

from __future__ import annotations

import sys

import pytest
import typer

from tests.workflow.conftest import POLICY_DIR

SKIP_GROUPS = {"serve", "simulate"}
DATES = {"on", "opens", "closes", "period_start", "period_end"}
NUMBERS = {"amount", "score", "min_score", "funds_used", "before", "after", "structure_change", "planned", "audited"}


def _commands() -> list[tuple[list[str], object]]:
    from huiqi.cli.main import app

    out = []

    def walk(cmd, prefix):  # noqa: ANN001
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, prefix + [name])
        elif prefix and prefix[0] not in SKIP_GROUPS:
            out.append((prefix, cmd))

    walk(typer.main.get_command(app), [])
    return out


COMMANDS = _commands()


def _argv(
    path: list[str], cmd, *, ident: str | None = None, number: str | None = None, file: str | None = None
) -> list[str] | None:  # noqa: ANN001
    """A command line for ``cmd`` with the bad value where it belongs; None if it takes no such value."""
    args, opts, used = [], [], False
    for p in cmd.params:
        name, is_opt = p.name, p.param_type_name == "option"
        if name in ("help", "as_json"):
            continue
        value = None
        if name.endswith("_id") or name.endswith("_ids"):
            value, used = (ident, True) if ident is not None else ("1", used)
        elif name in NUMBERS:
            value, used = (number, True) if number is not None else (("1" if p.required else None), used)
        elif name in ("file", "profile", "checkpoint"):
            value, used = (file, True) if file is not None else (None, used)
            if value is None and p.required:
                return None
        elif name in DATES:
            value = "2026-03-02" if p.required else None
        elif name == "actor":
            value = "officer"
        elif name == "expert":
            value = "expert0"
        elif name in ("year", "limit"):
            value = "2026"
        elif name == "out":
            value = "/tmp/i14b-sweep-out.xlsx" if not is_opt else None
        elif p.required:
            if is_opt and getattr(p, "is_flag", False):
                opts.append(p.opts[0])
                continue
            value = "x"
        if value is None:
            continue
        if is_opt:
            opts += [p.opts[0], value]
        else:
            args.append(value)
    return [*path, *args, *opts] if used else None


@pytest.fixture
def cli(engine, world, session, monkeypatch, capsys, tmp_path):
    session.commit()
    monkeypatch.setenv("HUIQI_DATABASE_URL", engine.huiqi_url)
    monkeypatch.setenv("HUIQI_POLICY_DIR", str(POLICY_DIR))
    monkeypatch.setenv("HUIQI_NEW_PASSWORD", "a-long-password")
    monkeypatch.setenv("HOME", str(tmp_path))
    from huiqi.cli.main import run

    def call(argv: list[str]) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["huiqi", *argv])
        try:
            run()
            rc = 0
        except SystemExit as exc:
            rc = exc.code or 0
        out = capsys.readouterr()
        return rc, out.out + out.err

    return call


def _refused(argv: list[str], rc: int, out: str) -> None:
    assert rc == 2, f"{argv}: exit {rc}\n{out}"
    assert "Traceback" not in out and "内部错误" not in out and "internal error" not in out, f"{argv}\n{out}"
    assert "错误" in out and "error" in out, f"{argv}\n{out}"


def test_the_sweep_reaches_the_commands_it_should():
    with_ids = {" ".join(p) for p, c in COMMANDS if _argv(p, c, ident="9") is not None}
    assert {
        "decision approve",
        "payment run",
        "notice publish",
        "change decide",
        "export payments",
        "application submit",
    } <= with_ids
    with_numbers = {" ".join(p) for p, c in COMMANDS if _argv(p, c, number="NaN") is not None}
    assert {"decision approve", "review score", "round budget", "change progress"} <= with_numbers


def test_ids_no_row_can_have(cli, engine):
    huge = [str(2**31), str(2**63), str(10**30)]
    for path, cmd in COMMANDS:
        for ident in huge:
            argv = _argv(path, cmd, ident=ident)
            if argv is None:
                continue
            rc, out = cli(argv)
            if rc == 0:  # a list filtered by an id no row has: empty, and fine
                continue
            _refused(argv, rc, out)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_in_amounts_and_scores(cli, bad):
    for path, cmd in COMMANDS:
        argv = _argv(path, cmd, number=bad)
        if argv is None:
            continue
        rc, out = cli(argv)
        _refused(argv, rc, out)


def test_files_that_are_not_utf8_or_nested_too_deep(cli, tmp_path):
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("enterprise:\n  name: 测试\n".encode("gbk") + b"\xff\xfe\n")
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    deep_json = tmp_path / "deep.json"
    deep_json.write_text('{"a":' * 10_000 + "1" + "}" * 10_000, encoding="utf-8")
    csv = tmp_path / "gbk.csv"
    csv.write_bytes("统一社会信用代码,企业名称\n".encode("gbk"))
    for f in (bad, deep, deep_json, csv):
        for path, cmd in COMMANDS:
            argv = _argv(path, cmd, file=str(f))
            if argv is None:
                continue
            if path == ["application", "create"]:
                argv += ["--round", "JS-2026-1", "--enterprise", "91310116MA1J8TQF7A", "--programme", "WF-RENT"]
            rc, out = cli(argv)
            _refused(argv, rc, out)
    for argv in (
        ["match", str(bad)],
        ["match", str(deep)],
        ["calendar", "load", str(bad)],
        ["calendar", "load", str(deep_json)],
    ):
        rc, out = cli(argv)
        _refused(argv, rc, out)
