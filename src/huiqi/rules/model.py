"""The typed policy model: documents, programmes, criteria, amount forms, caps.

Built by ``huiqi.rules.loader`` from the YAML files under ``policies/``. Every
criterion and amount carries the clause it implements (the sentence of the
document and its line in the seed file), so the explanation can quote the law.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator, Union

from huiqi.rules.expr import Node

MODES = ("online", "offline", "automatic")  # 网上申报 / 线下递交 / 免申即享
MATERIAL_FORMS = ("copy", "original", "original_for_check", "electronic")


@dataclass(frozen=True)
class Clause:
    """A quotation of the document: the sentence, where it stands, and a short reference."""

    text: str
    ref: str = ""  # e.g. "专题四 3.支持标准（1）"
    line: int | None = None  # line in the seed file

    def to_dict(self, document: str) -> dict:
        return {"document": document, "ref": self.ref, "line": self.line, "text": self.text}


@dataclass(frozen=True)
class Note:
    """An interpretation note: where the text is ambiguous, the reading we encode."""

    id: str
    zh: str
    en: str
    # A document note's reach: "always" (every result of the document, e.g. the validity window),
    # "discretionary" (results whose support is 最高/择优), "capped" (results of a programme under a
    # cap); None: only where a programme (notes: [id]) or a criterion (note: id) names it.
    when: str | None = None


NOTE_WHEN = ("always", "discretionary", "capped")


@dataclass(frozen=True)
class Criterion:
    id: str
    test: Node
    source: str
    clause: Clause
    soft: bool = False  # 原则上: failing needs an officer's decision
    label_zh: str = ""
    label_en: str = ""
    note: str | None = None  # id of an interpretation note
    file_line: int = 0


@dataclass(frozen=True)
class Parameter:
    """A value with effective dates (OpenFisca style): the latest entry whose start ≤ date."""

    name: str
    entries: tuple[tuple[dt.date | None, object], ...]  # (from, value), sorted
    unit: str | None = None
    clause: Clause | None = None

    def at(self, on: dt.date) -> object:
        value = None
        for start, v in self.entries:
            if start is None or start <= on:
                value = v
        return value


# ------------------------------------------------------------------ amounts


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


@dataclass(frozen=True)
class Fixed:
    amount: Node
    label: Label | None = None


@dataclass(frozen=True)
class Rate:
    """base × rate, optionally capped: also used for matching (配套) a higher-level grant."""

    base: Node
    rate: Node
    cap: Node | None = None
    base_label: Label | None = None
    matching: bool = False


@dataclass(frozen=True)
class PerUnit:
    count: Node
    unit_amount: Node
    cap: Node | None = None
    count_label: Label | None = None


@dataclass(frozen=True)
class Case:
    when: Node
    amount: "Amount"
    label: Label
    clause: Clause | None = None


@dataclass(frozen=True)
class Cases:
    """Tiers chosen by category: the first case whose condition holds."""

    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Band:
    lower: Node  # inclusive
    upper: Node | None  # exclusive
    rate: Node
    cap: Node | None


@dataclass(frozen=True)
class Bands:
    """Threshold bands: the band the base falls in sets rate and cap; below all bands, nothing."""

    base: Node
    bands: tuple[Band, ...]
    base_label: Label | None = None


@dataclass(frozen=True)
class Tier:
    at_least: Node
    amount: Node
    label: Label | None = None


@dataclass(frozen=True)
class HighestTier:
    """Milestones, highest reached only (就高不重复); optionally less what was already awarded."""

    value: Node
    tiers: tuple[Tier, ...]
    already_awarded: Node | None = None
    value_label: Label | None = None


@dataclass(frozen=True)
class Stage:
    label: Label
    amount: "Amount"
    after_months: int = 0


@dataclass(frozen=True)
class Staged:
    """Staged sums: e.g. 200,000 on recognition + 100,000 after a year of operation."""

    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class MultiYear:
    """The same support for several years (e.g. three years of rent).

    With ``start`` (a date fact, e.g. ``lease.start_date``) the years run from that date as
    Civil Code art. 201 periods (the start day not counted): support year k ends on
    start + k years. On the evaluation (application) date only the years left are granted;
    past the last year nothing is.
    """

    years: int
    each_year: "Amount"
    start: Node | None = None
    start_label: Label | None = None


@dataclass(frozen=True)
class NoAmount:
    """The text names no sum (eligibility and guidance only)."""

    reason: Label


Amount = Union[Fixed, Rate, PerUnit, Cases, Bands, HighestTier, Staged, MultiYear, NoAmount]


def amount_forms(amount: Amount) -> Iterator[Amount]:
    """The amount and every amount form inside it (a case's, a stage's, each year's), depth first."""
    yield amount
    if isinstance(amount, Cases):
        for case in amount.cases:
            yield from amount_forms(case.amount)
    elif isinstance(amount, Staged):
        for s in amount.stages:
            yield from amount_forms(s.amount)
    elif isinstance(amount, MultiYear):
        yield from amount_forms(amount.each_year)


def amount_nodes(amount: Amount) -> Iterator[Node]:
    """Every expression of an amount, depth first (the facts it reads are the names in them)."""
    if isinstance(amount, Fixed):
        yield amount.amount
    elif isinstance(amount, Rate):
        yield from (n for n in (amount.base, amount.rate, amount.cap) if n is not None)
    elif isinstance(amount, PerUnit):
        yield from (n for n in (amount.count, amount.unit_amount, amount.cap) if n is not None)
    elif isinstance(amount, Cases):
        for case in amount.cases:
            yield case.when
            yield from amount_nodes(case.amount)
    elif isinstance(amount, Bands):
        yield amount.base
        for b in amount.bands:
            yield from (n for n in (b.lower, b.upper, b.rate, b.cap) if n is not None)
    elif isinstance(amount, HighestTier):
        yield amount.value
        if amount.already_awarded is not None:
            yield amount.already_awarded
        for t in amount.tiers:
            yield t.at_least
            yield t.amount
    elif isinstance(amount, Staged):
        for stage in amount.stages:
            yield from amount_nodes(stage.amount)
    elif isinstance(amount, MultiYear):
        if amount.start is not None:
            yield amount.start
        yield from amount_nodes(amount.each_year)


ONCE_SPANS = ("policy", "year", "years")


@dataclass(frozen=True)
class Once:
    """One award per key within a span (一次性 / 每两年 / 同一品种只计一次).

    ``per``: fact names whose values make the key (``enterprise`` alone: one per enterprise).
    ``within``: ``policy`` (the document's life), ``year`` (one support year) or ``years``
    (``years`` support years counted from an earlier award's year: a repeat when
    |this year − that year| < years). Claims of one evaluation sharing a key count once; an
    award in the profile's ``awards`` for the same programme (or one of ``programmes``) with the
    same key values inside the span makes the claim ineligible, naming the earlier award.
    """

    per: tuple[str, ...]
    within: str = "policy"
    years: int | None = None
    clause: Clause | None = None
    programmes: tuple[str, ...] = ()  # other programmes whose awards share this key

    def describe(self) -> tuple[str, str]:
        if self.within == "year":
            return "同一支持年度", "the same support year"
        if self.within == "years":
            return f"{self.years} 个支持年度内", f"within {self.years} support years"
        return "政策有效期内", "over the policy's life"


@dataclass(frozen=True)
class Support:
    amount: Amount
    clause: Clause
    discretionary: bool  # 最高 / 择优: a ceiling, discretionary below it
    once: Once | None = None

    # Compatibility: the older ``count_once_per`` (one fact, within one evaluation) is now a ``once``.
    @property
    def count_once_per(self) -> str | None:
        return self.once.per[0] if self.once and len(self.once.per) == 1 and self.once.per[0] != "enterprise" else None

    @property
    def count_once_clause(self) -> Clause | None:
        return self.once.clause if self.once else None


@dataclass(frozen=True)
class Cap:
    """A per-entity cap shared by the claims of one or more programmes.

    ``over``: ``year`` (the default: per support year) or ``policy`` (a lifetime ceiling per
    entity across application years; amounts in the profile's ``awards`` for the cap's
    programmes count against it).
    """

    id: str
    amount: Node
    programmes: tuple[str, ...]
    clause: Clause
    label_zh: str = ""
    label_en: str = ""
    over: str = "year"


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    form: str = "copy"  # copy / original / original_for_check / electronic
    stamped: bool = False
    required: bool = True
    when: str | None = None  # e.g. 新增用地项目提供


@dataclass(frozen=True)
class Process:
    stages: tuple[str, ...]
    notice_working_days: int | None
    clause: Clause | None = None


@dataclass
class Programme:
    id: str
    document_id: str
    title: str
    title_en: str
    section: str
    inventory: tuple[str, ...]
    department: str
    mode: str
    subject: str  # "enterprise" or a claim kind
    criteria: tuple[Criterion, ...]
    support: Support
    applies_when: Node | None = None
    event_date: Node | None = None
    event_date_source: str | None = None
    duration: str | None = None
    materials: tuple[Material, ...] = ()
    process: Process | None = None
    notes: tuple[Note, ...] = ()
    parameters: dict[str, Parameter] = field(default_factory=dict)
    line: int = 0
    # The programme's own scope (programme key ``scope:``): when not None it REPLACES the
    # document's scope for this programme (checked first, failing → out_of_scope). None: the
    # document's scope applies. Never empty (the loader refuses ``scope: []``).
    scope: tuple[Criterion, ...] | None = None

    def scope_in(self, document: "Document") -> tuple[Criterion, ...]:
        """The scope criteria checked for this programme: its own, else the document's."""
        return self.scope if self.scope is not None else document.scope


@dataclass(frozen=True)
class Window:
    start: dt.date | None
    end: dt.date | None
    clause: Clause | None = None

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def describe(self) -> str:
        a = self.start.isoformat() if self.start else "…"
        b = self.end.isoformat() if self.end else "…"
        return f"{a} – {b}"


@dataclass
class Document:
    id: str
    number: str  # 文号
    issuer: str
    title: str
    issued: dt.date
    district: str
    seed: str
    in_force: Window
    retroactive: Window | None
    scope: tuple[Criterion, ...]
    programmes: list[Programme]
    caps: tuple[Cap, ...]
    notes: tuple[Note, ...]
    parameters: dict[str, Parameter]
    management: dict
    sections: tuple[dict, ...]
    file: str = ""
    sha256: str = ""
    shared_criteria: dict = field(default_factory=dict)
    # What the validity window is checked against: the programme's event date ("event_date",
    # for documents with a retroactive window) or the application/evaluation date ("application_date").
    window_basis: str = "event_date"
    parts: list = field(default_factory=list)  # files holding more of this document's programmes
    # successive versions (huiqi.rules.versions): the earlier version's id, this version's label and
    # kind (revision / extension / corrigendum), and every version of the family, oldest first
    supersedes: str | None = None
    version: str = ""
    version_kind: str = ""
    family: list = field(default_factory=list, repr=False, compare=False)

    def programme(self, pid: str) -> Programme | None:
        return next((p for p in self.programmes if p.id == pid), None)


@dataclass
class PolicySet:
    """Every loaded document, with the vocabulary they share."""

    vocabulary: "object"
    documents: list[Document]

    def programmes(self) -> list[Programme]:
        return [p for d in self.documents for p in d.programmes]

    def programme(self, pid: str) -> Programme | None:
        """The programme (of a document with versions: the newest version that has it)."""
        from huiqi.rules.versions import skip

        return next((p for d in self.documents for p in d.programmes if p.id == pid and not skip(p, d)), None)

    def document(self, did: str) -> Document | None:
        return next((d for d in self.documents if d.id == did), None)

    @property
    def version(self) -> str:
        """A short digest of every loaded file: what a frozen evaluation was based on."""
        import hashlib

        h = hashlib.sha256()
        for d in sorted(self.documents, key=lambda d: d.id):
            h.update(d.sha256.encode())
        return h.hexdigest()[:16]


ZERO = Decimal(0)


def programme_nodes(programme: Programme, document: Document) -> Iterator[Node]:
    """Every expression a programme's rules evaluate: its scope (its own, else the document's),
    criteria, applies_when, event date and amount (caps and one-award keys are read apart)."""
    for c in (*programme.scope_in(document), *programme.criteria):
        yield c.test
    for n in (programme.applies_when, programme.event_date):
        if n is not None:
            yield n
    yield from amount_nodes(programme.support.amount)
