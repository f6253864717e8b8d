"""The workflow from the command line (the worked example of docs/workflow.md), on both databases."""

from __future__ import annotations

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
    cli("enterprise", "add", e1, "金山某生物医药有限公司", "--district", "金山区", "--town", "亭林镇")
    for name, role, extra in (("officer", "officer", []), ("tinglin", "reviewer", ["--town", "亭林镇"]), ("exp1", "expert", []), ("exp2", "expert", []), ("ent1", "enterprise", ["--enterprise", e1])):
        cli("user", "add", name, "--role", role, *extra)
    out = cli("enterprise", "add", "91310116MA1000001X", "坏代码", code=2)
    assert "uscc" in out and "校验" in out
    cli("round", "create", "JS-2026", "--name", "2026年度", "--programme", "WF-PROJECT", "--programme", "WF-RENT", "--year", "2026", "--opens", "2026-03-01", "--closes", "2026-04-30", "--budget", "5000000", actor="officer")
    out = cli("round", "open", "JS-2026", actor="ent1", code=2)
    assert "district officer" in out
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
    assert "audit log intact" in cli("audit", "verify")
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
