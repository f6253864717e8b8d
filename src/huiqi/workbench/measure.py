"""How much of a reviewed policy file a draft found: precision and recall, programme by programme.

``huiqi policies draft-score DRAFT.yaml SHIPPED.yaml`` compares a draft (``huiqi policies
draft``) with the reviewed file of the same document.

**Items.** Both files are reduced to items, each tied to the lines of the source it quotes:

* ``money`` — every sum in yuan of an amount (a fixed sum, a cap, a unit amount, a tier or band
  threshold, a band cap) and of the document's per-entity ``caps``: a ``Decimal`` literal of
  1000 yuan or more in any expression of ``support`` or a cap, e.g. ``max(300000 - x, 0)``
  gives 300000;
* ``rate`` — every rate: a literal in a ``rate`` or ``ratio`` field, or any literal 0 < v ≤ 1 in
  an amount (``30%`` → 0.3, ``1:0.5`` → 0.5, ``3‰`` → 0.003);
* ``criterion`` — every criterion of a programme (its ``scope`` and ``criteria``, shared ones
  reached by ``use:`` included), with its ``soft`` flag as the value.

Each item's *lines* are the extent of the clause it stands under (the nearest ``clause`` above
it: a case's, else the support's; a cap's own; a criterion's own): the cited line through the
line where the quotation's last fragment ends in the source (fragments split at ……, found in
order, whitespace and Markdown ignored). A quotation not found keeps just its cited line.
Literals under ``when``, ``base``, ``grant``, ``count`` and ``value`` (conditions and inputs, not
sums) and criteria ``test`` expressions are not items; counts below 1000 that are not rates
(years, months) are not items either.

**Matching.** A draft item matches a reviewed item when they are of the same kind, have equal
values (Decimal equality: 0.30 = 0.3; for criteria the same ``soft``), their line extents
overlap, and — for criteria only — their normalised quotations share a run of at least 8
characters (or the whole of the shorter one). Items are deduplicated by (kind, value, lines,
quotation) within a programme, and again across the document for the totals.

**Scores.** Recall of a reviewed programme P: the share of P's items matched by some item of the
draft (anywhere: a line identifies the place). Precision of a draft programme Q: the share of
Q's items that match some item of the reviewed file. Each reviewed programme is shown with the
draft programme Q that matched most of its money and rate items, then of its criteria (else the
one whose lines contain its first amount). Totals are micro-averages over the deduplicated items of each file.

The reviewed file is read through the loader (``load_policies`` on its directory), so the
measurement follows the model, not the YAML layout; the draft, which does not load until
reviewed, is read as YAML. Both read the clause lines of the source named by ``document.seed``
under the reviewed file's ``sources/`` folder (or ``--source``).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from huiqi.rules import expr as E
from huiqi.rules import load_policies
from huiqi.rules import model as M
from huiqi.rules.yamlio import load_yaml_file
from huiqi.workbench.text import normalise

KINDS = ("money", "rate", "criterion")
MIN_MONEY = Decimal(1000)
MIN_COMMON = 8
_SKIP_FIELDS = {
    "when",
    "base",
    "grant",
    "count",
    "value",
    "label",
    "base_label",
    "grant_label",
    "count_label",
    "value_label",
    "count_once_per",
    "count_once_clause",
    "clause",
    "test",
    "applies_when",
    "event_date",
    "id",
    "programmes",
}


@dataclass(frozen=True)
class Item:
    kind: str  # money / rate / criterion
    value: Any  # Decimal, or the soft flag of a criterion
    first: int
    last: int
    text: str = ""  # normalised quotation (criteria only)
    where: str = field(default="", compare=False)

    def key(self) -> tuple:
        return (self.kind, self.value, self.first, self.last, self.text)


class Locator:
    """Finds a quotation's extent (first, last line) in the source."""

    def __init__(self, lines: list[str]):
        chars: list[str] = []
        owner: list[int] = []
        self.line_start: dict[int, int] = {}
        for number, line in enumerate(lines, start=1):
            self.line_start[number] = len(chars)
            text = normalise(line)
            chars.extend(text)
            owner.extend([number] * len(text))
        self.text = "".join(chars)
        self.owner = owner
        self.n = len(lines)

    def extent(self, quote: str, line: int | None) -> tuple[int, int]:
        if not line:
            return (0, 0)
        pos = self.line_start.get(max(1, line - 3), 0)
        limit = self.line_start.get(min(self.n, line + 40), len(self.text))
        first = last = None
        for fragment in re.split(r"……|…", quote):
            wanted = normalise(fragment).strip("“”\"'（）()；;。，,：:")
            if len(wanted) < 2:
                continue
            at = self.text.find(wanted, pos, limit + len(wanted))
            if at < 0:
                continue
            if first is None:
                first = self.owner[at]
            last = self.owner[at + len(wanted) - 1]
            pos = at + len(wanted)
        if first is None or last is None:
            return (line, line)
        return (min(first, line), max(last, line))


def _literals(node: Any) -> Iterable[Decimal]:
    for n in E.walk(node):
        if isinstance(n, E.Literal) and isinstance(n.value, Decimal):
            yield n.value


def _classify(value: Decimal, field_name: str) -> str | None:
    if field_name in ("rate", "ratio"):
        return "rate"
    if value <= 0:
        return None
    if value <= 1:
        return "rate"
    if value >= MIN_MONEY:
        return "money"
    return None


# ---------------------------------------------------------------- the reviewed file, through the model


def _walk_model(
    obj: Any, clause: M.Clause | None, field_name: str, where: str, loc: Locator, out: list[Item]
) -> None:
    if isinstance(obj, (E.Literal, E.Name, E.Unary, E.Binary, E.In, E.Call)):
        for value in _literals(obj):
            kind = _classify(value, field_name)
            if kind and clause is not None:
                first, last = loc.extent(clause.text, clause.line)
                out.append(Item(kind, value, first, last, where=where))
        return
    if isinstance(obj, (list, tuple)):
        for i, x in enumerate(obj):
            _walk_model(x, clause, field_name, f"{where}[{i}]", loc, out)
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        own = getattr(obj, "clause", None)
        if isinstance(own, M.Clause) and own.text:
            clause = own
        for f in dataclasses.fields(obj):
            if f.name in _SKIP_FIELDS:
                continue
            _walk_model(getattr(obj, f.name), clause, f.name, f"{where}.{f.name}", loc, out)


def _criterion_item(c: M.Criterion, loc: Locator, where: str) -> Item:
    first, last = loc.extent(c.clause.text, c.clause.line)
    return Item("criterion", bool(c.soft), first, last, normalise(c.clause.text), where)


def reviewed_items(
    path: Path, loc_for: Any = None, *, source: Path | None = None
) -> tuple[dict[str, list[Item]], Locator, M.Document]:
    """Items of each programme of the reviewed file (loaded with its directory)."""
    path = Path(path).resolve()
    ps = load_policies(path.parent)
    doc = next(
        (
            d
            for d in ps.documents
            if Path(d.file).resolve() == path or str(path) in (str(Path(x).resolve()) for x in d.parts)
        ),
        None,
    )
    if doc is None:
        raise ValueError(f"{path} holds no document")
    src = source or path.parent / "sources" / doc.seed
    loc = Locator(src.read_text(encoding="utf-8").splitlines())
    items: dict[str, list[Item]] = {}
    for p in doc.programmes:
        out: list[Item] = []
        for c in (*(p.scope or ()), *p.criteria):
            out.append(_criterion_item(c, loc, f"{p.id} criterion {c.id}"))
        _walk_model(p.support, None, "amount", f"{p.id} support", loc, out)
        items[p.id] = out
    for cap in doc.caps:
        out = []
        _walk_model(cap, None, "amount", f"cap {cap.id}", loc, out)
        for pid in cap.programmes:
            items.setdefault(pid, []).extend(out)
    return {k: _dedup(v) for k, v in items.items()}, loc, doc


# ---------------------------------------------------------------- the draft, as YAML


def _walk_yaml(obj: Any, clause: dict | None, field_name: str, where: str, loc: Locator, out: list[Item]) -> None:
    if isinstance(obj, dict):
        own = obj.get("clause")
        if isinstance(own, dict) and own.get("text"):
            clause = own
        for key, value in obj.items():
            if key in _SKIP_FIELDS or key == "todo":
                continue
            _walk_yaml(value, clause, str(key), f"{where}.{key}", loc, out)
        return
    if isinstance(obj, list):
        for i, x in enumerate(obj):
            _walk_yaml(x, clause, field_name, f"{where}[{i}]", loc, out)
        return
    if obj is None or isinstance(obj, bool) or clause is None:
        return
    try:
        node = E.parse(obj if isinstance(obj, (int, Decimal)) else str(obj))
    except E.ExprError:
        return
    for value in _literals(node):
        kind = _classify(value, field_name)
        if kind:
            first, last = loc.extent(str(clause.get("text", "")), _int(clause.get("line")))
            out.append(Item(kind, value, first, last, where=where))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _yaml_criterion(c: dict, loc: Locator, where: str) -> Item | None:
    cl = c.get("clause")
    if not isinstance(cl, dict) or not cl.get("text"):
        return None
    first, last = loc.extent(str(cl["text"]), _int(cl.get("line")))
    return Item("criterion", bool(c.get("soft", False)), first, last, normalise(str(cl["text"])), where)


def draft_items(path: Path, loc: Locator) -> tuple[dict[str, list[Item]], dict[str, tuple[int, int]]]:
    """Items of each programme of the draft, and each programme's source lines (from ``sections``)."""
    data = load_yaml_file(path)
    shared = data.get("criteria") or {}
    items: dict[str, list[Item]] = {}
    for p in data.get("programmes") or ():
        pid = str(p.get("id"))
        out: list[Item] = []
        for c in (*(p.get("scope") or ()), *(p.get("criteria") or ())):
            if isinstance(c, dict) and "use" in c:
                c = shared.get(c["use"]) or {}
            if isinstance(c, dict):
                item = _yaml_criterion(c, loc, f"{pid} criterion")
                if item:
                    out.append(item)
        _walk_yaml(p.get("support"), None, "amount", f"{pid} support", loc, out)
        items[pid] = out
    for cap in data.get("caps") or ():
        out = []
        _walk_yaml(
            {k: v for k, v in cap.items() if k != "programmes"}, None, "amount", f"cap {cap.get('id')}", loc, out
        )
        for pid in cap.get("programmes") or ():
            items.setdefault(str(pid), []).extend(out)
    spans = {
        str(s.get("id")): (_int(s.get("line")) or 0, _int(s.get("to")) or _int(s.get("line")) or 0)
        for s in data.get("sections") or ()
    }
    return {k: _dedup(v) for k, v in items.items()}, spans


# ---------------------------------------------------------------- matching and scores


def _dedup(items: list[Item]) -> list[Item]:
    seen: dict[tuple, Item] = {}
    for item in items:
        seen.setdefault(item.key(), item)
    return list(seen.values())


def _common(a: str, b: str) -> int:
    m = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def matches(d: Item, s: Item) -> bool:
    """The matching rule of the module docstring."""
    if d.kind != s.kind or d.value != s.value:
        return False
    if d.last < s.first or s.last < d.first:
        return False
    if d.kind == "criterion":
        need = min(MIN_COMMON, len(d.text), len(s.text))
        return need > 0 and _common(d.text, s.text) >= need
    return True


@dataclass
class Row:
    programme: str  # the reviewed programme
    draft: str  # the draft programme shown beside it
    total: dict[str, int]
    found: dict[str, int]
    draft_total: int
    draft_correct: int

    @property
    def recall(self) -> float:
        t = sum(self.total.values())
        return sum(self.found.values()) / t if t else 1.0

    @property
    def precision(self) -> float:
        return self.draft_correct / self.draft_total if self.draft_total else 0.0


@dataclass
class Score:
    rows: list[Row]
    total: dict[str, int]  # reviewed items, deduplicated over the document
    found: dict[str, int]
    draft_total: dict[str, int]
    draft_correct: dict[str, int]
    missed: list[Item]
    wrong: list[Item]

    def recall(self, kind: str | None = None) -> float:
        kinds = (kind,) if kind else KINDS
        t = sum(self.total[k] for k in kinds)
        return sum(self.found[k] for k in kinds) / t if t else 1.0

    def precision(self, kind: str | None = None) -> float:
        kinds = (kind,) if kind else KINDS
        t = sum(self.draft_total[k] for k in kinds)
        return sum(self.draft_correct[k] for k in kinds) / t if t else 0.0


def score(draft: Path, reviewed: Path, *, source: Path | None = None) -> Score:
    rev, loc, _doc = reviewed_items(reviewed, source=source)
    drf, spans = draft_items(draft, loc)
    all_rev = _dedup([i for items in rev.values() for i in items])
    all_drf = _dedup([i for items in drf.values() for i in items])
    correct = {d.key() for d in all_drf if any(matches(d, s) for s in all_rev)}
    found = {s.key() for s in all_rev if any(matches(d, s) for d in all_drf)}
    rows = []
    for pid, items in rev.items():
        counts = {
            q: (
                sum(1 for d in ditems if d.kind != "criterion" and any(matches(d, s) for s in items)),
                sum(1 for d in ditems if d.kind == "criterion" and any(matches(d, s) for s in items)),
            )
            for q, ditems in drf.items()
        }
        best = max(counts, key=lambda q: counts[q], default="")
        if not best or counts[best] == (0, 0):
            line = min((i.first for i in items if i.kind != "criterion"), default=0)
            best = next((q for q, (a, b) in spans.items() if a <= line <= b and q in drf), "")
        ditems = drf.get(best, [])
        rows.append(
            Row(
                pid,
                best,
                {k: sum(1 for i in items if i.kind == k) for k in KINDS},
                {k: sum(1 for i in items if i.kind == k and i.key() in found) for k in KINDS},
                len(ditems),
                sum(1 for d in ditems if d.key() in correct),
            )
        )
    return Score(
        rows,
        {k: sum(1 for i in all_rev if i.kind == k) for k in KINDS},
        {k: sum(1 for i in all_rev if i.kind == k and i.key() in found) for k in KINDS},
        {k: sum(1 for i in all_drf if i.kind == k) for k in KINDS},
        {k: sum(1 for i in all_drf if i.kind == k and i.key() in correct) for k in KINDS},
        [i for i in all_rev if i.key() not in found],
        [i for i in all_drf if i.key() not in correct],
    )


def render(result: Score, *, details: bool = False) -> str:
    """The table: one row per reviewed programme, then the totals."""
    head = f"{'programme':<14}{'draft':<8}{'money':>9}{'rate':>9}{'criteria':>10}{'recall':>8}{'precision':>11}"
    out = [head, "-" * len(head)]

    def frac(found: int, total: int) -> str:
        return f"{found}/{total}" if total else "–"

    for r in result.rows:
        out.append(
            f"{r.programme:<14}{r.draft or '—':<8}{frac(r.found['money'], r.total['money']):>9}{frac(r.found['rate'], r.total['rate']):>9}"
            f"{frac(r.found['criterion'], r.total['criterion']):>10}{r.recall:>8.0%}{frac(r.draft_correct, r.draft_total):>7} {r.precision:>3.0%}"
        )
    out.append("-" * len(head))
    for kind in KINDS:
        out.append(
            f"{kind:<10} recall {result.found[kind]}/{result.total[kind]} = {result.recall(kind):.0%}   "
            f"precision {result.draft_correct[kind]}/{result.draft_total[kind]} = {result.precision(kind):.0%}"
        )
    out.append(f"{'all':<10} recall {result.recall():.0%}   precision {result.precision():.0%}")
    if details:
        out.append("\nnot found (reviewed items):")
        out.extend(f"  {i.kind:<9} {i.value!s:<12} lines {i.first}–{i.last}  {i.where}" for i in result.missed)
        out.append("\nnot in the reviewed file (draft items):")
        out.extend(f"  {i.kind:<9} {i.value!s:<12} lines {i.first}–{i.last}  {i.where}" for i in result.wrong)
    return "\n".join(out) + "\n"
