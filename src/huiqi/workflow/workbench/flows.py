"""Workbench operations across domains: the policy set with the published versions, the review's
diff, the programme's policy tests and a preview of ``match`` for a version not yet published."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from huiqi.rules import PolicyError, evaluate, parse_profile, versions
from huiqi.rules import model as M
from huiqi.rules.errors import ProfileError
from huiqi.workflow import access
from huiqi.workflow.errors import InvalidInput
from huiqi.workflow.users.models import User
from huiqi.workflow.workbench import service

log = logging.getLogger(__name__)


def with_published(session: Session, base: M.PolicySet) -> M.PolicySet:
    """``base`` (the files under policies/) plus every version published in the workbench, linked
    as versions. A published version that no longer loads (e.g. a fact renamed since) is left out
    and logged: the files are never held hostage by it."""
    from huiqi.rules.loader import parse_document

    docs = []
    for v in service.published(session):
        try:
            docs.append(parse_document(v.yaml_text, file=f"workbench:{v.id}", vocab=base.vocabulary))
        except PolicyError as exc:
            log.error("published policy version %s (%s) no longer loads: %s", v.id, v.document_id, exc)
    if not docs:
        return base
    ps, problems = versions.with_documents(base, docs)
    if problems:
        log.error("published policy versions do not link: %s", "; ".join(p.render() for p in problems))
    return ps


def published_into(maker: Any, base: M.PolicySet) -> M.PolicySet:
    """:func:`with_published` with a session of its own; the base alone when the database has no
    workbench table yet (not migrated) or cannot be reached."""
    from sqlalchemy.exc import SQLAlchemyError

    bind = getattr(maker, "kw", {}).get("bind")
    db = getattr(getattr(bind, "url", None), "database", None)
    if bind is not None and bind.dialect.name == "sqlite" and db and db != ":memory:" and not Path(db).exists():
        return base  # never create a database file here (huiqi db upgrade does)
    try:
        with maker() as session:
            return with_published(session, base)
    except SQLAlchemyError as exc:
        log.warning("published policy versions not loaded: %s", str(exc).splitlines()[0])
        return base


def candidate(v: Any, policies: M.PolicySet) -> tuple[M.PolicySet | None, M.Document | None, list]:
    """The policy set as it would be once this version is published (None while it has problems)."""
    doc, problems = service.check(
        v.yaml_text, policies=policies, district=v.district, source_text=v.source_text, file=f"version {v.id}"
    )
    if doc is None:
        return None, None, problems
    others = M.PolicySet(policies.vocabulary, [d for d in policies.documents if d.id != doc.id])
    ps, link_problems = versions.with_documents(others, [doc])
    if link_problems:
        return None, doc, problems
    return ps, ps.document(doc.id), problems


def review(*, session: Session, version_id: Any, actor: User, policies: M.PolicySet) -> dict:
    """What the reviewer reads: the diff against the version it supersedes (programme by
    programme, in words), or every programme when it is a new document; the problems left."""
    from huiqi.rules.diff import diff

    v = service.get(session=session, version_id=version_id, actor=actor)
    access.authorize(actor, "policy.read")
    doc, problems = service.check(
        v.yaml_text, policies=policies, district=v.district, source_text=v.source_text, file=f"version {v.id}"
    )
    out: dict = {
        "version": service.summary(v),
        "problems": [p.to_dict() for p in problems],
        "diff": None,
        "lines": [],
        "new_document": False,
    }
    if doc is None:
        return out
    prev = policies.document(doc.supersedes) if doc.supersedes else None
    if prev is None:
        out["new_document"] = True
        out["lines"] = [
            f"新文件 / new document: {doc.number}（{doc.id}），{len(doc.programmes)} 个项目 / programmes"
        ] + [f"  + {p.id} {p.title}" for p in doc.programmes]
        return out
    d = diff(prev, doc)
    out["diff"] = d.to_dict()
    out["lines"] = d.lines()
    return out


def _policy_dir() -> Path:
    from huiqi.config import get_settings
    from huiqi.rules.loader import DEFAULT_POLICY_DIR

    return Path(get_settings().policy_dir or DEFAULT_POLICY_DIR)


def run_tests(
    *,
    session: Session,
    version_id: Any,
    actor: User,
    policies: M.PolicySet,
    programme: str | None = None,
    policy_dir: Path | None = None,
) -> dict:
    """The policy tests (policies/tests/<document id>/) of the version's family that concern the
    programme (all when None), run against the policy set as it would be once published: cases
    whose events fall in this version's window test it, the others the earlier versions."""
    from huiqi.rules.policytests import read_cases, run_case

    v = service.get(session=session, version_id=version_id, actor=actor)
    access.authorize(actor, "policy.read")
    ps, doc, problems = candidate(v, policies)
    if ps is None or doc is None:
        return {"ran": 0, "passed": 0, "failed": [], "problems": len(problems), "files": []}
    root = Path(policy_dir or _policy_dir()) / "tests"
    ids = [d.id for d in versions.family_of(doc)]
    files = [f for i in ids for f in sorted((root / i).glob("*.yaml"))] if root.exists() else []
    ran, passed, failed = 0, 0, []
    for f in files:
        for case in read_cases(f):
            if programme and not any(e.get("programme") == programme for e in case.expect):
                continue
            ran += 1
            errors = run_case(case, ps)
            if errors:
                failed.append({"name": case.name, "file": f.name, "line": case.line, "errors": errors[:5]})
            else:
                passed += 1
    return {"ran": ran, "passed": passed, "failed": failed, "problems": len(problems), "files": [f.name for f in files]}


def preview(
    *,
    session: Session,
    version_id: Any,
    actor: User,
    policies: M.PolicySet,
    profile: Any,
    on: dt.date | str | None = None,
    programme: str | None = None,
) -> dict:
    """``match`` of an example profile against the policy set as it would be once this version is
    published (the programme's results, or all of the version's programmes)."""
    import yaml

    v = service.get(session=session, version_id=version_id, actor=actor)
    access.authorize(actor, "policy.read")
    ps, doc, problems = candidate(v, policies)
    if ps is None or doc is None:
        raise InvalidInput(
            f"草稿尚有 {len(problems)} 处问题，无法测算",
            f"the draft has {len(problems)} problem(s) left: nothing to preview",
            field="yaml_text",
        )
    if isinstance(profile, str):
        try:
            profile = yaml.safe_load(profile)
        except yaml.YAMLError as exc:
            raise InvalidInput(
                f"示例画像不是有效的 YAML/JSON：{exc}",
                f"the example profile is not valid YAML/JSON: {exc}",
                field="profile",
            ) from None
    if not isinstance(profile, dict):
        raise InvalidInput(
            "示例画像应为映射（enterprise、claims …）",
            "the example profile must be a mapping (enterprise, claims …)",
            field="profile",
        )
    try:
        day = on if isinstance(on, dt.date) else dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError:
        raise InvalidInput(f"不是有效日期：{on}", f"not a real date: {on}", field="on") from None
    try:
        parsed = parse_profile(profile, ps.vocabulary)
    except ProfileError as exc:
        p = exc.problems[0]
        raise InvalidInput(
            p.message_zh, p.message_en, field=f"profile.{p.field}", details=[x.to_dict() for x in exc.problems]
        ) from None
    wanted = [programme] if programme else [p.id for p in doc.programmes]
    report = evaluate(ps, parsed, on=day, programmes=wanted).to_dict()
    return {"on": day.isoformat(), "results": report["results"]}


def examples() -> dict[str, str]:
    """The example profiles shipped under examples/ (name → text), for the preview."""
    root = Path(__file__).resolve().parents[4] / "examples"
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(root.glob("*.yaml"))} if root.exists() else {}
