"""The stable JSON form of a match report (``huiqi match --json``, ``POST /api/v1/match``).

Schema version 1 — documented in ``docs/match-json.md``. Amounts are decimal strings in yuan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from huiqi.rules.amounts import to_fen
from huiqi.rules.facts import Vocabulary

if TYPE_CHECKING:  # pragma: no cover
    from huiqi.rules.engine import MatchReport, Result


def _missing(names: set[str], claim_kind: str | None, vocab: Vocabulary) -> list[dict]:
    out = []
    if claim_kind:
        sub = vocab.subjects.get(claim_kind)
        out.append({"fact": f"claim:{claim_kind}", "zh": f"请填写{sub.zh if sub else claim_kind}信息", "en": f"describe a {sub.en if sub else claim_kind}", "type": "claim", "unit": None, "subject": claim_kind})
    for name in sorted(names):
        f = vocab.fact(name)
        out.append({"fact": name, "zh": f.zh if f else name, "en": f.en if f else name, "type": f.type if f else None, "unit": f.unit if f else None, "subject": name.split(".", 1)[0]})
    return out


def _citations(result: "Result") -> list[dict]:
    seen: set[tuple] = set()
    out = []
    for c in result.citations:
        key = (c.text, c.line)
        if key in seen or not c.text:
            continue
        seen.add(key)
        out.append(c.to_dict(result.document.number))
    return out


def result_to_dict(result: "Result", vocab: Vocabulary) -> dict:
    from huiqi.rules.engine import STATUS_LABELS

    p, d = result.programme, result.document
    zh, en = STATUS_LABELS[result.status]
    return {
        "programme": p.id,
        "document": d.number,
        "document_id": d.id,
        "title": p.title,
        "title_en": p.title_en,
        "department": p.department,
        "mode": p.mode,
        "claim": result.claim.id if result.claim else None,
        "claim_kind": p.subject if p.subject != "enterprise" else None,
        "status": result.status,
        "status_zh": zh,
        "status_en": en,
        "reason_zh": result.reason_zh or None,
        "reason_en": result.reason_en or None,
        "ceiling": None if result.ceiling is None else str(result.ceiling),
        "ceiling_before_caps": None if result.uncapped is None else str(result.uncapped),
        "this_year": None if result.this_year is None else str(result.this_year),
        "possible_ceiling": None if result.possible_ceiling is None else str(result.possible_ceiling),
        "discretionary": result.discretionary,
        "steps": [s.to_dict() for s in result.steps],
        "schedule": [s.to_dict() for s in result.schedule],
        "failed": [c.to_dict(d.number) for c in result.failed],
        "soft_failed": [c.to_dict(d.number) for c in result.soft_failed],
        "needs_officer_decision": bool(result.soft_failed),
        "missing": _missing(result.missing, result.missing_claim if result.status == "needs_info" else None, vocab),
        "caps": [c.to_dict(d.number) for c in result.caps],
        "citations": _citations(result),
        "notes": [{"id": n.id, "zh": n.zh, "en": n.en} for n in result.notes()],
        "materials": [
            {"id": m.id, "name": m.name, "form": m.form, "stamped": m.stamped, "required": m.required, "when": m.when}
            for m in p.materials
        ],
    }


def report_to_dict(report: "MatchReport") -> dict:
    from huiqi.rules.engine import SCHEMA_VERSION

    return {
        "schema": SCHEMA_VERSION,
        "on": report.on.isoformat(),
        "policy_version": report.policy_version,
        "enterprise": {"uscc": report.profile.uscc, "name": report.profile.name},
        "results": [result_to_dict(r, report.vocabulary) for r in report.results],
        "total_ceiling": str(to_fen(report.total_ceiling)),
        "potential_ceiling": str(to_fen(report.potential_ceiling)),
        "warnings": [_unread(name, report.vocabulary) for name in report.unread_facts],
    }


def _unread(name: str, vocab: Vocabulary) -> dict:
    f = vocab.fact(name)
    label_zh, label_en = (f.zh, f.en) if f else (name, name)
    return {
        "kind": "unread_fact",
        "fact": name,
        "zh": f"填写了{label_zh}（{name}），但没有规则读取它：它不影响任何结果",
        "en": f"{label_en} ({name}) was given but no rule reads it: it changes no result",
    }
