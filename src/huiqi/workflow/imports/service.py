"""Imports: an officer's list for 免申即享 grants, and serious-dishonesty (credit) records.

Files are CSV (UTF-8, with or without BOM) or .xlsx, first row = column names. Every row is
checked before anything is written: wrong or missing columns, a bad USCC, a bad date or
amount, duplicate rows — all are reported together (row number, column, bilingual message)
in an :class:`~huiqi.workflow.errors.ImportRejected`, and nothing is imported.

An import belongs to the importing officer's district: credit records are consulted only by that
district's applications, and a 免申即享 list only for a programme of that district's document.

Idempotency (issue 14: the same 免申即享 list imported three times gave 9,000 proposed grants from
3,000 rows):

* **the same file** (its SHA-256) is imported once: again → :class:`~huiqi.workflow.errors.AlreadyImported`
  naming the earlier import (which, when, by whom); nothing is written;
* **a 免申即享 row already imported** — an enterprise (by USCC) that already has a grant of the same
  programme and year that is still live (proposed, approved or revoked; a declined one may be
  proposed again) — is a bad row: the whole file is refused, every such row listed with the earlier
  grant and its import. Refused rather than skipped, so a corrected amount in a list sent again
  is never dropped silently: the officer removes the rows already done (or declines the old
  proposal) and imports the rest. A list has one row per enterprise (a second row for the same
  USCC is refused), so the enterprise's claim under the programme and year is the "claim subject";
* **a credit record already imported** (same USCC, date, authority — the table's unique key) is
  skipped and listed (``run.skipped``): the same record twice is one record, and a credit
  authority's cumulative list can be imported again for its new records.

Imports are serialised (PostgreSQL: a transaction-scoped advisory lock; SQLite: ``BEGIN IMMEDIATE``
already), so two officers importing at once cannot both pass these checks.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet, ProfileError, evaluate, parse_profile
from huiqi.uscc import USCCError, validate_uscc
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.credit.models import CreditRecord
from huiqi.workflow.enterprises import service as enterprises
from huiqi.workflow.enterprises.models import Enterprise
from huiqi.workflow.errors import AlreadyImported, ImportRejected, InvalidInput
from huiqi.workflow.imports.models import ImportRun
from huiqi.workflow.policy import default_policies, programme
from huiqi.workflow.users.models import User

CREDIT_COLUMNS = ("uscc", "name", "record_date", "authority", "description")
AUTOMATIC_BASE = ("uscc", "name")


def read_table(path: str | Path, *, content: bytes | None = None) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Column names and (row number, values) of a CSV or .xlsx file; row numbers as a user sees them."""
    path = Path(path)
    data = content if content is not None else _read_bytes(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001
            raise InvalidInput(f"无法读取 Excel 文件：{exc}", f"cannot read the .xlsx file: {exc}", field="file") from None
        rows = list(wb.active.iter_rows(values_only=True))
        cells = [[_cell(v) for v in r] for r in rows]
    elif suffix == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("CSV 文件须为 UTF-8 编码", "the CSV file must be UTF-8", field="file") from None
        cells = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
    else:
        raise InvalidInput(f"只接受 .csv 或 .xlsx 文件：{path.name}", f"only .csv or .xlsx files: {path.name}", field="file")
    if not cells:
        raise InvalidInput("文件为空", "the file is empty", field="file")
    header = [h.strip() for h in cells[0]]
    out = []
    for i, r in enumerate(cells[1:], start=2):
        if not any(c for c in r):
            continue
        out.append((i, {h: (r[j] if j < len(r) else "") for j, h in enumerate(header) if h}))
    return [h for h in header if h], out


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}", field="file") from None


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _problem(row: int, column: str, zh: str, en: str) -> dict:
    return {"row": row, "column": column, "message_zh": zh, "message_en": en}


def _check_columns(header: list[str], required: tuple[str, ...], allowed: set[str] | None) -> list[dict]:
    problems = []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(_problem(1, ",".join(missing), f"缺少列：{'、'.join(missing)}（应有：{'、'.join(required)}）", f"missing column(s): {', '.join(missing)} (expected: {', '.join(required)})"))
    if allowed is not None:
        extra = [c for c in header if c not in allowed]
        if extra:
            problems.append(_problem(1, ",".join(extra), f"未知的列：{'、'.join(extra)}", f"unknown column(s): {', '.join(extra)}"))
    dups = sorted({c for c in header if header.count(c) > 1})
    if dups:
        problems.append(_problem(1, ",".join(dups), f"列名重复：{'、'.join(dups)}", f"duplicate column(s): {', '.join(dups)}"))
    return problems


def _uscc(row: int, value: str, problems: list[dict]) -> str | None:
    try:
        return validate_uscc(value, field="uscc")
    except USCCError as exc:
        problems.append(_problem(row, "uscc", f"{exc.message_zh}：{value!r}", f"{exc.message_en}: {value!r}"))
        return None


IMPORT_LOCK = 0x68756971_0001  # pg_advisory_xact_lock key: one import at a time ("huiq" · 1)
NOT_LIVE = ("rejected", "withdrawn", "not_selected")  # a grant in these states may be proposed again


def _serialise(session: Session) -> None:
    """One import at a time (PostgreSQL; SQLite's writers are serialised by ``BEGIN IMMEDIATE``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})


def _who_when(session: Session, run: ImportRun) -> tuple[str, str]:
    user = session.get(User, run.actor_id)
    when = run.created_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if run.created_at.tzinfo else run.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return (user.username if user else str(run.actor_id)), when


def refuse_same_file(session: Session, *, kind: str, data: bytes, path: Path, district: str | None) -> None:
    """Raise :class:`AlreadyImported` if this very file (SHA-256) was imported before in the district
    (another district may import the same list: its imports are its own)."""
    digest = hashlib.sha256(data).hexdigest()
    q = select(ImportRun).where(ImportRun.kind == kind, ImportRun.sha256 == digest, ImportRun.district == district)
    earlier = session.execute(q.order_by(ImportRun.id).limit(1)).scalar_one_or_none()
    if earlier is None:
        return
    who, when = _who_when(session, earlier)
    raise AlreadyImported(
        f"该文件已于 {when} 由 {who} 导入（导入批次 {earlier.id}，文件 {earlier.filename}，{earlier.rows} 行），不再重复导入：{path.name}",
        f"this file was already imported on {when} by {who} (import {earlier.id}, file {earlier.filename}, {earlier.rows} rows); it is not imported again: {path.name}",
        field="file", details={"import": earlier.id, "filename": earlier.filename, "sha256": digest, "at": when, "by": who, "rows": earlier.rows},
    )


def _already_granted(session: Session, *, n: int, uscc: str, programme_id: str, year: int) -> dict | None:
    """A problem for row ``n`` if its enterprise already has a live grant of the programme and year."""
    from huiqi.workflow.enterprises.models import Enterprise

    q = (
        select(Application, ImportRun)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(ImportRun, ImportRun.id == Application.import_id)
        .where(Enterprise.uscc == uscc, Application.programme_id == programme_id, Application.year == year, Application.state.not_in(NOT_LIVE))
        .order_by(Application.id).limit(1)
    )
    found = session.execute(q).first()
    if found is None:
        return None
    app, run = found
    st = states.APPLICATION.state(app.state)
    if run is not None:
        who, when = _who_when(session, run)
        src_zh, src_en = f"导入批次 {run.id}，{when} 由 {who} 导入", f"import {run.id} on {when} by {who}"
    else:
        src_zh, src_en = "非导入", "not imported"
    return _problem(
        n, "uscc",
        f"该企业 {year} 年度本项目已有发放：申报 {app.id}（{st.zh}，{app.ceiling} 元；{src_zh}），不再重复导入",
        f"this enterprise already has a {year} grant of this programme: application {app.id} ({st.en}, {app.ceiling}; {src_en}); not imported again",
    )


def _run(session: Session, *, kind: str, path: Path, data: bytes, rows: int, actor: User, programme_id: str | None = None) -> ImportRun:
    run = ImportRun(kind=kind, district=actor.district, filename=path.name, sha256=hashlib.sha256(data).hexdigest(), rows=rows, programme_id=programme_id, actor_id=actor.id)
    session.add(run)
    session.flush()
    return run


def import_credit(*, session: Session, path: str | Path, actor: User, content: bytes | None = None) -> ImportRun:
    """Import serious-dishonesty records (columns: uscc, name, record_date, authority, description)
    into the officer's district: only that district's applications consult them."""
    access.authorize(actor, "import.credit")
    path = Path(path)
    data = content if content is not None else _read_bytes(path)
    header, rows = read_table(path, content=data)
    _serialise(session)
    refuse_same_file(session, kind="credit", data=data, path=path, district=actor.district)
    problems = _check_columns(header, CREDIT_COLUMNS, set(CREDIT_COLUMNS))
    if problems:
        raise ImportRejected(problems)
    seen: dict[tuple, int] = {}
    records, skipped = [], []
    for n, r in rows:
        code = _uscc(n, r["uscc"], problems)
        try:
            day = dt.date.fromisoformat(r["record_date"])
        except ValueError:
            problems.append(_problem(n, "record_date", f"不是有效日期（YYYY-MM-DD）：{r['record_date']!r}", f"not a date (YYYY-MM-DD): {r['record_date']!r}"))
            day = None
        for col in ("authority", "description"):
            if not r[col]:
                problems.append(_problem(n, col, "不能为空", "must not be empty"))
        if code and day:
            key = (code, day, r["authority"])
            if key in seen:
                problems.append(_problem(n, "uscc", f"与第 {seen[key]} 行重复", f"duplicates row {seen[key]}"))
            else:
                seen[key] = n
                known = session.execute(select(CreditRecord.id).where(CreditRecord.district == actor.district, CreditRecord.uscc == code, CreditRecord.record_date == day, CreditRecord.authority == r["authority"])).scalar()
                if known is not None:  # the same record twice is one record
                    skipped.append({"row": n, "uscc": code, "record_date": day.isoformat(), "authority": r["authority"], "record": known})
                    continue
            records.append((code, r, day))
    if not rows:
        problems.append(_problem(2, "", "没有数据行", "no data rows"))
    if problems:
        raise ImportRejected(problems)
    run = _run(session, kind="credit", path=path, data=data, rows=len(records), actor=actor)
    for code, r, day in records:
        session.add(CreditRecord(district=actor.district, uscc=code, name=r["name"] or None, record_date=day, authority=r["authority"], description=r["description"], import_id=run.id))
    session.flush()
    run.skipped = skipped  # rows whose record was already imported (not stored twice)
    audit.record(session, actor=actor.username, action="import.credit", entity="import", entity_id=run.id, district=run.district, data={"file": path.name, "sha256": run.sha256, "rows": len(records), "skipped": [s["row"] for s in skipped]})
    from huiqi.workflow.credit import service as credit

    credit.flag_after_import(session=session, usccs={code for code, _r, _d in records}, district=actor.district, actor=actor)
    return run


def import_automatic(*, session: Session, path: str | Path, programme_id: str, year: int, actor: User, on: dt.date | None = None, defaults: dict[str, str] | None = None, policies: PolicySet | None = None, content: bytes | None = None) -> list[Application]:
    """Import an officer's list for a 免申即享 programme: the engine computes each sum, frozen as a
    proposed grant that an officer then confirms (``confirm``).

    Columns: ``uscc``, ``name``, and facts — ``enterprise.<fact>`` or the claim's own facts
    (``municipal_grant``…); ``defaults`` fills facts common to every row.
    """
    access.authorize(actor, "import.automatic")
    policies = policies or default_policies()
    prog, doc = programme(policies, programme_id)
    if prog.mode != "automatic":
        raise InvalidInput(f"{programme_id} 不是免申即享项目", f"{programme_id} is not granted without application", field="programme")
    access.require_district(actor, doc.district, what=("导入免申即享名单", "import grant lists"), field="programme")
    on = on or dt.date.today()
    path = Path(path)
    data = content if content is not None else _read_bytes(path)
    header, rows = read_table(path, content=data)
    _serialise(session)
    refuse_same_file(session, kind="automatic", data=data, path=path, district=actor.district)
    vocab = policies.vocabulary
    ent_facts = {f"enterprise.{k}" for k in vocab.facts_of("enterprise")}
    claim_facts = set(vocab.facts_of(prog.subject)) if prog.subject != "enterprise" else set()
    allowed = set(AUTOMATIC_BASE) | ent_facts | claim_facts | {f"{prog.subject}.{k}" for k in claim_facts}
    problems = _check_columns(header, AUTOMATIC_BASE, allowed)
    if problems:
        raise ImportRejected(problems)
    from huiqi.workflow.credit import service as credit

    credit_rule = credit.rule(prog, doc)
    prepared = []
    seen: dict[str, int] = {}
    for n, r in rows:
        code = _uscc(n, r["uscc"], problems)
        if not r["name"]:
            problems.append(_problem(n, "name", "企业名称不能为空", "the name must not be empty"))
        if code:
            if code in seen:
                problems.append(_problem(n, "uscc", f"与第 {seen[code]} 行重复", f"duplicates row {seen[code]}"))
                continue
            seen[code] = n
            granted = _already_granted(session, n=n, uscc=code, programme_id=programme_id, year=int(year))
            if granted:
                problems.append(granted)
                continue
        ent: dict[str, Any] = {}
        claim: dict[str, Any] = {}
        for key, value in {**(defaults or {}), **{k: v for k, v in r.items() if k not in AUTOMATIC_BASE and v != ""}}.items():
            if key.startswith("enterprise."):
                ent[key.split(".", 1)[1]] = _typed(value)
            else:
                claim[key.split(".", 1)[1] if key.startswith(prog.subject + ".") else key] = _typed(value)
        known = session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none() if code else None
        if known is not None:  # the enterprise record decides its district and town/park
            from huiqi.workflow.applications.service import RECORD_FACTS

            for fact, (column, zh, en) in RECORD_FACTS.items():
                recorded, claimed = getattr(known, column), ent.get(fact)
                if claimed not in (None, "") and str(claimed) != (recorded or ""):
                    problems.append(_problem(n, f"enterprise.{fact}", f"{zh}“{claimed}”与企业登记信息（{recorded or '未登记'}）不符", f"{en} {claimed!r} contradicts the enterprise record ({recorded or 'not recorded'})"))
                elif recorded:
                    ent[fact] = recorded
        profile = {"enterprise": {"uscc": code or "", "name": r["name"], **ent}}
        if prog.subject != "enterprise":
            profile["claims"] = [{"id": f"row-{n}", "kind": prog.subject, **claim}]
        if not code:
            continue
        problem, ready = evaluate_grant(session, n=n, code=code, name=r["name"], profile=profile, prog=prog, doc=doc, programme_id=programme_id, policies=policies, on=on, year=int(year), credit_rule=credit_rule)
        if problem:
            problems.extend(problem)
        else:
            prepared.append(ready)
    if not rows:
        problems.append(_problem(2, "", "没有数据行", "no data rows"))
    if problems:
        raise ImportRejected(problems)
    run = _run(session, kind="automatic", path=path, data=data, rows=len(prepared), actor=actor, programme_id=programme_id)
    apps = [propose_grant(session, ready=ready, prog=prog, doc=doc, programme_id=programme_id, policies=policies, on=on, year=int(year), run=run, actor=actor, credit_rule=credit_rule) for ready in prepared]
    audit.record(session, actor=actor.username, action="import.automatic", entity="import", entity_id=run.id, district=run.district, data={"file": path.name, "sha256": run.sha256, "programme": programme_id, "rows": len(apps), "total": sum((a.ceiling for a in apps), Decimal(0)), "applications": [a.id for a in apps]})
    return apps


def evaluate_grant(session: Session, *, n: int, code: str, name: str, profile: dict, prog: Any, doc: Any, programme_id: str, policies: PolicySet, on: dt.date, year: int, credit_rule: dict) -> tuple[list[dict], tuple | None]:
    """One 免申即享 candidate (row ``n``): the credit check, the profile, the engine's result.
    Returns (problems, None) or ([], the prepared grant for :func:`propose_grant`). Shared by the
    officer's list (:func:`import_automatic`) and proactive matching (``matching.flows``)."""
    from huiqi.workflow.applications.service import cap_year_of, explain_block
    from huiqi.workflow.credit import service as credit

    vocab = policies.vocabulary
    records = credit.records_in_window(session=session, uscc=code, district=doc.district, on=on, years=credit_rule["lookback_years"])
    if records and credit_rule["mode"] == credit.HARD:
        czh, cen = credit.describe(records)
        return [_problem(n, "uscc", f"过去三年内有严重失信记录，不予支持：{czh}", f"serious-dishonesty record(s) in the last three years, not supported: {cen}")], None
    credit.set_fact(rule=credit_rule, records=records, profile=profile, vocabulary=vocab)
    try:
        parsed = parse_profile(profile, vocab)
    except ProfileError as exc:
        return [_problem(n, p.field.split(".")[-1], p.message_zh, p.message_en) for p in exc.problems], None
    report = evaluate(policies, parsed, on=on, programmes=[programme_id])
    result = report.to_dict()["results"][0]
    if result["status"] != "eligible" or result["ceiling"] is None:
        zh, en = explain_block(result)
        return [_problem(n, "", f"不符合发放条件：{zh}", f"not eligible: {en}")], None
    return [], (n, code, name, profile, parsed, result, [credit.record_dict(x) for x in records], cap_year_of(doc, prog, report.results[0], year))


def propose_grant(session: Session, *, ready: tuple, prog: Any, doc: Any, programme_id: str, policies: PolicySet, on: dt.date, year: int, run: ImportRun, actor: User, credit_rule: dict) -> Application:
    """A proposed 免申即享 grant (state ``proposed``) from :func:`evaluate_grant`'s result, frozen
    with the policy version, belonging to ``run`` (a file's import, or a matching run)."""
    from huiqi.workflow.applications.service import _cap_limits
    from huiqi.workflow.credit import service as credit

    n, code, name, profile, parsed, result, records, cap_year = ready
    proc = prog.process
    ent_facts = profile.get("enterprise") or {}
    ent = enterprises.get_or_register(session=session, uscc=code, name=name, district=ent_facts.get("registered_district") or doc.district, town=ent_facts.get("town"), actor=actor)
    held = bool(records) and credit_rule["mode"] == credit.SOFT  # 原则上不予支持: imported, held for an officer's decision
    app = Application(
        round_id=None, district=doc.district, enterprise_id=ent.id, programme_id=programme_id, claim_id=result["claim"], channel="automatic", year=year, cap_year=cap_year, state="proposed",
        profile=profile, requested_amount=Decimal(result["ceiling"]), ceiling=Decimal(result["ceiling"]), eval_status=result["status"],
        evaluation={"result": result, "policy_version": policies.version, "on": on.isoformat(), "process": {"stages": list(proc.stages) if proc else ["application", "approval", "payment"], "notice_working_days": proc.notice_working_days if proc else None, "defaulted": proc is None}, "credit_records": records, "credit": credit_rule, "profile": profile, "import_row": n},
        cap_limits=_cap_limits(parsed, prog, doc, on, result["claim"]), policy_version=policies.version, evaluated_on=on, import_id=run.id, credit_hold=held,
    )
    session.add(app)
    session.flush()
    if held:
        audit.record(session, actor="system", action="application.credit_hold", entity="application", entity_id=app.id, district=app.district, data={"records": records, "rule": credit_rule.get("clause"), "by": "import" if run.kind == "automatic" else run.kind})
    return app


def _typed(value: Any) -> Any:
    text = str(value).strip()
    if text.lower() in ("true", "是", "yes"):
        return True
    if text.lower() in ("false", "否", "no"):
        return False
    return text


def confirm(*, session: Session, application_id: int, actor: User, amount: Decimal | str | None = None, reason: str | None = None, on: dt.date | None = None):  # noqa: ANN201
    """An officer confirms a proposed 免申即享 grant (at the computed sum unless stated): it is approved."""
    from huiqi.workflow.applications.service import get
    from huiqi.workflow.decisions.flows import approve

    app = get(session=session, application_id=application_id, actor=actor)
    return approve(session=session, application_id=app.id, amount=amount if amount is not None else app.ceiling, actor=actor, reason=reason, on=on)


def runs(*, session: Session, actor: User) -> list[ImportRun]:
    """The import runs of the actor's district (``import.read``), newest first."""
    access.authorize(actor, "import.read")
    return list(session.execute(select(ImportRun).where(access.visible(actor, ImportRun)).order_by(ImportRun.id.desc())).scalars())
