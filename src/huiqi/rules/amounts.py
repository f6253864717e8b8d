"""Evaluate the support standard's amount forms, recording every step of the computation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Callable

from huiqi.calendar import add_period
from huiqi.rules import expr as E
from huiqi.rules import model as M

Lookup = Callable[[str], E.Value]
FEN = Decimal("0.01")


def to_fen(value: Decimal) -> Decimal:
    """Round yuan to the fen (0.01), half up: done once, at the end."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def show(value: E.Value) -> str:
    """Print a number without exponent or trailing zeros (1200000, 0.3, 360000)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return format(value.quantize(Decimal(1)), "f")
        return format(value.normalize(), "f")
    return "?" if value is None else str(value)


def yuan(value: E.Value) -> str:
    """A sum for a clerk: thousands grouped, no exponent (1,000,000; 1,666,666.66)."""
    if isinstance(value, Decimal):
        text = show(value)
        whole, _, frac = text.partition(".")
        sign = "-" if whole.startswith("-") else ""
        whole = f"{int(whole.lstrip('-')):,}"
        return sign + whole + (f".{frac}" if frac else "")
    return show(value)


def pct(rate: E.Value) -> str:
    """A rate as the text writes it: 30%, 2‱ (per ten thousand below 1%)."""
    if isinstance(rate, Decimal):
        if rate != 0 and abs(rate) < Decimal("0.01") and (rate * 10000) == (rate * 10000).to_integral_value():
            return f"{show(rate * 10000)}‱"
        return f"{show(rate * 100)}%"
    return show(rate)


def support_year(start: dt.date, day: dt.date) -> int:
    """Which support year ``day`` falls in, counting years from ``start`` as Civil Code art. 201
    periods (the start day not counted): year k ends on start + k years (the corresponding day,
    or the month's last day). A day on or before the end of year 1 (or before the start) is year 1."""
    k = 1
    while day > add_period(start, years=k):
        k += 1
    return k


@dataclass
class Step:
    """One line of the computation: what, the arithmetic, and the result."""

    zh: str
    en: str
    formula: str
    value: Decimal | None

    def to_dict(self) -> dict:
        return {"zh": self.zh, "en": self.en, "formula": self.formula, "value": None if self.value is None else show(self.value)}


@dataclass
class ScheduleItem:
    zh: str
    en: str
    after_months: int
    amount: Decimal | None

    def to_dict(self) -> dict:
        return {"zh": self.zh, "en": self.en, "after_months": self.after_months, "amount": None if self.amount is None else str(to_fen(self.amount))}


@dataclass
class AmountOutcome:
    value: Decimal | None  # None: unknown (see missing) or not applicable
    steps: list[Step] = field(default_factory=list)
    unknown_names: set[str] = field(default_factory=set)
    not_applicable: M.Label | None = None  # no tier/band/case reached
    schedule: list[ScheduleItem] = field(default_factory=list)
    clauses: list[M.Clause] = field(default_factory=list)
    this_year: Decimal | None = None  # multi-year support: the amount of the current support year


def _val(node: E.Node, lookup: Lookup, out: AmountOutcome) -> E.Value:
    value = E.evaluate(node, lookup)
    if value is None:
        out.unknown_names |= {n for n in E.names_in(node) if lookup(n) is None}
    return value


def _label(label: M.Label | None, node: E.Node, default_zh: str, default_en: str) -> tuple[str, str]:
    if label:
        return label.zh, label.en
    src = E.to_source(node)
    return f"{default_zh}（{src}）", f"{default_en} ({src})"


def _cap(value: Decimal, cap_node: E.Node | None, lookup: Lookup, out: AmountOutcome) -> Decimal | None:
    if cap_node is None:
        return value
    cap = _val(cap_node, lookup, out)
    if cap is None:
        return None
    if value > cap:
        out.steps.append(Step(f"超过上限，按最高 {yuan(cap)} 元", f"above the ceiling: capped at {yuan(cap)} yuan", f"{yuan(value)} 元 > 上限 {yuan(cap)} 元 → {yuan(cap)} 元", cap))
        return cap
    out.steps.append(Step(f"未超过上限 {yuan(cap)} 元", f"within the ceiling of {yuan(cap)} yuan", f"{yuan(value)} 元 ≤ 上限 {yuan(cap)} 元", value))
    return value


def evaluate_amount(amount: M.Amount, lookup: Lookup) -> AmountOutcome:
    """Compute an amount form; unknown inputs give value None with the names to ask for."""
    out = AmountOutcome(None)
    out.value = _eval(amount, lookup, out)
    if out.value is not None and out.value < 0:
        out.steps.append(Step("金额不为负，按 0 计", "an amount is never negative: 0", f"{yuan(out.value)} 元 < 0 → 0 元", Decimal(0)))
        out.value = Decimal(0)
    return out


def _eval(amount: M.Amount, lookup: Lookup, out: AmountOutcome) -> Decimal | None:
    if isinstance(amount, M.Fixed):
        value = _val(amount.amount, lookup, out)
        if value is None:
            return None
        zh, en = (amount.label.zh, amount.label.en) if amount.label else ("定额", "fixed sum")
        out.steps.append(Step(zh, en, f"{yuan(value)} 元", value))
        return value
    if isinstance(amount, M.Rate):
        base = _val(amount.base, lookup, out)
        rate = _val(amount.rate, lookup, out)
        if base is None or rate is None:
            if amount.cap is not None:
                _val(amount.cap, lookup, out)
            return None
        if amount.matching:
            zh, en = _label(amount.base_label, amount.base, "上级资助金额", "higher-level grant")
            zh, en = f"配套：{zh} {yuan(base)} 元 × {pct(rate)}", f"matching: {en} {yuan(base)} yuan × {pct(rate)}"
        else:
            zh, en = _label(amount.base_label, amount.base, "基数", "base")
            zh, en = f"{zh} {yuan(base)} 元 × {pct(rate)}", f"{en} {yuan(base)} yuan × {pct(rate)}"
        value = base * rate
        out.steps.append(Step(zh, en, f"{yuan(base)} 元 × {pct(rate)} = {yuan(value)} 元", value))
        return _cap(value, amount.cap, lookup, out)
    if isinstance(amount, M.PerUnit):
        count = _val(amount.count, lookup, out)
        unit = _val(amount.unit_amount, lookup, out)
        if count is None or unit is None:
            return None
        zh, en = _label(amount.count_label, amount.count, "数量", "count")
        value = count * unit
        out.steps.append(Step(f"{zh} {show(count)} × 每个 {yuan(unit)} 元", f"{en} {show(count)} × {yuan(unit)} yuan each", f"{show(count)} × {yuan(unit)} 元 = {yuan(value)} 元", value))
        return _cap(value, amount.cap, lookup, out)
    if isinstance(amount, M.Cases):
        for case in amount.cases:
            cond = _val(case.when, lookup, out)
            if cond is None:
                return None  # an earlier case might apply: we need its facts first
            if cond is True:
                out.steps.append(Step(f"适用档次：{case.label.zh}", f"tier: {case.label.en}", "—", None))
                if case.clause:
                    out.clauses.append(case.clause)
                return _eval(case.amount, lookup, out)
        out.not_applicable = M.Label("不属于支持标准所列任何情形", "falls under none of the cases the support standard lists")
        return None
    if isinstance(amount, M.Bands):
        base = _val(amount.base, lookup, out)
        if base is None:
            return None
        zh, en = _label(amount.base_label, amount.base, "基数", "base")
        for band in amount.bands:
            lower = _val(band.lower, lookup, out)
            upper = _val(band.upper, lookup, out) if band.upper is not None else None
            if lower is None or (band.upper is not None and upper is None):
                return None
            if base >= lower and (upper is None or base < upper):
                rate = _val(band.rate, lookup, out)
                if rate is None:
                    return None
                span_zh = f"{yuan(lower)} 元（含）至 {yuan(upper)} 元（不含）" if upper is not None else f"{yuan(lower)} 元（含）以上"
                span_en = f"from {yuan(lower)} (inclusive) to {yuan(upper)} (exclusive)" if upper is not None else f"{yuan(lower)} or more"
                value = base * rate
                out.steps.append(Step(f"{zh} {yuan(base)} 元，属 {span_zh} 档，按 {pct(rate)}", f"{en} {yuan(base)} yuan falls in the band {span_en}: {pct(rate)}", f"{yuan(base)} 元 × {pct(rate)} = {yuan(value)} 元", value))
                return _cap(value, band.cap, lookup, out)
        out.not_applicable = M.Label(f"{zh} {yuan(base)} 元，未达到最低档", f"{en} {yuan(base)} yuan is below the lowest band")
        return None
    if isinstance(amount, M.HighestTier):
        value = _val(amount.value, lookup, out)
        if value is None:
            return None
        zh, en = _label(amount.value_label, amount.value, "指标", "measure")
        best: tuple[Decimal, Decimal, M.Tier] | None = None
        for tier in amount.tiers:
            threshold = _val(tier.at_least, lookup, out)
            sum_ = _val(tier.amount, lookup, out)
            if threshold is None or sum_ is None:
                return None
            if value >= threshold and (best is None or sum_ > best[1]):
                best = (threshold, sum_, tier)
        if best is None:
            out.not_applicable = M.Label(f"{zh} {show(value)} 未达到任何档次", f"{en} {show(value)} reaches no tier")
            return None
        threshold, sum_, tier = best
        tz = f"（{tier.label.zh}）" if tier.label else ""
        te = f" ({tier.label.en})" if tier.label else ""
        out.steps.append(Step(f"{zh} {yuan(value)} ≥ {yuan(threshold)}{tz}，就高适用该档 {yuan(sum_)} 元（不重复）", f"{en} {yuan(value)} ≥ {yuan(threshold)}{te}: highest tier reached, {yuan(sum_)} yuan (not cumulative)", f"{yuan(value)} ≥ {yuan(threshold)} → {yuan(sum_)} 元", sum_))
        if amount.already_awarded is not None:
            prior = _val(amount.already_awarded, lookup, out)
            if prior is None:
                return None
            if prior:
                rest = max(sum_ - prior, Decimal(0))
                out.steps.append(Step(f"减去已获同类奖励 {yuan(prior)} 元", f"less the award already received, {yuan(prior)} yuan", f"{yuan(sum_)} 元 − {yuan(prior)} 元 = {yuan(rest)} 元", rest))
                return rest
        return sum_
    if isinstance(amount, M.Staged):
        total = Decimal(0)
        unknown = False
        for stage in amount.stages:
            sub = AmountOutcome(None)
            value = _eval(stage.amount, lookup, sub)
            out.unknown_names |= sub.unknown_names
            out.steps.extend(Step(f"{stage.label.zh}：{s.zh}", f"{stage.label.en}: {s.en}", s.formula, s.value) for s in sub.steps)
            out.schedule.append(ScheduleItem(stage.label.zh, stage.label.en, stage.after_months, value))
            if value is None:
                unknown = True
            else:
                total += value
        if unknown:
            return None
        out.steps.append(Step("各期合计", "sum of the stages", " + ".join(f"{yuan(s.amount)} 元" for s in out.schedule) + f" = {yuan(total)} 元", total))
        return total
    if isinstance(amount, M.MultiYear):
        first, left = 1, amount.years
        if amount.start is not None:
            start = _val(amount.start, lookup, out)
            if start is None:
                _eval(amount.each_year, lookup, out)  # ask for everything at once
                return None
            today = lookup("call.date")
            if isinstance(start, dt.date) and isinstance(today, dt.date):
                first = support_year(start, today)
                sz, se = (amount.start_label.zh, amount.start_label.en) if amount.start_label else ("起始日", "start")
                last_day = add_period(start, years=amount.years)
                if first > amount.years:
                    out.steps.append(
                        Step(
                            f"{sz} {start} 起 {amount.years} 年的支持期已于 {last_day} 届满（申报日 {today}）",
                            f"the {amount.years} years of support from the {se} {start} ended on {last_day} (application {today})",
                            f"{today} > {last_day}",
                            None,
                        )
                    )
                    out.not_applicable = M.Label(
                        f"支持期已届满：自{sz} {start} 起 {amount.years} 年，至 {last_day} 止",
                        f"the support period is over: {amount.years} years from the {se} {start}, ended on {last_day}",
                    )
                    return None
                left = amount.years - first + 1
                out.steps.append(
                    Step(
                        f"{sz} {start}，申报日 {today} 在第 {first} 年（至 {add_period(start, years=first)}），剩余 {left} 年",
                        f"{se} {start}; the application date {today} is in year {first} (until {add_period(start, years=first)}): {left} year(s) left",
                        f"第 {first} 年（共 {amount.years} 年）→ 剩余 {left} 年",
                        Decimal(left),
                    )
                )
        each = _eval(amount.each_year, lookup, out)
        if each is None:
            return None
        for k, year in enumerate(range(first, amount.years + 1)):
            out.schedule.append(ScheduleItem(f"第{year}年", f"year {year}", 12 * k, each))
        out.this_year = each
        total = each * left
        out.steps.append(Step(f"每年 {yuan(each)} 元 × {left} 年", f"{yuan(each)} yuan a year × {left} years", f"{yuan(each)} 元/年 × {left} 年 = {yuan(total)} 元", total))
        return total
    if isinstance(amount, M.NoAmount):
        out.steps.append(Step(amount.reason.zh, amount.reason.en, "—", None))
        return None
    raise TypeError(amount)  # pragma: no cover


# ---------------------------------------------------------------- the most an amount can reach

_INF = Decimal("Infinity")


def _interval(node: E.Node, lookup: Lookup, nonneg: Callable[[str], bool]) -> tuple[Decimal, Decimal]:
    """The range a numeric expression can take while some facts are unknown: an unknown money or
    count fact lies in [0, ∞) (the profile refuses negatives), any other unknown in (−∞, ∞)."""
    exact = E.evaluate(node, lookup)
    if isinstance(exact, Decimal):
        return exact, exact
    if isinstance(node, E.Name):
        return (Decimal(0), _INF) if nonneg(node.name) else (-_INF, _INF)
    if isinstance(node, E.Unary) and node.op == "-":
        lo, hi = _interval(node.operand, lookup, nonneg)
        return -hi, -lo
    if isinstance(node, E.Binary) and node.op in ("+", "-", "*"):
        a_lo, a_hi = _interval(node.left, lookup, nonneg)
        b_lo, b_hi = _interval(node.right, lookup, nonneg)
        if node.op == "+":
            return a_lo + b_lo, a_hi + b_hi
        if node.op == "-":
            return a_lo - b_hi, a_hi - b_lo
        ends = [_times(x, y) for x in (a_lo, a_hi) for y in (b_lo, b_hi)]
        return min(ends), max(ends)
    if isinstance(node, E.Call) and node.function in ("min", "max") and node.args:
        spans = [_interval(a, lookup, nonneg) for a in node.args]
        pick = min if node.function == "min" else max
        return pick(s[0] for s in spans), pick(s[1] for s in spans)
    if isinstance(node, E.Call) and node.function == "if" and len(node.args) == 3:
        cond = E.evaluate(node.args[0], lookup)
        if cond is True:
            return _interval(node.args[1], lookup, nonneg)
        if cond is False:
            return _interval(node.args[2], lookup, nonneg)
        (a_lo, a_hi), (b_lo, b_hi) = _interval(node.args[1], lookup, nonneg), _interval(node.args[2], lookup, nonneg)
        return min(a_lo, b_lo), max(a_hi, b_hi)
    return -_INF, _INF


def _times(x: Decimal, y: Decimal) -> Decimal:
    """An end of an interval product: 0 × ∞ counts as 0 (the usual convention of interval arithmetic)."""
    if x == 0 or y == 0:
        return Decimal(0)
    return x * y


def _most(node: E.Node, lookup: Lookup, nonneg: Callable[[str], bool]) -> Decimal:
    return _interval(node, lookup, nonneg)[1]


def _bound(amount: M.Amount, lookup: Lookup, nonneg: Callable[[str], bool], *, try_exact: bool = True) -> Decimal:
    if try_exact:  # a part whose inputs are all known (a case, a stage) counts at its value
        exact = _eval(amount, lookup, AmountOutcome(None))
        if exact is not None:
            return exact
    if isinstance(amount, M.Fixed):
        return _most(amount.amount, lookup, nonneg)
    if isinstance(amount, (M.Rate, M.PerUnit)):
        a, b = (amount.base, amount.rate) if isinstance(amount, M.Rate) else (amount.count, amount.unit_amount)
        (a_lo, a_hi), (b_lo, b_hi) = _interval(a, lookup, nonneg), _interval(b, lookup, nonneg)
        most = max(_times(x, y) for x in (a_lo, a_hi) for y in (b_lo, b_hi))
        return most if amount.cap is None else min(most, _most(amount.cap, lookup, nonneg))
    if isinstance(amount, M.Cases):
        best = Decimal(0)
        for case in amount.cases:
            cond = E.evaluate(case.when, lookup)
            if cond is False:
                continue
            best = max(best, _bound(case.amount, lookup, nonneg))
            if cond is True:
                break
        return best
    if isinstance(amount, M.Bands):
        best = Decimal(0)
        base_hi = _most(amount.base, lookup, nonneg)
        for band in amount.bands:
            top = base_hi if band.upper is None else min(base_hi, _most(band.upper, lookup, nonneg))
            most = _times(top, _most(band.rate, lookup, nonneg))
            best = max(best, most if band.cap is None else min(most, _most(band.cap, lookup, nonneg)))
        return best
    if isinstance(amount, M.HighestTier):
        return max((_most(t.amount, lookup, nonneg) for t in amount.tiers), default=Decimal(0))
    if isinstance(amount, M.Staged):
        return sum((_bound(s.amount, lookup, nonneg) for s in amount.stages), Decimal(0))
    if isinstance(amount, M.MultiYear):  # at most every year (a start date may leave fewer)
        return _bound(amount.each_year, lookup, nonneg) * amount.years
    return _INF  # NoAmount: nothing to bound


def amount_bound(amount: M.Amount, lookup: Lookup, nonneg: Callable[[str], bool]) -> Decimal | None:
    """The most the support standard can give once the missing facts are known (最高 / the highest
    case, tier or band still possible), for an amount whose value is unknown; ``None`` when it has no
    upper limit (a rate without a cap on an unknown base) or names no sum. ``nonneg(fact)`` says a
    fact is never negative."""
    with localcontext() as ctx:
        ctx.traps[InvalidOperation] = False
        most = _bound(amount, lookup, nonneg, try_exact=False)  # the caller knows the whole is unknown
    if most.is_nan() or most.is_infinite():
        return None
    return max(most, Decimal(0))
