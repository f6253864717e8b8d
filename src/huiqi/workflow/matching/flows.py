"""Proactive matching (政策找企业): the engine run over enterprises' records, per programme.

When a round opens, when a record changes, when a policy version is published (the hooks below;
the dispatcher calls the first two from the audit log) or when an officer asks (``huiqi
match-register``), every registered enterprise of the district is evaluated from its record
(``records.service.profile_of``, with the credit fact from the district's imported records, as a
submission would have it) against the district's programmes. A result is kept when it is
``eligible`` (with its ceiling) or ``needs_info`` missing at most two facts ("near": what to ask,
and the most it could be); the rest is dropped. One row per (enterprise, programme, claim), replaced
by each run, so the officers' list is always the latest; each run is audited (``match.run``) with
the enterprises found, which is what the dispatcher turns into "a programme fits you" notices.

For the whole register at once, :func:`run_register` can use the population compiler
(``huiqi.simulate``) instead of the engine — the same semantics, one SQL pass (``engine="compiler"``).

A 免申即享 programme's eligible list becomes proposed grants with :func:`propose_grants`: the same
evaluation and grant creation as an officer's imported list (``imports.service.evaluate_grant`` and
``propose_grant``), without a file; an enterprise that already has a live grant of the programme
and year is skipped, so proposing twice proposes nothing twice. Confirmation and payment are the
existing ``imports.confirm`` and payment batches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet, ProfileError, evaluate, parse_profile
from huiqi.workflow import access
from huiqi.workflow.credit import service as credit
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.matching.models import MatchResult
from huiqi.workflow.matching.service import NEAR_MAX_MISSING
from huiqi.workflow.policy import default_policies, programme
from huiqi.workflow.records import service as records
from huiqi.workflow.users.models import User


def district_programmes(policies: PolicySet, district: str, programme_ids: Iterable[str] | None = None) -> list[str]:
    """The programmes of the district's documents (or those of ``programme_ids`` in them)."""
    wanted = set(programme_ids) if programme_ids else None
    out = []
    for d in policies.documents:
        if d.district != district:
            continue
        for p in d.programmes:
            if wanted is None or p.id in wanted:
                out.append(p.id)
    return out


def profile_for(session: Session, ent: Enterprise, facts: dict, *, district: str, on: dt.date, vocab: Any) -> dict:
    """The profile a match starts from: the record, and the credit fact from the district's records."""
    prof = records.profile_of(ent, facts)
    found = credit.records_in_window(session=session, uscc=ent.uscc, district=district, on=on)
    credit.set_fact(rule={"fact": credit.DEFAULT_FACT}, records=found, profile=prof, vocabulary=vocab)
    return prof


def classify(result: dict) -> str | None:
    """``eligible`` / ``near`` / None (not kept) for one result of the report JSON."""
    if result["status"] == "eligible" and result["ceiling"] is not None:
        return "eligible"
    if result["status"] == "needs_info" and 0 < len(result["missing"]) <= NEAR_MAX_MISSING:
        return "near"
    return None


def match_enterprises(
    session: Session,
    *,
    district: str,
    enterprises: list[Enterprise],
    programme_ids: list[str],
    policies: PolicySet,
    on: dt.date,
    trigger: str,
    by: str,
) -> dict[str, dict[str, list[int]]]:
    """Evaluate the enterprises' records against the programmes (of one district), replace their
    match rows, audit the run; returns programme → {"eligible": [ids], "near": [ids]}."""
    vocab = policies.vocabulary
    found: dict[str, dict[str, list[int]]] = {p: {"eligible": [], "near": []} for p in programme_ids}
    facts_of = records.current_many(session, [e.id for e in enterprises])
    skipped = []
    for ent in enterprises:
        prof = profile_for(session, ent, facts_of[ent.id], district=district, on=on, vocab=vocab)
        session.execute(
            delete(MatchResult).where(MatchResult.enterprise_id == ent.id, MatchResult.programme_id.in_(programme_ids))
        )
        try:
            parsed = parse_profile(prof, vocab)
        except ProfileError as exc:  # a record fact the vocabulary no longer accepts: say so, never guess
            skipped.append({"enterprise": ent.id, "problems": [p.field for p in exc.problems]})
            continue
        report = evaluate(policies, parsed, on=on, programmes=programme_ids)
        for res in report.to_dict()["results"]:
            status = classify(res)
            if status is None:
                continue
            session.add(
                MatchResult(
                    district=district,
                    enterprise_id=ent.id,
                    programme_id=res["programme"],
                    claim_key=res["claim"] or "",
                    status=status,
                    ceiling=Decimal(res["ceiling"]) if status == "eligible" else None,
                    possible_ceiling=Decimal(res["possible_ceiling"]) if res.get("possible_ceiling") else None,
                    missing=res["missing"],
                    result=res,
                    trigger=trigger,
                    policy_version=policies.version,
                    evaluated_on=on,
                )
            )
            ids = found[res["programme"]][status]
            if ent.id not in ids:
                ids.append(ent.id)
    session.flush()
    audit.record(
        session,
        actor=by,
        action="match.run",
        entity="match",
        entity_id=district,
        district=district,
        data={
            "trigger": trigger,
            "on": on,
            "policy_version": policies.version,
            "enterprises": len(enterprises),
            "found": found,
            "skipped": skipped,
        },
    )
    return found


def _registered(session: Session, district: str, ids: Iterable[int] | None = None) -> list[Enterprise]:
    q = select(Enterprise).where(Enterprise.district == district)
    if ids is not None:
        q = q.where(Enterprise.id.in_(list(ids)))
    return list(session.execute(q.order_by(Enterprise.id)).scalars())


# ------------------------------------------------------------------ hooks (the system acts)


def on_round_open(
    session: Session, *, round_id: int, on: dt.date | None = None, policies: PolicySet | None = None
) -> dict:
    """A round opened: match its district's registered enterprises against its programmes."""
    from huiqi.workflow.rounds.models import Round

    r = session.get(Round, round_id)
    if r is None or not r.district:
        return {}
    policies = policies or default_policies()
    progs = district_programmes(policies, r.district, r.programmes)
    if not progs:
        return {}
    return match_enterprises(
        session,
        district=r.district,
        enterprises=_registered(session, r.district),
        programme_ids=progs,
        policies=policies,
        on=on or dt.date.today(),
        trigger=f"round.open:{r.id}",
        by="system",
    )


def on_record_change(
    session: Session, *, enterprise_ids: Iterable[int], on: dt.date | None = None, policies: PolicySet | None = None
) -> dict:
    """Records changed: match those enterprises again against their district's programmes."""
    policies = policies or default_policies()
    out: dict = {}
    ents = list(session.execute(select(Enterprise).where(Enterprise.id.in_(list(enterprise_ids)))).scalars())
    for district in sorted({e.district for e in ents if e.district}):
        progs = district_programmes(policies, district)
        if progs:
            out[district] = match_enterprises(
                session,
                district=district,
                enterprises=[e for e in ents if e.district == district],
                programme_ids=progs,
                policies=policies,
                on=on or dt.date.today(),
                trigger="record",
                by="system",
            )
    return out


def on_policy_published(session: Session, *, policies: PolicySet, on: dt.date | None = None) -> dict:
    """A policy version was published: match every district that has documents in it again
    (the hook a policy-publishing step calls)."""
    out = {}
    for district in sorted({d.district for d in policies.documents if d.district}):
        out[district] = match_enterprises(
            session,
            district=district,
            enterprises=_registered(session, district),
            programme_ids=district_programmes(policies, district),
            policies=policies,
            on=on or dt.date.today(),
            trigger=f"policy:{policies.version}",
            by="system",
        )
    return out


# ------------------------------------------------------------------ an officer's run


def run_register(
    *,
    session: Session,
    actor: User,
    district: str | None = None,
    programme_ids: list[str] | None = None,
    on: dt.date | None = None,
    policies: PolicySet | None = None,
    engine: str = "engine",
) -> dict:
    """Match the district's whole register (an officer: its district; the administrator names one)
    against the district's programmes (or ``programme_ids``). ``engine``: ``engine`` (the rules
    engine, enterprise by enterprise) or ``compiler`` (the population compiler: checks that it finds
    the same enterprises, then keeps the engine's rows — the compiler gives statuses and ceilings,
    not the missing facts an officer needs)."""
    access.authorize(actor, "match.run")
    district = (district or "").strip() or (actor.district if actor.role != access.ADMIN else None)
    if not district:
        raise InvalidInput("请指定区", "name the district", field="district")
    access.require_district(actor, district, what=("匹配企业", "match enterprises"))
    policies = policies or default_policies()
    on = on or dt.date.today()
    progs = district_programmes(policies, district, programme_ids)
    if programme_ids:
        unknown = sorted(set(programme_ids) - set(progs))
        if unknown:
            raise InvalidInput(
                f"本区政策文件中没有项目：{'、'.join(unknown)}",
                f"no such programme in the district's documents: {', '.join(unknown)}",
                field="programmes",
            )
    if not progs:
        raise InvalidInput(
            f"{district}没有已加载的政策文件", f"no policy document of {district} is loaded", field="district"
        )
    if engine not in ("engine", "compiler"):
        raise InvalidInput(
            f"未知的计算方式：{engine}（engine 或 compiler）",
            f"unknown engine: {engine} (engine or compiler)",
            field="engine",
        )
    ents = _registered(session, district)
    found = match_enterprises(
        session,
        district=district,
        enterprises=ents,
        programme_ids=progs,
        policies=policies,
        on=on,
        trigger="register",
        by=actor.username,
    )
    if engine == "compiler":
        compiled = compiler_eligible(
            session, district=district, enterprises=ents, programme_ids=progs, policies=policies, on=on
        )
        mine = {p: sorted(v["eligible"]) for p, v in found.items()}
        if compiled != mine:
            raise InvalidInput(
                "总体编译器与规则引擎的结果不一致",
                "the population compiler and the engine disagree",
                field="engine",
                details={"compiler": compiled, "engine": mine},
            )
    return found


def compiler_eligible(
    session: Session,
    *,
    district: str,
    enterprises: list[Enterprise],
    programme_ids: list[str],
    policies: PolicySet,
    on: dt.date,
) -> dict[str, list[int]]:
    """The eligible enterprises per programme as the population compiler finds them over the
    register's resident table (one row per enterprise and claim, ``simulate.population``)."""
    import pyarrow as pa

    from huiqi.simulate import compile as C
    from huiqi.simulate import run as R
    from huiqi.simulate.population import arrow_schema

    vocab = policies.vocabulary
    facts_of = records.current_many(session, [e.id for e in enterprises])
    schema = arrow_schema(vocab)
    rows = []
    for ent in enterprises:
        prof = parse_profile(profile_for(session, ent, facts_of[ent.id], district=district, on=on, vocab=vocab), vocab)
        base = {C.ENTERPRISE_ID: ent.id}
        for name in vocab.facts_of("enterprise"):
            base[C.column_of(f"enterprise.{name}")] = prof.enterprise.get(name)
        claims = list(prof.claims) or [None]
        for seq, claim in enumerate(claims):
            row = dict(base) if seq == 0 else {C.ENTERPRISE_ID: ent.id}
            row[C.CLAIM_SEQ] = seq
            if claim is not None:
                row[C.CLAIM_KIND], row[C.CLAIM_ID] = claim.kind, claim.id
                for name in vocab.facts_of(claim.kind):
                    row[C.column_of(f"{claim.kind}.{name}")] = claim.facts.get(name)
            rows.append(row)
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    cp = C.prepare(policies, on, programme_ids)
    got = R.row_results(cp, R.duckdb_connection(threads=1), table)
    out: dict[str, set[int]] = {p: set() for p in programme_ids}
    for key, (status, _ceiling) in got.items():
        eid, pid = key[0], key[1]
        if status == "eligible" and pid in out:
            out[pid].add(eid)
    return {p: sorted(v) for p, v in out.items()}


# ------------------------------------------------------------------ 免申即享: eligible list → proposed grants


def propose_grants(
    *,
    session: Session,
    programme_id: str,
    year: int,
    actor: User,
    on: dt.date | None = None,
    policies: PolicySet | None = None,
) -> list:
    """Turn a 免申即享 programme's eligible enterprises into proposed grants, without a file: each is
    evaluated again from its record today (``imports.evaluate_grant``) and proposed
    (``imports.propose_grant``) in a run of kind ``match``; an enterprise with a live grant of the
    programme and year already is skipped (proposing again proposes nothing twice). The officer
    then confirms each (``huiqi import confirm``) and pays them in a batch."""
    from huiqi.workflow.imports import service as imports

    access.authorize(actor, "match.propose")
    policies = policies or default_policies()
    prog, doc = programme(policies, programme_id)
    if prog.mode != "automatic":
        raise InvalidInput(
            f"{programme_id} 不是免申即享项目", f"{programme_id} is not granted without application", field="programme"
        )
    access.require_district(actor, doc.district, what=("提出免申即享发放", "propose grants"), field="programme")
    on = on or dt.date.today()
    imports._serialise(session)
    rule = credit.rule(prog, doc)
    ents = _registered(session, doc.district)
    found = match_enterprises(
        session,
        district=doc.district,
        enterprises=ents,
        programme_ids=[programme_id],
        policies=policies,
        on=on,
        trigger="propose",
        by=actor.username,
    )
    eligible = set(found[programme_id]["eligible"])
    facts_of = records.current_many(session, sorted(eligible))
    prepared, skipped = [], []
    for n, ent in enumerate([e for e in ents if e.id in eligible], start=1):
        if imports._already_granted(session, n=n, uscc=ent.uscc, programme_id=programme_id, year=int(year)):
            skipped.append({"enterprise": ent.id, "why": "already granted"})
            continue
        prof = profile_for(session, ent, facts_of[ent.id], district=doc.district, on=on, vocab=policies.vocabulary)
        problem, ready = imports.evaluate_grant(
            session,
            n=n,
            code=ent.uscc,
            name=ent.name,
            profile=prof,
            prog=prog,
            doc=doc,
            programme_id=programme_id,
            policies=policies,
            on=on,
            year=int(year),
            credit_rule=rule,
        )
        if problem:
            skipped.append({"enterprise": ent.id, "why": problem[0]["message_en"]})
        else:
            prepared.append(ready)
    if not prepared:
        audit.record(
            session,
            actor=actor.username,
            action="match.propose",
            entity="match",
            entity_id=programme_id,
            district=doc.district,
            data={"programme": programme_id, "year": year, "applications": [], "skipped": skipped},
        )
        return []
    listing = json.dumps([[r[1], r[5]["ceiling"]] for r in prepared], ensure_ascii=False).encode()
    run = imports._run(
        session,
        kind="match",
        path=_MatchPath(f"matching {programme_id} {year} {on.isoformat()}"),
        data=listing + str(dt.datetime.now(dt.timezone.utc)).encode(),
        rows=len(prepared),
        actor=actor,
        programme_id=programme_id,
    )
    apps = [
        imports.propose_grant(
            session,
            ready=r,
            prog=prog,
            doc=doc,
            programme_id=programme_id,
            policies=policies,
            on=on,
            year=int(year),
            run=run,
            actor=actor,
            credit_rule=rule,
        )
        for r in prepared
    ]
    audit.record(
        session,
        actor=actor.username,
        action="match.propose",
        entity="import",
        entity_id=run.id,
        district=doc.district,
        data={
            "programme": programme_id,
            "year": year,
            "list_sha256": hashlib.sha256(listing).hexdigest(),
            "rows": len(apps),
            "total": sum((a.ceiling for a in apps), Decimal(0)),
            "applications": [a.id for a in apps],
            "skipped": skipped,
        },
    )
    return apps


class _MatchPath:
    """What ``imports._run`` reads of a file: its name (a matching run has no file)."""

    def __init__(self, name: str) -> None:
        self.name = name
