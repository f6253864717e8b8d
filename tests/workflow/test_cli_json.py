"""Every workflow write command takes ``--json`` and prints the record it made or changed, ids
included (issue 16: a script drives the lifecycle without scraping text). The worked example of
docs/workflow.md scripted through ``--json`` only: each id comes from the JSON of the command
before. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

from huiqi.store import head_revision
from tests.workflow import helpers as h
from tests.workflow.test_cli import cli  # noqa: F401 - the fixture


def test_a_lifecycle_scripted_through_json(cli, tmp_path):  # noqa: F811
    def j(*args: str, actor: str | None = None) -> dict | list:
        out = cli(*args, "--json", actor=actor)
        return json.loads(out)

    e1 = h.uscc(1)
    assert j("db", "upgrade") == {"revision": head_revision()}
    admin = j("user", "add", "admin", "--role", "admin")
    assert admin["username"] == "admin" and admin["role"] == "admin" and isinstance(admin["id"], int)
    assert "password_hash" not in admin
    officer = j("user", "add", "officer", "--role", "officer", "--district", "金山区", actor="admin")
    assert officer["district"] == "金山区"
    ent = j("enterprise", "add", e1, "金山某生物医药有限公司", "--town", "亭林镇", actor="officer")
    assert (ent["uscc"], ent["district"], ent["town"]) == (e1, "金山区", "亭林镇")
    ent_user = j("user", "add", "ent1", "--role", "enterprise", "--enterprise", e1, actor="officer")
    assert ent_user["enterprise_id"] == ent["id"]
    rnd = j(
        "round",
        "create",
        "JS-2026",
        "--name",
        "2026年度",
        "--programme",
        "WF-PROJECT",
        "--year",
        "2026",
        "--opens",
        "2026-03-01",
        "--closes",
        "2026-04-30",
        "--budget",
        "5000000",
        actor="officer",
    )
    assert (rnd["code"], rnd["state"], rnd["budget"]) == ("JS-2026", "draft", "5000000.00")
    assert j("round", "open", "JS-2026", actor="officer")["state"] == "open"
    prof = tmp_path / "p.yaml"
    prof.write_text(
        "enterprise: {registered_district: 金山区, independent_legal_person: true}\nclaims:\n  - {id: p1, kind: project, total_investment: 4000000}\n",
        encoding="utf-8",
    )
    app = j(
        "application",
        "create",
        "--round",
        "JS-2026",
        "--enterprise",
        e1,
        "--programme",
        "WF-PROJECT",
        "--profile",
        str(prof),
        actor="ent1",
    )
    assert (app["state"], app["round_id"], app["enterprise_id"], app["claim_id"]) == (
        "draft",
        rnd["id"],
        ent["id"],
        "p1",
    )
    app_id = str(app["id"])
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(h.PDF)
    f = j("application", "upload", app_id, "form", str(pdf), actor="ent1")
    assert f["application_id"] == app["id"] and f["material_id"] == "form" and len(f["sha256"]) == 64
    sub = j("application", "submit", app_id, "--on", "2026-03-10", actor="ent1")
    assert (sub["state"], sub["ceiling"], sub["requested_amount"]) == (
        "submitted",
        "1200000.00",
        "1200000.00",
    )  # 4,000,000 × 30%
    assert (
        j("review", "district", app_id, "--pass", "--opinion", "材料齐全", actor="officer")["state"]
        == "district_checked"
    )
    d = j("decision", "approve", app_id, "1000000", "--on", "2026-05-06", actor="officer")
    assert (d["application_id"], d["amount"], d["ceiling"]) == (app["id"], "1000000.00", "1200000.00")
    batch = j("payment", "batch", "--on", "2026-05-08", actor="officer")
    assert isinstance(batch["id"], int) and batch["code"]
    paid = j("payment", "run", str(batch["id"]), actor="officer")
    assert [(p["application_id"], p["amount"]) for p in paid] == [(app["id"], "1000000.00")]
    assert j("payment", "run", str(batch["id"]), actor="officer") == []  # idempotent: nothing twice
    x = j("export", "payments", str(batch["id"]), str(tmp_path / "pay.xlsx"), actor="officer")
    assert x == {"path": str(tmp_path / "pay.xlsx"), "batch_id": batch["id"]}
    c = j(
        "change",
        "request",
        app_id,
        "investment",
        "--description",
        "追加",
        "--before",
        "4000000",
        "--after",
        "4400000",
        actor="ent1",
    )
    assert c["application_id"] == app["id"] and c["major"] is True and c["state"] == "pending"
    assert j("change", "decide", str(c["id"]), "--approve", "--reason", "同意", actor="officer")["state"] == "approved"


def test_a_refused_command_prints_no_json_and_a_failed_commit_prints_nothing(cli, monkeypatch):  # noqa: F811
    cli("db", "upgrade")
    cli("user", "add", "admin", "--role", "admin")
    out = cli("user", "add", "officer", "--role", "officer", "--district", "火星区", "--json", actor="admin", code=2)
    assert "火星区" in out and "{" not in out.split("错误")[0]
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    def broken(self):  # noqa: ANN001
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Session, "commit", broken)
    out = cli("user", "add", "officer", "--role", "officer", "--district", "金山区", "--json", actor="admin", code=2)
    assert '"username"' not in out and "✓" not in out  # never told it was done
    assert "未保存任何内容" in out and "nothing was saved" in out and "disk I/O error" in out


def test_an_administrator_resets_a_password_and_every_session_of_the_user_ends(cli, engine):  # noqa: F811
    from sqlalchemy import select

    from huiqi.store import make_sessionmaker
    from huiqi.workflow.users import sessions
    from huiqi.workflow.users.models import User

    cli("db", "upgrade")
    cli("user", "add", "admin", "--role", "admin")
    cli("user", "add", "officer", "--role", "officer", "--district", "金山区", actor="admin")
    with make_sessionmaker(engine)() as s:
        officer = s.execute(select(User).where(User.username == "officer")).scalar_one()
        tokens = [sessions.start(session=s, user=officer, kind=k, max_age=3600) for k in ("web", "api")]
        s.commit()
    out = json.loads(cli("user", "password", "officer", "--json", actor="admin"))
    assert out["username"] == "officer" and out["sessions_ended"] == 2
    with make_sessionmaker(engine)() as s:
        assert [sessions.find(session=s, token=t, kind=k) for t, k in zip(tokens, ("web", "api"))] == [None, None]
    out = cli("user", "password", "admin", actor="officer", code=2)  # an officer cannot reset the administrator's
    assert "admin" in out
