"""The workflow from the command line (the worked example of docs/workflow.md), on both databases."""

from __future__ import annotations

import json
import re
import sys

import pytest

from tests.workflow import helpers as h
from tests.workflow.conftest import POLICY_DIR


@pytest.fixture
def cli(engine, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("HUIQI_DATABASE_URL", engine.huiqi_url)
    monkeypatch.setenv("HUIQI_POLICY_DIR", str(POLICY_DIR))
    monkeypatch.setenv("HUIQI_NEW_PASSWORD", "a-long-password")
    monkeypatch.setenv("HOME", str(tmp_path))
    from huiqi.cli.main import run

    def call(*args: str, code: int = 0, actor: str | None = None) -> str:
        argv = ["huiqi", *args] + (["--actor", actor] if actor else [])
        monkeypatch.setattr(sys, "argv", argv)
        try:
            run()
            rc = 0
        except SystemExit as exc:
            rc = exc.code or 0
        out = capsys.readouterr()
        assert rc == code, f"{argv}: exit {rc}\n{out.out}\n{out.err}"
        assert "Traceback" not in out.err
        return out.out + out.err

    return call


def test_worked_example(cli, tmp_path):
    e1 = h.uscc(1)
    cli("db", "upgrade")
    assert "admin" in cli("user", "add", "admin", "--role", "admin")  # bootstrap: no actor while there is no administrator
    assert "actor" in cli("user", "add", "admin2", "--role", "admin", code=2)  # … and only then
    cli("user", "add", "officer", "--role", "officer", "--district", "金山区", actor="admin")
    cli("enterprise", "add", e1, "金山某生物医药有限公司", "--town", "亭林镇", actor="officer")  # in the officer's district
    for name, role, extra in (("tinglin", "reviewer", ["--town", "亭林镇"]), ("exp1", "expert", []), ("exp2", "expert", []), ("ent1", "enterprise", ["--enterprise", e1])):
        cli("user", "add", name, "--role", role, *extra, actor="officer")
    out = cli("enterprise", "add", "91310116MA1000001X", "坏代码", actor="officer", code=2)
    assert "uscc" in out and "校验" in out
    cli("round", "create", "JS-2026", "--name", "2026年度", "--programme", "WF-PROJECT", "--programme", "WF-RENT", "--year", "2026", "--opens", "2026-03-01", "--closes", "2026-04-30", "--budget", "5000000", actor="officer")
    out = cli("round", "open", "JS-2026", actor="ent1", code=2)
    assert "no such round" in out  # not yet published: out of an enterprise user's scope
    cli("round", "open", "JS-2026", actor="officer")
    prof = tmp_path / "p.yaml"
    prof.write_text("enterprise: {registered_district: 金山区, independent_legal_person: true}\nclaims:\n  - {id: p1, kind: project, total_investment: 4000000}\n", encoding="utf-8")
    out = cli("application", "create", "--round", "JS-2026", "--enterprise", e1, "--programme", "WF-PROJECT", "--profile", str(prof), actor="ent1")
    app_id = re.search(r"id=(\d+)", out).group(1)
    out = cli("application", "submit", app_id, "--on", "2026-03-10", actor="ent1", code=2)
    assert "申请表" in out and "materials" in out
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(h.PDF)
    cli("application", "upload", app_id, "form", str(pdf), actor="ent1")
    out = cli("application", "submit", app_id, "--on", "2026-03-10", actor="ent1")
    assert "1200000.00" in out  # 4,000,000 × 30%
    cli("review", "district", app_id, "--pass", "--opinion", "材料齐全", actor="officer")
    out = cli("decision", "approve", app_id, "1200000.01", actor="officer", code=2)
    assert "ceiling" in out
    cli("decision", "approve", app_id, "1000000", "--on", "2026-05-06", actor="officer")
    out = cli("payment", "batch", "--on", "2026-05-08", actor="officer")
    batch = re.search(r"batch (\d+)", out).group(1)
    assert "1000000.00" in cli("payment", "run", batch, actor="officer")
    assert "paid 0" in cli("payment", "run", batch, actor="officer")
    cli("export", "payments", batch, str(tmp_path / "pay.xlsx"), actor="officer")
    assert (tmp_path / "pay.xlsx").exists()
    out = cli("change", "request", app_id, "investment", "--description", "追加", "--before", "4000000", "--after", "4400000", actor="ent1")
    assert "major" in out
    assert "audit log intact" in cli("audit", "verify", actor="officer")
    bad = tmp_path / "credit.csv"
    bad.write_text("uscc,name,when\n", encoding="utf-8")
    out = cli("import", "credit", str(bad), actor="officer", code=2)
    assert "record_date" in out and "nothing was imported" in out


def test_calendar_cli(cli, tmp_path, monkeypatch):
    # 2026-09-30 + 5 working days: 1–7 Oct National Day, Saturday 10 Oct worked → 8, 9, 10, 12, 13 Oct
    assert cli("calendar", "add-workdays", "2026-09-30", "5").strip() == "2026-10-13"
    # the 10-working-day notice of the district awards (专题六 5.申报流程（4）) from the same day
    assert cli("calendar", "add-workdays", "2026-09-30", "10").strip() == "2026-10-20"
    monkeypatch.setenv("HUIQI_CALENDAR_DIR", str(tmp_path / "cal"))
    out = cli("calendar", "add-workdays", "2031-03-02", "5", code=2)
    assert "2031" in out and "calendar load" in out
    notice = tmp_path / "notice-2031.yaml"  # a made-up notice: only the mechanism is under test
    notice.write_text("year: 2031\nsource: 测试用假想通知（非真实文件）\nholidays:\n  - 2031-03-03\nworkdays: []\n", encoding="utf-8")
    assert "2031" in cli("calendar", "load", str(notice))
    assert cli("calendar", "add-workdays", "2031-03-02", "5").strip() == "2031-03-10"
    assert "DATE" in cli("calendar", "add-workdays", "2026-02-30", "5", code=2)


def _project_round(cli, tmp_path, *, budget: str, credit: bool = False) -> str:
    """Users, one Jinshan enterprise (optionally with a serious-dishonesty record), an open round of
    WF-PROJECT (application → district check → approval → payment) with ``budget``; returns USCC."""
    e1 = h.uscc(1)
    cli("db", "upgrade")
    cli("user", "add", "admin", "--role", "admin")
    cli("user", "add", "officer", "--role", "officer", "--district", "金山区", actor="admin")
    cli("enterprise", "add", e1, "金山某科技有限公司", "--district", "金山区", "--town", "亭林镇", actor="officer")
    cli("user", "add", "ent1", "--role", "enterprise", "--enterprise", e1, actor="officer")
    cli("round", "create", "JS-2026", "--name", "2026年度", "--programme", "WF-PROJECT", "--year", "2026", "--opens", "2026-03-01", "--closes", "2026-04-30", "--budget", budget, actor="officer")
    cli("round", "open", "JS-2026", actor="officer")
    if credit:
        csv = h.credit_csv(tmp_path, [[e1, "金山某科技有限公司", "2024-05-06", "上海市市场监督管理局", "列入严重违法失信名单"]])
        assert "imported 1 records" in cli("import", "credit", str(csv), actor="officer")
    return e1


def _checked_project(cli, tmp_path, e1: str, claim: str, investment: str) -> str:
    """A WF-PROJECT application (30% of ``investment``) submitted and district-checked; its id."""
    prof = tmp_path / f"{claim}.yaml"
    prof.write_text(f"enterprise: {{registered_district: 金山区, independent_legal_person: true}}\nclaims:\n  - {{id: {claim}, kind: project, total_investment: {investment}}}\n", encoding="utf-8")
    out = cli("application", "create", "--round", "JS-2026", "--enterprise", e1, "--programme", "WF-PROJECT", "--profile", str(prof), actor="ent1")
    app_id = re.search(r"id=(\d+)", out).group(1)
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(h.PDF)
    cli("application", "upload", app_id, "form", str(pdf), actor="ent1")
    cli("application", "submit", app_id, "--on", "2026-03-10", actor="ent1")
    cli("review", "district", app_id, "--pass", actor="officer")
    return app_id


def _unwrapped(cli):
    """``cli`` with the output's line breaks removed: errors are printed by rich, which wraps them
    at the (test) terminal's 80 columns, anywhere in Chinese text."""
    return lambda *args, **kw: cli(*args, **kw).replace("\n", "")


def _audit(cli, entity: str, entity_id: str, action: str) -> list[dict]:
    import json

    return [e for e in json.loads(cli("audit", "log", "--entity", entity, "--id", entity_id, "--json", actor="officer")) if e["action"] == action]


def test_credit_override_cli(cli, tmp_path, monkeypatch):
    # 金科〔2025〕25号 关于项目管理有关要求 一、信用管理 (fixture management.credit.soft: true): a record
    # of 2024-05-06 is within the three years before 2026-03-10 → held, not refused
    monkeypatch.delenv("HUIQI_ACTOR", raising=False)
    cli = _unwrapped(cli)
    e1 = _project_round(cli, tmp_path, budget="5000000", credit=True)
    app_id = _checked_project(cli, tmp_path, e1, "p1", "4000000")  # 4,000,000 × 30% = 1,200,000
    assert "held for a credit check" in cli("application", "show", app_id, actor="officer")
    out = cli("decision", "approve", app_id, "1000000", "--reason", "项目质量很好", actor="officer", code=2)
    assert "credit:" in out and "原则上不予支持" in out and "credit override" in out

    # bad input: exit 2, bilingual, the option named, nothing recorded
    assert "--reason" in cli("application", "credit-override", app_id, actor="officer", code=2)  # missing
    out = cli("application", "credit-override", app_id, "--reason", "   ", actor="officer", code=2)
    assert "--reason:" in out and "须写明" in out and "written reason" in out
    out = cli("application", "credit-override", app_id, "--reason", "已修复", "--on", "2026-02-30", actor="officer", code=2)
    assert "--on:" in out and "YYYY-MM-DD" in out
    out = cli("application", "credit-override", app_id, "--reason", "已修复", code=2)  # no actor
    assert "actor:" in out and "--actor" in out
    out = cli("application", "credit-override", app_id, "--reason", "已修复", actor="ent1", code=2)
    assert "错误 / error" in out  # an enterprise may not decide its own credit check
    out = cli("application", "credit-override", "999", "--reason", "已修复", actor="officer", code=2)
    assert "999" in out
    assert _audit(cli, "application", app_id, "application.credit_override") == []

    out = cli("application", "credit-override", app_id, "--reason", "失信行为已完成信用修复，经研究同意继续支持", "--on", "2026-05-20", actor="officer")
    assert "credit override" in out and "2026-05-20" in out and "covers 1 record(s)" in out
    assert "2024-05-06 上海市市场监督管理局：列入严重违法失信名单" in out
    [entry] = _audit(cli, "application", app_id, "application.credit_override")
    assert (entry["actor"], entry["reason"], entry["data"]["decided_on"]) == ("officer", "失信行为已完成信用修复，经研究同意继续支持", "2026-05-20")
    # every record is covered: a second override has nothing to decide
    out = cli("application", "credit-override", app_id, "--reason", "再次确认", actor="officer", code=2)
    assert "credit:" in out and "no serious-dishonesty record awaiting" in out
    assert "approved " + app_id + ": 1000000.00" in cli("decision", "approve", app_id, "1000000", "--on", "2026-05-21", actor="officer")
    assert "held for a credit check" not in cli("application", "show", app_id, actor="ent1")


def test_round_budget_cli(cli, tmp_path):
    import json

    cli = _unwrapped(cli)
    e1 = _project_round(cli, tmp_path, budget="2000000")
    a = _checked_project(cli, tmp_path, e1, "p1", "5000000")  # 1,500,000
    b = _checked_project(cli, tmp_path, e1, "p2", "1000000")  # 300,000
    cli("decision", "approve", a, "1500000", "--on", "2026-05-06", actor="officer")
    batch = re.search(r"batch (\d+)", cli("payment", "batch", "--on", "2026-05-08", actor="officer")).group(1)
    assert "1500000.00" in cli("payment", "run", batch, actor="officer")

    # bad input: exit 2, bilingual, the option named, the budget unchanged
    for args, words in (
        ((), ("--amount:", "--no-limit", "one of the two")),
        (("--amount", "1600000", "--no-limit"), ("--amount:", "二者择一")),
        (("--amount", "abc"), ("--amount:",)),
        (("--amount", ""), ("--amount:",)),
        (("--amount=-5",), ("--amount:", "负")),
        (("--amount", "1600000.001"), ("--amount:",)),
        (("--amount", "1499999.99"), ("--amount:", "1500000.00", "already paid")),  # below what is paid
    ):
        out = cli("round", "budget", "JS-2026", *args, "--reason", "区财政预算调减", actor="officer", code=2)
        assert all(w in out for w in words), (args, out)
    assert "--reason" in cli("round", "budget", "JS-2026", "--amount", "1600000", actor="officer", code=2)  # missing
    out = cli("round", "budget", "JS-2026", "--amount", "1600000", "--reason", " ", actor="officer", code=2)
    assert "--reason:" in out and "须写明理由" in out and "written reason" in out
    assert "district officer" in cli("round", "budget", "JS-2026", "--amount", "1600000", "--reason", "x", actor="ent1", code=2)
    assert "no such round, or you may not see it: JS-2099" in cli("round", "budget", "JS-2099", "--amount", "1600000", "--reason", "x", actor="officer", code=2)
    assert [r["budget"] for r in json.loads(cli("round", "list", "--json", actor="officer"))] == ["2000000.00"]

    # cut to 1,600,000: 1,500,000 committed (and paid) → 100,000 left
    out = cli("round", "budget", "JS-2026", "--amount", "1600000", "--reason", "区财政预算调减", actor="officer")
    assert "2000000.00 元 → 1600000.00 元" in out and "committed 1500000.00" in out and "paid 1500000.00" in out and "room 100000.00" in out
    [entry] = _audit(cli, "round", "1", "round.budget")
    assert (entry["reason"], entry["data"]["before"], entry["data"]["after"]) == ("区财政预算调减", "2000000.00", "1600000.00")
    out = cli("decision", "approve", b, "300000", "--on", "2026-05-20", actor="officer", code=2)
    assert "amount:" in out and "room left 100000.00" in out
    assert "approved " + b + ": 100000.00" in cli("decision", "approve", b, "100000", "--on", "2026-05-20", actor="officer")

    # no limit, then a limit again
    assert "1600000.00 元 → 不限 / no limit" in cli("round", "budget", "JS-2026", "--no-limit", "--reason", "预算另行安排", actor="officer")
    assert [r["budget"] for r in json.loads(cli("round", "list", "--json", actor="officer"))] == [None]
    assert "不限 / no limit → 1600000.00 元" in cli("round", "budget", "JS-2026", "--amount", "1600000", "--reason", "恢复限额", actor="officer")



def test_a_fresh_process_maps_every_table(cli, engine, tmp_path):
    # a real `huiqi` process imports only the services a command needs; inserting an application
    # must still find every table its foreign keys name (applications.import_id → import_runs) —
    # `huiqi application create` used to fail with "internal error: NoReferencedTableError" and
    # exit 1 (the in-process tests import every model, so they never saw it)
    import os
    import subprocess

    e1 = _project_round(cli, tmp_path, budget="2000000")
    prof = tmp_path / "p.yaml"
    prof.write_text("enterprise: {registered_district: 金山区, independent_legal_person: true}\nclaims:\n  - {id: p1, kind: project, total_investment: 4000000}\n", encoding="utf-8")
    env = {**os.environ, "HUIQI_DATABASE_URL": engine.huiqi_url, "HUIQI_POLICY_DIR": str(POLICY_DIR), "HUIQI_ACTOR": "ent1"}
    args = ["application", "create", "--round", "JS-2026", "--enterprise", e1, "--programme", "WF-PROJECT", "--profile", str(prof)]
    out = subprocess.run([sys.executable, "-m", "huiqi.cli.main", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "id=1" in out.stdout and "draft" in out.stdout


@pytest.fixture
def bare(monkeypatch, capsys, tmp_path):
    """`huiqi` in an empty folder, with no database set up (the database URL as each test says)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HUIQI_DATABASE_URL", raising=False)
    from huiqi.cli.main import run

    def call(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["huiqi", *args])
        try:
            run()
            rc = 0
        except SystemExit as exc:
            rc = exc.code or 0
        out = capsys.readouterr()
        text = " ".join((out.out + out.err).split())
        assert "Traceback" not in text and "sqlalche" not in text and "internal error" not in text, text
        return rc, text

    return call


@pytest.mark.parametrize("command", [("audit", "verify"), ("round", "list"), ("user", "list"), ("payment", "ledger"), ("audit", "checkpoint")])
def test_commands_in_a_folder_without_a_database_say_run_db_upgrade(bare, tmp_path, command):
    """Issue 14, finding 6: workflow commands in a folder with no migrated database printed an
    SQLAlchemy error instead of “run `huiqi db upgrade` first”."""
    rc, text = bare(*command)
    assert rc == 2
    assert "数据库尚未初始化，请先运行 `huiqi db upgrade`" in text and "the database is not set up: run `huiqi db upgrade` first" in text
    assert not (tmp_path / "var" / "huiqi.sqlite").exists()  # reading never creates an empty database


def test_a_database_not_migrated_or_at_an_old_revision_says_run_db_upgrade(bare, monkeypatch, tmp_path):
    from huiqi.store import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    monkeypatch.setenv("HUIQI_DATABASE_URL", url)
    make_engine(url).connect().close()  # an empty file: no tables
    rc, text = bare("round", "list")
    assert rc == 2 and "the database is not set up: run `huiqi db upgrade` first" in text
    upgrade(url, "0002")
    rc, text = bare("audit", "verify")
    assert rc == 2 and "the database is at revision 0002" in text and "run `huiqi db upgrade` first" in text
    rc, text = bare("db", "upgrade")
    assert rc == 0
    monkeypatch.setenv("HUIQI_NEW_PASSWORD", "a-long-password")
    rc, text = bare("user", "add", "admin", "--role", "admin")  # the first administrator: no actor needed
    assert rc == 0
    rc, text = bare("audit", "verify", "--actor", "admin")
    assert rc == 0 and "audit log intact: 1 entries" in text


def test_an_unreachable_postgresql_is_named_without_its_password(bare, monkeypatch):
    monkeypatch.setenv("HUIQI_DATABASE_URL", "postgresql+psycopg://huiqi:secret-pw@127.0.0.1:1/huiqi")
    for command in (("round", "list"), ("db", "upgrade")):
        rc, text = bare(*command)
        assert rc == 2, text
        assert "无法连接数据库" in text and "cannot connect to the database postgresql+psycopg://huiqi:***@127.0.0.1:1/huiqi" in text
        assert "secret-pw" not in text


def test_audit_checkpoint_and_verify_from_the_command_line(cli, engine, tmp_path):
    cli("db", "upgrade")
    e1 = _project_round(cli, tmp_path, budget="2000000")
    cp_file = tmp_path / "cp" / "head.json"
    assert "may only be done by" in cli("audit", "checkpoint", "--out", str(cp_file), actor="officer", code=2)  # not a district officer
    out = cli("audit", "checkpoint", "--out", str(cp_file), actor="admin")  # the whole database's: the administrator
    assert "keep this file away from the database server" in out
    data = json.loads(cp_file.read_text(encoding="utf-8"))
    assert data["format"] == "huiqi-audit-checkpoint/1" and data["seq"] > 0 and len(data["mac"]) == 64
    assert "audit log intact" in cli("audit", "verify", "--checkpoint", str(cp_file), actor="officer")
    assert "agree with the log and with 1 checkpoint(s)" in cli("audit", "verify", "--checkpoint", str(cp_file), actor="officer")
    data["tables"]["payments"]["rows"] = 5  # a checkpoint edited by hand no longer holds
    cp_file.write_text(json.dumps(data), encoding="utf-8")
    out = cli("audit", "verify", "--checkpoint", str(cp_file), code=1, actor="officer")
    assert "does not match its signature" in out
    out = cli("audit", "verify", "--checkpoint", str(tmp_path / "none.json"), code=2, actor="officer")
    assert "cannot read the checkpoint file" in out
    _ = e1


def test_awards_ledger_and_notice_length_cli(cli, tmp_path):
    """Issue 15 from the command line: an approval lands in the ledger (``decision awards``); the
    round sets the notice length a policy leaves open (``round notice-days``, 专题一 line 1235 “向社会公示”);
    the completion date, an extension (``change request --new-due``) and the late-after-extension
    ground refused before its day (关于项目管理有关要求 四（四）, line 1663)."""
    import json

    cli = _unwrapped(cli)
    e1 = _project_round(cli, tmp_path, budget="5000000")
    a = _checked_project(cli, tmp_path, e1, "p1", "5000000")
    cli("decision", "approve", a, "1500000", "--on", "2026-05-06", actor="officer")
    [row] = json.loads(cli("decision", "awards", "--json", actor="officer"))
    assert (row["programme"], row["amount"], row["round"], row["year"], row["state"]) == ("WF-PROJECT", "1500000.00", "JS-2026", 2026, "active")
    assert json.loads(cli("decision", "awards", "--json", "--enterprise", e1, actor="ent1"))[0]["application_id"] == int(a)
    out = cli("round", "notice-days", "JS-2026", "--days", "0", actor="officer", code=2)
    assert "--days:" in out and "1 至 60" in out
    assert "5 个工作日" in cli("round", "notice-days", "JS-2026", "--days", "5", "--basis", "金科〔2026〕3号", actor="officer")
    [entry] = _audit(cli, "round", "1", "round.notice_days")
    assert entry["data"]["after"] == {"days": 5, "basis": "金科〔2026〕3号"}
    assert "2026-12-31" in cli("change", "completion", a, "--due", "2026-12-31", actor="officer")
    out = cli("change", "revoke", a, "late_after_extension", "--reason", "逾期", "--on", "2027-03-01", actor="officer", code=2)
    assert "未经批准延期" in out
    out = cli("change", "request", a, "period", "--description", "延期两年", "--new-due", "2028-12-31", actor="ent1")
    change_id = re.search(r"change (\d+)", out).group(1)
    cli("change", "decide", change_id, "--approve", "--reason", "同意延期", actor="officer")
    out = cli("change", "revoke", a, "late_after_extension", "--reason", "逾期", "--on", "2028-12-31", actor="officer", code=2)
    assert "2029-01-01" in out or "2028-12-31" in out
    assert "已撤销" in cli("change", "revoke", a, "late_after_extension", "--reason", "延期后仍未完成", "--on", "2029-01-01", actor="officer")
