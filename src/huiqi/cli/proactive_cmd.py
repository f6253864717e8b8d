"""The policy finds the enterprise (issue 19) on the command line: enterprise records, proactive
matching, notifications. Like every workflow command, each acts as a user (``--actor`` or
``$HUIQI_ACTOR``) through the same services as the API and the pages; one command is one
transaction (``huiqi notify dispatch`` commits each e-mail as it is sent). See docs/proactive.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from huiqi.cli.workflow_cmd import ActorOpt, JsonOpt, PoliciesOpt, _actor, _day, _out, _policies, _problems, _session
from huiqi.workflow.errors import InvalidInput

record_app = typer.Typer(
    help="Enterprise records: facts, sources, corrections, list imports / 企业档案", no_args_is_help=True
)
notify_app = typer.Typer(help="Notifications: dispatcher, reminders, e-mail, inbox / 通知", no_args_is_help=True)


def _enterprise(s: Any, who: Any, ref: str) -> Any:
    from huiqi.workflow.enterprises import service as enterprises

    if ref.strip().isdigit() and len(ref.strip()) < 12:
        return enterprises.get(session=s, enterprise_id=int(ref), actor=who)
    return enterprises.get_by_uscc(session=s, uscc=ref, actor=who)


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


# ------------------------------------------------------------------ records


@record_app.command("show")
def record_show(
    enterprise: str = typer.Argument(..., help="enterprise id or USCC"),
    history: bool = typer.Option(False, "--history", help="every version"),
    as_json: bool = JsonOpt,
    actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """An enterprise's record: each fact with its source and date."""
    from huiqi.workflow.records import service as records

    with _session() as s:
        who = _actor(s, actor)
        ent = _enterprise(s, who, enterprise)
        if history:
            rows = records.history(session=s, enterprise_id=ent.id, actor=who, policies=_policies(policies))
        else:
            rows = records.record(session=s, enterprise_id=ent.id, actor=who, policies=_policies(policies))["facts"]
    _out(
        rows,
        as_json,
        "\n".join(
            f"{r['fact']:<50} {r['value']!s:<14} {r['source_zh']}（{r['source_ref'] or ''}）{r['as_of']}" for r in rows
        )
        or "（档案为空 / the record is empty）",
    )


@record_app.command("set")
def record_set(
    enterprise: str = typer.Argument(..., help="enterprise id or USCC"),
    fact: list[str] = typer.Option(
        ..., "--fact", help="path=value, e.g. enterprise.hnte_recognition=首次认定 (empty value: withdrawn)"
    ),
    note: Optional[str] = typer.Option(None),
    on: Optional[str] = typer.Option(None),
    actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """Correct facts: an enterprise user's own (marked self-declared), an officer's in its district."""
    from huiqi.workflow.records import service as records

    facts = {}
    for kv in fact:
        k, sep, v = kv.partition("=")
        if not sep:
            raise InvalidInput(f"--fact 应为 路径=值：{kv!r}", f"--fact takes path=value: {kv!r}", field="--fact")
        facts[k.strip()] = v.strip()
    with _session() as s:
        who = _actor(s, actor)
        ent = _enterprise(s, who, enterprise)
        rows = records.correct(
            session=s, enterprise_id=ent.id, facts=facts, note=note, on=on, actor=who, policies=_policies(policies)
        )
        typer.echo(f"✓ {len(rows)} 项已更新 / fact(s) updated" + ("" if rows else "（与现有值相同 / unchanged）"))


@record_app.command("import")
def record_import(
    file: Path,
    list_name: str = typer.Option(..., "--list", help="the list's name, e.g. 2026 年高新技术企业名单"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="the date the list states (default today)"),
    actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """Import a fact list (CSV/.xlsx: uscc, name, enterprise.<fact> or <claim kind>.<fact> columns)."""
    from huiqi.workflow.records import service as records

    try:
        with _session() as s:
            run = records.import_facts(
                session=s,
                path=file,
                list_name=list_name,
                on=as_of,
                actor=_actor(s, actor),
                policies=_policies(policies),
            )
            typer.echo(
                f"✓ 导入 {run.rows} 行，{len(run.changed)} 家企业档案有更新 / imported {run.rows} rows, {len(run.changed)} record(s) changed"
            )
            for k in run.skipped:
                typer.echo(f"  第{k['row']}行 row {k['row']}: 档案已有相同信息 / already in the record")
    except Exception as exc:
        _problems(exc)
        raise


# ------------------------------------------------------------------ matching


def match_register(
    district: Optional[str] = typer.Option(None, help="an officer: its own district"),
    programme: Optional[list[str]] = typer.Option(None, "--programme", help="only these programmes"),
    on: Optional[str] = typer.Option(None, "--on"),
    engine: str = typer.Option(
        "engine", help="engine (rules engine) or compiler (also checked with the population compiler)"
    ),
    propose: Optional[str] = typer.Option(
        None, "--propose", help="then turn this 免申即享 programme's eligible list into proposed grants"
    ),
    year: Optional[int] = typer.Option(None, "--year", help="the grants' year (with --propose)"),
    as_json: bool = JsonOpt,
    actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """Match the district's register: per programme, enterprises eligible or one or two facts away."""
    from huiqi.workflow.matching import flows as matching
    from huiqi.workflow.matching import service as matches

    with _session() as s:
        who = _actor(s, actor)
        ps = _policies(policies)
        day = _day(on, "--on")
        matching.run_register(
            session=s, actor=who, district=district, programme_ids=programme or None, on=day, policies=ps, engine=engine
        )
        rows = matches.results(session=s, actor=who)
        if programme:
            rows = [r for r in rows if r["programme_id"] in programme]
        proposed = []
        if propose:
            if year is None:
                raise InvalidInput("--propose 须同时给出 --year", "--propose needs --year", field="--year")
            proposed = matching.propose_grants(
                session=s, programme_id=propose, year=year, actor=who, on=day, policies=ps
            )
    if as_json:
        _json({"matches": rows, "proposed": [a.id for a in proposed]})
        return
    for g in matches.by_programme(rows):
        typer.echo(
            f"{g['programme_id']} {g['title'] or ''}：符合 {g['eligible']}，差一两项 {g['near']}；上限合计 {g['total_ceiling']} 元"
        )
        for r in g["rows"]:
            what = (
                r["ceiling"]
                if r["status"] == "eligible"
                else "缺 / missing: " + "、".join(m["zh"] for m in r["missing"])
            )
            typer.echo(f"    {r['uscc']} {r['name']} [{r['status_zh']}] {what}")
    if propose:
        typer.echo(f"✓ {len(proposed)} 项免申即享待确认 / proposed (confirm: huiqi import confirm ID)")


# ------------------------------------------------------------------ notifications


@notify_app.command("dispatch")
def notify_dispatch(
    on: Optional[str] = typer.Option(None, "--on", help="the day reminders are counted from (default today)"),
    send: bool = typer.Option(True, "--send/--no-send", help="send the e-mails due"),
    as_json: bool = JsonOpt,
    actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """Run the dispatcher once: audit log → notifications (and matching hooks), reminders, e-mails."""
    from huiqi.workflow.notifications import flows as notify

    with _session() as s:
        who = _actor(s, actor)
        ps = _policies(policies)
        day = _day(on, "--on")
        d = notify.dispatch(session=s, actor=who, on=day, policies=ps)
        r = notify.remind(session=s, actor=who, on=day, policies=ps)
        s.commit()
        out = notify.deliver(session=s, actor=who, commit_each=True) if send else {"sent": 0, "failed": 0, "smtp": None}
    data = {"dispatched": d, "reminders": r, "delivered": out}
    if as_json:
        _json(data)
        return
    typer.echo(
        f"✓ 审计条目 {d['from']}→{d['to']}，新通知 {d['made']}；提醒 {r['made']}；邮件发送 {out['sent']}，失败 {out['failed']}"
        + ("（未配置 SMTP，邮件待发 / no SMTP: e-mails wait）" if out.get("smtp") is False else "")
    )


@notify_app.command("inbox")
def notify_inbox(
    unread: bool = typer.Option(False, "--unread"), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt
) -> None:
    """The actor's own notifications."""
    from huiqi.workflow.notifications import service as inbox

    with _session() as s:
        rows = [inbox.view(n) for n in inbox.inbox(session=s, actor=_actor(s, actor), unread_only=unread)]
    _out(
        rows,
        as_json,
        "\n".join(f"{r['id']:>5} {'●' if r['state'] == 'unread' else ' '} {r['title_zh']}" for r in rows)
        or "（无通知 / no notifications）",
    )


@notify_app.command("failed")
def notify_failed(as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """The district's e-mails that failed (retried with back-off) — for officers."""
    from huiqi.workflow.notifications import service as inbox

    with _session() as s:
        rows = [inbox.view(n) for n in inbox.deliveries(session=s, actor=_actor(s, actor), state="failed")]
    _out(
        rows,
        as_json,
        "\n".join(
            f"{r['id']:>5} {r['address']} 尝试 {r['attempts']} 次，下次 {r['next_attempt_at']}：{r['last_error']}"
            for r in rows
        )
        or "（没有失败的邮件 / no failed e-mail）",
    )


@notify_app.command("deadline")
def notify_deadline(
    application_id: int,
    kind: str = typer.Option(..., help="progress_report or change_decision"),
    due: str = typer.Option(..., "--due", help="YYYY-MM-DD"),
    change: Optional[int] = typer.Option(None, "--change"),
    note: Optional[str] = typer.Option(None),
    actor: Optional[str] = ActorOpt,
) -> None:
    """Set when a progress report or a written change decision is due (reminded in working days)."""
    from huiqi.workflow.notifications import service as inbox

    with _session() as s:
        d = inbox.set_deadline(
            session=s,
            application_id=application_id,
            kind=kind,
            due_on=due,
            change_id=change,
            note=note,
            actor=_actor(s, actor),
        )
        typer.echo(f"✓ 期限 {d.id}：{d.kind} {d.due_on}")


@notify_app.command("funnel")
def notify_funnel(
    year: Optional[int] = typer.Option(None),
    as_json: bool = JsonOpt,
    actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """Per programme: matched, notified, started, submitted, approved enterprises."""
    from huiqi.workflow.notifications import flows as notify

    with _session() as s:
        rows = notify.funnel(session=s, actor=_actor(s, actor), year=year, policies=_policies(policies))
    _out(
        rows,
        as_json,
        "\n".join(
            f"{r['programme_id']:<14} 符合 {r['eligible']:>3} 差一两项 {r['near']:>3} 已通知 {r['notified']:>3} 开始 {r['started']:>3} 提交 {r['submitted']:>3} 立项 {r['approved']:>3}"
            for r in rows
        ),
    )
