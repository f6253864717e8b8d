"""The stable JSON form of a match report (``huiqi match --json``, ``POST /api/v1/match``).

Schema version 1 — documented in ``docs/match-json.md``. Amounts are decimal strings in yuan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from huiqi.rules.amounts import to_fen
from huiqi.rules.facts import Vocabulary

if TYPE_CHECKING:  # pragma: no cover
    from huiqi.rules.engine import CapClip, CriterionOutcome, MatchReport, Result
    from huiqi.rules.model import Clause, Document, Note, Programme


# ---------------------------------------------------------------- what does not change per request
#
# A match answer repeats the same clause texts, notes, materials and version descriptions in every
# answer; they are built once per loaded policy object and shared by every answer built since
# (issue 17: building the dict cost more than the engine). The nested dicts below are therefore
# shared between answers: read them, encode them, copy them, but never change them in place.

_CACHE_LIMIT = 20_000  # entries; a workbench that reloads policies often starts the caches afresh
_clause_dicts: dict[tuple, dict] = {}
_note_dicts: dict = {}
_programme_parts: dict[tuple[int, int], tuple] = {}
_missing_dicts: dict[tuple[int, str], tuple] = {}
_base_note_dicts: dict[tuple[int, int], tuple] = {}


def _bounded(cache: dict) -> dict:
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    return cache


def clause_dict(clause: "Clause", document: str) -> dict:
    """``clause.to_dict(document)``, one shared dict per distinct clause (clauses compare by text,
    reference and line, so equal clauses share the dict)."""
    key = (clause, document)
    d = _clause_dicts.get(key)
    if d is None:
        d = _bounded(_clause_dicts)[key] = clause.to_dict(document)
    return d


def note_dict(note: "Note") -> dict:
    d = _note_dicts.get(note)
    if d is None:
        d = _bounded(_note_dicts)[note] = {"id": note.id, "zh": note.zh, "en": note.en}
    return d


def _parts(p: "Programme", d: "Document") -> tuple[dict, list]:
    """The fields of a result that depend only on the programme and the document version: the head
    of the result dict (in order, up to ``claim``) and the materials. Keyed by the objects' identity
    (kept alive in the entry) and checked against the document's family, which linking replaces."""
    from huiqi.rules import versions

    key = (id(p), id(d))
    family = tuple(map(id, versions.family_of(d)))
    hit = _programme_parts.get(key)
    if hit is not None and hit[0] is p and hit[1] is d and hit[2] == family:
        return hit[3], hit[4]
    head = {
        "programme": p.id,
        "document": d.number,
        "document_id": d.id,
        "version": versions.describe(d),
        "title": p.title,
        "title_en": p.title_en,
        "department": p.department,
        "mode": p.mode,
    }
    materials = [
        {"id": m.id, "name": m.name, "form": m.form, "stamped": m.stamped, "required": m.required, "when": m.when}
        for m in p.materials
    ]
    _bounded(_programme_parts)[key] = (p, d, family, head, materials)
    return head, materials


def prepare(p: "Programme", d: "Document") -> None:
    """Build a programme's shared parts ahead of the first answer (engine.prepare)."""
    from huiqi.rules.engine import _base_notes

    _parts(p, d)
    for c in (*p.scope_in(d), *p.criteria):
        clause_dict(c.clause, d.number)
    clause_dict(p.support.clause, d.number)
    for n in _base_notes(p, d):
        note_dict(n)


def _missing_fact(name: str, vocab: Vocabulary) -> dict:
    key = (id(vocab), name)
    f = vocab.fact(name)
    hit = _missing_dicts.get(key)
    if hit is not None and hit[0] is vocab and hit[1] is f:
        return hit[2]
    out = {
        "fact": name,
        "zh": f.zh if f else name,
        "en": f.en if f else name,
        "type": f.type if f else None,
        "unit": f.unit if f else None,
        "subject": name.split(".", 1)[0],
    }
    _bounded(_missing_dicts)[key] = (vocab, f, out)
    return out


def _missing(names: set[str], claim_kind: str | None, vocab: Vocabulary) -> list[dict]:
    out = []
    if claim_kind:
        sub = vocab.subjects.get(claim_kind)
        out.append({"fact": f"claim:{claim_kind}", "zh": f"请填写{sub.zh if sub else claim_kind}信息", "en": f"describe a {sub.en if sub else claim_kind}", "type": "claim", "unit": None, "subject": claim_kind})
    if names:
        out.extend(_missing_fact(name, vocab) for name in sorted(names))
    return out


def _citations(result: "Result") -> list[dict]:
    seen: set[tuple] = set()
    out = []
    number = result.document.number
    cached = _clause_dicts.get
    for c in result.citations:
        key = (c.text, c.line)
        if key in seen or not c.text:
            continue
        seen.add(key)
        out.append(cached((c, number)) or clause_dict(c, number))
    return out


def _notes(result: "Result") -> list[dict]:
    if not result.extra_notes:  # the programme's notes alone: one shared list's copy
        base = _base_note_dicts.get((id(result.programme), id(result.document)))
        if base is not None and base[0] is result.programme and base[1] is result.document:
            return list(base[2])
        out = [note_dict(n) for n in result.notes()]
        key = (id(result.programme), id(result.document))
        _bounded(_base_note_dicts)[key] = (result.programme, result.document, out)
        return list(out)
    return [note_dict(n) for n in result.notes()]


def _criterion(c: "CriterionOutcome", document: str) -> dict:
    out = {
        "criterion": c.id,
        "label_zh": c.label_zh,
        "label_en": c.label_en,
        "test": c.test,
        "soft": c.soft,
        "clause": clause_dict(c.clause, document),
    }
    if c.note:
        out["note"] = c.note
    return out


def _cap(c: "CapClip", document: str) -> dict:
    out = c.to_dict(document)
    out["clause"] = clause_dict(c.clause, document)
    return out


class _Refs:
    """The keys of the compact form: each distinct clause ``c0, c1, …`` and note ``n0, n1, …`` in
    the order first met (per result: citations, notes, then the clauses of failed, soft_failed and
    caps), as :func:`compact` numbers them. The shared dicts are known by identity, else content."""

    def __init__(self) -> None:
        self.seen: dict[int, str] = {}
        self.keys: dict[tuple, str] = {}
        self.clauses: dict[str, dict] = {}
        self.notes: dict[str, dict] = {}

    def clause(self, c: dict | None) -> str | None:
        if c is None:
            return None
        ref = self.seen.get(id(c))
        if ref is None:
            ref = self._ref(c, ("c", c.get("document"), c.get("ref"), c.get("line"), c.get("text")), self.clauses)
        return ref

    def note(self, n: dict) -> str:
        ref = self.seen.get(id(n))
        if ref is None:
            ref = self._ref(n, ("n", n.get("id"), n.get("zh"), n.get("en")), self.notes)
        return ref

    def _ref(self, obj: dict, key: tuple, table: dict[str, dict]) -> str:
        """The id of ``obj``, not yet known by identity (a shared dict is, after its first use), in
        ``table`` (``c0``, ``n3`` …): known by its content (an equal dict built apart), else the
        next number."""
        ref = self.keys.get(key)
        if ref is None:
            ref = self.keys[key] = f"{key[0]}{len(table)}"
            table[ref] = obj
        self.seen[id(obj)] = ref
        return ref

    def clauses_of(self, items: list[dict]) -> list[dict]:
        if not items:
            return []
        return [{**x, "clause": self.clause(x.get("clause"))} if "clause" in x else x for x in items]


def result_to_dict(result: "Result", vocab: Vocabulary, refs: _Refs | None = None) -> dict:
    """One result of the match JSON; with ``refs``, in the compact form (clauses and notes by key)."""
    from huiqi.rules.engine import STATUS_LABELS

    p, d = result.programme, result.document
    number = d.number
    zh, en = STATUS_LABELS[result.status]
    head, materials = _parts(p, d)
    citations = _citations(result)
    notes = _notes(result)
    failed = [_criterion(c, number) for c in result.failed]
    soft_failed = [_criterion(c, number) for c in result.soft_failed]
    caps = [_cap(c, number) for c in result.caps]
    if refs is not None:  # in compact()'s order: citations, notes, then failed, soft_failed, caps
        seen = refs.seen
        citations = [seen.get(id(c)) or refs.clause(c) for c in citations]  # type: ignore[misc]
        notes = [seen.get(id(n)) or refs.note(n) for n in notes]
        failed, soft_failed, caps = refs.clauses_of(failed), refs.clauses_of(soft_failed), refs.clauses_of(caps)
    return {
        **head,
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
        "failed": failed,
        "soft_failed": soft_failed,
        "needs_officer_decision": bool(result.soft_failed),
        "missing": _missing(result.missing, result.missing_claim if result.status == "needs_info" else None, vocab),
        "caps": caps,
        "citations": citations,
        "notes": notes,
        "materials": materials,
    }


def report_to_dict(report: "MatchReport", *, form: str = "full") -> dict:
    """The match JSON of a report; ``form="compact"`` builds what ``compact(report_to_dict(report))``
    gives, directly (no full document first)."""
    from huiqi.rules.engine import SCHEMA_VERSION

    refs = _Refs() if form == "compact" else None
    out = {
        "schema": SCHEMA_VERSION,
        "on": report.on.isoformat(),
        "policy_version": report.policy_version,
        "enterprise": {"uscc": report.profile.uscc, "name": report.profile.name},
        "results": [result_to_dict(r, report.vocabulary, refs) for r in report.results],
        "total_ceiling": str(to_fen(report.total_ceiling)),
        "potential_ceiling": str(to_fen(report.potential_ceiling)),
        "warnings": [_unread(name, report.vocabulary) for name in report.unread_facts],
    }
    if refs is not None:
        out.update({"form": "compact", "clauses": refs.clauses, "notes": refs.notes})
    return out


def _unread(name: str, vocab: Vocabulary) -> dict:
    f = vocab.fact(name)
    label_zh, label_en = (f.zh, f.en) if f else (name, name)
    return {
        "kind": "unread_fact",
        "fact": name,
        "zh": f"填写了{label_zh}（{name}），但没有规则读取它：它不影响任何结果",
        "en": f"{label_en} ({name}) was given but no rule reads it: it changes no result",
    }


# ---------------------------------------------------------------- compact and summary forms (opt-in)

SUMMARY_FIELDS = ("programme", "document_id", "title", "title_en", "claim", "claim_kind", "status", "status_zh", "status_en", "ceiling", "possible_ceiling", "discretionary", "needs_officer_decision")


def report_summary(report: "MatchReport") -> dict:
    """``detail=summary``: the same document with each result cut to what a list shows
    (``SUMMARY_FIELDS`` plus the missing facts' names), built without the explanations."""
    from huiqi.rules.engine import SCHEMA_VERSION, STATUS_LABELS

    results = []
    for r in report.results:
        zh, en = STATUS_LABELS[r.status]
        p = r.programme
        results.append(
            {
                "programme": p.id,
                "document_id": r.document.id,
                "title": p.title,
                "title_en": p.title_en,
                "claim": r.claim.id if r.claim else None,
                "claim_kind": p.subject if p.subject != "enterprise" else None,
                "status": r.status,
                "status_zh": zh,
                "status_en": en,
                "ceiling": None if r.ceiling is None else str(r.ceiling),
                "possible_ceiling": None if r.possible_ceiling is None else str(r.possible_ceiling),
                "discretionary": r.discretionary,
                "needs_officer_decision": bool(r.soft_failed),
                "missing": ([f"claim:{r.missing_claim}"] if r.missing_claim and r.status == "needs_info" else []) + sorted(r.missing),
            }
        )
    return {
        "schema": SCHEMA_VERSION,
        "detail": "summary",
        "on": report.on.isoformat(),
        "policy_version": report.policy_version,
        "enterprise": {"uscc": report.profile.uscc, "name": report.profile.name},
        "results": results,
        "total_ceiling": str(to_fen(report.total_ceiling)),
        "potential_ceiling": str(to_fen(report.potential_ceiling)),
    }


def compact(doc: dict) -> dict:
    """``form=compact``: every clause (``{document, ref, line, text}``) and every interpretation note
    (``{id, zh, en}``) once per response, in top-level ``clauses`` / ``notes`` maps, referenced from
    the results by key (``"c0"``, ``"n0"``). ``expand(compact(d)) == d``."""
    refs = _Refs()
    results = []
    for r in doc["results"]:
        r = dict(r)
        r["citations"] = [refs.seen.get(id(c)) or refs.clause(c) for c in r["citations"]]
        r["notes"] = [refs.seen.get(id(n)) or refs.note(n) for n in r["notes"]]
        for k in ("failed", "soft_failed", "caps"):
            r[k] = refs.clauses_of(r[k])
        results.append(r)
    return {**doc, "form": "compact", "results": results, "clauses": refs.clauses, "notes": refs.notes}


def expand(doc: dict) -> dict:
    """The full form of a ``compact`` document (what a client does to read one)."""
    cl, nt = doc["clauses"], doc["notes"]
    results = []
    for r in doc["results"]:
        r = dict(r)
        r["citations"] = [cl[c] for c in r["citations"]]
        r["notes"] = [nt[n] for n in r["notes"]]
        for k in ("failed", "soft_failed", "caps"):
            r[k] = [{**x, "clause": cl[x["clause"]] if x.get("clause") is not None else None} if "clause" in x else x for x in r[k]]
        results.append(r)
    out = {k: v for k, v in doc.items() if k not in ("form", "clauses", "notes")}
    out["results"] = results
    return out
