"""Solver-backed checks of a policy file (z3): witnesses, flips, the most an amount can reach.

For every programme:

* a **witness** — a profile that makes it eligible (every criterion, soft ones too, the scope,
  the validity window, the support standard), or a proof that none exists (an ``error``: the
  criteria that contradict each other are named, from the solver's unsat core);
* the **smallest flip** — one fact of the witness changed as little as possible (a number by
  the least amount, a yes/no turned over, another enum value) so that the programme is no longer
  eligible: the boundary a policy officer checks against the text;
* the **maximum** of its amount over every eligible profile, checked against the ceilings its
  quoted clause states (最高 / 不超过 / 上限 … 万元): an amount above every stated ceiling is an
  ``error`` (a multi-year amount is checked per year).

Every witness and flip is run through the engine itself before it is reported, so the solver's
reading of dates (approximated: ``year``, ``add_years`` and ``years_between`` over day numbers)
never decides a result on its own. ``huiqi policies witnesses --out DIR`` writes them as policy
tests (the format of ``policies/tests/``), which ``tests/rules/test_witnesses.py`` runs for every
programme of the shipped documents.

Facts are modelled by type: ``bool`` → Bool; ``int`` → Int ≥ 0; ``money`` → Int ≥ 0 (whole yuan,
so witnesses read well); ``number`` / ``ratio`` → Real; ``date`` → Int (day number); ``text`` and
``enum`` → String (an enum within its values). Each check has a timeout:
``HUIQI_Z3_TIMEOUT_MS`` (default 2000 ms); a timeout is reported as a warning, never a pass.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import z3

from huiqi.rules import expr as E
from huiqi.rules import model as M
from huiqi.rules.facts import CALL, ENTERPRISE

WITNESS_CLAIM = "w1"
_EPOCH = dt.date(1970, 1, 1).toordinal()


def timeout_ms() -> int:
    return int(os.environ.get("HUIQI_Z3_TIMEOUT_MS", "2000"))


class Unsupported(Exception):
    """An expression the solver does not model (the programme is skipped, with a warning)."""


def _day(d: dt.date) -> int:
    return d.toordinal() - _EPOCH


def _from_day(n: int) -> dt.date:
    return dt.date.fromordinal(n + _EPOCH)


@dataclass
class Translation:
    """z3 variables for the facts of one programme, and how to read them back."""

    vocab: Any
    params: dict[str, Any]
    on: dt.date
    vars: dict[str, Any] = field(default_factory=dict)
    side: list[Any] = field(default_factory=list)  # type constraints (non-negative, enum values)

    def var(self, name: str) -> Any:
        if name in self.vars:
            return self.vars[name]
        if name == "call.date":
            return z3.IntVal(_day(self.on))
        fact = self.vocab.fact(name)
        if fact is None:
            raise Unsupported(f"unknown fact {name}")
        t = fact.type
        if t == "bool":
            v = z3.Bool(name)
        elif t in ("int", "money"):
            v = z3.Int(name)
            self.side.append(v >= 0)
        elif t in ("number", "ratio"):
            v = z3.Real(name)
        elif t == "date":
            v = z3.Int(name)
            self.side.append(v >= _day(dt.date(1950, 1, 1)))
            self.side.append(v <= _day(dt.date(2100, 1, 1)))
        elif t in ("text", "enum"):
            v = z3.String(name)
            self.side.append(z3.Length(v) >= 1)
            if t == "enum":
                self.side.append(z3.Or(*[v == z3.StringVal(x) for x in fact.values]))
        else:  # pragma: no cover - the vocabulary refuses other types
            raise Unsupported(f"type {t}")
        self.vars[name] = v
        return v

    def literal(self, value: Any) -> Any:
        if isinstance(value, bool):
            return z3.BoolVal(value)
        if isinstance(value, Decimal):
            return z3.RealVal(str(value)) if value != value.to_integral_value() else z3.IntVal(int(value))
        if isinstance(value, dt.date):
            return z3.IntVal(_day(value))
        if isinstance(value, str):
            return z3.StringVal(value)
        raise Unsupported(f"literal {value!r}")

    def term(self, node: E.Node) -> Any:
        if isinstance(node, E.Literal):
            if node.value is None:
                raise Unsupported("unknown literal")
            return self.literal(node.value)
        if isinstance(node, E.Name):
            if "." in node.name:
                return self.var(node.name)
            if node.name not in self.params or self.params[node.name] is None:
                raise Unsupported(f"parameter {node.name}")
            return self.literal(self.params[node.name])
        if isinstance(node, E.Unary):
            inner = self.term(node.operand)
            return z3.Not(inner) if node.op == "not" else -inner
        if isinstance(node, E.Binary):
            a, b = self.term(node.left), self.term(node.right)
            op = node.op
            if op == "and":
                return z3.And(a, b)
            if op == "or":
                return z3.Or(a, b)
            if op in ("==", "!="):
                a, b = _same_sort(a, b)
                return a == b if op == "==" else a != b
            ops = {
                "<": lambda: a < b,
                "<=": lambda: a <= b,
                ">": lambda: a > b,
                ">=": lambda: a >= b,
                "+": lambda: a + b,
                "-": lambda: a - b,
                "*": lambda: a * b,
            }
            if op in ops:
                return ops[op]()
            if op == "/":
                self.side.append(b != 0)  # the engine knows nothing of x / 0: no witness divides by zero
                return z3.ToReal(a) / b if z3.is_int(a) else a / b
            raise Unsupported(op)
        if isinstance(node, E.In):
            x = self.term(node.operand)
            test = (
                z3.Or(*[_same_sort(x, self.literal(o))[0] == _same_sort(x, self.literal(o))[1] for o in node.options])
                if node.options
                else z3.BoolVal(False)
            )
            return z3.Not(test) if node.negated else test
        if isinstance(node, E.Call):
            f = node.function
            if f == "known":
                return z3.BoolVal(True)
            args = [self.term(a) for a in node.args]
            if f in ("min", "max"):
                out = args[0]
                for a in args[1:]:
                    out = z3.If(a < out, a, out) if f == "min" else z3.If(a > out, a, out)
                return out
            if f == "if":
                return z3.If(args[0], args[1], args[2])
            if f == "date":
                return args[0]
            if f == "add_days":
                return args[0] + args[1]
            if f == "days_between":
                return args[1] - args[0]
            if f == "add_years":
                return args[0] + 365 * args[1]  # approximate: the engine checks every witness
            if f == "years_between":
                return (args[1] - args[0]) / 365  # approximate (integer division)
            if f == "year":
                return 1970 + args[0] / 365  # approximate
            raise Unsupported(f"function {f}")
        raise Unsupported(type(node).__name__)

    def value_of(self, name: str, model: Any) -> Any:
        """A fact's value in a model, as a profile value (None when the model leaves it free)."""
        v = self.vars[name]
        got = model.eval(v, model_completion=True)
        fact = self.vocab.fact(name)
        if fact.type == "bool":
            return z3.is_true(got)
        if fact.type in ("int", "money"):
            return got.as_long()
        if fact.type == "date":
            return _from_day(got.as_long())
        if fact.type in ("number", "ratio"):
            frac = got.as_fraction() if z3.is_rational_value(got) else None
            if frac is None:
                return Decimal(got.as_decimal(6).rstrip("?"))
            value = (Decimal(frac.numerator) / Decimal(frac.denominator)).quantize(Decimal("0.000001")).normalize()
            return value.quantize(Decimal(1)) if value == value.to_integral_value() else value  # 2000, not 2E+3
        s = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m.group(1), 16)), got.as_string())
        return s if s or fact.type == "text" else (fact.values[0] if fact.values else s)


def _same_sort(a: Any, b: Any) -> tuple[Any, Any]:
    if z3.is_int(a) and z3.is_real(b):
        return z3.ToReal(a), b
    if z3.is_real(a) and z3.is_int(b):
        return a, z3.ToReal(b)
    return a, b


def _params(p: M.Programme, d: M.Document, on: dt.date) -> dict[str, Any]:
    out = {name: param.at(on) for name, param in d.parameters.items()}
    out.update({name: param.at(on) for name, param in p.parameters.items()})
    return out


def evaluation_date(d: M.Document) -> dt.date:
    """The day witnesses are evaluated on: in force, the later of the issue date and the start."""
    return max(d.issued, d.in_force.start or d.issued)


@dataclass
class Problem_:
    """The constraints of one programme's eligibility."""

    tr: Translation
    named: list[tuple[str, Any]]  # (what, constraint) — what: criterion id, "scope:…", "window", "standard"
    hard: list[str]  # the names that decide eligibility (soft criteria excluded)


def _amount_applies(amount: M.Amount, tr: Translation) -> Any | None:
    if isinstance(amount, M.Cases):
        return z3.Or(*[tr.term(c.when) for c in amount.cases])
    if isinstance(amount, M.Bands):
        lows = [tr.term(b.lower) for b in amount.bands]
        base = tr.term(amount.base)
        return z3.Or(*[base >= lo for lo in lows])
    if isinstance(amount, M.HighestTier):
        value = tr.term(amount.value)
        return z3.Or(*[value >= tr.term(t.at_least) for t in amount.tiers])
    if isinstance(amount, M.MultiYear):
        inner = _amount_applies(amount.each_year, tr)
        start = amount.start
        if start is None:
            return inner
        # years counted from a start date (multi_year: {from: …}): the evaluation day falls in one of
        # them (days approximate, kept clear of the edges: the engine checks the witness)
        day, on = tr.term(start), _day(tr.on)
        within = z3.And(day <= on, on - day <= 365 * amount.years - 3)
        return within if inner is None else z3.And(within, inner)
    return None


def eligibility(p: M.Programme, d: M.Document, vocab: Any, on: dt.date | None = None) -> Problem_:
    on = on or evaluation_date(d)
    tr = Translation(vocab, _params(p, d, on), on)
    named: list[tuple[str, Any]] = []
    hard: list[str] = []
    for c in p.scope_in(d):
        named.append((f"scope:{c.id}", tr.term(c.test)))
        hard.append(f"scope:{c.id}")
    if p.applies_when is not None:
        named.append(("applies_when", tr.term(p.applies_when)))
        hard.append("applies_when")
    for c in p.criteria:
        named.append((c.id, tr.term(c.test)))
        if not c.soft:
            hard.append(c.id)
    if p.event_date is not None and d.window_basis == "event_date":
        day = tr.term(p.event_date)
        windows = [d.in_force] + ([d.retroactive] if d.retroactive else [])
        inside = []
        for w in windows:
            parts = []
            if w.start:
                parts.append(day >= _day(w.start))
            if w.end:
                parts.append(day <= _day(w.end))
            inside.append(z3.And(*parts) if parts else z3.BoolVal(True))
        named.append(("window", z3.Or(*inside)))
        hard.append("window")
        # an event after the evaluation day is an input error (issue 15): a witness avoids it, a flip does not use it
        named.append(("not_future", day <= _day(on)))
    amount_term(p.support.amount, tr)  # every fact the amount reads is part of the witness
    once = getattr(p.support, "once", None)  # so is every fact a one-award key is made of
    for name in getattr(once, "per", ()) or ():
        if "." in name:
            tr.var(name)
    applies = _amount_applies(p.support.amount, tr)
    if applies is not None:
        named.append(("standard", applies))
        hard.append("standard")
    if "call.period_start" in tr.vars or "call.period_end" in tr.vars:
        tr.side.append(tr.var("call.period_start") <= tr.var("call.period_end"))
        tr.side.append(tr.var("call.period_end") <= _day(on))
    return Problem_(tr, named, hard)


def _solver() -> z3.Solver:
    s = z3.Solver()
    s.set("timeout", timeout_ms())
    return s


@dataclass
class Witness:
    programme: str
    document: str
    on: dt.date
    status: str  # "found", "none" (proved), "unknown" (timeout / unsupported)
    facts: dict[str, Any] = field(default_factory=dict)
    core: list[str] = field(default_factory=list)  # with status "none": the contradicting parts
    reason: str = ""
    flip: Flip | None = None
    flips: list = field(default_factory=list)  # every single-fact flip, smallest first

    def profile(self, subject: str, count_once: str | None = None) -> dict:
        return witness_profile(self.facts, subject, count_once)


@dataclass
class Flip:
    fact: str
    before: Any
    after: Any


def witness_profile(facts: dict[str, Any], subject: str, count_once: str | None = None) -> dict:
    """A profile (the policy-test format) holding the witness's facts."""
    ent: dict[str, Any] = {}
    call: dict[str, Any] = {}
    claim: dict[str, Any] = {"id": WITNESS_CLAIM, "kind": subject} if subject != ENTERPRISE else {}
    for name, value in sorted(facts.items()):
        sub, _, key = name.partition(".")
        target = ent if sub == ENTERPRISE else call if sub == CALL else claim
        target[key] = value
    if count_once and subject != ENTERPRISE:
        claim.setdefault(count_once.partition(".")[2], "W1")
    out: dict[str, Any] = {"enterprise": ent}
    if call:
        out["call"] = call
    if claim:
        out["claims"] = [claim]
    return out


def find_witness(p: M.Programme, d: M.Document, vocab: Any, on: dt.date | None = None) -> Witness:
    on = on or evaluation_date(d)
    try:
        prob = eligibility(p, d, vocab, on)
    except Unsupported as exc:
        return Witness(p.id, d.id, on, "unknown", reason=f"not modelled: {exc}")
    s = _solver()
    s.add(*prob.tr.side)
    tracks = {}
    for what, constraint in prob.named:
        t = z3.Bool(f"track:{what}")
        tracks[t] = what
        s.assert_and_track(constraint, t)
    result = s.check()
    if result == z3.unsat:
        core = [tracks[t] for t in s.unsat_core() if t in tracks]
        return Witness(p.id, d.id, on, "none", core=core)
    if result != z3.sat:
        return Witness(p.id, d.id, on, "unknown", reason=f"solver: {s.reason_unknown()}")
    model = _readable_model(prob, on) or s.model()
    facts = {name: prob.tr.value_of(name, model) for name in prob.tr.vars if name != "call.date"}
    w = Witness(p.id, d.id, on, "found", facts=facts)
    w.flips = flips(prob, facts)
    w.flip = w.flips[0] if w.flips else None
    return w


def _readable_model(prob: Problem_, on: dt.date) -> Any | None:
    """A witness an officer reads easily: dates within the year before the evaluation day where the
    rules allow it (soft constraints), the rest as the solver finds it. None if the solver gives up."""
    o = z3.Optimize()
    o.set("timeout", timeout_ms())
    o.add(*prob.tr.side)
    o.add(*[c for _, c in prob.named])
    today = _day(on)
    for name, v in prob.tr.vars.items():
        fact = prob.tr.vocab.fact(name)
        if fact is not None and fact.type == "date":
            o.add_soft(z3.And(v <= today, v >= today - 365))
    return o.model() if o.check() == z3.sat else None


def smallest_flip(prob: Problem_, facts: dict[str, Any]) -> Flip | None:
    """One fact changed as little as possible so that a hard condition fails (numbers first, by distance)."""
    ranked = flips(prob, facts)
    return ranked[0] if ranked else None


def flips(prob: Problem_, facts: dict[str, Any]) -> list[Flip]:
    """Every single-fact flip, the smallest first: numbers by relative distance, then yes/no and texts."""
    tr = prob.tr
    hard = z3.And(*[c for what, c in prob.named if what in prob.hard])
    found: list[tuple[Any, str, Flip]] = []
    for name in sorted(facts):
        v = tr.vars[name]
        fact = tr.vocab.fact(name)
        o = z3.Optimize()
        o.set("timeout", timeout_ms())
        o.add(*tr.side)
        for other, value in facts.items():
            if other != name:
                o.add(tr.vars[other] == _as_term(tr, other, value))
        o.add(z3.Not(hard))
        o.add(*[c for what, c in prob.named if what == "not_future"])
        numeric = fact.type in ("int", "money", "number", "ratio", "date")
        if numeric:
            old = _as_term(tr, name, facts[name])
            dist = z3.If(v >= old, v - old, old - v)
            o.minimize(dist)
        if o.check() != z3.sat:
            continue
        model = o.model()
        after = tr.value_of(name, model)
        if after == facts[name]:
            continue
        rank: Any
        if numeric:
            rank = (0, abs(_num(after) - _num(facts[name])) / max(abs(_num(facts[name])), Decimal(1)))
        else:
            rank = (1, Decimal(0))
        found.append((rank, name, Flip(name, facts[name], after)))
    return [f for _, _, f in sorted(found, key=lambda x: (x[0], x[1]))]


def _num(value: Any) -> Decimal:
    if isinstance(value, dt.date):
        return Decimal(_day(value))
    return Decimal(str(value))


def _as_term(tr: Translation, name: str, value: Any) -> Any:
    fact = tr.vocab.fact(name)
    if fact.type == "bool":
        return z3.BoolVal(bool(value))
    if fact.type in ("int", "money"):
        return z3.IntVal(int(value))
    if fact.type == "date":
        return z3.IntVal(_day(value))
    if fact.type in ("number", "ratio"):
        return z3.RealVal(str(value))
    return z3.StringVal(str(value))


# --------------------------------------------------------------------------- amounts


def amount_term(amount: M.Amount, tr: Translation) -> Any:
    """The support standard as a z3 term (yuan); MultiYear and Staged add their parts."""
    zero = z3.RealVal(0)

    def capped(value: Any, cap: E.Node | None) -> Any:
        if cap is None:
            return value
        c = tr.term(cap)
        return z3.If(value > c, c, value)

    if isinstance(amount, M.Fixed):
        return tr.term(amount.amount)
    if isinstance(amount, M.Rate):
        return capped(tr.term(amount.base) * tr.term(amount.rate), amount.cap)
    if isinstance(amount, M.PerUnit):
        return capped(tr.term(amount.count) * tr.term(amount.unit_amount), amount.cap)
    if isinstance(amount, M.Cases):
        out: Any = zero
        for case in reversed(amount.cases):
            out = z3.If(tr.term(case.when), amount_term(case.amount, tr), out)
        return out
    if isinstance(amount, M.Bands):
        base = tr.term(amount.base)
        out = zero
        for b in reversed(amount.bands):
            inside = (
                base >= tr.term(b.lower)
                if b.upper is None
                else z3.And(base >= tr.term(b.lower), base < tr.term(b.upper))
            )
            out = z3.If(inside, capped(base * tr.term(b.rate), b.cap), out)
        return out
    if isinstance(amount, M.HighestTier):
        value = tr.term(amount.value)
        out = zero
        for t in sorted(amount.tiers, key=lambda t: str(t.at_least)):
            out = z3.If(value >= tr.term(t.at_least), z3.If(tr.term(t.amount) > out, tr.term(t.amount), out), out)
        if amount.already_awarded is not None:
            less = out - tr.term(amount.already_awarded)
            out = z3.If(less > 0, less, zero)
        return out
    if isinstance(amount, M.Staged):
        total: Any = zero
        for s in amount.stages:
            total = total + amount_term(s.amount, tr)
        return total
    if isinstance(amount, M.MultiYear):
        start = amount.start
        if start is not None:
            tr.term(start)  # the start date is a fact of the witness
        return amount.years * amount_term(amount.each_year, tr)
    if isinstance(amount, M.NoAmount):
        return None
    raise Unsupported(type(amount).__name__)


@dataclass
class Maximum:
    programme: str
    value: Decimal | None  # None: unbounded
    status: str  # "bounded", "unbounded", "unknown", "none" (no sum in the text)
    per_year: bool = False
    reason: str = ""


_CEILING_WORD = re.compile(r"最高|不超过|上限|封顶|最多")
_SUM = re.compile(r"(\d+(?:\.\d+)?)\s*(亿|万)?元")


def stated_ceilings(p: M.Programme) -> list[tuple[Decimal, M.Clause]]:
    """Every ceiling (in yuan) the programme's support clauses state: 最高 50 万元, 不超过 200 万元,
    分别给予最高 20 万元、50 万元、100 万元 (each sum after a ceiling word, up to the end of the phrase)."""
    from huiqi.rules.model import amount_forms

    clauses = [p.support.clause]
    for form in amount_forms(p.support.amount):
        if isinstance(form, M.Cases):
            clauses += [c.clause for c in form.cases if c.clause is not None]
    out = []
    for clause in clauses:
        text = clause.text.replace(",", "")
        for word in _CEILING_WORD.finditer(text):
            phrase = re.split(r"[，。；;]", text[word.end() :], maxsplit=1)[0]
            for m in _SUM.finditer(phrase):
                unit = {"亿": Decimal(100_000_000), "万": Decimal(10_000)}.get(m.group(2) or "", Decimal(1))
                out.append((Decimal(m.group(1)) * unit, clause))
    return out


def _parts_to_check(p: M.Programme) -> list[tuple[str, M.Amount]]:
    """What a stated ceiling bounds: the whole amount, each year of a multi-year one, each stage of a staged one."""
    amount = p.support.amount
    if isinstance(amount, M.MultiYear):
        return [("per_year", amount.each_year)]
    if isinstance(amount, M.Staged):
        return [(f"stage:{s.label.zh}", s.amount) for s in amount.stages]
    return [("", amount)]


def part_maximum(
    p: M.Programme, d: M.Document, vocab: Any, amount: M.Amount, on: dt.date | None = None, *, caps: bool = True
) -> Maximum:
    """The most one part of the support can reach for an eligible profile, after the document's caps naming the programme."""
    on = on or evaluation_date(d)
    try:
        prob = eligibility(p, d, vocab, on)
        term = amount_term(amount, prob.tr)
        limits = [prob.tr.term(cap.amount) for cap in d.caps if p.id in cap.programmes] if caps else []
    except Unsupported as exc:
        return Maximum(p.id, None, "unknown", False, f"not modelled: {exc}")
    if term is None:
        return Maximum(p.id, None, "none", False)
    for limit in limits:
        term = z3.If(term > limit, limit, term)
    o = z3.Optimize()
    o.set("timeout", timeout_ms())
    o.add(*prob.tr.side)
    o.add(*[c for what, c in prob.named if what in prob.hard])
    h = o.maximize(z3.ToReal(term) if z3.is_int(term) else term)
    result = o.check()
    if result != z3.sat:
        return Maximum(p.id, None, "unknown", False, f"solver: {result}")
    return _bound_of(p.id, h.upper(), False)


def _bound_of(pid: str, upper: Any, per_year: bool) -> Maximum:
    text = str(upper)
    if "oo" in text or "epsilon" in text:
        return Maximum(pid, None, "unbounded", per_year)
    if z3.is_int_value(upper):
        return Maximum(pid, Decimal(upper.as_long()), "bounded", per_year)
    if not z3.is_rational_value(upper):
        return Maximum(pid, None, "unknown", per_year, f"solver: {text}")
    frac = upper.as_fraction()
    return Maximum(pid, Decimal(frac.numerator) / Decimal(frac.denominator), "bounded", per_year)


# --------------------------------------------------------------------------- lint findings


def check_solver(policies: M.PolicySet) -> list:
    """The lint's solver findings: no witness, an amount above the text's ceilings, what the solver could not decide."""
    from huiqi.rules.lint import ERROR, WARNING, Finding, _file_of, _line, _raw_programmes

    out = []
    vocab = policies.vocabulary
    for d in policies.documents:
        raws = _raw_programmes(d)
        for p in d.programmes:
            raw = raws.get(p.id)
            file = _file_of(d, raw, p.id)
            line = raw.line if raw is not None else p.line
            w = find_witness(p, d, vocab)
            if w.status == "none":
                parts = "、".join(w.core) or "?"
                out.append(
                    Finding(
                        ERROR,
                        "no-witness",
                        file,
                        line,
                        f"没有任何企业能符合本项目：{parts} 互相矛盾",
                        f"no profile can be eligible: {', '.join(w.core) or '?'} contradict each other",
                        p.id,
                    )
                )
                continue
            if w.status == "unknown":
                out.append(
                    Finding(
                        WARNING,
                        "solver",
                        file,
                        line,
                        f"求解器未能判断：{w.reason}",
                        f"the solver could not decide: {w.reason}",
                        p.id,
                    )
                )
                continue
            ceilings = stated_ceilings(p)
            if not ceilings:
                continue
            top = max(c for c, _ in ceilings)
            sline = _line(raw, "support") if raw is not None else p.line
            for part, amount in _parts_to_check(p):
                most = part_maximum(p, d, vocab, amount)
                what_zh = {"per_year": "（每年）"}.get(part, f"（{part[6:]}）" if part else "")
                what_en = {"per_year": " (per year)"}.get(part, f" ({part[6:]})" if part else "")
                if most.status == "bounded" and most.value is not None and most.value > top:
                    zh = f"金额{what_zh}最多可达 {most.value} 元，高于所引条款的上限 {top} 元"
                    en = f"the amount{what_en} reaches {most.value}, above the ceiling {top} its clause states"
                elif most.status == "unbounded":
                    zh = f"所引条款规定上限 {top} 元，但金额{what_zh}没有上限"
                    en = f"the clause states a ceiling of {top} but the amount{what_en} is unbounded"
                else:
                    continue
                out.append(Finding(ERROR, "above-ceiling", file, sline, zh, en, p.id))
    return out


# --------------------------------------------------------------------------- witnesses as policy tests


@dataclass
class WitnessCase:
    """One programme's witness and flip, checked by the engine."""

    programme: M.Programme
    document: M.Document
    witness: Witness
    on: dt.date
    profile: dict
    status: str  # the engine's status for the witness (eligible when all is well)
    flip_profile: dict | None = None
    flip_status: str | None = None
    flip_failed: list[str] = field(default_factory=list)
    flip_claim: str | None = None  # None when the change makes the claim one the programme does not support
    problem: str = ""  # why the engine disagrees with the solver (empty when it agrees)


def _engine_result(policies: M.PolicySet, p: M.Programme, profile_data: dict, on: dt.date) -> Any:
    from huiqi.rules.engine import evaluate
    from huiqi.rules.profile import parse_profile

    profile = parse_profile(profile_data, policies.vocabulary)
    report = evaluate(policies, profile, on=on, programmes=[p.id])
    claim = WITNESS_CLAIM if p.subject != ENTERPRISE else None
    mine = [r for r in report.results if r.programme.id == p.id]
    return next((r for r in mine if (r.claim.id if r.claim else None) == claim), mine[0])  # no claim: none applies


def witness_case(policies: M.PolicySet, p: M.Programme, d: M.Document) -> WitnessCase:
    """The witness of one programme and its smallest flip, each run through the engine."""
    w = find_witness(p, d, policies.vocabulary)
    case = WitnessCase(p, d, w, w.on, {}, "none" if w.status == "none" else "unknown")
    if w.status != "found":
        case.problem = f"no witness: {', '.join(w.core) or w.reason}"
        return case
    case.profile = w.profile(p.subject, p.support.count_once_per)
    result = _engine_result(policies, p, case.profile, w.on)
    case.status = result.status
    if result.status != "eligible":
        why = "; ".join(f.id for f in result.failed) or result.reason_en or ", ".join(sorted(result.missing))
        case.problem = f"the engine says {result.status} for the solver's witness ({why})"
        return case
    # the smallest flip the engine agrees with (the solver's dates are approximate near a birthday)
    for flip in w.flips:
        flipped = dict(w.facts)
        flipped[flip.fact] = flip.after
        flip_profile = witness_profile(flipped, p.subject, p.support.count_once_per)
        after = _engine_result(policies, p, flip_profile, w.on)
        if after.status != "eligible":
            w.flip = flip
            case.flip_profile = flip_profile
            case.flip_status = after.status
            case.flip_failed = sorted(f.id for f in after.failed)
            case.flip_claim = after.claim.id if after.claim else None
            return case
    case.problem = (
        "no single fact flips the result" if not w.flips else "the engine disagrees with every flip the solver found"
    )
    return case


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def witness_files(policies: M.PolicySet, programmes: set[str] | None = None) -> dict[str, dict]:
    """Policy-test files (one per document) holding every programme's witness and flip."""
    files: dict[str, dict] = {}
    for d in policies.documents:
        cases = []
        for p in d.programmes:
            if programmes and p.id not in programmes:
                continue
            wc = witness_case(policies, p, d)
            if wc.problem:
                cases.append({"name": f"{p.id} {p.title}: 没有见证 / no witness — {wc.problem}", "skip": True})
                continue
            clause = f"{d.number} {p.support.clause.ref} (line {p.support.clause.line})"
            claim = WITNESS_CLAIM if p.subject != ENTERPRISE else None
            cases.append(
                {
                    "name": f"{p.id} {p.title}：符合条件的一例 / a profile that is eligible",
                    "clause": clause,
                    "on": wc.on.isoformat(),
                    "profile": _plain(wc.profile),
                    "expect": [{"programme": p.id, "claim": claim, "status": "eligible"}],
                }
            )
            flip = wc.witness.flip
            expect: dict[str, Any] = {"programme": p.id, "claim": wc.flip_claim, "status": wc.flip_status}
            if wc.flip_failed:
                expect["failed"] = wc.flip_failed
            fact = policies.vocabulary.fact(flip.fact)  # type: ignore[union-attr]
            cases.append(
                {
                    "name": f"{p.id}：只改一项 {fact.zh if fact else flip.fact} {_show(flip.before)} → {_show(flip.after)}，"  # type: ignore[union-attr]
                    f"即不再符合 / one fact changed, no longer eligible",
                    "clause": clause,
                    "on": wc.on.isoformat(),
                    "profile": _plain(wc.flip_profile),
                    "expect": [expect],
                }
            )
        files[d.id] = {"cases": [c for c in cases if not c.get("skip")]}
    return files
