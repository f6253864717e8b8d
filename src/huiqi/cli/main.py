"""The ``huiqi`` command: thin Typer commands over the rules engine and the services.

Every user-facing error is printed in Chinese and English, naming the field, with exit
status 2 — never a traceback.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from huiqi.rules import InputError, load_policies

app = typer.Typer(help="惠企 huiqi — subsidy policies as executable rules / 政策即规则", no_args_is_help=True, add_completion=False)
policies_app = typer.Typer(help="Policy files: check, list, coverage / 政策文件", no_args_is_help=True)
schema_app = typer.Typer(help="JSON Schemas / 数据结构", no_args_is_help=True)
app.add_typer(policies_app, name="policies")
app.add_typer(schema_app, name="schema")

console = Console(emoji=False)  # "file:100:" stays text, never 💯
err_console = Console(stderr=True, emoji=False)

# Sub-command groups that live beside their own services: (module, attribute, name).
# A module that is not there yet is skipped, so each domain adds one line here.
SUBCOMMANDS: list[tuple[str, str, str]] = [
    ("huiqi.cli.calendar_cmd", "app", "calendar"),
    ("huiqi.cli.workflow_cmd", "round_app", "round"),
    ("huiqi.cli.workflow_cmd", "application_app", "application"),
    ("huiqi.cli.workflow_cmd", "review_app", "review"),
    ("huiqi.cli.workflow_cmd", "notice_app", "notice"),
    ("huiqi.cli.workflow_cmd", "decision_app", "decision"),
    ("huiqi.cli.workflow_cmd", "payment_app", "payment"),
    ("huiqi.cli.workflow_cmd", "change_app", "change"),
    ("huiqi.cli.workflow_cmd", "import_app", "import"),
    ("huiqi.cli.workflow_cmd", "export_app", "export"),
    ("huiqi.cli.workflow_cmd", "audit_app", "audit"),
    ("huiqi.cli.workflow_cmd", "db_app", "db"),
    ("huiqi.cli.workflow_cmd", "user_app", "user"),
    ("huiqi.cli.workflow_cmd", "enterprise_app", "enterprise"),
    ("huiqi.cli.proactive_cmd", "record_app", "record"),  # issue 19
    ("huiqi.cli.proactive_cmd", "notify_app", "notify"),
    ("huiqi.cli.proactive_cmd", "match_register", "match-register"),
    ("huiqi.cli.simulate_cmd", "app", "simulate"),
    ("huiqi.cli.serve_cmd", "app", "serve"),
]


def _register_subcommands() -> None:
    for module_name, attr, name in SUBCOMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        sub = getattr(module, attr, None)
        if sub is None:
            continue
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name)
        else:  # a single command function
            app.command(name)(sub)


def fail(problems_text: str, code: int = 2) -> None:
    err_console.print(f"[bold red]错误 / error[/]\n{problems_text}", highlight=False)
    raise typer.Exit(code)


def _policy_dir(path: Optional[Path]) -> Path | None:
    return path


def _parse_date(value: Optional[str], field: str) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{field}: 不是有效日期（应为 YYYY-MM-DD）：{value!r} / not a real date (YYYY-MM-DD): {value!r}")
        raise AssertionError  # pragma: no cover


PolicyDirOption = typer.Option(None, "--policies", "-p", help="policy directory (default: the packaged policies/)", envvar="HUIQI_POLICY_DIR")


@app.command()
def match(
    profile: Path = typer.Argument(..., help="enterprise profile, YAML or JSON / 企业画像文件"),
    on: Optional[str] = typer.Option(None, "--on", help="evaluation date YYYY-MM-DD (default today) / 评估日期"),
    as_json: bool = typer.Option(False, "--json", help="print the stable JSON schema (docs/match-json.md)"),
    programme: Optional[list[str]] = typer.Option(None, "--programme", help="only these programme ids"),
    policies: Optional[Path] = PolicyDirOption,
) -> None:
    """Which programmes fit an enterprise, the most it can get, why, and what is missing."""
    from huiqi.rules import evaluate, read_profile_file

    day = _parse_date(on, "--on")
    ps = load_policies(policies)
    prof = read_profile_file(profile, ps.vocabulary)
    report = evaluate(ps, prof, on=day, programmes=programme)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    from huiqi.cli.render import render_report

    render_report(console, report)


@policies_app.command("check")
def policies_check(
    policies: Optional[Path] = PolicyDirOption,
    lint: bool = typer.Option(True, "--lint/--no-lint", help="also run `policies lint` (fails on its errors)"),
) -> None:
    """Validate every policy file and the fact vocabulary, then lint them (`huiqi policies lint`)."""
    ps = load_policies(policies)
    n = len(ps.programmes())
    console.print(f"[green]✓[/] {len(ps.documents)} 份文件 / documents, {n} 个项目 / programmes, {len(ps.vocabulary.facts)} 个事实 / facts — policy version {ps.version}")
    if lint:
        code = _print_lint(ps, policies, solver=True, as_json=False)
        if code:
            raise typer.Exit(code)


def _print_lint(ps, policy_dir: Optional[Path], *, solver: bool, as_json: bool) -> int:
    from huiqi.rules.lint import WARNING, lint as run_lint, load_known, triage

    findings = run_lint(ps, solver=solver)
    known_file, known = load_known(policy_dir)
    new, listed, stale = triage(findings, known, known_file)
    if as_json:
        doc = {
            "errors": [f.to_dict() for f in new + stale],
            "known": [f.to_dict() for f in listed],
            "warnings": [f.to_dict() for f in findings if f.level == WARNING],
        }
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return 1 if new or stale else 0
    for f in new + stale:
        console.print(f.render(), markup=False, highlight=False, soft_wrap=True)
    for f in listed:
        console.print("(known) " + f.render(), markup=False, highlight=False, soft_wrap=True)
    for f in findings:
        if f.level == WARNING:
            console.print(f.render(), markup=False, highlight=False, soft_wrap=True)
    warnings = sum(f.level == WARNING for f in findings)
    console.print(
        f"lint: {len(new) + len(stale)} 个错误 / errors, {len(listed)} 个已知 / known ({known_file}), {warnings} 个提示 / warnings",
        markup=False,
        highlight=False,
    )
    return 1 if new or stale else 0


@policies_app.command("lint")
def policies_lint(
    as_json: bool = typer.Option(False, "--json", help="errors, known errors and warnings as JSON"),
    solver: bool = typer.Option(True, "--solver/--no-solver", help="the z3 checks (witnesses, maxima); HUIQI_Z3_TIMEOUT_MS per check"),
    policies: Optional[Path] = PolicyDirOption,
) -> None:
    """Rules quoted but not enforced: unread facts, time/count limits, bands and tiers, caps, witnesses (file:line each)."""
    ps = load_policies(policies)
    code = _print_lint(ps, policies, solver=solver, as_json=as_json)
    if code:
        raise typer.Exit(code)


@policies_app.command("witnesses")
def policies_witnesses(
    out: Path = typer.Option(..., "--out", help="directory to write <document id>.yaml policy tests into"),
    programme: Optional[list[str]] = typer.Option(None, "--programme", help="only these programme ids"),
    policies: Optional[Path] = PolicyDirOption,
) -> None:
    """For each programme, a profile that is eligible and the smallest one-fact change that is not, as policy tests (z3)."""
    import yaml

    from huiqi.rules.solver import witness_files

    ps = load_policies(policies)
    files = witness_files(ps, set(programme) if programme else None)
    out.mkdir(parents=True, exist_ok=True)
    for doc_id, data in files.items():
        if not data["cases"]:
            continue
        path = out / f"{doc_id}.yaml"
        head = (
            f"# Written by `huiqi policies witnesses` (z3) from {doc_id}: for each programme a profile that is\n"
            "# eligible, and the smallest change of one fact after which it is not. Each was run through the\n"
            "# engine before it was written. Run: pytest --rootdir . <this file> (policies/conftest.py).\n"
        )
        path.write_text(head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")
        console.print(f"{path}: {len(data['cases'])} 个用例 / cases", markup=False, highlight=False)


@policies_app.command("list")
def policies_list(as_json: bool = typer.Option(False, "--json"), policies: Optional[Path] = PolicyDirOption) -> None:
    """List documents and their programmes."""
    from huiqi.cli.render import render_policies
    from huiqi.rules.catalogue import policies_dict

    ps = load_policies(policies)
    if as_json:
        sys.stdout.write(json.dumps(policies_dict(ps), ensure_ascii=False, indent=2) + "\n")
        return
    render_policies(console, ps)


@policies_app.command("coverage")
def policies_coverage(as_json: bool = typer.Option(False, "--json"), policies: Optional[Path] = PolicyDirOption) -> None:
    """Each section and topic of each document → programme ids → number of policy tests."""
    from huiqi.cli.render import render_coverage
    from huiqi.rules.coverage import coverage

    ps = load_policies(policies)
    rows = coverage(ps, policies)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        render_coverage(console, rows)
    if any(not r["programmes"] or r["tests"] == 0 for r in rows):
        raise typer.Exit(1)


@schema_app.command("profile")
def schema_profile(policies: Optional[Path] = PolicyDirOption) -> None:
    """Print the JSON Schema of an enterprise profile."""
    from huiqi.rules.profile import profile_json_schema

    ps = load_policies(policies)
    sys.stdout.write(json.dumps(profile_json_schema(ps.vocabulary), ensure_ascii=False, indent=2) + "\n")


from huiqi.workbench.cli import draft as _draft, draft_score as _draft_score  # noqa: E402 - issue 18, the workbench

policies_app.command("draft")(_draft)
policies_app.command("draft-score")(_draft_score)
from huiqi.cli.policies_diff import diff as _diff  # noqa: E402 - issue 18, versions

policies_app.command("diff")(_diff)

_register_subcommands()


def _click_exceptions() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(usage errors, other click errors): click's, and those of the copy of click that Typer ≥ 0.2x
    vendors as ``typer._click`` (raised instead of click's, e.g. a missing required option)."""
    import click

    usage: list[type] = [click.exceptions.UsageError]
    other: list[type] = [click.exceptions.ClickException]
    try:
        from typer._click import exceptions as vendored
    except ImportError:  # an older Typer that uses click itself
        pass
    else:
        usage.append(vendored.UsageError)
        other.append(vendored.ClickException)
    return tuple(usage), tuple(other)


_EXIT_AT_ONCE = False


def exit_at_once() -> None:
    """Called by a command that wrote nothing but its files (closed) and its output: once it has
    succeeded, the console script (``main``) ends the process without the interpreter's tear-down
    (``huiqi simulate run``: ~0.2 s of freeing a resident population and ~1,000 modules, a tenth of
    a 1 M run). In a test calling ``run`` in-process, nothing happens."""
    global _EXIT_AT_ONCE
    _EXIT_AT_ONCE = True


def main() -> None:
    """The console script ``huiqi`` and ``python -m huiqi.cli.main``."""
    run(quick_exit=True)


def run(*, quick_exit: bool = False) -> None:
    """Entry point: user errors exit 2 with a bilingual message; nothing shows a traceback."""
    import os

    from huiqi.config import set_settings

    global _EXIT_AT_ONCE
    _EXIT_AT_ONCE = False
    set_settings(None)  # one command: the settings of its environment, read once (huiqi.config)
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
        if quick_exit and _EXIT_AT_ONCE:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
    except InputError as exc:
        err_console.print("[bold red]错误 / error[/]", highlight=False)
        for p in exc.problems:
            err_console.print(p.render(), highlight=False, markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("已取消 / aborted")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback for users
        usage_errors, click_errors = _click_exceptions()
        if isinstance(exc, usage_errors):
            err_console.print(f"[bold red]用法错误 / usage error[/]: {exc.format_message()}", highlight=False)
            sys.exit(2)
        if isinstance(exc, click_errors):
            err_console.print(f"[bold red]错误 / error[/]: {exc.format_message()}", highlight=False)
            sys.exit(exc.exit_code)
        message_zh = getattr(exc, "message_zh", None)
        message_en = getattr(exc, "message_en", None)
        if message_zh or message_en:
            field = getattr(exc, "field", "")
            err_console.print(f"[bold red]错误 / error[/] {field}: {message_zh} / {message_en}", highlight=False)
            sys.exit(2)
        err_console.print(f"[bold red]内部错误 / internal error[/]: {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
