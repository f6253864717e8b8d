"""Issue 19 on the command line: records, ``huiqi match-register``, ``huiqi notify dispatch``."""

from __future__ import annotations

import json

from tests.workflow import helpers as h
from tests.workflow.test_cli import cli  # noqa: F401 - the fixture


def test_records_matching_and_the_dispatcher_from_the_command_line(cli, tmp_path):  # noqa: F811
    e1, e2 = h.uscc(1), h.uscc(2)
    cli("db", "upgrade")
    cli("user", "add", "admin", "--role", "admin")
    cli("user", "add", "officer", "--role", "officer", "--district", "金山区", actor="admin")
    cli("enterprise", "add", e1, "金山一号", "--town", "亭林镇", actor="officer")
    cli("user", "add", "ent1", "--role", "enterprise", "--enterprise", e1, actor="officer")
    lst = tmp_path / "legal.csv"
    lst.write_text(
        f"uscc,name,enterprise.independent_legal_person\n{e1},金山一号,是\n{e2},金山二号,是\n", encoding="utf-8"
    )
    out = cli("record", "import", str(lst), "--list", "独立法人名单", "--as-of", "2026-03-01", actor="officer")
    assert "2 家企业档案有更新" in out  # 金山二号 registered in the officer's district by the import
    out = cli("record", "import", str(lst), "--list", "独立法人名单", actor="officer", code=2)
    assert "已于" in out  # the same file again
    out = cli("record", "show", e1, "--json", actor="ent1")
    assert [(r["fact"], r["value"], r["source"]) for r in json.loads(out)] == [
        ("enterprise.independent_legal_person", True, "import")
    ]
    cli("record", "show", e2, actor="ent1", code=2)  # another enterprise's record: not found
    out = cli(
        "record", "set", e1, "--fact", "enterprise.debt_to_asset_ratio=0.45", "--note", "2025 年审计报告", actor="ent1"
    )
    assert "1 项已更新" in out
    out = cli("match-register", "--on", "2026-03-10", "--json", actor="officer")
    award = [
        (m["uscc"], m["status"], m["ceiling"]) for m in json.loads(out)["matches"] if m["programme_id"] == "WF-AWARD"
    ]
    assert award == [(e1, "eligible", "200000.00"), (e2, "eligible", "200000.00")]
    cli("match-register", actor="ent1", code=2)  # an enterprise does not run matching
    out = cli("notify", "dispatch", "--on", "2026-03-10", "--json", actor="officer")
    data = json.loads(out)
    assert data["dispatched"]["read"] > 0 and data["delivered"]["smtp"] is False
    again = json.loads(cli("notify", "dispatch", "--on", "2026-03-10", "--json", actor="officer"))
    assert again["dispatched"]["made"] == 0
    out = cli("notify", "funnel", "--json", actor="officer")
    assert {r["programme_id"]: r["eligible"] for r in json.loads(out)}["WF-AWARD"] == 2
