"""Rounds (申报批次): a call opens for programmes, with dates, qualifying period and budget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.workflow import access, states
from huiqi.workflow.common import money, parse_day
from huiqi.workflow.errors import IllegalTransition, InvalidInput, NotFound
from huiqi.workflow.machine import fire
from huiqi.workflow.policy import default_policies, programme
from huiqi.workflow.rounds.models import Round
from huiqi.workflow.users.models import User


def district_of(policies: PolicySet, programmes: list[str]) -> str:
    """The district of the programmes' policy document — one district for all of them (a round and
    every record of it belong to that district)."""
    districts = {}
    for pid in programmes:
        _p, d = programme(policies, pid)
        districts.setdefault(d.district, []).append(pid)
    if len(districts) != 1:
        parts = "；".join(f"{k}：{'、'.join(v)}" for k, v in districts.items())
        raise InvalidInput(f"一个申报批次的项目须出自同一区的政策文件（{parts}）", f"a round's programmes must come from one district's policy documents ({parts})", field="programmes")
    return next(iter(districts))


def create(*, session: Session, code: str, name: str, programmes: list[str], year: int, opens_on: dt.date | str, closes_on: dt.date | str, actor: User, period_start: dt.date | str | None = None, period_end: dt.date | str | None = None, budget: Decimal | str | None = None, district: str | None = None, policies: PolicySet | None = None, notice_working_days: int | str | None = None, notice_basis: str | None = None) -> Round:
    """Create a round (not yet open) for one or more programmes of the loaded policies. Its district
    is the programmes' document's (``district``, if given, must be that one): an officer creates
    rounds of its own district only."""
    access.authorize(actor, "round.create")
    policies = policies or default_policies()
    if not programmes:
        raise InvalidInput("至少选择一个项目", "name at least one programme", field="programmes")
    for pid in programmes:
        p, _d = programme(policies, pid)
        if p.mode == "automatic":
            raise InvalidInput(f"{pid} 为免申即享项目，不开放申报（请用 huiqi import automatic）", f"{pid} is granted without application: no round (use `huiqi import automatic`)", field="programmes")
    own = district_of(policies, list(programmes))
    if district and district.strip() and district.strip() != own:
        raise InvalidInput(f"批次的区由项目的政策文件决定（{own}），不能填写为 {district}", f"a round's district is its programmes' document's ({own}), not {district}", field="district")
    access.require_district(actor, own, what=("创建申报批次", "create rounds"), field="programmes")
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
    nd = notice_days_value(notice_working_days)
    nb = (notice_basis or "").strip()[:300] or None
    r = Round(code=code, name=name, programmes=list(programmes), year=int(year), opens_on=opens, closes_on=closes, period_start=ps, period_end=pe, budget=b, district=own, state="draft", notice_working_days=nd, notice_basis=nb)
    session.add(r)
    session.flush()
    audit.record(session, actor=actor.username, action="round.create", entity="round", entity_id=r.id, district=own, data={"code": code, "district": own, "programmes": programmes, "year": year, "opens_on": opens, "closes_on": closes, "period_start": ps, "period_end": pe, "budget": b, "notice_working_days": nd, "notice_basis": nb})
    return r


MAX_NOTICE_DAYS = 60  # a sanity bound on a notice length in working days (the texts give 5 or 10)


def notice_days_value(value: int | str | None) -> int | None:
    """A notice length in working days: a whole number 1 … 60, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise InvalidInput(f"公示天数应为正整数（工作日）：{value!r}", f"the notice length must be a whole number of working days: {value!r}", field="notice_working_days")
    n = int(value)
    if not 1 <= n <= MAX_NOTICE_DAYS:
        raise InvalidInput(f"公示天数应在 1 至 {MAX_NOTICE_DAYS} 个工作日之间：{n}", f"the notice length must be 1 to {MAX_NOTICE_DAYS} working days: {n}", field="notice_working_days")
    return n


def set_notice_days(*, session: Session, round_id: int, days: int | str | None, actor: User, basis: str | None = None) -> Round:
    """Set the notice length (公示期限, working days) the yearly call gives for the round's
    programmes whose policy says only “向社会公示” (e.g. 金科〔2025〕25号 专题一 5.申报流程（3）, line
    1235: “拟定入围名单并向社会公示”), and where the call says it (``basis``: its document number);
    audited. A policy's own length always prevails; notices already published keep theirs."""
    r = get(session=session, round_id=round_id, actor=actor, lock=True)
    access.authorize(actor, "round.notice_days")
    before = (r.notice_working_days, r.notice_basis)
    r.notice_working_days = notice_days_value(days)
    r.notice_basis = (basis or "").strip()[:300] or None
    session.flush()
    audit.record(session, actor=actor.username, action="round.notice_days", entity="round", entity_id=r.id, district=r.district,
                 data={"code": r.code, "before": {"days": before[0], "basis": before[1]}, "after": {"days": r.notice_working_days, "basis": r.notice_basis}})
    return r


def get(*, session: Session, round_id: int, actor: User, lock: bool = False) -> Round:
    """The round if the actor may see it, else NotFound."""
    return access.get(session, actor, Round, round_id, field="round", lock=lock)


def open_round(*, session: Session, round_id: int, actor: User) -> Round:
    """Open the round for applications."""
    r = get(session=session, round_id=round_id, actor=actor)
    fire(session, machine=states.ROUND, obj=r, name="open", actor=actor)
    return r


def close_round(*, session: Session, round_id: int, actor: User) -> Round:
    """Close the round: no more submissions."""
    r = get(session=session, round_id=round_id, actor=actor)
    fire(session, machine=states.ROUND, obj=r, name="close", actor=actor)
    return r


def check_accepting(r: Round, on: dt.date) -> None:
    """Raise unless the round is open and ``on`` lies within its dates."""
    if r.state != "open":
        st = states.ROUND.state(r.state)
        raise IllegalTransition(f"申报批次 {r.code} {st.zh}，不受理申报", f"round {r.code} is {st.en}: not accepting applications", field="round")
    if not (r.opens_on <= on <= r.closes_on):
        raise IllegalTransition(f"申报时间为 {r.opens_on} 至 {r.closes_on}，{on} 不在其内", f"the round accepts applications {r.opens_on} – {r.closes_on}, not on {on}", field="round")


def get_by_code(*, session: Session, code: str, actor: User) -> Round:
    """The round with this code if the actor may see it, else NotFound."""
    r = session.execute(select(Round).where(Round.code == code, access.visible(actor, Round))).scalar_one_or_none()
    if r is None:
        raise NotFound(f"申报批次不存在或无权查看：{code}", f"no such round, or you may not see it: {code}", field="round")
    return r


def list_all(*, session: Session, actor: User, state: str | None = None) -> list[Round]:
    """The rounds the actor may see (its district's; an enterprise user every published call),
    newest first; ``state``: only those."""
    q = select(Round).where(access.visible(actor, Round)).order_by(Round.year.desc(), Round.code)
    if state:
        q = q.where(Round.state == state)
    return list(session.execute(q).scalars())
