"""The self-check: ask only the facts the engine still needs (``missing`` of ``needs_info`` results).

The profile travels in the form as JSON (it is the visitor's own data and is re-checked against
the vocabulary on every step); each answer is checked with the fact's own coercion, so a bad
value is shown next to its field and never reaches the profile.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from huiqi.rules import InputError, PolicySet, evaluate, parse_profile
from huiqi.rules.facts import FactValueError

FIELD_PREFIX = "f:"
_CLAIM_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass
class Question:
    key: str  # form field name
    fact: str  # full fact name
    subject: str  # enterprise / call / claim kind
    claim: str | None
    type: str
    zh: str
    en: str
    unit: str | None
    values: tuple[str, ...] = ()
    help_zh: str | None = None
    help_en: str | None = None
    programmes: list[str] = field(default_factory=list)
    value: str = ""
    error: tuple[str, str] | None = None


@dataclass
class Step:
    profile: dict
    report: dict | None
    questions: list[Question]
    claim_offers: list[dict]  # kinds the visitor may add: {kind, zh, en, programmes}
    errors: list[tuple[str, str, str]]  # (field, zh, en)
    on: dt.date
    programmes: list[str]


def empty_profile() -> dict:
    return {"enterprise": {}, "call": {}, "claims": []}


def load_profile_field(raw: str | None) -> dict:
    if not raw:
        return empty_profile()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return empty_profile()
    if not isinstance(data, dict):
        return empty_profile()
    prof = empty_profile()
    for key in ("enterprise", "call"):
        if isinstance(data.get(key), dict):
            prof[key] = {str(k): v for k, v in data[key].items() if isinstance(v, (str, bool, int)) or v is None}
    if isinstance(data.get("claims"), list):
        prof["claims"] = [c for c in data["claims"] if isinstance(c, dict) and isinstance(c.get("kind"), str) and _CLAIM_ID.match(str(c.get("id", "")))][:20]
    return prof


def _set_fact(ps: PolicySet, prof: dict, subject_key: str, claim: dict | None, name: str, raw: str, errors: list, key: str) -> None:
    vocab = ps.vocabulary
    subject = claim["kind"] if claim is not None else subject_key
    fdef = vocab.fact(f"{subject}.{name}")
    target = claim if claim is not None else prof[subject_key]
    if fdef is None:
        return
    raw = raw.strip()
    if raw == "":
        target.pop(name, None)
        return
    try:
        fdef.coerce(raw, field=key)
    except FactValueError as exc:
        errors.append((key, exc.problem.message_zh, exc.problem.message_en))
        target.pop(name, None)
        return
    except ValueError as exc:
        errors.append((key, getattr(exc, "message_zh", str(exc)), getattr(exc, "message_en", str(exc))))
        target.pop(name, None)
        return
    target[name] = raw


def apply_answers(ps: PolicySet, prof: dict, form: dict[str, str], add_kinds: list[str]) -> list[tuple[str, str, str]]:
    """Merge the submitted answers into the profile; return the fields that could not be read."""
    errors: list[tuple[str, str, str]] = []
    claims_by_id = {c["id"]: c for c in prof["claims"]}
    for key, value in form.items():
        if not key.startswith(FIELD_PREFIX):
            continue
        parts = key[len(FIELD_PREFIX):].split(":")
        if len(parts) == 2 and parts[0] in ("enterprise", "call"):
            if parts[0] == "enterprise" and parts[1] in ("name", "uscc"):
                if value.strip():
                    prof["enterprise"][parts[1]] = value.strip()
                else:
                    prof["enterprise"].pop(parts[1], None)
                continue
            _set_fact(ps, prof, parts[0], None, parts[1], value, errors, key)
        elif len(parts) == 3 and parts[0] == "claim" and parts[1] in claims_by_id:
            if parts[2] == "label":
                claims_by_id[parts[1]]["label"] = value.strip()[:100]
                continue
            _set_fact(ps, prof, "", claims_by_id[parts[1]], parts[2], value, errors, key)
    kinds = set(ps.vocabulary.claim_kinds())
    for kind in add_kinds:
        if kind in kinds and len(prof["claims"]) < 20:
            n = 1 + sum(1 for c in prof["claims"] if c["kind"] == kind)
            cid = f"{kind}-{n}"
            while cid in claims_by_id:
                n += 1
                cid = f"{kind}-{n}"
            claim = {"id": cid, "kind": kind}
            prof["claims"].append(claim)
            claims_by_id[cid] = claim
    if "uscc" in prof["enterprise"]:
        from huiqi.uscc import is_valid_uscc

        if not is_valid_uscc(str(prof["enterprise"]["uscc"])):
            errors.append((f"{FIELD_PREFIX}enterprise:uscc", "统一社会信用代码校验不通过", "the unified social credit code does not check out"))
            prof["enterprise"].pop("uscc")
    return errors


def remove_claim(prof: dict, claim_id: str) -> None:
    prof["claims"] = [c for c in prof["claims"] if c.get("id") != claim_id]


def step(ps: PolicySet, prof: dict, *, on: dt.date, programmes: list[str], errors: list | None = None, form: dict | None = None) -> Step:
    errors = list(errors or [])
    programmes = [p for p in programmes if ps.programme(p) is not None]
    report = None
    try:
        profile = parse_profile(prof, ps.vocabulary)
        report = evaluate(ps, profile, on=on, programmes=programmes or None).to_dict()
    except InputError as exc:  # values stored in the profile field that no longer fit
        for p in exc.problems:
            errors.append((p.field, p.message_zh, p.message_en))
    questions: dict[str, Question] = {}
    offers: dict[str, dict] = {}
    vocab = ps.vocabulary
    for r in (report or {}).get("results", []):
        if r["status"] != "needs_info":
            continue
        for m in r["missing"]:
            if m["type"] == "claim":
                kind = m["subject"]
                sub = vocab.subjects.get(kind)
                offer = offers.setdefault(kind, {"kind": kind, "zh": sub.zh if sub else kind, "en": sub.en if sub else kind, "programmes": []})
                offer["programmes"].append(r["programme"])
                continue
            subject, _, name = m["fact"].partition(".")
            fdef = vocab.fact(m["fact"])
            if fdef is None:
                continue
            if subject in ("enterprise", "call"):
                key = f"{FIELD_PREFIX}{subject}:{name}"
                claim = None
            else:
                if not r["claim"]:
                    continue
                key = f"{FIELD_PREFIX}claim:{r['claim']}:{name}"
                claim = r["claim"]
            q = questions.get(key)
            if q is None:
                q = questions[key] = Question(key, m["fact"], subject, claim, fdef.type, fdef.zh, fdef.en, fdef.unit, fdef.values, fdef.help_zh, fdef.help_en)
            if r["programme"] not in q.programmes:
                q.programmes.append(r["programme"])
    for key, zh, en in errors:
        if key in questions:
            questions[key].error = (zh, en)
            questions[key].value = (form or {}).get(key, "")
    order = {"enterprise": 0, "call": 1}
    ordered = sorted(questions.values(), key=lambda q: (order.get(q.subject, 2), q.claim or "", q.fact))
    return Step(profile=prof, report=report, questions=ordered, claim_offers=list(offers.values()), errors=errors, on=on, programmes=programmes)
