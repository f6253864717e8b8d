"""Documents and programmes as plain data, the clause text included: for `huiqi policies list --json`, the API and the pages."""

from __future__ import annotations

from huiqi.rules.model import PolicySet
from huiqi.rules import model as M


def _d(day) -> str | None:  # noqa: ANN001
    return day.isoformat() if day else None


def clause_dict(c: M.Clause | None, document: M.Document) -> dict | None:
    return None if c is None else c.to_dict(document.number)


def criterion_dict(c: M.Criterion, document: M.Document) -> dict:
    return {"id": c.id, "label_zh": c.label_zh, "label_en": c.label_en, "test": c.source, "soft": c.soft, "note": c.note, "clause": clause_dict(c.clause, document)}


def programme_summary(p: M.Programme, d: M.Document) -> dict:
    return {
        "id": p.id,
        "document_id": d.id,
        "document": d.number,
        "title": p.title,
        "title_en": p.title_en,
        "section": p.section,
        "department": p.department,
        "mode": p.mode,
        "subject": p.subject,
        "discretionary": p.support.discretionary,
        "notice_working_days": p.process.notice_working_days if p.process else None,
        "inventory": list(p.inventory),
    }


def programme_detail(p: M.Programme, d: M.Document) -> dict:
    out = programme_summary(p, d)
    out.update(
        {
            "criteria": [criterion_dict(c, d) for c in (*p.scope_in(d), *p.criteria)],  # its own scope replaces the document's
            "support": {"clause": clause_dict(p.support.clause, d), "discretionary": p.support.discretionary, "amount_form": type(p.support.amount).__name__},
            "materials": [{"id": m.id, "name": m.name, "form": m.form, "stamped": m.stamped, "required": m.required, "when": m.when} for m in p.materials],
            "process": None
            if p.process is None
            else {"stages": list(p.process.stages), "notice_working_days": p.process.notice_working_days, "clause": clause_dict(p.process.clause, d)},
            "notes": [{"id": n.id, "zh": n.zh, "en": n.en} for n in (*p.notes, *d.notes)],
            "duration": p.duration,
        }
    )
    return out


def document_summary(d: M.Document) -> dict:
    return {
        "id": d.id,
        "number": d.number,
        "title": d.title,
        "issuer": d.issuer,
        "district": d.district,
        "issued": _d(d.issued),
        "in_force": {"from": _d(d.in_force.start), "until": _d(d.in_force.end), "clause": clause_dict(d.in_force.clause, d)},
        "retroactive": None if d.retroactive is None else {"from": _d(d.retroactive.start), "until": _d(d.retroactive.end), "clause": clause_dict(d.retroactive.clause, d)},
        "seed": d.seed,
        "version": _version(d),
        "programmes": [programme_summary(p, d) for p in d.programmes],
    }


def _version(d: M.Document) -> dict:
    """Where the document stands among its versions (rules/versions.py)."""
    from huiqi.rules import versions

    newer = versions.newer(d)
    return {**versions.describe(d), "superseded_by": newer[0].id if newer else None, "family": [x.id for x in versions.family_of(d)]}


def document_detail(d: M.Document) -> dict:
    out = document_summary(d)
    out["scope"] = [criterion_dict(c, d) for c in d.scope]
    out["notes"] = [{"id": n.id, "zh": n.zh, "en": n.en} for n in d.notes]
    out["caps"] = [{"id": c.id, "label_zh": c.label_zh, "label_en": c.label_en, "programmes": list(c.programmes), "clause": clause_dict(c.clause, d)} for c in d.caps]
    out["sha256"] = d.sha256
    return out


def policies_dict(ps: PolicySet) -> dict:
    return {"policy_version": ps.version, "documents": [document_summary(d) for d in ps.documents]}


def vocabulary_dict(ps: PolicySet) -> dict:
    vocab = ps.vocabulary
    return {
        "subjects": [{"name": s.name, "zh": s.zh, "en": s.en} for s in vocab.subjects.values()],
        "facts": [
            {"name": f.name, "subject": f.subject, "type": f.type, "zh": f.zh, "en": f.en, "unit": f.unit, "values": list(f.values), "help_zh": f.help_zh, "help_en": f.help_en}
            for f in vocab.facts.values()
        ],
    }
