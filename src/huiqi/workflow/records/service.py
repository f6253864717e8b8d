"""Enterprise records (企业档案): the facts known about a registered enterprise, versioned.

A fact is a profile field path — ``enterprise.<fact>`` for the enterprise, ``claims.<id>.kind`` and
``claims.<id>.<fact>`` for one of its claims (a drug, a GCP certification, …) — checked and typed
against the policies' vocabulary. Every change adds a row with its source and date; the latest row
of a fact wins, and a value equal to the current one adds nothing (so importing a list again, or
absorbing the same application twice, changes nothing). The enterprise register itself decides the
USCC, the name, the registered district and the town/park (``RECORD_FACTS``): the record never
holds them.

Sources (``models.SOURCES``): a submitted application's profile (absorbed by the dispatcher,
``notifications.flows``), an officer's import of a named list (高新技术企业名单, 专精特新名单, tax
and revenue bands, GCP certifications …: :func:`import_facts`), the enterprise's self-check
(:func:`save_selfcheck`), and corrections — by the enterprise itself, marked ``self_declared``, or
by an officer (:func:`correct`). Every write is audited (``record.*``), with before and after.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.rules.facts import FactValueError, Vocabulary
from huiqi.workflow import access
from huiqi.workflow.common import parse_day, plain
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import ImportRejected, InvalidInput
from huiqi.workflow.imports.models import ImportRun
from huiqi.workflow.policy import default_policies
from huiqi.workflow.records.models import SOURCES, EnterpriseFact
from huiqi.workflow.users.models import User

# decided by the enterprise register (its row), never by a record fact
REGISTER_FACTS = ("enterprise.uscc", "enterprise.name", "enterprise.registered_district", "enterprise.town")
IMPORT_BASE = ("uscc", "name")
IMPORT_OPTIONAL = ("as_of", "claim_id")


# ------------------------------------------------------------------ checking a fact


def check_fact(vocab: Vocabulary, path: str, raw: Any, *, kinds: dict[str, str] | None = None) -> tuple[str, Any]:
    """``(path, JSON-able typed value)`` for one fact, or InvalidInput naming it. ``kinds``: the
    claim kinds already known for claim ids (a claim's facts need its kind)."""
    path = (path or "").strip()
    if path in REGISTER_FACTS:
        raise InvalidInput(
            f"{path} 以企业登记信息为准，不能在档案中填写",
            f"{path} comes from the enterprise register, not the record",
            field=path,
        )
    parts = path.split(".")
    if len(parts) == 2 and parts[0] == "enterprise":
        name = path
    elif len(parts) == 3 and parts[0] == "claims" and parts[1]:
        if parts[2] == "kind":
            if raw not in vocab.claim_kinds():
                raise InvalidInput(
                    f"未知的申报主体类型 {raw!r}；可选：{'、'.join(sorted(vocab.claim_kinds()))}",
                    f"unknown claim kind {raw!r}; known: {', '.join(sorted(vocab.claim_kinds()))}",
                    field=path,
                )
            return path, raw
        kind = (kinds or {}).get(parts[1])
        if not kind:
            raise InvalidInput(
                f"申报主体 {parts[1]} 尚无类型：先填写 claims.{parts[1]}.kind",
                f"claim {parts[1]} has no kind yet: set claims.{parts[1]}.kind first",
                field=path,
            )
        name = f"{kind}.{parts[2]}"
    else:
        raise InvalidInput(
            f"不是档案事实的路径（应为 enterprise.<事实> 或 claims.<编号>.<事实>）：{path!r}",
            f"not a record fact path (enterprise.<fact> or claims.<id>.<fact>): {path!r}",
            field=path or "fact",
        )
    fdef = vocab.fact(name)
    if fdef is None:
        raise InvalidInput(f"政策中没有此事实：{name}", f"no such fact in the policies' vocabulary: {name}", field=path)
    if raw in (None, ""):
        return path, None  # withdrawn: unknown again
    try:
        return path, plain(fdef.coerce(raw, field=path))
    except FactValueError as exc:
        p = exc.problem
        raise InvalidInput(p.message_zh, p.message_en, field=path) from None
    except Exception as exc:  # noqa: BLE001 - a money parser's own error
        zh, en = getattr(exc, "message_zh", str(exc)), getattr(exc, "message_en", str(exc))
        raise InvalidInput(zh, en, field=path) from None


def label(vocab: Vocabulary, path: str, kinds: dict[str, str]) -> tuple[str, str, str | None]:
    """A fact path in words (zh, en, unit)."""
    parts = path.split(".")
    if parts[0] == "claims" and len(parts) == 3:
        kind = kinds.get(parts[1], "")
        sub = vocab.subjects.get(kind)
        if parts[2] == "kind":
            return f"{parts[1]} 的类型", f"kind of {parts[1]}", None
        f = vocab.fact(f"{kind}.{parts[2]}")
        prefix_zh, prefix_en = f"{sub.zh if sub else kind} {parts[1]}：", f"{sub.en if sub else kind} {parts[1]}: "
        return prefix_zh + (f.zh if f else parts[2]), prefix_en + (f.en if f else parts[2]), f.unit if f else None
    f = vocab.fact(path)
    return (f.zh, f.en, f.unit) if f else (path, path, None)


# ------------------------------------------------------------------ reading


def current(session: Session, enterprise_id: int) -> dict[str, EnterpriseFact]:
    """The latest row of every fact of an enterprise (no access check: callers have one)."""
    latest = (
        select(func.max(EnterpriseFact.id))
        .where(EnterpriseFact.enterprise_id == enterprise_id)
        .group_by(EnterpriseFact.fact)
    )
    rows = session.execute(select(EnterpriseFact).where(EnterpriseFact.id.in_(latest))).scalars()
    return {r.fact: r for r in rows}


def current_many(session: Session, enterprise_ids: list[int]) -> dict[int, dict[str, EnterpriseFact]]:
    """:func:`current` for many enterprises in one query."""
    out: dict[int, dict[str, EnterpriseFact]] = {e: {} for e in enterprise_ids}
    if not enterprise_ids:
        return out
    latest = (
        select(func.max(EnterpriseFact.id))
        .where(EnterpriseFact.enterprise_id.in_(enterprise_ids))
        .group_by(EnterpriseFact.enterprise_id, EnterpriseFact.fact)
    )
    for r in session.execute(select(EnterpriseFact).where(EnterpriseFact.id.in_(latest))).scalars():
        out[r.enterprise_id][r.fact] = r
    return out


def claim_kinds(facts: dict[str, Any]) -> dict[str, str]:
    """Claim id → kind, from the ``claims.<id>.kind`` facts (rows or values)."""
    out = {}
    for path, row in facts.items():
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "claims" and parts[2] == "kind":
            value = row.value.get("v") if isinstance(row, EnterpriseFact) else row
            if value:
                out[parts[1]] = value
    return out


def profile_of(ent: Enterprise, facts: dict[str, EnterpriseFact]) -> dict:
    """The engine profile a record gives: the register's identity and district, then every known
    fact (a withdrawn fact is left out: unknown)."""
    e: dict[str, Any] = {"uscc": ent.uscc, "name": ent.name}
    if ent.district:
        e["registered_district"] = ent.district
    if ent.town:
        e["town"] = ent.town
    claims: dict[str, dict] = {}
    for path, row in sorted(facts.items()):
        value = row.value.get("v")
        if value is None:
            continue
        parts = path.split(".")
        if parts[0] == "enterprise":
            e[parts[1]] = value
        elif parts[0] == "claims" and len(parts) == 3:
            claims.setdefault(parts[1], {"id": parts[1]})[parts[2]] = value
    prof: dict[str, Any] = {"enterprise": e}
    good = [c for c in claims.values() if c.get("kind")]
    if good:
        prof["claims"] = good
    return prof


def row_view(vocab: Vocabulary, row: EnterpriseFact, kinds: dict[str, str]) -> dict:
    zh, en, unit = label(vocab, row.fact, kinds)
    szh, sen = SOURCES.get(row.source, (row.source, row.source))
    return {
        "id": row.id,
        "fact": row.fact,
        "label_zh": zh,
        "label_en": en,
        "unit": unit,
        "value": row.value.get("v"),
        "source": row.source,
        "source_zh": szh,
        "source_en": sen,
        "source_ref": row.source_ref,
        "as_of": row.as_of.isoformat(),
        "recorded_at": plain(row.created_at),
        "self_declared": row.source == "self_declared",
    }


def record(*, session: Session, enterprise_id: int, actor: User, policies: PolicySet | None = None) -> dict:
    """An enterprise's record as its reader sees it: the enterprise, every current fact (with
    source and date, in words) and the profile a match starts from."""
    ent = access.get(session, actor, Enterprise, enterprise_id, field="enterprise")
    access.authorize(actor, "record.read")
    vocab = (policies or default_policies()).vocabulary
    facts = current(session, ent.id)
    kinds = claim_kinds(facts)
    return {
        "enterprise": {"id": ent.id, "uscc": ent.uscc, "name": ent.name, "district": ent.district, "town": ent.town},
        "facts": [row_view(vocab, r, kinds) for _p, r in sorted(facts.items())],
        "profile": profile_of(ent, facts),
    }


def history(
    *, session: Session, enterprise_id: int, actor: User, fact: str | None = None, policies: PolicySet | None = None
) -> list[dict]:
    """Every version of the record's facts (or of one), newest first."""
    ent = access.get(session, actor, Enterprise, enterprise_id, field="enterprise")
    access.authorize(actor, "record.read")
    vocab = (policies or default_policies()).vocabulary
    q = select(EnterpriseFact).where(EnterpriseFact.enterprise_id == ent.id, access.visible(actor, EnterpriseFact))
    if fact:
        q = q.where(EnterpriseFact.fact == fact)
    rows = list(session.execute(q.order_by(EnterpriseFact.id.desc())).scalars())
    kinds = claim_kinds(current(session, ent.id))
    return [row_view(vocab, r, kinds) for r in rows]


# ------------------------------------------------------------------ writing


def put(
    session: Session,
    *,
    ent: Enterprise,
    values: dict[str, Any],
    source: str,
    as_of: dt.date,
    source_ref: str | None = None,
    actor: User | None = None,
    import_id: int | None = None,
    known: dict[str, EnterpriseFact] | None = None,
) -> list[EnterpriseFact]:
    """Write checked values (path → JSON-able value) as new versions where they differ from the
    current ones; returns the rows added (no audit: the caller writes one entry for the change)."""
    if source not in SOURCES:
        raise InvalidInput(f"未知的来源：{source}", f"unknown source: {source}", field="source")
    known = current(session, ent.id) if known is None else known
    added = []
    for path, value in values.items():
        was = known.get(path)
        if was is not None and was.value.get("v") == value:
            continue
        if was is None and value is None:
            continue
        row = EnterpriseFact(
            enterprise_id=ent.id,
            district=ent.district,
            fact=path,
            value={"v": value},
            source=source,
            source_ref=source_ref,
            as_of=as_of,
            import_id=import_id,
            actor_id=actor.id if actor is not None else None,
        )
        session.add(row)
        known[path] = row
        added.append(row)
    session.flush()
    return added


def _checked_values(vocab: Vocabulary, facts: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    kinds = claim_kinds(known)
    kinds.update(
        {p.split(".")[1]: v for p, v in facts.items() if p.startswith("claims.") and p.endswith(".kind") and v}
    )
    out = {}
    for path, raw in facts.items():
        p, v = check_fact(vocab, path, raw, kinds=kinds)
        out[p] = v
    return out


def correct(
    *,
    session: Session,
    enterprise_id: int,
    facts: dict[str, Any],
    actor: User,
    note: str | None = None,
    on: dt.date | str | None = None,
    policies: PolicySet | None = None,
) -> list[EnterpriseFact]:
    """Correct facts of a record: by the enterprise itself (marked ``self_declared``) or by an
    officer of its district (``officer``). Audited with before and after; an empty value withdraws
    a fact (unknown again)."""
    ent = access.get(session, actor, Enterprise, enterprise_id, field="enterprise")
    access.authorize(actor, "record.correct")
    if actor.role == access.OFFICER:
        access.require_district(
            actor, ent.district, what=("更正企业档案", "correct enterprise records"), field="enterprise"
        )
    if not facts:
        raise InvalidInput("没有要更正的事实", "no facts to correct", field="facts")
    vocab = (policies or default_policies()).vocabulary
    known = current(session, ent.id)
    values = _checked_values(vocab, facts, known)
    before = {p: (known[p].value.get("v") if p in known else None) for p in values}
    day = parse_day(on, field="on") if on not in (None, "") else dt.date.today()
    source = "self_declared" if actor.role == access.ENTERPRISE else "officer"
    rows = put(
        session,
        ent=ent,
        values=values,
        source=source,
        as_of=day,
        source_ref=(note or "").strip() or None,
        actor=actor,
        known=known,
    )
    if rows:
        audit.record(
            session,
            actor=actor.username,
            action="record.correct",
            entity="enterprise",
            entity_id=ent.id,
            district=ent.district,
            reason=(note or "").strip() or None,
            data={
                "source": source,
                "facts": {r.fact: {"before": before.get(r.fact), "after": r.value.get("v")} for r in rows},
            },
        )
    return rows


def save_selfcheck(
    *, session: Session, actor: User, profile: dict, policies: PolicySet | None = None
) -> list[EnterpriseFact]:
    """An enterprise user keeps the facts of its self-check in its record (source ``selfcheck``).
    Facts the register decides, and unknown ones, are left out; claims keep their ids."""
    access.authorize(actor, "record.correct")
    if actor.role != access.ENTERPRISE:
        raise InvalidInput(
            "只有企业用户可以保存自测结果", "only an enterprise user saves its self-check", field="actor"
        )
    ent = access.get(session, actor, Enterprise, actor.enterprise_id, field="enterprise")
    vocab = (policies or default_policies()).vocabulary
    facts = flatten(profile)
    known = current(session, ent.id)
    values = _checked_values(vocab, facts, known)
    rows = put(session, ent=ent, values=values, source="selfcheck", as_of=dt.date.today(), actor=actor, known=known)
    if rows:
        audit.record(
            session,
            actor=actor.username,
            action="record.selfcheck",
            entity="enterprise",
            entity_id=ent.id,
            district=ent.district,
            data={"facts": {r.fact: r.value.get("v") for r in rows}},
        )
    return rows


def flatten(profile: dict) -> dict[str, Any]:
    """A profile as record fact paths (the register's facts, and empty values, left out)."""
    out: dict[str, Any] = {}
    for k, v in ((profile or {}).get("enterprise") or {}).items():
        path = f"enterprise.{k}"
        if path not in REGISTER_FACTS and v not in (None, ""):
            out[path] = v
    for i, c in enumerate((profile or {}).get("claims") or []):
        if not isinstance(c, dict) or not c.get("kind"):
            continue
        cid = str(c.get("id") or f"{c['kind']}-{i + 1}")
        out[f"claims.{cid}.kind"] = c["kind"]
        for k, v in c.items():
            if k not in ("id", "kind", "label") and v not in (None, ""):
                out[f"claims.{cid}.{k}"] = v
    return out


def absorb_application(
    session: Session, *, application_id: int, policies: PolicySet | None = None
) -> list[EnterpriseFact]:
    """Keep the facts of a submitted application's profile in its enterprise's record (source
    ``application``; the system acts, after the submission). Facts that do not check against the
    vocabulary any more are skipped, never guessed."""
    from huiqi.workflow.applications.models import Application

    app = session.get(Application, application_id)
    if app is None:
        return []
    ent = session.get(Enterprise, app.enterprise_id)
    vocab = (policies or default_policies()).vocabulary
    known = current(session, ent.id)
    facts = flatten(app.profile or {})
    kinds = claim_kinds(known)
    kinds.update({p.split(".")[1]: v for p, v in facts.items() if p.endswith(".kind")})
    values = {}
    for path, raw in facts.items():
        try:
            p, v = check_fact(vocab, path, raw, kinds=kinds)
        except InvalidInput:
            continue
        if v is not None:
            values[p] = v
    day = app.submitted_at.date() if app.submitted_at else dt.date.today()
    rows = put(
        session,
        ent=ent,
        values=values,
        source="application",
        as_of=day,
        source_ref=f"application {app.id}",
        known=known,
    )
    if rows:
        audit.record(
            session,
            actor="system",
            action="record.absorb",
            entity="enterprise",
            entity_id=ent.id,
            district=ent.district,
            data={"application": app.id, "facts": {r.fact: r.value.get("v") for r in rows}},
        )
    return rows


# ------------------------------------------------------------------ officers' lists


def import_facts(
    *,
    session: Session,
    path: str | Path,
    list_name: str,
    actor: User,
    content: bytes | None = None,
    on: dt.date | str | None = None,
    policies: PolicySet | None = None,
) -> ImportRun:
    """Import a list the district holds (e.g. 高新技术企业名单, 专精特新名单, tax and revenue bands,
    GCP certifications) into its enterprises' records, as CSV or .xlsx.

    Columns: ``uscc``, ``name``, then facts: ``enterprise.<fact>`` or ``<claim kind>.<fact>`` (the
    claim's id from a ``claim_id`` column, else ``<kind>-1``), and optionally ``as_of`` (the date
    the list states the facts; default ``on``). Every row is checked first (USCC, each value against
    the vocabulary, a USCC twice, an enterprise registered in another district): any bad row refuses
    the whole file, every problem listed. The same file again is refused (``AlreadyImported``); a
    value already in the record is not written again (the run lists those rows as ``unchanged``).
    An enterprise not yet registered is registered in the officer's district.
    """
    from huiqi.workflow.enterprises import service as enterprises
    from huiqi.workflow.imports import service as imports

    access.authorize(actor, "import.facts")
    list_name = (list_name or "").strip()
    if not list_name:
        raise InvalidInput(
            "请填写名单名称（如：2026 年高新技术企业名单）",
            "name the list (e.g. 2026 high-tech enterprise list)",
            field="list_name",
        )
    vocab = (policies or default_policies()).vocabulary
    default_day = parse_day(on, field="on") if on not in (None, "") else dt.date.today()
    path = Path(path)
    data = content if content is not None else imports._read_bytes(path)
    header, rows = imports.read_table(path, content=data)
    imports._serialise(session)
    imports.refuse_same_file(session, kind="facts", data=data, path=path, district=actor.district)
    kinds_all = set(vocab.claim_kinds())
    allowed = set(IMPORT_BASE) | set(IMPORT_OPTIONAL)
    allowed |= {f"enterprise.{k}" for k in vocab.facts_of("enterprise")} - set(REGISTER_FACTS)
    allowed |= {f"{kind}.{k}" for kind in kinds_all for k in vocab.facts_of(kind)}
    problems = imports._check_columns(header, IMPORT_BASE, allowed)
    fact_cols = [c for c in header if c not in IMPORT_BASE and c not in IMPORT_OPTIONAL]
    if not fact_cols and not problems:
        problems.append(
            imports._problem(
                1,
                "",
                "名单没有事实列（如 enterprise.hnte_recognition）",
                "the list has no fact column (e.g. enterprise.hnte_recognition)",
            )
        )
    if problems:
        raise ImportRejected(problems)
    prepared = []
    seen: dict[str, int] = {}
    for n, r in rows:
        code = imports._uscc(n, r["uscc"], problems)
        if not r.get("name"):
            problems.append(imports._problem(n, "name", "企业名称不能为空", "the name must not be empty"))
        if code:
            if code in seen:
                problems.append(
                    imports._problem(n, "uscc", f"与第 {seen[code]} 行重复", f"duplicates row {seen[code]}")
                )
                continue
            seen[code] = n
            known_ent = session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
            if known_ent is not None and known_ent.district != actor.district:
                problems.append(
                    imports._problem(
                        n,
                        "uscc",
                        f"该企业注册在{known_ent.district or '（未登记区）'}，不属本区档案",
                        f"this enterprise is registered in {known_ent.district or '(no district)'}, not in your district's register",
                    )
                )
                continue
        day = default_day
        if r.get("as_of"):
            try:
                day = dt.date.fromisoformat(r["as_of"])
            except ValueError:
                problems.append(
                    imports._problem(
                        n,
                        "as_of",
                        f"不是有效日期（YYYY-MM-DD）：{r['as_of']!r}",
                        f"not a date (YYYY-MM-DD): {r['as_of']!r}",
                    )
                )
        values: dict[str, Any] = {}
        for col in fact_cols:
            raw = r.get(col, "")
            if raw == "":
                continue
            subject = col.split(".", 1)[0]
            if subject == "enterprise":
                fpath = col
                kinds: dict[str, str] = {}
            else:
                cid = r.get("claim_id") or f"{subject}-1"
                fpath = f"claims.{cid}.{col.split('.', 1)[1]}"
                kinds = {cid: subject}
                values[f"claims.{cid}.kind"] = subject
            try:
                p, v = check_fact(vocab, fpath, imports._typed(raw) if subject == "enterprise" else raw, kinds=kinds)
            except InvalidInput as exc:
                problems.append(imports._problem(n, col, exc.message_zh, exc.message_en))
                continue
            values[p] = v
        if code:
            prepared.append((n, code, r.get("name", ""), day, values))
    if not rows:
        problems.append(imports._problem(2, "", "没有数据行", "no data rows"))
    if problems:
        raise ImportRejected(problems)
    run = imports._run(session, kind="facts", path=path, data=data, rows=len(prepared), actor=actor)
    changed, unchanged = [], []
    for n, code, name, day, values in prepared:
        ent = enterprises.get_or_register(
            session=session, uscc=code, name=name, district=actor.district, town=None, actor=actor
        )
        added = put(
            session,
            ent=ent,
            values=values,
            source="import",
            as_of=day,
            source_ref=list_name,
            actor=actor,
            import_id=run.id,
        )
        (changed if added else unchanged).append(
            {"row": n, "uscc": code, "enterprise": ent.id, "facts": [a.fact for a in added]}
        )
    run.skipped = [{"row": u["row"], "uscc": u["uscc"], "record": u["enterprise"]} for u in unchanged]
    run.changed = changed
    audit.record(
        session,
        actor=actor.username,
        action="record.import",
        entity="import",
        entity_id=run.id,
        district=run.district,
        data={
            "file": path.name,
            "sha256": run.sha256,
            "list": list_name,
            "rows": len(prepared),
            "changed": [c["enterprise"] for c in changed],
            "unchanged": [u["row"] for u in unchanged],
        },
    )
    return run
