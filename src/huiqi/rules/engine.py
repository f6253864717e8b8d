"""Evaluate a profile against every loaded programme: three-valued, explained, capped.

For each programme × claim subject the result says whether the enterprise is
``eligible``, ``ineligible``, ``needs_info``, ``not_in_force`` or ``out_of_scope``,
the ceiling (Decimal yuan), the steps, the failed criteria with their clause, the
原则上 criteria an officer must decide on, the facts still missing and the citations.
Then the per-entity annual caps are applied across claims, with the clipping shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from huiqi.rules import expr as E
from huiqi.rules import model as M
from huiqi.rules import versions
from huiqi.rules.amounts import (
    AmountOutcome,
    ScheduleItem,
    Step,
    amount_bound,
    evaluate_amount,
    to_fen,
    yuan,
)
from huiqi.rules.facts import CALL, ENTERPRISE
from huiqi.rules.profile import Claim, Profile

ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
NEEDS_INFO = "needs_info"
NOT_IN_FORCE = "not_in_force"
OUT_OF_SCOPE = "out_of_scope"
STATUSES = (ELIGIBLE, INELIGIBLE, NEEDS_INFO, NOT_IN_FORCE, OUT_OF_SCOPE)
STATUS_LABELS = {
    ELIGIBLE: ("符合条件", "eligible"),
    INELIGIBLE: ("不符合条件", "ineligible"),
    NEEDS_INFO: ("需补充信息", "needs information"),
    NOT_IN_FORCE: ("不在政策有效期内", "not in force"),
    OUT_OF_SCOPE: ("不在政策适用范围内", "out of scope"),
}

SCHEMA_VERSION = "1"

AWARDS_UNKNOWN = M.Note(
    "awards-unknown",
    "未提供已获支持记录（awards）：本结果按此前未获该项支持计算（一次性、每两年、同一品种只计一次、累计上限）；审核时以区级台账为准。",
    "No record of support already granted (awards) was given: this result assumes none was granted before "
    "(one-off, biennial, once-per-variety and lifetime limits); the officer checks the district's ledger before approval.",
)


@dataclass
class CriterionOutcome:
    id: str
    label_zh: str
    label_en: str
    test: str
    clause: M.Clause
    soft: bool
    value: bool | None
    note: str | None = None

    def to_dict(self, document: str) -> dict:
        return {
            "criterion": self.id,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "test": self.test,
            "soft": self.soft,
            "clause": self.clause.to_dict(document),
            **({"note": self.note} if self.note else {}),
        }


@dataclass
class CapClip:
    cap: str
    label_zh: str
    label_en: str
    limit: Decimal
    before: Decimal
    after: Decimal
    clause: M.Clause

    def to_dict(self, document: str) -> dict:
        return {
            "cap": self.cap,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "limit": str(to_fen(self.limit)),
            "before": str(to_fen(self.before)),
            "after": str(to_fen(self.after)),
            "clipped": str(to_fen(self.before - self.after)),
            "clause": self.clause.to_dict(document),
        }


@dataclass
class Result:
    programme: M.Programme
    document: M.Document
    claim: Claim | None
    status: str
    ceiling: Decimal | None = None
    steps: list[Step] = field(default_factory=list)
    failed: list[CriterionOutcome] = field(default_factory=list)
    soft_failed: list[CriterionOutcome] = field(default_factory=list)
    passed: list[CriterionOutcome] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    missing_claim: str | None = None
    schedule: list[ScheduleItem] = field(default_factory=list)
    citations: list[M.Clause] = field(default_factory=list)
    caps: list[CapClip] = field(default_factory=list)
    reason_zh: str = ""
    reason_en: str = ""
    uncapped: Decimal | None = None
    cap_year: int = 0
    # The most this result can reach once the missing facts are given: the ceiling when known,
    # else the support standard's 最高 / highest case still possible (after per-entity caps);
    # None when unbounded or not eligible / needs_info.
    possible_ceiling: Decimal | None = None
    # Multi-year support: this support year's amount (the ceiling is the whole support left).
    this_year: Decimal | None = None
    # Notes that bear on this result beyond the programme's own (e.g. awards-unknown).
    extra_notes: list[M.Note] = field(default_factory=list)
    # (event date, application date) when the event date is after the application: an input error.
    future_event: tuple[dt.date, dt.date] | None = None

    @property
    def discretionary(self) -> bool:
        return self.programme.support.discretionary

    def notes(self) -> list[M.Note]:
        """The interpretation notes that bear on this result, each once: the programme's own (and the
        document notes it names), those named by its scope and criteria, the document notes for every
        result (``when: always``), for 最高/择优 support or for a capped programme, and any the
        evaluation added (e.g. awards-unknown)."""
        base = _base_notes(self.programme, self.document)
        if not self.extra_notes:
            return list(base)
        seen = {n.id for n in base}
        out = list(base)
        for n in self.extra_notes:
            if n.id not in seen:
                seen.add(n.id)
                out.append(n)
        return out


# (id(programme), id(document)) → (programme, document, notes): what Result.notes() finds before any
# note the evaluation adds; the entry keeps both objects alive, so the ids stand for them.
_BASE_NOTES: dict[tuple[int, int], tuple[M.Programme, M.Document, tuple[M.Note, ...]]] = {}


def _base_notes(p: M.Programme, d: M.Document) -> tuple[M.Note, ...]:
    hit = _BASE_NOTES.get((id(p), id(d)))
    if hit is not None and hit[0] is p and hit[1] is d:
        return hit[2]
    named = {c.note for c in (*p.scope_in(d), *p.criteria) if c.note}
    capped = any(p.id in cap.programmes for cap in d.caps)
    out: list[M.Note] = list(p.notes)
    for n in d.notes:
        if (
            n.id in named
            or n.when == "always"
            or (n.when == "discretionary" and p.support.discretionary)
            or (n.when == "capped" and capped)
        ):
            out.append(n)
    seen: set[str] = set()
    notes = tuple(n for n in out if not (n.id in seen or seen.add(n.id)))  # type: ignore[func-returns-value]
    if len(_BASE_NOTES) > 20_000:
        _BASE_NOTES.clear()
    _BASE_NOTES[(id(p), id(d))] = (p, d, notes)
    return notes


@dataclass
class MatchReport:
    on: dt.date
    results: list[Result]
    policy_version: str
    vocabulary: Any
    profile: Profile

    @property
    def unread_facts(self) -> list[str]:
        """Facts the profile gives that no rule of the evaluated documents reads (rules/lint.py)."""
        from huiqi.rules.lint import unread_profile_facts

        documents = list({id(r.document): r.document for r in self.results}.values())
        return unread_profile_facts(documents, self.profile, self.vocabulary)

    @property
    def total_ceiling(self) -> Decimal:
        return sum((r.ceiling for r in self.results if r.status == ELIGIBLE and r.ceiling is not None), Decimal(0))

    @property
    def potential_ceiling(self) -> Decimal:
        """What the enterprise might get once the facts are in: eligible ceilings plus, for each
        needs-info result about a described subject, its possible ceiling (a result still waiting
        for a claim subject to be described is not counted: the enterprise has not said it has one)."""
        counted = [r for r in self.results if r.status in (ELIGIBLE, NEEDS_INFO) and not r.missing_claim]
        return sum((r.possible_ceiling for r in counted if r.possible_ceiling is not None), Decimal(0))

    def to_dict(self, form: str = "full") -> dict:
        """The match JSON (docs/match-json.md); ``form="compact"``: clauses and notes once, by key."""
        from huiqi.rules.report import report_to_dict

        return report_to_dict(self, form=form)


class _Lookup:
    """Resolves names for one programme × claim: facts from the profile, parameters at a date.
    ``facts``, when given, is every fact of the profile and the claim by its full name (see
    :func:`_facts_by_name`): answered by one dict look-up."""

    __slots__ = ("enterprise", "call", "claim", "claim_kind", "params", "doc_params", "on", "facts")

    def __init__(
        self,
        profile: Profile,
        claim: Claim | None,
        programme: M.Programme,
        document: M.Document,
        on: dt.date,
        facts: dict[str, E.Value] | None = None,
    ):
        self.enterprise = profile.enterprise
        self.call = profile.call
        self.claim = claim.facts if claim else {}
        self.claim_kind = claim.kind if claim else None
        self.params = programme.parameters
        self.doc_params = document.parameters
        self.on = on
        self.facts = facts

    def __call__(self, name: str) -> E.Value:
        facts = self.facts
        if facts is not None:
            value = facts.get(name, _ABSENT)
            if value is not _ABSENT:
                return value  # type: ignore[return-value]
            if "." in name:  # a fact not given (or of another claim kind): unknown
                return None
            param = self.params.get(name) or self.doc_params.get(name)
            return param.at(self.on) if param else None  # type: ignore[return-value]
        subject, _, fact = name.partition(".")
        if fact:
            if subject == ENTERPRISE:
                return self.enterprise.get(fact)
            if subject == CALL:
                if fact == "date":
                    return self.call.get("date", self.on)
                return self.call.get(fact)
            if subject == self.claim_kind:
                return self.claim.get(fact)
            return None
        param = self.params.get(name) or self.doc_params.get(name)
        return param.at(self.on) if param else None  # type: ignore[return-value]


_ABSENT = object()


def _facts_by_name(profile: Profile, claim: Claim | None, on: dt.date, memo: dict | None) -> dict[str, E.Value] | None:
    """The facts a :class:`_Lookup` answers by their full names — the enterprise's, the call's (with
    ``call.date`` defaulting to the evaluation date) and the claim's — built once per claim of one
    evaluation (kept in ``memo``); None without a memo."""
    if memo is None:
        return None
    key = ("facts", id(claim))
    facts = memo.get(key)
    if facts is None:
        facts = {f"{ENTERPRISE}.{k}": v for k, v in profile.enterprise.items()}
        facts.update({f"{CALL}.{k}": v for k, v in profile.call.items()})
        facts[f"{CALL}.date"] = profile.call.get("date", on)
        if claim is not None:
            facts.update({f"{claim.kind}.{k}": v for k, v in claim.facts.items()})
        memo[key] = facts
    return facts


def _note(note_id: str | None, programme: M.Programme, document: M.Document) -> M.Note | None:
    if not note_id:
        return None
    return next((n for n in (*programme.notes, *document.notes) if n.id == note_id), None)


def _outcome(c: M.Criterion, value: E.Value) -> CriterionOutcome:
    return CriterionOutcome(c.id, c.label_zh, c.label_en, c.source, c.clause, c.soft, value if isinstance(value, bool) or value is None else bool(value), c.note)


def _unknown_facts(node: E.Node, lookup: _Lookup) -> set[str]:
    return {n for n in E.fact_names(node) if lookup(n) is None}


# id(node) → (node, what its value depends on): see _test
_READS: dict[int, tuple[E.Node, int]] = {}
_PARAMETERS, _PROFILE, _CLAIM = 0, 1, 2


def _reads(node: E.Node) -> int:
    """``_PARAMETERS`` when the test reads a parameter (the programme's own), else ``_CLAIM`` when it
    reads a claim subject's fact, else ``_PROFILE`` (enterprise and call facts only)."""
    hit = _READS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    subjects = {n.partition(".")[0] if "." in n else None for n in E.names_in(node)}
    reads = _PARAMETERS if None in subjects else _PROFILE if subjects <= {ENTERPRISE, CALL} else _CLAIM
    if len(_READS) > 50_000:
        _READS.clear()
    _READS[id(node)] = (node, reads)
    return reads


_NOTHING: frozenset[str] = frozenset()


def _test(
    node: E.Node, lookup: _Lookup, claim: Claim | None, memo: dict | None
) -> tuple[E.Value, frozenset[str] | set[str]]:
    """A scope or criterion test's value and, when unknown, the facts it misses. A test that reads
    facts only (no parameter: those are the programme's) has the same value for every programme of
    one evaluation judged for the same claim — or for any claim, when it reads only enterprise and
    call facts: the lookup answers those from the profile, and a claim's facts from that claim.
    ``memo`` keeps it for the evaluation."""
    reads = _reads(node) if memo is not None else _PARAMETERS
    if reads:
        key = (id(node), id(claim) if reads == _CLAIM else 0)
        hit = memo.get(key)  # type: ignore[union-attr]
        if hit is not None and hit[0] is node:
            return hit[1], hit[2]
        value = E.evaluate(node, lookup)
        unknown = _unknown_facts(node, lookup) if value is None else _NOTHING
        memo[key] = (node, value, unknown)  # type: ignore[index]
        return value, unknown
    value = E.evaluate(node, lookup)
    return value, (_unknown_facts(node, lookup) if value is None else _NOTHING)


def _window_check(programme: M.Programme, document: M.Document, lookup: _Lookup, on: dt.date, result: Result) -> bool | None:
    """Is the event (or, without one, the evaluation date) inside the document's window?"""
    windows = [document.in_force] + ([document.retroactive] if document.retroactive else [])
    if on < document.issued:
        result.reason_zh = f"评估日 {on} 早于文件发布日 {document.issued}"
        result.reason_en = f"the evaluation date {on} is before the document was issued ({document.issued})"
        return False
    applied = lookup("call.date")
    applied = applied if isinstance(applied, dt.date) else on
    end = document.in_force.end
    if end is not None and applied > end:  # an application after the document's end is not taken
        result.reason_zh = f"申报（评估）日 {applied} 晚于政策有效期截止日 {end}：文件已失效，不再受理"
        result.reason_en = f"the application (evaluation) date {applied} is after the document's end date {end}: it no longer applies"
        if document.in_force.clause:
            result.citations.append(document.in_force.clause)
        return False
    if programme.event_date is not None and document.window_basis == "event_date":
        day = E.evaluate(programme.event_date, lookup)
        if day is None:
            result.missing |= _unknown_facts(programme.event_date, lookup)
            return None
        event = True
        if isinstance(day, dt.date) and day > applied:  # an input error: evaluate() refuses the profile
            result.future_event = (day, applied)
    else:
        day, event = on, False
    if not isinstance(day, dt.date):
        return None
    if document.in_force.contains(day) or (document.retroactive is not None and document.retroactive.contains(day)):
        return True
    if event:
        what_zh, what_en = f"事项发生日 {day}", f"the event date {day}"
    else:
        what_zh, what_en = f"评估日 {on}", f"the evaluation date {on}"
    spans = "；".join(w.describe() for w in windows)
    result.reason_zh = f"{what_zh}不在政策有效期（含追溯期）内：{spans}"
    result.reason_en = f"{what_en} is outside the document's window (in force and retroactive): {spans}"
    for w in windows:
        if w.clause:
            result.citations.append(w.clause)
    return False


def _evaluate_one(
    programme: M.Programme,
    document: M.Document,
    profile: Profile,
    claim: Claim | None,
    on: dt.date,
    missing_claim: str | None = None,
    memo: dict | None = None,
) -> Result:
    # the version of the document in force for this claim's event (rules/versions.py)
    facts = _facts_by_name(profile, claim, on, memo)
    programme, document = versions.pick(programme, document, lambda p, d: _Lookup(profile, claim, p, d, on, facts), on)
    lookup = _Lookup(profile, claim, programme, document, on, facts)
    result = Result(programme, document, claim, NEEDS_INFO, missing_claim=missing_claim)
    # 1. scope: the programme's own when it has one (it replaces the document's), else the document's
    scope_unknown = False
    for c in programme.scope_in(document):
        value, unknown_names = _test(c.test, lookup, claim, memo)
        if value is False:
            result.status = OUT_OF_SCOPE
            result.failed.append(_outcome(c, value))
            result.citations.append(c.clause)
            if programme.scope is not None:
                result.reason_zh = f"不在《{document.number}》{programme.id} 项目的适用范围内"
                result.reason_en = f"outside the scope of programme {programme.id} of {document.number}"
            else:
                result.reason_zh = f"不在《{document.number}》适用范围内"
                result.reason_en = f"outside the scope of {document.number}"
            note = _note(c.note, programme, document)
            if note is not None:  # a reading, not a quotation: say so where it refuses
                result.reason_zh += f"：{c.label_zh}（系解释，非原文：{note.zh}）"
                result.reason_en += f": {c.label_en} (a reading, not the text: {note.en})"
                result.extra_notes.append(note)
            result.missing = set()
            return result
        if value is None:
            scope_unknown = True
            result.missing |= unknown_names
    # 2. the validity window
    in_window = _window_check(programme, document, lookup, on, result)
    if in_window is False:
        result.status = NOT_IN_FORCE
        result.missing = set()
        return result
    # 3. criteria, hard and soft (原则上)
    unknown = scope_unknown or in_window is None
    for c in programme.criteria:
        value, unknown_names = _test(c.test, lookup, claim, memo)
        result.citations.append(c.clause)
        if value is None:
            unknown = True
            result.missing |= unknown_names
        elif value is False:
            (result.soft_failed if c.soft else result.failed).append(_outcome(c, value))
        else:
            result.passed.append(_outcome(c, value))
    # 4. the amount
    outcome: AmountOutcome = evaluate_amount(programme.support.amount, lookup)
    result.steps = outcome.steps
    result.schedule = outcome.schedule
    result.citations.append(programme.support.clause)
    result.citations.extend(outcome.clauses)
    if outcome.not_applicable is not None and not outcome.unknown_names:
        result.failed.append(
            CriterionOutcome("support_standard", outcome.not_applicable.zh, outcome.not_applicable.en, "support.amount", programme.support.clause, False, False)
        )
    amount_unknown = outcome.value is None and bool(outcome.unknown_names)
    if amount_unknown:
        result.missing |= {n for n in outcome.unknown_names if "." in n}
    if missing_claim:
        unknown = True
    # 5. status
    if result.failed:
        result.status = INELIGIBLE
    elif unknown or amount_unknown:
        result.status = NEEDS_INFO
    else:
        result.status = ELIGIBLE
    if result.status != NEEDS_INFO:
        result.missing = set()
    if result.status in (ELIGIBLE, NEEDS_INFO) and outcome.value is not None and not missing_claim:
        result.ceiling = to_fen(outcome.value)
        result.uncapped = result.ceiling
        if outcome.this_year is not None:
            result.this_year = to_fen(outcome.this_year)
    result.cap_year = _cap_year(programme, document, lookup, on)
    return result


def _cap_year(programme: M.Programme, document: M.Document, lookup: "_Lookup", on: dt.date) -> int:
    """The year a per-entity annual cap counts this result in: the event's year where the document
    dates support by event (retroactive windows span years), else the application year."""
    if document.window_basis == "event_date" and programme.event_date is not None:
        day = E.evaluate(programme.event_date, lookup)
        if isinstance(day, dt.date):
            return day.year
    return on.year


def _none_applies(
    programme: M.Programme, document: M.Document, profile: Profile, on: dt.date, memo: dict | None = None
) -> Result:
    """The enterprise has claims of this kind, but none is of the sort this programme supports."""
    result = _evaluate_one(programme, document, profile, None, on, memo=memo)
    if result.status in (OUT_OF_SCOPE, NOT_IN_FORCE):
        return result
    result.status = INELIGIBLE
    result.ceiling = result.uncapped = None
    result.steps, result.schedule, result.missing = [], [], set()
    result.failed.append(
        CriterionOutcome(
            "applies_when",
            "所填申报主体均不属于本项目支持的情形",
            "none of the claims described is of the kind this programme supports",
            E.to_source(programme.applies_when) if programme.applies_when is not None else "",
            programme.support.clause,
            False,
            False,
        )
    )
    return result


def _once_key(r: Result, once: M.Once, profile: Profile) -> tuple[tuple[Any, ...] | None, set[str]]:
    """The count-once key of a result: the values of ``once.per`` (None with the facts to ask when unknown)."""
    values, missing = [], set()
    for name in once.per:
        if name == ENTERPRISE:
            values.append(profile.uscc or ENTERPRISE)
            continue
        subject, _, fact = name.partition(".")
        if subject == ENTERPRISE:
            value = profile.enterprise.get(fact)
        elif subject == CALL:
            value = profile.call.get(fact)
        else:
            value = r.claim.facts.get(fact) if r.claim is not None else None
        if value is None:
            missing.add(name)
        values.append(value)
    return (None, missing) if missing else (tuple(values), set())


def _within(once: M.Once, year_a: int, year_b: int) -> bool:
    if once.within == "year":
        return year_a == year_b
    if once.within == "years":
        return abs(year_a - year_b) < (once.years or 1)
    return True


def _show_key(once: M.Once, key: tuple[Any, ...]) -> str:
    shown = [str(v) for n, v in zip(once.per, key) if n != ENTERPRISE]
    return "、".join(shown) if shown else "本单位"


def _show_key_en(once: M.Once, key: tuple[Any, ...]) -> str:
    shown = [str(v) for n, v in zip(once.per, key) if n != ENTERPRISE]
    return ", ".join(shown) if shown else "this entity"


def _count_once(results: list[Result], programme: M.Programme, document: M.Document, profile: Profile) -> None:
    """``once``: claims sharing a key within the span count once, and a key already awarded
    (the profile's ``awards``) within the span is not awarded again."""
    once = programme.support.once
    if once is None:
        return
    clause = once.clause or programme.support.clause
    test = f"once per {', '.join(once.per)} within {once.within}" + (f" {once.years}" if once.years else "")
    keyed: list[tuple[Result, tuple[Any, ...]]] = []
    for r in results:
        if r.status not in (ELIGIBLE, NEEDS_INFO) or (r.claim is None and programme.subject != ENTERPRISE):
            continue
        key, missing = _once_key(r, once, profile)
        if key is None:
            r.status = NEEDS_INFO
            r.missing |= missing
            continue
        keyed.append((r, key))
    # 1. within this evaluation: one per key within the span (the higher amount kept)
    groups: dict[tuple[Any, ...], list[Result]] = {}
    for r, key in keyed:
        groups.setdefault(key, []).append(r)
    for key, members in groups.items():
        members.sort(key=lambda r: r.cap_year)
        while members:
            head = members[0]
            cluster = [m for m in members if _within(once, head.cap_year, m.cap_year)]
            members = [m for m in members if m not in cluster]
            if len(cluster) < 2:
                continue
            keep = max(cluster, key=lambda r: (r.status == ELIGIBLE, r.ceiling or Decimal(0)))
            for r in cluster:
                if r is keep:
                    continue
                r.status = INELIGIBLE
                r.ceiling = None
                r.this_year = None
                other = keep.claim.id if keep.claim else keep.programme.id
                r.failed.append(
                    CriterionOutcome(
                        "count_once",
                        f"与 {other} 属同一支持对象（{_show_key(once, key)}），{once.describe()[0]}只支持一次",
                        f"the same subject as {other} ({_show_key_en(once, key)}): supported once {once.describe()[1]}",
                        test, clause, False, False,
                    )
                )
                r.citations.append(clause)
    # 2. across rounds: the profile's awards
    if profile.awards is None:
        for r, _key in keyed:
            if r.status in (ELIGIBLE, NEEDS_INFO) and AWARDS_UNKNOWN not in r.extra_notes:
                r.extra_notes.append(AWARDS_UNKNOWN)
        return
    sharing = {programme.id, *once.programmes}
    for r, key in keyed:
        if r.status not in (ELIGIBLE, NEEDS_INFO):
            continue
        for a in profile.awards:
            if a.document != document.id or a.programme not in sharing:
                continue
            if not _within(once, a.year, r.cap_year):
                continue
            if any(n != ENTERPRISE and (n not in a.key or a.key[n] != v) for n, v in zip(once.per, key)):
                continue
            r.status = INELIGIBLE
            r.ceiling = r.this_year = None
            r.missing = set()
            r.failed.append(
                CriterionOutcome(
                    "once",
                    f"已于 {a.year} 年度在 {a.programme} 获得支持 {yuan(a.amount)} 元（{_show_key(once, key)}），"
                    f"{once.describe()[0]}只支持一次",
                    f"already supported under {a.programme} for {a.year} with {yuan(a.amount)} yuan "
                    f"({_show_key_en(once, key)}): supported once {once.describe()[1]}",
                    test, clause, False, False,
                )
            )
            r.citations.append(clause)
            break


def _apply_caps(report_results: list[Result], documents: Iterable[M.Document], profile: Profile, on: dt.date) -> None:
    for document in documents:
        for cap in document.caps:
            if versions.cap_superseded(document, cap):
                continue
            everyone = [r for r in report_results if r.programme.id in cap.programmes and r.ceiling is not None and r.status in (ELIGIBLE, NEEDS_INFO) and versions.same_family(r.document, document)]
            if not everyone:
                continue
            lookup = _Lookup(profile, None, everyone[0].programme, document, on)
            limit = E.evaluate(cap.amount, lookup)
            if not isinstance(limit, Decimal):
                continue
            if cap.over == "policy":
                _clip(cap, limit, everyone, _granted(cap, document, profile, None))
                if profile.awards is None:
                    for r in everyone:
                        if AWARDS_UNKNOWN not in r.extra_notes:
                            r.extra_notes.append(AWARDS_UNKNOWN)
                continue
            for year in sorted({r.cap_year for r in everyone}):
                _clip(cap, limit, [r for r in everyone if r.cap_year == year], _granted(cap, document, profile, year))


def _granted(cap: M.Cap, document: M.Document, profile: Profile, year: int | None) -> Decimal:
    """What the profile's awards already used of a cap (all years for a lifetime cap, else that year)."""
    return sum(
        (
            a.amount
            for a in profile.awards or ()
            if a.document == document.id and a.programme in cap.programmes and (year is None or a.year == year)
        ),
        Decimal(0),
    )


def _clip(cap: M.Cap, limit: Decimal, members: list[Result], granted: Decimal = Decimal(0)) -> None:
    """Fill one entity's cap (one year's, or the policy's life) in order, eligible results first,
    after what was already granted, clipping what does not fit."""
    members.sort(key=lambda r: r.status != ELIGIBLE)  # stable: eligible first, in order
    used = granted
    lifetime = cap.over == "policy"
    for r in members:
        room = max(limit - used, Decimal(0))
        if r.ceiling > room:  # type: ignore[operator]
            r.caps.append(CapClip(cap.id, cap.label_zh, cap.label_en, limit, r.ceiling, room, cap.clause))  # type: ignore[arg-type]
            before = f"（已获 {yuan(granted)} 元）" if granted else ""
            before_en = f" (already granted {yuan(granted)})" if granted else ""
            if lifetime:
                zh = f"单位累计上限 {yuan(limit)} 元{before}，本项最多 {yuan(room)} 元"
                en = f"per-entity lifetime cap {yuan(limit)} yuan{before_en}: at most {yuan(room)} yuan here"
            else:
                zh = f"单位年度上限 {yuan(limit)} 元{before}，本项最多 {yuan(room)} 元"
                en = f"per-entity annual cap {yuan(limit)} yuan{before_en}: at most {yuan(room)} yuan here"
            r.steps.append(Step(zh, en, f"{yuan(limit)} 元 − {yuan(used)} 元 = {yuan(room)} 元 < {yuan(r.ceiling)} 元 → {yuan(room)} 元", room))
            r.citations.append(cap.clause)
            r.ceiling = to_fen(room)
            if r.this_year is not None and r.this_year > r.ceiling:
                r.this_year = r.ceiling
            if r.ceiling == 0:
                r.reason_zh = "已达累计上限" if lifetime else "已达年度上限"
                r.reason_en = "lifetime cap reached" if lifetime else "annual cap reached"
        used += r.ceiling  # type: ignore[operator]


def _set_possible(results: list[Result], policies: M.PolicySet, profile: Profile, on: dt.date) -> None:
    """Each eligible / needs-info result's possible ceiling (see ``Result.possible_ceiling``)."""
    vocab: Any = policies.vocabulary

    def nonneg(name: str) -> bool:  # the profile refuses negative money and counts
        return getattr(vocab.fact(name), "type", None) in ("money", "int")

    for r in results:
        if r.status not in (ELIGIBLE, NEEDS_INFO):
            continue
        if r.ceiling is not None:
            r.possible_ceiling = r.ceiling
            continue
        if r.status == NEEDS_INFO:
            lookup = _Lookup(profile, r.claim, r.programme, r.document, on)
            most = amount_bound(r.programme.support.amount, lookup, nonneg)
            r.possible_ceiling = None if most is None else to_fen(most)
    for document in policies.documents:
        for cap in document.caps:
            if versions.cap_superseded(document, cap):
                continue
            members = [
                r for r in results
                if r.programme.id in cap.programmes and r.status in (ELIGIBLE, NEEDS_INFO) and r.possible_ceiling is not None
                and versions.same_family(r.document, document)
            ]
            if not members:
                continue
            limit = E.evaluate(cap.amount, _Lookup(profile, None, members[0].programme, document, on))
            if not isinstance(limit, Decimal):
                continue
            spans = [members] if cap.over == "policy" else [[r for r in members if r.cap_year == y] for y in sorted({r.cap_year for r in members})]
            for in_year in spans:
                year = None if cap.over == "policy" else in_year[0].cap_year
                used = _granted(cap, document, profile, year) + sum((r.ceiling for r in in_year if r.ceiling is not None), Decimal(0))
                for r in in_year:
                    if r.ceiling is None:  # a bound, not a computed ceiling: what room the cap leaves
                        room = max(limit - used, Decimal(0))
                        r.possible_ceiling = to_fen(min(r.possible_ceiling, room))  # type: ignore[type-var]
                        used += r.possible_ceiling


def sharing(policies: M.PolicySet, wanted: set[str]) -> set[str]:
    """The programmes asked for and every programme sharing a cap (or a count-once key) with them."""
    links: list[set[str]] = [set(cap.programmes) for d in policies.documents for cap in d.caps]
    links += [{p.id, *p.support.once.programmes} for p in policies.programmes() if p.support.once and p.support.once.programmes]
    out = set(wanted)
    grew = True
    while grew:
        grew = False
        for group in links:
            if group & out and not group <= out:
                out |= group
                grew = True
    return out


def _future_events(results: list[Result], profile: Profile) -> None:
    """An event dated after the application date is an input error, naming the field."""
    from huiqi.rules.errors import Problem, ProfileError

    problems, seen = [], set()
    index = {c.id: i for i, c in enumerate(profile.claims)}
    for r in results:
        if r.future_event is None or r.programme.event_date is None:
            continue
        day, applied = r.future_event
        for name in sorted(n for n in E.names_in(r.programme.event_date) if "." in n):
            subject, _, fact = name.partition(".")
            where = f"claims[{index[r.claim.id]}].{fact}" if r.claim is not None and subject == r.claim.kind else name
            if where in seen:
                continue
            seen.add(where)
            problems.append(
                Problem(
                    where,
                    f"事项发生日 {day} 晚于申报（评估）日 {applied}：尚未发生的事项不能申报，请核对日期（{r.programme.id}）",
                    f"the event date {day} is after the application (evaluation) date {applied}: an event still to come cannot be claimed; check the date ({r.programme.id})",
                )
            )
    if problems:
        raise ProfileError(problems)


def prepare(policies: M.PolicySet) -> int:
    """Build before the first match what every match reuses: each programme's expressions compiled
    (scope, criteria, applies_when, event date, amount, caps), its base notes, and the parts of the
    match JSON that depend only on the programme and its version. A server calls this at start-up,
    before ``gc.freeze()``, so none of it is built — or scanned by the collector — while answering.
    Returns the number of expressions compiled."""
    from huiqi.rules import report

    n = 0
    for document in policies.documents:
        for cap in document.caps:
            E.compiled(cap.amount)
            report.clause_dict(cap.clause, document.number)
        for programme in document.programmes:
            for node in M.programme_nodes(programme, document):
                E.compiled(node)
                E.fact_names(node)
                _reads(node)
                n += 1
            _base_notes(programme, document)
            report.prepare(programme, document)
    return n


def evaluate(
    policies: M.PolicySet,
    profile: Profile,
    *,
    on: dt.date | None = None,
    programmes: Iterable[str] | None = None,
    future_events: str = "error",
) -> MatchReport:
    """Evaluate a profile against every programme (or the ones named) on a date.

    An event dated after the application date (``call.date``, else ``on``) is an input error
    (ProfileError naming the field); ``future_events="ignore"`` evaluates it anyway (population
    runs over synthetic data)."""
    on = on or dt.date.today()
    shown = set(programmes) if programmes else None
    wanted = sharing(policies, shown) if shown is not None else None
    results: list[Result] = []
    memo: dict = {}  # tests reading facts only, evaluated once per claim (see _test)
    by_kind: dict[str, list[Claim]] = {}
    for c in profile.claims:
        by_kind.setdefault(c.kind, []).append(c)
    for document in policies.documents:
        for programme in document.programmes:
            if wanted is not None and programme.id not in wanted:
                continue
            if versions.skip(programme, document):  # a newer version has it: _evaluate_one picks the version
                continue
            if programme.subject == ENTERPRISE:
                results.append(_evaluate_one(programme, document, profile, None, on, memo=memo))
                continue
            claims = by_kind.get(programme.subject, [])
            prog_results = []
            for claim in claims:
                if programme.applies_when is not None:
                    lk = _Lookup(profile, claim, programme, document, on)
                    if E.evaluate(programme.applies_when, lk) is False:
                        continue
                prog_results.append(_evaluate_one(programme, document, profile, claim, on, memo=memo))
            if not prog_results and claims:
                prog_results.append(_none_applies(programme, document, profile, on, memo))
            elif not prog_results:
                prog_results.append(
                    _evaluate_one(programme, document, profile, None, on, missing_claim=programme.subject, memo=memo)
                )
            _count_once(prog_results, programme, document, profile)
            results.extend(prog_results)
    if future_events == "error":
        _future_events(results, profile)
    _apply_caps(results, policies.documents, profile, on)
    _set_possible(results, policies, profile, on)
    if shown is not None:  # the caps were computed over every programme sharing them; show the ones asked for
        results = [r for r in results if r.programme.id in shown]
    return MatchReport(on=on, results=results, policy_version=policies.version, vocabulary=policies.vocabulary, profile=profile)
