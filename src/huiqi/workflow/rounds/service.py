"""Rounds (申报批次): a call opens for programmes, with dates, qualifying period and budget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import states
from huiqi.workflow.common import get_or_404, money, parse_day
from huiqi.workflow.errors import IllegalTransition, InvalidInput
from huiqi.workflow.machine import fire
from huiqi.workflow.policy import default_policies, programme
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User
from huiqi.workflow.users.service import require_role


def create(*, session: Session, code: str, name: str, programmes: list[str], year: int, opens_on: dt.date | str, closes_on: dt.date | str, actor: User, period_start: dt.date | str | None = None, period_end: dt.date | str | None = None, budget: Decimal | str | None = None, district: str | None = None, policies: PolicySet | None = None) -> Round:
    """Create a round (not yet open) for one or more programmes of the loaded policies."""
    require_role(actor, states.OFFICER)
    policies = policies or default_policies()
    if not programmes:
        raise InvalidInput("至少选择一个项目", "name at least one programme", field="programmes")
    for pid in programmes:
        p, _d = programme(policies, pid)
        if p.mode == "automatic":
            raise InvalidInput(f"{pid} 为免申即享项目，不开放申报（请用 huiqi import automatic）", f"{pid} is granted without application: no round (use `huiqi import automatic`)", field="programmes")
    opens, closes = parse_day(opens_on, field="opens_on"), parse_day(closes_on, field="closes_on")
    if closes < opens:
        raise InvalidInput("截止日早于开始日", "the round closes before it opens", field="closes_on")
    ps = parse_day(period_start, field="period_start") if period_start is not None else None
    pe = parse_day(period_end, field="period_end") if period_end is not None else None
    if ps and pe and pe < ps:
        raise InvalidInput("限定期间的截止日早于起始日", "the qualifying period ends before it starts", field="period_end")
    b = money(budget, field="budget") if budget is not None else None
    if session.execute(select(Round.id).where(Round.code == code)).first():
        raise InvalidInput(f"批次编号已存在：{code}", f"round code already used: {code}", field="code")
    r = Round(code=code, name=name, programmes=list(programmes), year=int(year), opens_on=opens, closes_on=closes, period_start=ps, period_end=pe, budget=b, district=district, state="draft")
    session.add(r)
    session.flush()
    audit.record(session, actor=actor.username, action="round.create", entity="round", entity_id=r.id, data={"code": code, "programmes": programmes, "year": year, "opens_on": opens, "closes_on": closes, "period_start": ps, "period_end": pe, "budget": b})
    return r


def open_round(*, session: Session, round_id: int, actor: User) -> Round:
    """Open the round for applications."""
    r = get_or_404(session, Round, round_id, zh="申报批次", en="round")
    fire(session, machine=states.ROUND, obj=r, name="open", actor=actor)
    return r


def close_round(*, session: Session, round_id: int, actor: User) -> Round:
    """Close the round: no more submissions."""
    r = get_or_404(session, Round, round_id, zh="申报批次", en="round")
    fire(session, machine=states.ROUND, obj=r, name="close", actor=actor)
    return r


def set_budget(*, session: Session, round_id: int, budget: Decimal | str | None, actor: User, reason: str) -> Round:
    """Change a round's budget (e.g. a budget cut), with a written reason; audited. A budget below
    what has already been paid is refused. Approvals and payments are checked against the new
    figure from now on (sums already approved stay approved)."""
    from huiqi.workflow.decisions.service import lock_round, round_commitments

    require_role(actor, states.OFFICER)
    get_or_404(session, Round, round_id, zh="申报批次", en="round", field="round")
    r = lock_round(session, round_id)
    if not (reason or "").strip():
        raise InvalidInput("调整预算须写明理由", "a written reason is required to change the budget", field="reason")
    b = money(budget, field="budget") if budget not in (None, "") else None
    c = round_commitments(session=session, round_id=r.id)
    if b is not None and b < c["paid"]:
        raise InvalidInput(f"批次 {r.code} 已拨付 {c['paid']} 元，预算不能低于此数（{b} 元）", f"round {r.code} has already paid {c['paid']}: the budget cannot be set below it ({b})", field="budget")
    before = r.budget
    r.budget = b
    session.flush()
    audit.record(session, actor=actor.username, action="round.budget", entity="round", entity_id=r.id, reason=reason.strip(), data={"code": r.code, "before": before, "after": b, "committed": c["committed"], "paid": c["paid"]})
    return r


def check_accepting(r: Round, on: dt.date) -> None:
    """Raise unless the round is open and ``on`` lies within its dates."""
    if r.state != "open":
        st = states.ROUND.state(r.state)
        raise IllegalTransition(f"申报批次 {r.code} {st.zh}，不受理申报", f"round {r.code} is {st.en}: not accepting applications", field="round")
    if not (r.opens_on <= on <= r.closes_on):
        raise IllegalTransition(f"申报时间为 {r.opens_on} 至 {r.closes_on}，{on} 不在其内", f"the round accepts applications {r.opens_on} – {r.closes_on}, not on {on}", field="round")


def get_by_code(*, session: Session, code: str) -> Round:
    """The round with this code."""
    from huiqi.workflow.errors import NotFound

    r = session.execute(select(Round).where(Round.code == code)).scalar_one_or_none()
    if r is None:
        raise NotFound(f"申报批次不存在：{code}", f"no such round: {code}", field="round")
    return r


def list_all(*, session: Session) -> list[Round]:
    """Every round, newest first."""
    return list(session.execute(select(Round).order_by(Round.year.desc(), Round.code)).scalars())
