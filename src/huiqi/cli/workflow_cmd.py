"""The workflow on the command line: rounds, applications, reviews, notices, decisions, payments,
changes, imports, exports, audit, users, enterprises and the database.

Every command — reads included — acts as a user (``--actor NAME`` or ``$HUIQI_ACTOR``) and calls
the same services as the API and the pages, which decide what that user may see and do
(``huiqi.workflow.access``): a record out of the user's scope is "not found", an action its role
may not take is refused. The one exception: ``huiqi user add NAME --role admin`` without an actor,
allowed only while the database has no administrator (bootstrap). The database is the settings'
(``$HUIQI_DATABASE_URL``, default ``<data dir>/huiqi.sqlite``). One command is one transaction: it
commits when it succeeds and changes nothing when it fails. Service errors are printed in Chinese
and English by ``huiqi.cli.main.run`` (exit 2). See docs/workflow.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import typer

from huiqi.workflow.errors import InvalidInput

round_app = typer.Typer(help="Application rounds / 申报批次", no_args_is_help=True)
application_app = typer.Typer(help="Applications and materials / 申报与材料", no_args_is_help=True)
review_app = typer.Typer(help="Town/park confirmation, district check, experts, consultation, shortlist / 初审、评审、择优", no_args_is_help=True)
notice_app = typer.Typer(help="Public notice and objections / 公示与异议", no_args_is_help=True)
decision_app = typer.Typer(help="Approval (立项) / 立项决定", no_args_is_help=True)
payment_app = typer.Typer(help="Payment batches and ledger / 拨付", no_args_is_help=True)
change_app = typer.Typer(help="Progress, changes, revocation / 项目管理", no_args_is_help=True)
import_app = typer.Typer(help="Imports: 免申即享 lists, credit records / 导入", no_args_is_help=True)
export_app = typer.Typer(help="Exports (.xlsx) / 导出", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log / 审计日志", no_args_is_help=True)
db_app = typer.Typer(help="Database / 数据库", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles / 用户", no_args_is_help=True)
enterprise_app = typer.Typer(help="Enterprises / 企业", no_args_is_help=True)

ActorOpt = typer.Option(None, "--actor", "-u", envvar="HUIQI_ACTOR", help="act as this user / 操作人用户名")
JsonOpt = typer.Option(False, "--json", help="print JSON")
PoliciesOpt = typer.Option(None, "--policies", "-p", envvar="HUIQI_POLICY_DIR", help="policy directory")


# ------------------------------------------------------------------ plumbing


# what a command says it did, held until its transaction has committed (commit, then tell)
_PENDING: list[str] = []
_DEPTH = [0]


@contextlib.contextmanager
def _session() -> Iterator[Any]:
    import huiqi.workflow.models  # noqa: F401 - every table mapped (applications.import_id → import_runs, …)
    from sqlalchemy.exc import IntegrityError, OperationalError

    from huiqi.store import DatabaseNotReady, check_ready, make_engine, make_sessionmaker, session_scope

    engine = make_engine()
    _DEPTH[0] += 1
    try:
        check_ready(engine)  # not set up / unreachable / not migrated: say so (exit 2), no SQL error
        try:
            with session_scope(make_sessionmaker(engine)) as s:
                yield s
        except (OperationalError, IntegrityError) as exc:  # e.g. the commit refused: said, not a traceback
            first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DatabaseNotReady(f"数据库未能保存，未保存任何内容：{first}", f"the database did not save; nothing was saved: {first}") from None
        if _DEPTH[0] == 1:  # committed: now say what was done (a failed commit printed nothing)
            for text in _PENDING:
                sys.stdout.write(text)
    finally:
        _DEPTH[0] -= 1
        if _DEPTH[0] == 0:
            _PENDING.clear()
        engine.dispose()


def _done(record: Any, as_json: bool, line: str, **extra: Any) -> None:
    """What a write command made or changed: ``line`` for people, or with ``--json`` the record(s) —
    every column, ids included (never a password hash) — for scripts. Inside a session it is printed
    once the transaction has committed."""
    from huiqi.workflow.common import plain, row_dict

    if as_json:
        if isinstance(record, (list, tuple)):
            data: Any = [row_dict(r) if hasattr(r, "__table__") else plain(r) for r in record]
        else:
            data = row_dict(record) if hasattr(record, "__table__") else plain(record)
        if extra and isinstance(data, dict):
            data = {**data, **plain(extra)}
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    else:
        text = line + "\n"
    if _DEPTH[0]:
        _PENDING.append(text)
    else:
        sys.stdout.write(text)


def _actor(session: Any, name: Optional[str]) -> Any:
    """The user who acts (``--actor``/``$HUIQI_ACTOR``); what it may see and do the services decide."""
    from huiqi.workflow.users import service as users

    if not name:
        raise InvalidInput("请用 --actor 或 HUIQI_ACTOR 指定操作人", "say who acts: --actor NAME or $HUIQI_ACTOR", field="actor")
    return users.by_username(session=session, username=name)


def _policies(path: Optional[Path]) -> Any:
    from huiqi.rules import load_policies
    from huiqi.workflow.policy import default_policies

    return load_policies(path) if path else default_policies()


def _day(value: Optional[str], field: str) -> dt.date:
    from huiqi.workflow.common import parse_day

    return dt.date.today() if value is None else parse_day(value, field=field)


def _out(data: Any, as_json: bool, line: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        typer.echo(line)


@contextlib.contextmanager
def _options(**names: str) -> Iterator[None]:
    """Report a service error under the command-line option the user typed (``budget`` →
    ``--amount``): the service names its own argument, the user knows the option."""
    from huiqi.workflow.errors import WorkflowError

    try:
        yield
    except WorkflowError as exc:
        if exc.field in names:
            exc.field = names[exc.field]
        raise


def _state(app: Any) -> str:
    from huiqi.workflow import states

    s = states.APPLICATION.state(app.state)
    return f"{s.zh} / {s.en}"


# ------------------------------------------------------------------ db, users, enterprises


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head"), as_json: bool = JsonOpt) -> None:
    """Apply the packaged Alembic migrations (creates the SQLite file if needed)."""
    from huiqi.store import database_url, upgrade

    rev = upgrade(None, revision)
    _done({"revision": rev}, as_json, f"✓ 数据库已升级至 {rev} / database at revision {rev}: {database_url().split('@')[-1]}")


@user_app.command("add")
def user_add(
    username: str,
    role: str = typer.Option(..., help="admin / officer / reviewer / expert / auditor / enterprise"),
    password: Optional[str] = typer.Option(None, envvar="HUIQI_NEW_PASSWORD", help="(or prompt)"),
    name: Optional[str] = typer.Option(None, help="display name / 姓名"),
    enterprise: Optional[str] = typer.Option(None, help="an enterprise user's enterprise (USCC)"),
    town: Optional[str] = typer.Option(None, help="a reviewer's town/park / 镇（园区）"),
    district: Optional[str] = typer.Option(None, help="the district of an officer, reviewer, expert or auditor (an officer: its own by default)"),
    department: Optional[str] = typer.Option(None),
    as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt,
) -> None:
    """Create a user with the scope its role needs (password hashed with argon2). The first
    administrator needs no --actor (only while there is none); every other user is created by
    an administrator or, inside its district, a district officer."""
    from huiqi.workflow import states
    from huiqi.workflow.enterprises import service as enterprises
    from huiqi.workflow.users import service as users

    pw = password or typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    with _session() as s:
        if actor is None and role == states.ADMIN:
            u = users.bootstrap_admin(session=s, username=username, password=pw, display_name=name)
        else:
            who = _actor(s, actor)
            ent_id = enterprises.get_by_uscc(session=s, uscc=enterprise, actor=who).id if enterprise else None
            u = users.create(session=s, username=username, password=pw, role=role, display_name=name, enterprise_id=ent_id, town=town, district=district, department=department, actor=who)
        scope = " ".join(x for x in (u.district, u.town) if x)
        _done(u, as_json, f"✓ 用户 {u.username}（{role}{'，' + scope if scope else ''}）id={u.id}")


@user_app.command("scope")
def user_scope(
    username: str,
    district: Optional[str] = typer.Option(None),
    town: Optional[str] = typer.Option(None),
    enterprise: Optional[str] = typer.Option(None, help="USCC"),
    as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt,
) -> None:
    """Set a user's scope (administrator): e.g. an officer left without a district, who sees nothing until then."""
    from huiqi.workflow.enterprises import service as enterprises
    from huiqi.workflow.users import service as users

    with _session() as s:
        who = _actor(s, actor)
        u = users.get_by_username(session=s, username=username, actor=who)
        ent_id = enterprises.get_by_uscc(session=s, uscc=enterprise, actor=who).id if enterprise else None
        u = users.set_scope(session=s, user_id=u.id, district=district, town=town, enterprise_id=ent_id, actor=who)
        _done(u, as_json, f"✓ {u.username}: {u.district or ''} {u.town or ''} {u.enterprise_id or ''}".rstrip())


@user_app.command("password")
def user_password(
    username: str,
    password: Optional[str] = typer.Option(None, envvar="HUIQI_NEW_PASSWORD", help="(or prompt)"),
    as_json: bool = JsonOpt,
    actor: Optional[str] = ActorOpt,
) -> None:
    """Set a user's password — one's own, or (the administrator) anyone's, e.g. a forgotten one.
    Every session of the user ends: its browsers and API tokens must log in again."""
    from huiqi.workflow.users import service as users
    from huiqi.workflow.users import sessions

    pw = password or typer.prompt("新密码 / new password", hide_input=True, confirmation_prompt=True)
    with _session() as s:
        who = _actor(s, actor)
        u = users.get_by_username(session=s, username=username, actor=who)
        live = sessions.live_count(session=s, user_id=u.id)
        users.set_password(session=s, user_id=u.id, password=pw, actor=who)
        line = f"✓ {u.username} 密码已修改，结束 {live} 个会话 / password changed, {live} session(s) ended"
        _done(u, as_json, line, sessions_ended=live)


@user_app.command("list")
def user_list(as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """List the users the actor may see, with roles and scopes."""
    from huiqi.workflow.users import service as users

    with _session() as s:
        rows = [{"id": u.id, "username": u.username, "role": u.role, "district": u.district, "enterprise_id": u.enterprise_id, "town": u.town, "active": u.active}
                for u in users.list_all(session=s, actor=_actor(s, actor))]
    _out(rows, as_json, "\n".join(f"{r['id']:>4} {r['username']:<20} {r['role']:<10} {r['district'] or ''} {r['town'] or ''}" for r in rows))


@user_app.command("tie")
def user_tie(expert: str, enterprise: str = typer.Argument(..., help="USCC"), reason: str = typer.Option(...), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Declare an expert's tie with an enterprise (回避): never assigned its applications; a score
    it gave before is void. The expert itself (default actor) or its district's officer."""
    from huiqi.workflow.enterprises import service as enterprises
    from huiqi.workflow.users import service as users

    with _session() as s:
        who = _actor(s, actor or expert)
        ex = users.get_by_username(session=s, username=expert, actor=who)
        ent = enterprises.get_by_uscc(session=s, uscc=enterprise, actor=who)
        tie = users.declare_tie(session=s, expert_id=ex.id, enterprise_id=ent.id, reason=reason, actor=who)
        _done(tie, as_json, f"✓ {expert} 回避 {ent.name}")


@enterprise_app.command("add")
def enterprise_add(uscc: str, name: str, district: Optional[str] = typer.Option(None, help="where it is registered (an officer: its own district)"), town: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Register an enterprise (USCC validated, unique): an officer in its district, the administrator anywhere."""
    from huiqi.workflow.enterprises import service as enterprises

    with _session() as s:
        e = enterprises.create(session=s, uscc=uscc, name=name, district=district, town=town, actor=_actor(s, actor))
        _done(e, as_json, f"✓ {e.name} {e.uscc} {e.district} id={e.id}")


@enterprise_app.command("list")
def enterprise_list(as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """List the enterprises the actor may see."""
    from huiqi.workflow.enterprises import service as enterprises

    with _session() as s:
        rows = [{"id": e.id, "uscc": e.uscc, "name": e.name, "district": e.district, "town": e.town} for e in enterprises.list_all(session=s, actor=_actor(s, actor))]
    _out(rows, as_json, "\n".join(f"{r['id']:>4} {r['uscc']} {r['name']} {r['district'] or ''} {r['town'] or ''}" for r in rows))


# ------------------------------------------------------------------ rounds


@round_app.command("create")
def round_create(
    code: str,
    name: str = typer.Option(...),
    programme: list[str] = typer.Option(..., "--programme", help="programme id (repeat)"),
    year: int = typer.Option(...),
    opens: str = typer.Option(..., help="YYYY-MM-DD"),
    closes: str = typer.Option(..., help="YYYY-MM-DD"),
    period_start: Optional[str] = typer.Option(None, help="限定期间 start"),
    period_end: Optional[str] = typer.Option(None, help="限定期间 end"),
    budget: Optional[str] = typer.Option(None, help="yuan / 元"),
    district: Optional[str] = typer.Option(None, help="(the programmes' document decides it; if given, it must match)"),
    notice_days: Optional[str] = typer.Option(None, "--notice-days", help="公示期限（工作日）set by the year's call, where the policy gives none"),
    notice_basis: Optional[str] = typer.Option(None, "--notice-basis", help="where the call says it (e.g. its document number)"),
    as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """Create a round for programmes of one district's document, with dates, qualifying period and budget."""
    from huiqi.workflow.rounds import service as rounds

    with _session() as s:
        r = rounds.create(session=s, code=code, name=name, programmes=programme, year=year, opens_on=opens, closes_on=closes, period_start=period_start, period_end=period_end, budget=budget, district=district, actor=_actor(s, actor), policies=_policies(policies), notice_working_days=notice_days, notice_basis=notice_basis)
        _done(r, as_json, f"✓ 批次 {r.code} {r.district} id={r.id}（未开放 / not yet open）")


@round_app.command("notice-days")
def round_notice_days(
    code: str = typer.Argument(..., help="round code / 批次编号"),
    days: Optional[str] = typer.Option(None, "--days", help="working days / 公示工作日数（omit to clear）"),
    basis: Optional[str] = typer.Option(None, "--basis", help="where the year's call says it / 依据（如年度申报通知文号）"),
    as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt,
) -> None:
    """Set the notice length (公示期限) the year's call gives, for programmes whose policy says only
    “向社会公示”; the notice names it as its source (audited)."""
    from huiqi.workflow.rounds import service as rounds

    with _options(notice_working_days="--days"), _session() as s:
        who = _actor(s, actor)
        r = rounds.set_notice_days(session=s, round_id=rounds.get_by_code(session=s, code=code, actor=who).id, days=days, basis=basis, actor=who)
        shown = "未设定 / not set" if r.notice_working_days is None else f"{r.notice_working_days} 个工作日 / working days"
        _done(r, as_json, f"✓ 批次 {r.code} 公示期限 notice length: {shown}{'（' + r.notice_basis + '）' if r.notice_basis else ''}")


@round_app.command("open")
def round_open(code: str, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Open a round."""
    from huiqi.workflow.rounds import service as rounds

    with _session() as s:
        who = _actor(s, actor)
        r = rounds.open_round(session=s, round_id=rounds.get_by_code(session=s, code=code, actor=who).id, actor=who)
        _done(r, as_json, f"✓ {r.code} 受理中 / open ({r.opens_on} – {r.closes_on})")


@round_app.command("close")
def round_close(code: str, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Close a round."""
    from huiqi.workflow.rounds import service as rounds

    with _session() as s:
        who = _actor(s, actor)
        r = rounds.close_round(session=s, round_id=rounds.get_by_code(session=s, code=code, actor=who).id, actor=who)
        _done(r, as_json, f"✓ {r.code} 已截止 / closed")


@round_app.command("budget")
def round_budget(
    code: str = typer.Argument(..., help="round code / 批次编号"),
    amount: Optional[str] = typer.Option(None, "--amount", help="the new budget in yuan / 新预算（元）"),
    no_limit: bool = typer.Option(False, "--no-limit", help="remove the budget: no limit / 取消预算限额"),
    reason: str = typer.Option(..., "--reason", help="written reason (required) / 调整理由（必填）"),
    as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt,
) -> None:
    """Change a round's budget with a written reason (audited); never below what is already paid."""
    from huiqi.workflow.common import money
    from huiqi.workflow.rounds import flows as round_flows
    from huiqi.workflow.rounds import service as rounds

    if (amount is None) == (not no_limit):
        raise InvalidInput("请用 --amount 给出新预算，或用 --no-limit 取消限额（二者择一）", "give the new budget with --amount, or --no-limit to remove it (one of the two)", field="--amount")
    # parsed here so that an empty --amount "" is an error, not "no limit"
    new = money(amount.strip(), field="--amount") if amount is not None else None
    with _options(budget="--amount", reason="--reason"), _session() as s:
        who = _actor(s, actor)
        r = rounds.get_by_code(session=s, code=code, actor=who)
        before = r.budget
        r = round_flows.set_budget(session=s, round_id=r.id, budget=new, actor=who, reason=reason)
        c = round_flows.commitments(session=s, round_id=r.id, actor=who)
        after = "不限 / no limit" if r.budget is None else f"{r.budget} 元"
        room = "" if r.budget is None else f"，尚余 room {max(r.budget - c['committed'], Decimal(0))}"
        _done(r, as_json, f"✓ 批次 {r.code} 预算 budget {'不限 / no limit' if before is None else f'{before} 元'} → {after}：已立项（含已拨付未收回）committed {c['committed']}，已拨付 paid {c['paid']}{room}", commitments=c)


@round_app.command("list")
def round_list(as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """List the rounds the actor may see."""
    from huiqi.workflow.rounds import service as rounds

    with _session() as s:
        rows = [{"id": r.id, "code": r.code, "name": r.name, "district": r.district, "year": r.year, "programmes": r.programmes, "state": r.state, "opens_on": r.opens_on, "closes_on": r.closes_on, "budget": r.budget}
                for r in rounds.list_all(session=s, actor=_actor(s, actor))]
    _out(rows, as_json, "\n".join(f"{r['id']:>4} {r['code']:<16} {r['state']:<7} {r['opens_on']} – {r['closes_on']} {','.join(r['programmes'])}" for r in rows))


# ------------------------------------------------------------------ applications


@application_app.command("create")
def application_create(
    round_code: str = typer.Option(..., "--round"),
    enterprise: str = typer.Option(..., help="USCC"),
    programme: str = typer.Option(...),
    profile: Path = typer.Option(..., help="profile YAML/JSON (as for `huiqi match`)"),
    claim: Optional[str] = typer.Option(None),
    amount: Optional[str] = typer.Option(None, help="requested yuan (default: the ceiling)"),
    project: Optional[str] = typer.Option(None, "--project", help="the project's identity (同一项目), checked against earlier awards"),
    as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt,
    policies: Optional[Path] = PoliciesOpt,
) -> None:
    """Start an application (draft)."""
    from huiqi.rules.profile import load_profile_data
    from huiqi.workflow.applications import service as applications
    from huiqi.workflow.enterprises import service as enterprises
    from huiqi.workflow.rounds import service as rounds

    data = load_profile_data(profile)  # not UTF-8, empty, malformed, nested too deep: exit 2 naming the file
    with _session() as s:
        who = _actor(s, actor)
        app = applications.create_draft(session=s, round_id=rounds.get_by_code(session=s, code=round_code, actor=who).id, enterprise_id=enterprises.get_by_uscc(session=s, uscc=enterprise, actor=who).id,
                                        programme_id=programme, profile=data, claim_id=claim, requested_amount=amount, actor=who, policies=_policies(policies), project=project)
        _done(app, as_json, f"✓ 申报 id={app.id}（草稿 / draft）")


@application_app.command("upload")
def application_upload(application_id: int, material: str, file: Path, stamped: bool = typer.Option(False, "--stamped", help="bears the company stamp / 已加盖公章"), form: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt, policies: Optional[Path] = PoliciesOpt) -> None:
    """Attach a file to a checklist item."""
    from huiqi.workflow.materials import service as materials

    try:
        content = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}", field="file") from None
    with _session() as s:
        f = materials.upload(session=s, application_id=application_id, material_id=material, filename=file.name, content=content, stamped=stamped, form=form, actor=_actor(s, actor), policies=_policies(policies))
        _done(f, as_json, f"✓ {f.name}: {f.sha256[:12]}… {f.size} B")


@application_app.command("materials")
def application_materials(application_id: int, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt, policies: Optional[Path] = PoliciesOpt) -> None:
    """The checklist and what is still missing."""
    from huiqi.workflow.materials import service as materials

    with _session() as s:
        who = _actor(s, actor)
        items = materials.checklist(session=s, application_id=application_id, actor=who, policies=_policies(policies))
        missing = {m["id"]: m for m in materials.missing(session=s, application_id=application_id, actor=who, policies=_policies(policies))}
    rows = [{**i, "missing": i["id"] in missing, "problem_zh": missing.get(i["id"], {}).get("problem_zh")} for i in items]
    _out(rows, as_json, "\n".join(f"{'✗' if r['missing'] else '✓'} {r['id']:<14} {r['name']} [{r['form']}{', 盖章' if r['stamped'] else ''}{'' if r['required'] else ', 选填'}] {r['problem_zh'] or ''}" for r in rows))


@application_app.command("submit")
def application_submit(application_id: int, on: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt, policies: Optional[Path] = PoliciesOpt) -> None:
    """Submit: evaluates and freezes the result; refuses with what is missing."""
    from huiqi.workflow.applications import service as applications

    with _session() as s:
        app = applications.submit(session=s, application_id=application_id, actor=_actor(s, actor), on=_day(on, "--on"), policies=_policies(policies))
        _done(app, as_json, f"✓ 申报 {app.id} 已提交 / submitted: 上限 ceiling {app.ceiling}，申请 requested {app.requested_amount}（policy {app.policy_version}）")


@application_app.command("withdraw")
def application_withdraw(application_id: int, reason: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Withdraw a draft or submitted application."""
    from huiqi.workflow.applications import service as applications

    with _session() as s:
        app = applications.withdraw(session=s, application_id=application_id, actor=_actor(s, actor), reason=reason)
        _done(app, as_json, "✓ 已撤回 / withdrawn")


@application_app.command("credit-override")
def application_credit_override(
    application_id: int,
    reason: str = typer.Option(..., "--reason", help="why support despite the records (required) / 同意支持的书面理由（必填）"),
    on: Optional[str] = typer.Option(None, "--on", help="date of the decision (default today) / 决定日期"),
    as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt,
) -> None:
    """Credit override (原则上不予支持): a district officer's written decision to support an applicant
    held for serious-dishonesty records; covers every record found now; audited."""
    from huiqi.workflow.credit import service as credit

    day = _day(on, "--on")
    with _options(reason="--reason"), _session() as s:
        o = credit.override(session=s, application_id=application_id, actor=_actor(s, actor), reason=reason, on=day)
        lines = [f"✓ 申报 {application_id} 已登记信用审查意见 / credit override {o.id} recorded ({o.decided_on})，覆盖 {len(o.records)} 条记录 / covers {len(o.records)} record(s):"]
        lines += [f"  {rec['date']} {rec['authority']}：{rec['description']}" for rec in o.records]
        _done(o, as_json, "\n".join(lines))


@application_app.command("show")
def application_show(application_id: int, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """An application: state, amounts, the frozen evaluation."""
    from huiqi.workflow.applications import service as applications

    with _session() as s:
        app = applications.get(session=s, application_id=application_id, actor=_actor(s, actor))
        data = {**applications.summary(app), "evaluation": app.evaluation}
        line = f"{app.id} {app.programme_id} {_state(app)} ceiling={app.ceiling} requested={app.requested_amount} approved={app.approved_amount}"
        if app.credit_hold:
            line += "  ⚠ 信用审查中 / held for a credit check (huiqi application credit-override)"
    _out(data, as_json, line)


@application_app.command("list")
def application_list(round_code: Optional[str] = typer.Option(None, "--round"), state: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """List the applications the actor may see."""
    from huiqi.workflow.applications import service as applications
    from huiqi.workflow.rounds import service as rounds

    with _session() as s:
        who = _actor(s, actor)
        rid = rounds.get_by_code(session=s, code=round_code, actor=who).id if round_code else None
        apps = applications.list_for(session=s, actor=who, round_id=rid, state=state)
        rows = [applications.summary(a) for a in apps]
        lines = [f"{a.id:>4} {a.programme_id:<10} {_state(a):<28} {a.requested_amount or ''}" for a in apps]
    _out(rows, as_json, "\n".join(lines))


# ------------------------------------------------------------------ reviews


@review_app.command("town")
def review_town(application_id: int, confirm: bool = typer.Option(..., "--confirm/--reject"), opinion: str = typer.Option(""), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Town/park confirmation."""
    from huiqi.workflow.reviews import service as reviews

    with _session() as s:
        app = reviews.town_confirm(session=s, application_id=application_id, actor=_actor(s, actor), confirmed=confirm, opinion=opinion)
        _done(app, as_json, f"✓ {app.id}: {_state(app)}")


@review_app.command("district")
def review_district(application_id: int, passed: bool = typer.Option(..., "--pass/--fail"), opinion: str = typer.Option(""), originals_checked: bool = typer.Option(False, "--originals-checked"), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """District formal check."""
    from huiqi.workflow.reviews import service as reviews

    with _session() as s:
        app = reviews.district_check(session=s, application_id=application_id, actor=_actor(s, actor), passed=passed, opinion=opinion, originals_checked=originals_checked)
        _done(app, as_json, f"✓ {app.id}: {_state(app)}")


@review_app.command("assign")
def review_assign(application_id: int, expert: list[str] = typer.Option(..., "--expert"), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Assign experts (tied experts are refused)."""
    from huiqi.workflow.reviews import service as reviews
    from huiqi.workflow.users import service as users

    with _session() as s:
        who = _actor(s, actor)
        ids = [users.get_by_username(session=s, username=e, actor=who).id for e in expert]
        made = reviews.assign_experts(session=s, application_id=application_id, expert_ids=ids, actor=who)
        _done(made, as_json, f"✓ {application_id}: {', '.join(expert)}")


@review_app.command("score")
def review_score(application_id: int, score: str, comment: str = typer.Option(""), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """An expert's score (0–100)."""
    from huiqi.workflow.reviews import service as reviews

    with _session() as s:
        a = reviews.score(session=s, application_id=application_id, actor=_actor(s, actor), score=score, comment=comment)
        _done(a, as_json, f"✓ {application_id}: {a.score}")


@review_app.command("consult")
def review_consult(application_id: int, department: str = typer.Option(...), opinion: str = typer.Option(...), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Record a department's opinion."""
    from huiqi.workflow.reviews import service as reviews

    with _session() as s:
        op = reviews.consult(session=s, application_id=application_id, actor=_actor(s, actor), department=department, opinion=opinion)
        _done(op, as_json, f"✓ {application_id}: {department}")


@review_app.command("shortlist")
def review_shortlist(round_code: str, min_score: Optional[str] = typer.Option(None), actor: Optional[str] = ActorOpt, as_json: bool = JsonOpt) -> None:
    """Rank the round by score and shortlist within its budget (择优)."""
    from huiqi.workflow.reviews import flows as review_flows
    from huiqi.workflow.rounds import service as rounds

    with _session() as s:
        who = _actor(s, actor)
        ranked = review_flows.shortlist(session=s, round_id=rounds.get_by_code(session=s, code=round_code, actor=who).id, actor=who, min_score=min_score)
        rows = [{"rank": a.rank, "id": a.id, "score": a.score, "state": a.state, "proposed_amount": a.proposed_amount} for a in ranked]
    _out(rows, as_json, "\n".join(f"{r['rank']:>3}. {r['id']:>4} {r['score']} {r['state']} {r['proposed_amount'] or ''}" for r in rows))


# ------------------------------------------------------------------ notices


@notice_app.command("publish")
def notice_publish(application_ids: list[int], on: str = typer.Option(..., help="publication date"), title: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Publish applications; prints the notice's last day (working days, 民法典第二百零一条)."""
    from huiqi.workflow.notices import service as notices

    with _session() as s:
        b = notices.publish(session=s, application_ids=application_ids, published_on=on, title=title, actor=_actor(s, actor))
        basis = (b.days_basis or {}).get("zh")
        _done(b, as_json, f"✓ 公示批次 batch {b.id}: {b.published_on} 发布，{b.working_days} 个工作日，至 {b.ends_on} / until {b.ends_on}" + (f"（{basis}）" if basis else ""))


@notice_app.command("object")
def notice_object(application_id: int, content: str = typer.Option(...), objector: str = typer.Option("匿名"), on: str = typer.Option(..., help="date received"), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Record an objection: the application is held."""
    from huiqi.workflow.notices import service as notices

    with _session() as s:
        o = notices.object_to(session=s, application_id=application_id, objector=objector, content=content, received_on=on, actor=_actor(s, actor))
        _done(o, as_json, f"✓ 异议 objection {o.id}")


@notice_app.command("resolve")
def notice_resolve(objection_id: int, upheld: bool = typer.Option(..., "--upheld/--dismissed"), finding: str = typer.Option(...), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Resolve an objection after investigation."""
    from huiqi.workflow.notices import service as notices

    with _session() as s:
        o = notices.resolve(session=s, objection_id=objection_id, upheld=upheld, finding=finding, actor=_actor(s, actor))
        _done(o, as_json, f"✓ 异议 {o.id}: {o.state}")


@notice_app.command("close")
def notice_close(batch_id: int, on: str = typer.Option(...), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Close a notice after its last day."""
    from huiqi.workflow.notices import service as notices

    with _session() as s:
        b = notices.close(session=s, batch_id=batch_id, on=on, actor=_actor(s, actor))
        _done(b, as_json, f"✓ 公示批次 {b.id} 已结束 / closed")


# ------------------------------------------------------------------ decisions and payments


@decision_app.command("approve")
def decision_approve(application_id: int, amount: str, reason: Optional[str] = typer.Option(None), on: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Approve at an amount (≤ the frozen ceiling, within annual caps)."""
    from huiqi.workflow.decisions import flows as decision_flows

    with _session() as s:
        d = decision_flows.approve(session=s, application_id=application_id, amount=amount, actor=_actor(s, actor), reason=reason, on=_day(on, "--on"))
        _done(d, as_json, f"✓ 立项 approved {application_id}: {d.amount}（上限 ceiling {d.ceiling}）")


@decision_app.command("decline")
def decision_decline(application_id: int, reason: str = typer.Option(...), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Decline, with a reason."""
    from huiqi.workflow.decisions import service as decisions

    with _session() as s:
        d = decisions.decline(session=s, application_id=application_id, actor=_actor(s, actor), reason=reason)
        _done(d, as_json, f"✓ 不予立项 declined {application_id}")


@payment_app.command("batch")
def payment_batch(on: str = typer.Option(..., help="payment date"), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Gather the instalments due by a date into a batch."""
    from huiqi.workflow.payments import service as payments

    with _session() as s:
        b = payments.create_batch(session=s, pay_on=on, actor=_actor(s, actor))
        _done(b, as_json, f"✓ 拨付批次 batch {b.id} {b.code}")


@payment_app.command("run")
def payment_run(batch_id: int, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Pay a batch (idempotent: re-running pays nothing twice)."""
    from huiqi.workflow.payments import flows as payment_flows

    with _session() as s:
        paid = payment_flows.run_batch(session=s, batch_id=batch_id, actor=_actor(s, actor))
        _done(paid, as_json, f"✓ 拨付 {len(paid)} 笔，共 {sum((p.amount for p in paid), Decimal('0.00'))} 元 / paid {len(paid)}")


@payment_app.command("ledger")
def payment_ledger(application_id: Optional[int] = typer.Option(None, "--application"), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """The ledger of disbursements the actor may see."""
    from huiqi.workflow.payments import service as payments

    with _session() as s:
        rows = [{"id": p.id, "application_id": p.application_id, "instalment_id": p.instalment_id, "amount": p.amount, "paid_on": p.paid_on, "reference": p.reference}
                for p in payments.ledger(session=s, actor=_actor(s, actor), application_id=application_id)]
    _out(rows, as_json, "\n".join(f"{r['paid_on']} {r['application_id']:>4} {r['amount']:>14} {r['reference']}" for r in rows))


@payment_app.command("recover")
def payment_recover(receivable_id: int, on: str = typer.Option(...), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Mark a claw-back receivable recovered."""
    from huiqi.workflow.payments import flows as payment_flows

    with _session() as s:
        r = payment_flows.record_recovery(session=s, receivable_id=receivable_id, actor=_actor(s, actor), on=on)
        _done(r, as_json, f"✓ 已收回 recovered {r.amount}")


# ------------------------------------------------------------------ after approval


@change_app.command("progress")
def change_progress(application_id: int, period: str = typer.Option(...), progress: str = typer.Option(...), funds_used: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Report progress and use of funds."""
    from huiqi.workflow.changes import service as changes

    with _session() as s:
        rep = changes.report_progress(session=s, application_id=application_id, period=period, progress=progress, funds_used=funds_used, actor=_actor(s, actor))
        _done(rep, as_json, "✓ 已报送 / reported")


@change_app.command("request")
def change_request(application_id: int, kind: str, description: str = typer.Option(...), before: Optional[str] = typer.Option(None), after: Optional[str] = typer.Option(None), structure_change: Optional[str] = typer.Option(None),
                   new_due: Optional[str] = typer.Option(None, "--new-due", help="延期: the completion date asked for (set once approved)"), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt, policies: Optional[Path] = PoliciesOpt) -> None:
    """Report a change; major ones (the document's thresholds) await written approval. An extension
    (``--new-due``) sets the award's completion date once approved."""
    from huiqi.workflow.changes import service as changes

    with _options(new_due="--new-due"), _session() as s:
        c = changes.request_change(session=s, application_id=application_id, kind=kind, description=description, before=before, after=after, structure_change=structure_change, actor=_actor(s, actor), policies=_policies(policies), new_due=new_due)
        _done(c, as_json, f"✓ 变更 change {c.id}: {'重大变更，待书面同意 / major, awaiting approval' if c.major else '未达重大变更标准，已备案 / below the thresholds, noted'} {c.details}")


@change_app.command("decide")
def change_decide(change_id: int, approve: bool = typer.Option(..., "--approve/--refuse"), reason: str = typer.Option(...), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Approve or refuse a major change in writing."""
    from huiqi.workflow.changes import service as changes

    with _session() as s:
        c = changes.decide_change(session=s, change_id=change_id, approve=approve, reason=reason, actor=_actor(s, actor))
        _done(c, as_json, f"✓ 变更 {c.id}: {c.state}")


@change_app.command("revoke")
def change_revoke(application_id: int, ground: str, reason: str = typer.Option(...), planned: Optional[str] = typer.Option(None), audited: Optional[str] = typer.Option(None), claw_back: bool = typer.Option(True, "--claw-back/--no-claw-back"), on: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt, policies: Optional[Path] = PoliciesOpt) -> None:
    """Revoke a project on one of the document's grounds; paid sums become a receivable."""
    from huiqi.workflow.changes import flows as change_flows

    with _session() as s:
        r = change_flows.revoke(session=s, application_id=application_id, ground=ground, reason=reason, planned_investment=planned, audited_investment=audited, claw_back=claw_back, on=_day(on, "--on"), actor=_actor(s, actor), policies=_policies(policies))
        _done(r, as_json, f"✓ 已撤销 revoked: 已拨付 paid {r.paid_total}（{'应收回 / to recover' if claw_back and r.paid_total else '不收回 / not recovered'}），取消 cancelled {r.cancelled_total}")


@change_app.command("completion")
def change_completion(application_id: int, due: Optional[str] = typer.Option(None, "--due", help="the approved completion date / 批准的完成期限"),
                      completed: Optional[str] = typer.Option(None, "--completed", help="the day the project was completed / 完成日期"),
                      as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Record an award's approved completion date (once; later dates are extensions: ``change request
    --new-due``) and/or its completion (audited)."""
    from huiqi.workflow.awards import service as awards

    with _options(due_on="--due", completed_on="--completed"), _session() as s:
        a = awards.set_completion(session=s, application_id=application_id, due_on=due, completed_on=completed, actor=_actor(s, actor))
        _done(a, as_json, f"✓ 申报 {a.application_id}: 完成期限 due {awards.due(a) or '—'}" + (f"（原定 {a.completion_due}，已延期 / extended）" if a.extended_due else "") + (f"，已完成 completed {a.completed_on}" if a.completed_on else ""))


@decision_app.command("awards")
def decision_awards(enterprise: Optional[str] = typer.Option(None, help="USCC"), programme: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """The awards ledger (已享受支持台账): what each enterprise was granted, across rounds and years."""
    from huiqi.workflow.awards import service as awards
    from huiqi.workflow.enterprises import service as enterprises

    with _session() as s:
        who = _actor(s, actor)
        ent_id = enterprises.get_by_uscc(session=s, uscc=enterprise, actor=who).id if enterprise else None
        rows = [awards.describe(a) for a in awards.list_for(session=s, actor=who, enterprise_id=ent_id, programme=programme)]
    _out(rows, as_json, "\n".join(f"{r['id']:>4} {r['state_zh']:<6} {r['zh']}" + (f" 项目 {r['project']}" if r["project"] else "") + (f" {r['key']}" if r["key"] else "") for r in rows) or "（无 / none）")


# ------------------------------------------------------------------ imports and exports


def _problems(exc: Exception) -> None:
    from huiqi.workflow.errors import ImportRejected

    if isinstance(exc, ImportRejected):
        for p in exc.problems:
            typer.echo(f"  第{p['row']}行 row {p['row']} [{p['column']}] {p['message_zh']} / {p['message_en']}", err=True)


@import_app.command("automatic")
def import_automatic(file: Path, programme: str = typer.Option(...), year: int = typer.Option(...), set_: list[str] = typer.Option([], "--set", help="fact=value for every row, e.g. enterprise.registered_district=金山区"), on: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt, policies: Optional[Path] = PoliciesOpt) -> None:
    """Import an officer's 免申即享 list (CSV/.xlsx): sums computed, proposed for confirmation."""
    from huiqi.workflow.imports import service as imports

    defaults = {}
    for kv in set_:
        k, sep, v = kv.partition("=")
        if not sep:
            raise InvalidInput(f"--set 应为 事实=值：{kv!r}", f"--set takes fact=value: {kv!r}", field="--set")
        defaults[k.strip()] = v.strip()
    try:
        with _session() as s:
            apps = imports.import_automatic(session=s, path=file, programme_id=programme, year=year, defaults=defaults, on=_day(on, "--on"), actor=_actor(s, actor), policies=_policies(policies))
            lines = [f"  {a.id:>4} {a.profile['enterprise']['name']} {a.ceiling}" for a in apps]
            _done(apps, as_json, "\n".join([*lines, f"✓ {len(apps)} 项待确认 / proposed; confirm with `huiqi import confirm ID`"]))
    except Exception as exc:
        _problems(exc)
        raise


@import_app.command("confirm")
def import_confirm(application_id: int, amount: Optional[str] = typer.Option(None), reason: Optional[str] = typer.Option(None), on: Optional[str] = typer.Option(None), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Confirm a proposed 免申即享 grant (approved at the computed sum)."""
    from huiqi.workflow.imports import service as imports

    with _session() as s:
        d = imports.confirm(session=s, application_id=application_id, amount=amount, reason=reason, on=_day(on, "--on"), actor=_actor(s, actor))
        _done(d, as_json, f"✓ 已确认 confirmed {application_id}: {d.amount}")


@import_app.command("credit")
def import_credit(file: Path, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """Import serious-dishonesty records (uscc, name, record_date, authority, description)."""
    from huiqi.workflow.imports import service as imports

    try:
        with _session() as s:
            run = imports.import_credit(session=s, path=file, actor=_actor(s, actor))
            lines = [f"✓ 导入 {run.rows} 条失信记录 / imported {run.rows} records"]
            lines += [f"  第{k['row']}行 row {k['row']}: 已有此记录，未重复导入 / already recorded (record {k['record']}), not stored twice"
                      for k in getattr(run, "skipped", [])]
            _done(run, as_json, "\n".join(lines), skipped=getattr(run, "skipped", []))
    except Exception as exc:
        _problems(exc)
        raise


@export_app.command("notice")
def export_notice(batch_id: int, out: Path, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """The notice list (公示名单) as .xlsx."""
    from huiqi.workflow.exports import service as exports

    with _session() as s:
        p = exports.notice_list(session=s, batch_id=batch_id, path=out, actor=_actor(s, actor))
    _done({"path": str(p), "batch_id": batch_id}, as_json, f"✓ {p}")


@export_app.command("payments")
def export_payments(batch_id: int, out: Path, as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """The payment list (拨付清单) as .xlsx."""
    from huiqi.workflow.exports import service as exports

    with _session() as s:
        p = exports.payment_list(session=s, batch_id=batch_id, path=out, actor=_actor(s, actor))
    _done({"path": str(p), "batch_id": batch_id}, as_json, f"✓ {p}")


# ------------------------------------------------------------------ audit


@audit_app.command("verify")
def audit_verify(
    checkpoint: list[Path] = typer.Option([], "--checkpoint", "-c", help="a checkpoint file to compare (repeatable) / 检查点文件"),
    as_json: bool = JsonOpt,
    actor: Optional[str] = ActorOpt,
) -> None:
    """Check the keyed chain, reconcile the money tables against it, compare checkpoints; name the
    first entry or row that disagrees (exit 1 if any)."""
    from huiqi.audit import checkpoint as cp
    from huiqi.workflow.audit_log import service as audit_log

    cps = [(str(path), cp.read(path)) for path in checkpoint]
    with _session() as s:
        r = audit_log.verify(session=s, actor=_actor(s, actor), checkpoints=cps)
    lines = [f"{'✓' if r.ok else '✗'} {r.message_zh} / {r.message_en}"]
    lines += [f"  {m['message_zh']} / {m['message_en']}" for m in r.mismatches[1:20] if "message_zh" in m]
    lines += [f"  ! {n['message_zh']} / {n['message_en']}" for n in r.notes]
    _out(r.to_dict(), as_json, "\n".join(lines))
    if not r.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="write the checkpoint here (default: print it)"),
    actor: Optional[str] = ActorOpt,
) -> None:
    """Sign a checkpoint of the chain's head and the money tables' totals, to keep outside the
    database and compare later (`huiqi audit verify --checkpoint FILE`). Refused if the log does
    not verify (exit 1)."""
    from huiqi.workflow.audit_log import service as audit_log

    with _session() as s:
        r, data = audit_log.checkpoint(session=s, actor=_actor(s, actor))
        if not r.ok:
            typer.echo(f"✗ {r.message_zh} / {r.message_en}", err=True)
            typer.echo("未签发检查点 / no checkpoint signed", err=True)
            raise typer.Exit(1)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"无法写入 {out}：{exc.strerror}", f"cannot write {out}: {exc.strerror}", field="--out") from None
    typer.echo(f"✓ 检查点 checkpoint: 第 {data['seq']} 条 / entry {data['seq']}，{data['head']} → {out}")
    typer.echo("  请将该文件保存在数据库服务器以外 / keep this file away from the database server")


@audit_app.command("log")
def audit_log(entity: Optional[str] = typer.Option(None), entity_id: Optional[str] = typer.Option(None, "--id"), limit: int = typer.Option(200), as_json: bool = JsonOpt, actor: Optional[str] = ActorOpt) -> None:
    """The audit entries the actor may read (its district's), oldest first."""
    from huiqi.workflow.audit_log import service as audit_log_service

    with _session() as s:
        rows = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "entity": e.entity, "entity_id": e.entity_id, "district": e.district, "reason": e.reason, "data": e.data}
                for e in audit_log_service.entries(session=s, actor=_actor(s, actor), entity=entity, entity_id=entity_id, limit=limit)]
    _out(rows, as_json, "\n".join(f"{r['seq']:>5} {str(r['at'])[:19]} {r['actor']:<12} {r['action']:<28} {r['entity']}:{r['entity_id']} {r['reason'] or ''}" for r in rows))


_ = os  # environment variables are read through typer's envvar options
