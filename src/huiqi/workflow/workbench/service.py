"""Policy versions in the workbench, one district's records: draft from a document's text, edit,
check, propose, return, publish (four eyes), list. Every function takes ``actor`` (keyword-only);
access is decided by ``huiqi.workflow.access`` (``policy.*`` actions; records scoped by district).

The states: ``draft`` (editable by the district's officers) → ``proposed`` (frozen: the YAML's
SHA-256 is recorded) → ``published`` by another officer of the district, who is neither the author
nor anyone who edited or proposed it; or returned to ``draft`` with a note. A published version is
never edited: the next change is a new version that ``supersedes:`` it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicyError, Problem, versions
from huiqi.rules import model as M
from huiqi.workflow import access
from huiqi.workflow.common import utcnow
from huiqi.workflow.errors import IllegalTransition, InvalidInput, PermissionDenied
from huiqi.workflow.users.models import User
from huiqi.workflow.workbench.models import STATES, PolicyVersion

MAX_SOURCE = 2_000_000  # characters of a document's text
MAX_YAML = 2_000_000
DOC_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get(*, session: Session, version_id: Any, actor: User, lock: bool = False) -> PolicyVersion:
    """The version if the actor may see it (its district's officers and auditors, the
    administrator), else NotFound."""
    return access.get(session, actor, PolicyVersion, version_id, field="version", lock=lock)


def list_for(*, session: Session, actor: User, state: str | None = None) -> list[PolicyVersion]:
    access.authorize(actor, "policy.read")
    q = select(PolicyVersion).where(access.visible(actor, PolicyVersion))
    if state:
        q = q.where(PolicyVersion.state == state)
    return list(session.execute(q.order_by(PolicyVersion.id.desc())).scalars())


def published(session: Session) -> list[PolicyVersion]:
    """Every published version, oldest first (what the app loads beside policies/; no actor: the
    policies are public)."""
    return list(
        session.execute(
            select(PolicyVersion)
            .where(PolicyVersion.state == "published")
            .order_by(PolicyVersion.published_at, PolicyVersion.id)
        ).scalars()
    )


# ------------------------------------------------------------------ checking a version's YAML


def _norm(text: str) -> str:
    return re.sub(r"[\s*#\-—–“”\"'（）()，,。．.、：:；;]+", "", re.sub(r"-\s*\d+\s*-", "", text))


def quote_problems(document: M.Document, source_text: str, *, file: str) -> list[Problem]:
    """Every quoted clause with a line must stand in the source text, beginning within a few lines
    of the line it cites (fragments around “……” in order) — as tests/test_policy_clauses.py checks
    the shipped files against their seeds."""
    lines = source_text.splitlines()
    out: list[Problem] = []
    seen: set[tuple[str, int]] = set()
    for where, clause in _clauses(document):
        if clause is None or not clause.text or not clause.line or "TODO" in clause.text:
            continue
        if (clause.text, clause.line) in seen:
            continue
        seen.add((clause.text, clause.line))
        start = max(clause.line - 3, 0)
        window = _norm("".join(lines[start : clause.line + 8]))
        fragments = [_norm(f) for f in re.split(r"……|\.\.\.", clause.text) if _norm(f)]
        pos = 0
        for f in fragments:
            i = window.find(f, pos)
            if i < 0:
                out.append(
                    Problem(
                        where,
                        f"引文不在原文第 {clause.line} 行附近：“{clause.text[:60]}”",
                        f"the quotation is not in the source near line {clause.line}: “{clause.text[:60]}”",
                        file,
                        None,
                    )
                )
                break
            pos = i + len(f)
    return out


def _clauses(d: M.Document):
    yield "document.in_force.clause", d.in_force.clause if d.in_force else None
    if d.retroactive:
        yield "document.retroactive.clause", d.retroactive.clause
    for c in d.scope:
        yield f"document.scope[{c.id}].clause", c.clause
    for cap in d.caps:
        yield f"caps[{cap.id}].clause", cap.clause
    for p in d.programmes:
        for c in (*(p.scope or ()), *p.criteria):
            yield f"programmes[{p.id}].criteria[{c.id}].clause", c.clause
        yield f"programmes[{p.id}].support.clause", p.support.clause
        if p.process and p.process.clause:
            yield f"programmes[{p.id}].process.clause", p.process.clause


def _lint(yaml_text: str, policies: M.PolicySet, *, deep: bool) -> list[Problem]:
    """``huiqi policies lint`` when this huiqi has it (``huiqi.rules.lint``, issue 15): its errors
    about this document, as problems (its warnings are for the reviewer of the whole directory);
    none when it is not installed. The set-wide ``unread-fact`` check is left out (a fact another
    document reads is not unread). ``deep``: with the solver's checks (slower: not while typing)."""
    try:
        from huiqi.rules import lint  # type: ignore[attr-defined]
    except ImportError:
        return []
    import tempfile
    from pathlib import Path

    from huiqi.rules.loader import parse_document

    with tempfile.TemporaryDirectory(prefix="huiqi-lint-") as tmp:
        path = Path(tmp) / "version.yaml"  # the lint reads the raw file (limits_explained) by the document's path
        path.write_text(yaml_text, encoding="utf-8")
        try:
            doc = parse_document(yaml_text, file=str(path), vocab=policies.vocabulary)
            found = lint.lint(M.PolicySet(policies.vocabulary, [doc]), solver=deep)
        except PolicyError:
            return []
        except Exception:  # noqa: BLE001 - a linter's own failure must not block the workbench
            return []
    out = []
    for f in found or ():
        if getattr(f, "level", "error") != "error" or getattr(f, "check", "") == "unread-fact":
            continue
        out.append(
            Problem(
                f"lint:{getattr(f, 'check', '')}",
                str(f.message_zh),
                str(f.message_en),
                "workbench",
                getattr(f, "line", None),
            )
        )
    return out


def check(
    yaml_text: str,
    *,
    policies: M.PolicySet,
    district: str,
    source_text: str = "",
    file: str = "workbench",
    replacing: str | None = None,
    deep: bool = False,
) -> tuple[M.Document | None, list[Problem]]:
    """Check a version's YAML as ``huiqi policies check`` does (every problem with its line), then:
    the district is the officer's; ``supersedes`` names a loaded document of the district and the
    versions link (programme ids); a new id (a loaded document is never changed); the quotations
    stand in the source text; then ``policies lint``'s errors, if this huiqi has it (``deep``: with
    its solver). ``replacing``: the document id this version had before (itself, when re-checked)."""
    from huiqi.rules.loader import parse_document

    try:
        doc = parse_document(yaml_text, file=file, vocab=policies.vocabulary)
    except PolicyError as exc:
        return None, list(exc.problems)
    problems: list[Problem] = []
    if doc.district != district:
        problems.append(
            Problem(
                "document.district",
                f"只能编写本区（{district}）的政策，不能是 {doc.district}",
                f"you may only write your district's ({district}) policies, not {doc.district}",
                file,
                1,
            )
        )
    if policies.document(doc.id) is not None and doc.id != replacing:
        problems.append(
            Problem(
                "document.id",
                f"已有文件 {doc.id}：已发布的版本不再修改，新版本请另起 id 并写 supersedes: {doc.id}",
                f"{doc.id} is already loaded: a published version is never changed; give the new version its own id and supersedes: {doc.id}",
                file,
                1,
            )
        )
    elif not DOC_ID.match(doc.id):
        problems.append(
            Problem(
                "document.id",
                "id 只能由小写字母、数字和连字符组成",
                "the id may only have lower-case letters, digits and hyphens",
                file,
                1,
            )
        )
    others = [d for d in policies.documents if d.id != doc.id]
    _, link_problems = versions.with_documents(M.PolicySet(policies.vocabulary, others), [doc])
    problems += [Problem(p.field, p.message_zh, p.message_en, file, p.line) for p in link_problems]
    if source_text:
        problems += quote_problems(doc, source_text, file=file)
    if not problems:  # the lint reads files that run and link
        problems += [
            Problem(p.field, p.message_zh, p.message_en, file, p.line) for p in _lint(yaml_text, policies, deep=deep)
        ]
    return doc, problems


# ------------------------------------------------------------------ programme blocks of the YAML


def programme_block(yaml_text: str, programme_id: str) -> tuple[int, int] | None:
    """The lines [start, end) of one programme's item under ``programmes:`` (0-based), or None."""
    lines = yaml_text.splitlines()
    in_list, start = False, None
    for i, line in enumerate(lines):
        if re.match(r"^programmes:\s*$", line):
            in_list = True
            continue
        if not in_list:
            continue
        if line and not line[0].isspace() and not line.startswith("#"):
            if start is not None:
                return start, i
            in_list = False
            continue
        m = re.match(r"^  - id:\s*[\"']?([^\"'\s#]+)", line)
        if m or re.match(r"^  - ", line):
            if start is not None:
                return start, i
            if m and m.group(1) == programme_id:
                start = i
    if start is not None:
        end = len(lines)
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        return start, end
    return None


def replace_block(yaml_text: str, programme_id: str, block: str) -> str:
    span = programme_block(yaml_text, programme_id)
    if span is None:
        raise InvalidInput(
            f"草稿中没有项目 {programme_id}", f"no programme {programme_id!r} in the draft", field="programme"
        )
    lines = yaml_text.splitlines()
    new = block.rstrip("\n").splitlines()
    return "\n".join(lines[: span[0]] + new + lines[span[1] :]) + "\n"


def block_text(yaml_text: str, programme_id: str) -> str | None:
    span = programme_block(yaml_text, programme_id)
    return None if span is None else "\n".join(yaml_text.splitlines()[span[0] : span[1]]) + "\n"


# ------------------------------------------------------------------ the lifecycle


def _text(value: Any, field: str, limit: int, *, zh: str, en: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{zh}不能为空", f"{en} is empty", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{zh}过长（超过 {limit} 字）", f"{en} is too long (over {limit} characters)", field=field)
    if "\x00" in value:
        raise InvalidInput(f"{zh}含有无效字符", f"{en} holds an invalid character", field=field)
    return value


def create(
    *,
    session: Session,
    actor: User,
    source_text: str,
    source_name: str,
    document_id: str,
    supersedes: str | None = None,
    policies: M.PolicySet,
    prefix: str | None = None,
) -> PolicyVersion:
    """Draft a version from a document's text (``huiqi policies draft``): the skeleton, with the
    header's district set to the officer's and, for a new version of a loaded document,
    ``supersedes``. Audited (``policy.draft``)."""
    from huiqi.workbench.draft import draft_document
    from huiqi.workbench.text import SourceText

    access.authorize(actor, "policy.draft")
    text = _text(source_text, "source_text", MAX_SOURCE, zh="原文", en="the document's text").replace("\r\n", "\n")
    document_id = (document_id or "").strip()
    if not DOC_ID.match(document_id):
        raise InvalidInput(
            "文件 id 只能由小写字母、数字和连字符组成（如 jinshan-2026-3）",
            "the document id may only have lower-case letters, digits and hyphens (e.g. jinshan-2026-3)",
            field="document_id",
        )
    if policies.document(document_id) is not None:
        raise InvalidInput(
            f"已有文件 {document_id}：新版本请另起 id",
            f"{document_id} is already loaded: give the new version its own id",
            field="document_id",
        )
    if supersedes:
        prev = policies.document(supersedes)
        if prev is None or prev.district != actor.district:
            raise InvalidInput(
                f"本区没有文件 {supersedes}", f"no document {supersedes!r} of your district", field="supersedes"
            )
    name = (source_name or "source.txt").strip()[:300] or "source.txt"
    try:
        result = draft_document(SourceText.from_text(text, name=name), doc_id=document_id, prefix=prefix, seed=name)
    except Exception as exc:  # noqa: BLE001 - a text the drafter cannot read is bad input, not a server error
        raise InvalidInput(
            f"无法由此原文生成草稿：{exc}", f"cannot draft from this text: {exc}", field="source_text"
        ) from None
    yaml_text = _set_header(result.text, district=actor.district, supersedes=supersedes)
    first = next((ln for ln in text.splitlines() if ln.strip()), name)
    v = PolicyVersion(
        district=actor.district,
        state="draft",
        document_id=document_id,
        supersedes=supersedes,
        title=first.strip()[:300],
        source_name=name,
        source_text=text,
        yaml_text=yaml_text,
        author_id=actor.id,
        editors=[actor.id],
    )
    session.add(v)
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="policy.draft",
        entity="policy_version",
        entity_id=v.id,
        district=v.district,
        data={
            "document": document_id,
            "supersedes": supersedes,
            "source": name,
            "source_sha256": sha(text),
            "yaml_sha256": sha(yaml_text),
            "programmes": result.stats.programmes,
            "todos": result.stats.todos,
        },
    )
    return v


def _set_header(yaml_text: str, *, district: str, supersedes: str | None) -> str:
    """The draft's header with the officer's district (the text's may be missing) and supersedes."""
    lines = yaml_text.splitlines()
    try:
        i = lines.index("document:")
    except ValueError:
        return yaml_text
    j = i + 1
    while j < len(lines) and (lines[j].startswith("  ") or not lines[j].strip()):
        if re.match(r"^  district:", lines[j]):
            lines[j] = f'  district: "{district}"'
            district = ""
        j += 1
    extra = []
    if district:
        extra.append(f'  district: "{district}"')
    if supersedes:
        extra += [f"  supersedes: {supersedes}", "  version_kind: revision  # revision / extension / corrigendum"]
    lines[i + 2 : i + 2] = extra  # after the id
    return "\n".join(lines) + "\n"


def edit(
    *, session: Session, version_id: Any, actor: User, yaml_text: str, programme: str | None = None
) -> PolicyVersion:
    """Save the YAML (the whole file, or one programme's item when ``programme`` is given). Only a
    draft is edited; the editor counts as an author (four eyes). Audited with the new SHA-256."""
    v = get(session=session, version_id=version_id, actor=actor, lock=True)
    access.authorize(actor, "policy.edit")
    if v.state != "draft":
        raise IllegalTransition(
            f"版本处于“{STATES[v.state][0]}”状态，不能修改（退回草稿后再改）",
            f"the version is {STATES[v.state][1]}: it cannot be edited (return it to draft first)",
            field="state",
        )
    text = _text(yaml_text, "yaml_text", MAX_YAML, zh="YAML", en="the YAML").replace("\r\n", "\n")
    new = replace_block(v.yaml_text, programme, text) if programme else text
    before = sha(v.yaml_text)
    v.yaml_text = new
    if actor.id not in (v.editors or []):
        v.editors = [*(v.editors or []), actor.id]
    m = re.search(r"^  id:\s*[\"']?([^\"'\s#]+)", new, re.M)
    if m:
        v.document_id = m.group(1)[:100]
    s = re.search(r"^  supersedes:\s*[\"']?([^\"'\s#]+)", new, re.M)
    v.supersedes = s.group(1)[:100] if s else None
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="policy.edit",
        entity="policy_version",
        entity_id=v.id,
        district=v.district,
        data={"programme": programme, "before": before, "after": sha(new)},
    )
    return v


def propose(*, session: Session, version_id: Any, actor: User, policies: M.PolicySet) -> PolicyVersion:
    """Propose the draft for review: it must pass every check (no problem left). The YAML's
    SHA-256 is recorded: the reviewer publishes exactly what was proposed."""
    v = get(session=session, version_id=version_id, actor=actor, lock=True)
    access.authorize(actor, "policy.propose")
    if v.state != "draft":
        raise IllegalTransition(
            f"只有草稿可以提交复核（当前：{STATES[v.state][0]}）",
            f"only a draft can be proposed (it is {STATES[v.state][1]})",
            field="state",
        )
    doc, problems = check(
        v.yaml_text,
        policies=policies,
        district=v.district,
        source_text=v.source_text,
        file=f"version {v.id}",
        deep=True,
    )
    if problems or doc is None:
        raise InvalidInput(
            f"尚有 {len(problems)} 处问题，不能提交复核："
            + "；".join(
                f"{p.field}（第 {p.line} 行）{p.message_zh}" if p.line else f"{p.field} {p.message_zh}"
                for p in problems[:5]
            ),
            f"{len(problems)} problem(s) left: cannot propose: "
            + "; ".join(
                f"{p.field} (line {p.line}) {p.message_en}" if p.line else f"{p.field} {p.message_en}"
                for p in problems[:5]
            ),
            field="yaml_text",
            details=[p.to_dict() for p in problems[:50]],
        )
    v.state, v.proposed_by, v.proposed_at, v.proposed_sha256 = "proposed", actor.id, utcnow(), sha(v.yaml_text)
    v.document_id, v.supersedes, v.review_note = doc.id, doc.supersedes, None
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="policy.propose",
        entity="policy_version",
        entity_id=v.id,
        district=v.district,
        data={
            "document": doc.id,
            "supersedes": doc.supersedes,
            "sha256": v.proposed_sha256,
            "programmes": [p.id for p in doc.programmes],
        },
    )
    return v


def _authors(v: PolicyVersion) -> set[int]:
    return {v.author_id, *(v.editors or []), *([v.proposed_by] if v.proposed_by else [])}


def return_to_draft(*, session: Session, version_id: Any, actor: User, note: str) -> PolicyVersion:
    """The reviewer sends the proposal back to draft, saying why (audited)."""
    v = get(session=session, version_id=version_id, actor=actor, lock=True)
    access.authorize(actor, "policy.return")
    note = _text(note, "note", 2000, zh="退回理由", en="the reason")
    if v.state != "proposed":
        raise IllegalTransition("只有待复核的版本可以退回", "only a proposed version can be returned", field="state")
    v.state, v.review_note, v.reviewed_by, v.proposed_sha256 = "draft", note.strip(), actor.id, None
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="policy.return",
        entity="policy_version",
        entity_id=v.id,
        district=v.district,
        reason=note.strip(),
    )
    return v


def publish(
    *, session: Session, version_id: Any, actor: User, policies: M.PolicySet, note: str | None = None
) -> PolicyVersion:
    """Publish a proposed version: four eyes — an officer of the district who neither wrote,
    edited nor proposed it; the YAML is the one proposed (its SHA-256) and passes every check
    against the policies loaded now. Applications already submitted keep the version frozen with
    them. Audited (``policy.publish``)."""
    v = get(session=session, version_id=version_id, actor=actor, lock=True)
    access.authorize(actor, "policy.publish")
    if actor.id in _authors(v):
        raise PermissionDenied(
            "四眼原则：起草、修改或提交该版本的人不能发布它，须由本区另一位经办人复核发布",
            "four eyes: who wrote, edited or proposed this version may not publish it; another officer of the district reviews and publishes it",
            field="reviewer",
        )
    if v.state != "proposed":
        raise IllegalTransition(
            f"只有待复核的版本可以发布（当前：{STATES[v.state][0]}）",
            f"only a proposed version can be published (it is {STATES[v.state][1]})",
            field="state",
        )
    if sha(v.yaml_text) != v.proposed_sha256:
        raise IllegalTransition(
            "版本内容与提交复核时不一致，不能发布",
            "the version is not what was proposed: it cannot be published",
            field="yaml_text",
        )
    doc, problems = check(
        v.yaml_text,
        policies=policies,
        district=v.district,
        source_text=v.source_text,
        file=f"version {v.id}",
        deep=True,
    )
    if problems or doc is None:
        raise InvalidInput(
            "发布前复查发现问题：" + "；".join(p.message_zh for p in problems[:5]),
            "the check before publishing found problems: " + "; ".join(p.message_en for p in problems[:5]),
            field="yaml_text",
            details=[p.to_dict() for p in problems[:50]],
        )
    v.state, v.reviewed_by, v.published_at = "published", actor.id, utcnow()
    if note:
        v.review_note = note.strip()[:2000]
    session.flush()
    audit.record(
        session,
        actor=actor.username,
        action="policy.publish",
        entity="policy_version",
        entity_id=v.id,
        district=v.district,
        reason=v.review_note,
        data={
            "document": doc.id,
            "number": doc.number,
            "supersedes": doc.supersedes,
            "sha256": v.proposed_sha256,
            "document_sha256": doc.sha256,
            "in_force": doc.in_force.describe() if doc.in_force else None,
            "author": v.author_id,
            "proposed_by": v.proposed_by,
        },
    )
    return v


def summary(v: PolicyVersion) -> dict:
    return {
        "id": v.id,
        "district": v.district,
        "state": v.state,
        "state_zh": STATES[v.state][0],
        "state_en": STATES[v.state][1],
        "document_id": v.document_id,
        "supersedes": v.supersedes,
        "title": v.title,
        "source_name": v.source_name,
        "author_id": v.author_id,
        "proposed_by": v.proposed_by,
        "reviewed_by": v.reviewed_by,
        "review_note": v.review_note,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "sha256": sha(v.yaml_text),
    }
