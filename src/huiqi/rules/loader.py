"""Load and check policy files: YAML → the typed model, every problem with file:line.

See ``docs/policy-format.md`` for the format a policy officer writes.

Scope: ``document.scope`` (a list of criteria) says who the whole document is for. A programme
may give its own ``scope:`` (a non-empty list of criteria of the same shape); when present it
REPLACES the document's scope for that programme — it is not added to it — so the programme's
scope must restate every condition of the document's scope that still applies. A programme's
scope criteria are checked like its other criteria (declared facts, the claim subject, types,
parameters, notes; ``use:`` of a shared criterion) and, like the document's, may not be soft
(原则上): a failed scope criterion means ``out_of_scope``, never an officer's decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from huiqi.rules import expr as E
from huiqi.rules import model as M
from huiqi.rules import versions
from huiqi.rules.errors import PolicyError, Problem
from huiqi.rules.facts import CALL, ENTERPRISE, Vocabulary, load_vocabulary
from huiqi.rules.yamlio import LineDict, LineList, load_yaml_text

AMOUNT_FORMS = ("fixed", "rate", "match", "per_unit", "cases", "bands", "highest_tier", "staged", "multi_year", "none")
PROCESS_STAGES = (
    "application",  # 申报
    "town_confirmation",  # 镇（园区）确认
    "district_check",  # 区科委初审 / 形式审查
    "expert_review",  # 专家评审
    "consultation",  # 征求意见
    "shortlist",  # 拟立项 / 入围名单
    "public_notice",  # 公示
    "approval",  # 立项 / 表彰
    "payment",  # 拨付
)

DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"


class _Ctx:
    """Where we are in a file, and the problems found so far."""

    def __init__(self, file: str, vocab: Vocabulary):
        self.file = file
        self.vocab = vocab
        self.problems: list[Problem] = []
        self.subject = ENTERPRISE
        self.params: set[str] = set()
        self.field = ""

    def problem(self, field: str, zh: str, en: str, line: int | None) -> None:
        self.problems.append(Problem(field, zh, en, self.file, line))


def _line(node: Any, key: str | None = None, default: int = 0) -> int:
    if isinstance(node, LineDict):
        return node.line_of(key) if key else node.line
    if isinstance(node, LineList):
        return node.line
    return default


def _clause(ctx: _Ctx, raw: Any, field: str, line: int) -> M.Clause:
    if isinstance(raw, str):
        return M.Clause(text=raw.strip())
    if isinstance(raw, LineDict) and raw.get("text"):
        ln = raw.get("line")
        return M.Clause(text=str(raw["text"]).strip(), ref=str(raw.get("ref", "")), line=int(ln) if ln else None)
    ctx.problem(field, "须引用原文条款（clause: 原文）", "must quote the clause it implements (clause: text)", line)
    return M.Clause(text="")


def _label(raw: Any) -> M.Label | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return M.Label(raw, raw)
    return M.Label(str(raw.get("zh", "")), str(raw.get("en", raw.get("zh", ""))))


def _expr(ctx: _Ctx, raw: Any, field: str, line: int) -> E.Node:
    try:
        node = E.parse(raw)
    except E.ExprError as exc:
        ctx.problem(field, f"表达式有误：{exc.message_zh}", f"bad expression: {exc.message_en}", line)
        return E.Literal(None)
    for name in E.names_in(node):
        if "." in name:
            subject = name.split(".", 1)[0]
            if name not in ctx.vocab.facts:
                ctx.problem(field, f"未声明的事实 {name}（见 facts.yaml）", f"undeclared fact {name!r} (see facts.yaml)", line)
            elif subject not in (ENTERPRISE, CALL, ctx.subject):
                ctx.problem(
                    field,
                    f"本项目的申报主体是 {ctx.subject}，不能读取 {name}",
                    f"this programme's claim subject is {ctx.subject!r}; it cannot read {name!r}",
                    line,
                )
        elif name not in ctx.params:
            ctx.problem(field, f"未定义的参数 {name}", f"undefined parameter {name!r}", line)
    _check_types(ctx, node, field, line)
    return node


_NUMERIC = ("int", "number", "money", "ratio")


def _literal_fits(fact, value) -> bool:
    """Whether a literal can ever equal a value of the fact's type."""
    if value is None:
        return True
    if fact.type in _NUMERIC:
        return isinstance(value, Decimal)
    if fact.type == "bool":
        return isinstance(value, bool)
    if fact.type == "date":
        return isinstance(value, dt.date)
    if fact.type == "enum":
        return isinstance(value, str) and value in fact.values
    return isinstance(value, str)


def _check_types(ctx: _Ctx, node: E.Node, field: str, line: int) -> None:
    """Catch typos a policy officer would not see: an enum value that does not exist, a text compared with a number."""
    pairs: list[tuple[E.Node, E.Value]] = []
    if isinstance(node, E.Binary) and node.op in ("==", "!=", "<", "<=", ">", ">="):
        if isinstance(node.left, E.Name) and isinstance(node.right, E.Literal):
            pairs.append((node.left, node.right.value))
        if isinstance(node.right, E.Name) and isinstance(node.left, E.Literal):
            pairs.append((node.right, node.left.value))
    if isinstance(node, E.In) and isinstance(node.operand, E.Name):
        pairs.extend((node.operand, v) for v in node.options)
    for name_node, value in pairs:
        fact = ctx.vocab.facts.get(name_node.name) if isinstance(name_node, E.Name) else None
        if fact is not None and not _literal_fits(fact, value):
            allowed = f"：{'、'.join(fact.values)}" if fact.type == "enum" else ""
            ctx.problem(
                field,
                f"{fact.name}（{fact.type}）不可能等于 {value!r}{allowed}",
                f"{fact.name} ({fact.type}) can never equal {value!r}" + (f"; values: {', '.join(fact.values)}" if fact.type == "enum" else ""),
                line,
            )
    for child in E.children(node):
        _check_types(ctx, child, field, line)


def _date(ctx: _Ctx, raw: Any, field: str, line: int) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        ctx.problem(field, f"不是有效日期：{raw}", f"not a real date: {raw}", line)
        return None


def _param_value(ctx: _Ctx, raw: Any, field: str, line: int) -> object:
    """A parameter value: a number, date, boolean, or literal text like 30% or 2‱."""
    if isinstance(raw, str):
        try:
            node = E.parse(raw)
        except E.ExprError:
            return raw  # plain text value
        if isinstance(node, E.Literal):
            return node.value
        if isinstance(node, E.Name) and not node.is_fact:
            return raw
        ctx.problem(field, "参数值应为常量", "a parameter value must be a literal", line)
        return None
    return E.coerce_literal(raw)


def _parameters(ctx: _Ctx, raw: Any, field: str) -> dict[str, M.Parameter]:
    out: dict[str, M.Parameter] = {}
    if not raw:
        return out
    for name, spec in raw.items():
        line = _line(raw, name)
        if isinstance(spec, LineDict):
            entries_raw = spec.get("values")
            if entries_raw is None:
                entries_raw = {None: spec.get("value")}
            entries: list[tuple[dt.date | None, object]] = []
            for start, value in entries_raw.items():
                day = _date(ctx, start, f"{field}.{name}.values", line) if start not in (None, "None") else None
                entries.append((day, _param_value(ctx, value, f"{field}.{name}", line)))
            entries.sort(key=lambda e: e[0] or dt.date.min)
            clause = _clause(ctx, spec["clause"], f"{field}.{name}.clause", line) if "clause" in spec else None
            out[name] = M.Parameter(name, tuple(entries), spec.get("unit"), clause)
        else:
            out[name] = M.Parameter(name, ((None, _param_value(ctx, spec, f"{field}.{name}", line)),))
    return out


# --------------------------------------------------------------- amounts


def _amount(ctx: _Ctx, raw: Any, field: str, line: int) -> M.Amount:
    if not isinstance(raw, LineDict) or len(raw) != 1 or next(iter(raw)) not in AMOUNT_FORMS:
        ctx.problem(
            field,
            f"金额须为以下形式之一：{'、'.join(AMOUNT_FORMS)}",
            f"an amount must be exactly one of: {', '.join(AMOUNT_FORMS)}",
            line,
        )
        return M.NoAmount(M.Label("", ""))
    form, spec = next(iter(raw.items()))
    line = _line(spec, default=line)
    f = f"{field}.{form}"
    x: Callable[[str], E.Node] = lambda key: _expr(ctx, spec.get(key), f"{f}.{key}", _line(spec, key, line))  # noqa: E731
    opt: Callable[[str], E.Node | None] = lambda key: x(key) if isinstance(spec, LineDict) and spec.get(key) is not None else None  # noqa: E731

    def need(*keys: str) -> bool:
        if not isinstance(spec, LineDict):
            ctx.problem(f, "应为映射", "must be a mapping", line)
            return False
        missing = [k for k in keys if spec.get(k) is None]
        for k in missing:
            ctx.problem(f"{f}.{k}", "缺少此项", "is missing", line)
        return not missing

    if form == "fixed":
        if isinstance(spec, LineDict):
            return M.Fixed(x("amount"), _label(spec.get("label"))) if need("amount") else M.NoAmount(M.Label("", ""))
        return M.Fixed(_expr(ctx, spec, f, line))
    if form == "rate":
        if not need("base", "rate"):
            return M.NoAmount(M.Label("", ""))
        return M.Rate(x("base"), x("rate"), opt("cap"), _label(spec.get("base_label")))
    if form == "match":
        if not need("grant", "ratio"):
            return M.NoAmount(M.Label("", ""))
        return M.Rate(x("grant"), x("ratio"), opt("cap"), _label(spec.get("grant_label")), matching=True)
    if form == "per_unit":
        if not need("count", "unit_amount"):
            return M.NoAmount(M.Label("", ""))
        return M.PerUnit(x("count"), x("unit_amount"), opt("cap"), _label(spec.get("count_label")))
    if form == "cases":
        if not isinstance(spec, LineList) or not spec:
            ctx.problem(f, "应为非空列表", "must be a non-empty list", line)
            return M.NoAmount(M.Label("", ""))
        cases = []
        for i, item in enumerate(spec):
            il = _line(item, default=line)
            if not isinstance(item, LineDict) or "when" not in item or "amount" not in item:
                ctx.problem(f"{f}[{i}]", "每一档须有 when 与 amount", "each case needs 'when' and 'amount'", il)
                continue
            clause = _clause(ctx, item["clause"], f"{f}[{i}].clause", il) if "clause" in item else None
            cases.append(
                M.Case(
                    _expr(ctx, item["when"], f"{f}[{i}].when", _line(item, "when", il)),
                    _amount(ctx, item["amount"], f"{f}[{i}].amount", _line(item, "amount", il)),
                    _label(item.get("label")) or M.Label(str(item["when"]), str(item["when"])),
                    clause,
                )
            )
        return M.Cases(tuple(cases))
    if form == "bands":
        if not need("base", "bands"):
            return M.NoAmount(M.Label("", ""))
        bands = []
        for i, b in enumerate(spec["bands"]):
            bl = _line(b, default=line)
            if not isinstance(b, LineDict) or "from" not in b or "rate" not in b:
                ctx.problem(f"{f}.bands[{i}]", "每一档须有 from 与 rate", "each band needs 'from' and 'rate'", bl)
                continue
            bands.append(
                M.Band(
                    _expr(ctx, b["from"], f"{f}.bands[{i}].from", bl),
                    _expr(ctx, b["to"], f"{f}.bands[{i}].to", bl) if b.get("to") is not None else None,
                    _expr(ctx, b["rate"], f"{f}.bands[{i}].rate", bl),
                    _expr(ctx, b["cap"], f"{f}.bands[{i}].cap", bl) if b.get("cap") is not None else None,
                )
            )
        return M.Bands(x("base"), tuple(bands), _label(spec.get("base_label")))
    if form == "highest_tier":
        if not need("value", "tiers"):
            return M.NoAmount(M.Label("", ""))
        tiers = []
        for i, t in enumerate(spec["tiers"]):
            tl = _line(t, default=line)
            if not isinstance(t, LineDict) or "at_least" not in t or "amount" not in t:
                ctx.problem(f"{f}.tiers[{i}]", "每一档须有 at_least 与 amount", "each tier needs 'at_least' and 'amount'", tl)
                continue
            tiers.append(
                M.Tier(
                    _expr(ctx, t["at_least"], f"{f}.tiers[{i}].at_least", tl),
                    _expr(ctx, t["amount"], f"{f}.tiers[{i}].amount", tl),
                    _label(t.get("label")),
                )
            )
        return M.HighestTier(x("value"), tuple(tiers), opt("already_awarded"), _label(spec.get("value_label")))
    if form == "staged":
        if not isinstance(spec, LineList) or not spec:
            ctx.problem(f, "应为非空列表", "must be a non-empty list", line)
            return M.NoAmount(M.Label("", ""))
        stages = []
        for i, s in enumerate(spec):
            sl = _line(s, default=line)
            if not isinstance(s, LineDict) or "amount" not in s:
                ctx.problem(f"{f}[{i}]", "每一期须有 amount", "each stage needs 'amount'", sl)
                continue
            stages.append(
                M.Stage(
                    _label(s.get("label")) or M.Label(f"第{i + 1}期", f"stage {i + 1}"),
                    _amount(ctx, s["amount"], f"{f}[{i}].amount", sl),
                    int(s.get("after_months", 0)),
                )
            )
        return M.Staged(tuple(stages))
    if form == "multi_year":
        if not need("years", "each_year"):
            return M.NoAmount(M.Label("", ""))
        years = spec["years"]
        if isinstance(years, bool) or not isinstance(years, int) or years < 1:
            ctx.problem(f"{f}.years", "应为正整数（支持年数）", "must be a positive whole number (years of support)", _line(spec, "years", line))
            years = 1
        start = None
        if spec.get("from") is not None:
            start = x("from")
            names = [n for n in E.names_in(start) if "." in n]
            if not names or any(getattr(ctx.vocab.facts.get(n), "type", None) != "date" for n in names):
                ctx.problem(f"{f}.from", "应为日期事实（如 lease.start_date）", "must be a date fact (e.g. lease.start_date)", _line(spec, "from", line))
        return M.MultiYear(years, _amount(ctx, spec["each_year"], f"{f}.each_year", line), start, _label(spec.get("from_label")))
    # none
    return M.NoAmount(_label(spec) or M.Label("原文未规定金额", "the text names no sum"))


# --------------------------------------------------------------- criteria


def _criterion(ctx: _Ctx, raw: Any, field: str, shared: dict[str, M.Criterion]) -> M.Criterion | None:
    line = _line(raw)
    if isinstance(raw, LineDict) and "use" in raw:
        name = raw["use"]
        if name not in shared:
            ctx.problem(field, f"未定义的共用条件 {name}", f"undefined shared criterion {name!r}", line)
            return None
        found = shared[name]
        if "soft" in raw:  # a topic may state a shared condition as 原则上
            found = M.Criterion(**{**found.__dict__, "soft": bool(raw["soft"])})
        if raw.get("clause") is not None:  # the same condition, quoted where this topic states it
            found = M.Criterion(**{**found.__dict__, "clause": _clause(ctx, raw["clause"], f"{field}.clause", line), "file_line": line})
        if raw.get("note") is not None:
            found = M.Criterion(**{**found.__dict__, "note": str(raw["note"])})
        return found
    if not isinstance(raw, LineDict) or "test" not in raw or "id" not in raw:
        ctx.problem(field, "条件须有 id、test 与 clause", "a criterion needs 'id', 'test' and 'clause'", line)
        return None
    source = raw["test"]
    node = _expr(ctx, source, f"{field}.test", _line(raw, "test", line))
    label = _label(raw.get("label")) or M.Label("", "")
    return M.Criterion(
        id=str(raw["id"]),
        test=node,
        source=str(source),
        clause=_clause(ctx, raw.get("clause"), f"{field}.clause", line),
        soft=bool(raw.get("soft", False)),
        label_zh=label.zh,
        label_en=label.en,
        note=raw.get("note"),
        file_line=line,
    )


def _notes(ctx: _Ctx, raw: Any, field: str, document_notes: tuple[M.Note, ...] | None = None) -> tuple[M.Note, ...]:
    """Notes: each defined once. A programme's entry may be the id of a document note (``- credit-soft``
    or ``- {use: credit-soft}``) instead of repeating its text."""
    out = []
    for i, n in enumerate(raw or ()):
        ref = n if isinstance(n, str) else n.get("use") if isinstance(n, LineDict) and set(n) == {"use"} else None
        if ref is not None and document_notes is not None:
            found = next((d for d in document_notes if d.id == str(ref)), None)
            if found is None:
                ctx.problem(f"{field}[{i}]", f"未定义的解释说明 {ref}（document.notes 中没有）", f"undefined note {ref!r} (not in document.notes)", _line(raw))
                continue
            out.append(found)
            continue
        if not isinstance(n, LineDict) or not n.get("id") or not n.get("zh"):
            ctx.problem(f"{field}[{i}]", "解释说明须有 id 与 zh", "a note needs 'id' and 'zh'", _line(n))
            continue
        when = n.get("when")
        if when is not None and when not in M.NOTE_WHEN:
            ctx.problem(f"{field}[{i}].when", f"应为 {'、'.join(M.NOTE_WHEN)}", f"must be one of {', '.join(M.NOTE_WHEN)}", _line(n))
            when = None
        if document_notes is not None and any(d.id == str(n["id"]) for d in document_notes):
            ctx.problem(f"{field}[{i}].id", f"解释说明 {n['id']} 已在 document.notes 中定义：请直接引用其 id", f"note {n['id']!r} is already defined in document.notes: refer to it by id", _line(n))
        out.append(M.Note(str(n["id"]), str(n["zh"]).strip(), str(n.get("en", "")).strip(), when))
    ids = [x.id for x in out]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        ctx.problem(field, f"解释说明 id 重复：{dup}", f"duplicate note id {dup!r}", _line(raw))
    return tuple(out)


def _materials(ctx: _Ctx, raw: Any, field: str) -> tuple[M.Material, ...]:
    out = []
    for i, m in enumerate(raw or ()):
        if isinstance(m, str):
            out.append(M.Material(id=f"m{i + 1}", name=m))
            continue
        if not isinstance(m, LineDict) or not m.get("name"):
            ctx.problem(f"{field}[{i}]", "材料须有 name", "a material needs 'name'", _line(m))
            continue
        form = m.get("form", "copy")
        if form not in M.MATERIAL_FORMS:
            ctx.problem(f"{field}[{i}].form", f"应为 {'/'.join(M.MATERIAL_FORMS)}", f"must be one of {', '.join(M.MATERIAL_FORMS)}", _line(m))
        out.append(
            M.Material(
                id=str(m.get("id", f"m{i + 1}")),
                name=str(m["name"]),
                form=form,
                stamped=bool(m.get("stamped", False)),
                required=bool(m.get("required", True)),
                when=m.get("when"),
            )
        )
    return tuple(out)


def _programme(ctx: _Ctx, raw: LineDict, doc_id: str, shared: dict[str, M.Criterion], doc_params: set[str]) -> M.Programme | None:
    line = raw.line
    pid = str(raw.get("id", ""))
    field = f"programmes[{pid or '?'}]"
    for key in ("id", "title", "department", "mode", "subject", "support"):
        if key not in raw:
            ctx.problem(f"{field}.{key}", "缺少此项", "is missing", line)
    if any(p.field.startswith(field) and p.message_en == "is missing" for p in ctx.problems):
        return None
    subject = str(raw["subject"])
    if subject not in ctx.vocab.subjects or subject == CALL:
        ctx.problem(f"{field}.subject", f"未声明的申报主体 {subject}", f"undeclared claim subject {subject!r}", raw.line_of("subject"))
        return None
    mode = raw["mode"]
    if mode not in M.MODES:
        ctx.problem(f"{field}.mode", f"应为 {'/'.join(M.MODES)}", f"must be one of {', '.join(M.MODES)}", raw.line_of("mode"))
    ctx.subject = subject
    params = _parameters(ctx, raw.get("parameters"), f"{field}.parameters")
    ctx.params = doc_params | set(params)
    scope = _programme_scope(ctx, raw, field, shared)
    criteria = []
    for i, c in enumerate(raw.get("criteria") or ()):
        crit = _criterion(ctx, c, f"{field}.criteria[{i}]", shared)
        if crit is not None:
            criteria.append(crit)
    ids = [c.id for c in (*(scope or ()), *criteria)]
    for dup in {i for i in ids if ids.count(i) > 1}:
        ctx.problem(f"{field}.criteria", f"条件 id 重复：{dup}", f"duplicate criterion id {dup!r}", line)
    sup = raw["support"]
    sl = _line(sup, default=line)
    if not isinstance(sup, LineDict) or "amount" not in sup:
        ctx.problem(f"{field}.support", "须有 amount 与 clause", "needs 'amount' and 'clause'", sl)
        return None
    support = M.Support(
        amount=_amount(ctx, sup["amount"], f"{field}.support.amount", _line(sup, "amount", sl)),
        clause=_clause(ctx, sup.get("clause"), f"{field}.support.clause", sl),
        discretionary=bool(sup.get("discretionary", False)),
        once=_once(ctx, sup, f"{field}.support", sl, subject),
    )
    process = None
    if raw.get("process"):
        pr = raw["process"]
        stages = tuple(pr.get("stages") or ())
        for s in stages:
            if s not in PROCESS_STAGES:
                ctx.problem(f"{field}.process.stages", f"未知环节 {s}", f"unknown stage {s!r}; known: {', '.join(PROCESS_STAGES)}", _line(pr))
        nd = pr.get("notice_working_days")
        process = M.Process(
            stages,
            int(nd) if nd is not None else None,
            _clause(ctx, pr["clause"], f"{field}.process.clause", _line(pr)) if pr.get("clause") else None,
        )
    event = raw.get("event_date")
    if raw.get("applies_when") and subject == ENTERPRISE:
        ctx.problem(f"{field}.applies_when", "applies_when 只用于申报主体（subject 不是 enterprise）时", "applies_when only applies to claim subjects (subject other than enterprise)", raw.line_of("applies_when"))
    programme = M.Programme(
        id=pid,
        document_id=doc_id,
        title=str(raw["title"]),
        title_en=str(raw.get("title_en", "")),
        section=str(raw.get("section", "")),
        inventory=tuple(str(i) for i in (raw.get("inventory") or [pid])),
        department=str(raw["department"]),
        mode=str(mode),
        subject=subject,
        criteria=tuple(criteria),
        support=support,
        applies_when=_expr(ctx, raw["applies_when"], f"{field}.applies_when", raw.line_of("applies_when")) if raw.get("applies_when") else None,
        event_date=_expr(ctx, event, f"{field}.event_date", raw.line_of("event_date")) if event else None,
        event_date_source=str(event) if event else None,
        duration=raw.get("duration"),
        materials=_materials(ctx, raw.get("materials"), f"{field}.materials"),
        process=process,
        notes=_notes(ctx, raw.get("notes"), f"{field}.notes", ctx.doc_notes),  # type: ignore[attr-defined]
        parameters=params,
        line=line,
        scope=scope,
    )
    note_ids = {n.id for n in programme.notes}
    for where, crits in (("scope", programme.scope or ()), ("criteria", programme.criteria)):
        for c in crits:
            if c.note and c.note not in note_ids and c.note not in ctx.doc_note_ids:  # type: ignore[attr-defined]
                ctx.problem(f"{field}.{where}[{c.id}].note", f"未定义的解释说明 {c.note}", f"undefined note {c.note!r}", c.file_line)
    return programme


def _once(ctx: _Ctx, sup: LineDict, field: str, line: int, subject: str) -> M.Once | None:
    """``once:`` (one award per key within a span); the older ``count_once_per`` is read as a once over the policy."""
    if sup.get("count_once_per") and sup.get("once"):
        ctx.problem(f"{field}.count_once_per", "count_once_per 与 once 只能写一个（count_once_per 已并入 once）", "give either count_once_per or once (count_once_per is folded into once)", line)
        return None
    if sup.get("count_once_per"):
        fact = str(sup["count_once_per"])
        if fact not in ctx.vocab.facts:
            ctx.problem(f"{field}.count_once_per", f"未声明的事实 {fact}", f"undeclared fact {fact!r}", line)
        clause = _clause(ctx, sup["count_once_clause"], f"{field}.count_once_clause", line) if sup.get("count_once_clause") else None
        return M.Once((fact,), "policy", None, clause)
    raw = sup.get("once")
    if raw is None:
        return None
    f = f"{field}.once"
    ol = _line(raw, default=line)
    if not isinstance(raw, LineDict):
        ctx.problem(f, "应为映射（per、within、clause）", "must be a mapping (per, within, clause)", ol)
        return None
    for key in sorted(map(str, set(raw) - {"per", "within", "clause", "programmes"})):
        ctx.problem(f"{f}.{key}", f"未知字段 {key}；可用：per、within、clause、programmes", f"unknown key {key!r}; known: per, within, clause, programmes", ol)
    per_raw = raw.get("per")
    per = tuple(str(p) for p in per_raw) if isinstance(per_raw, list) else (str(per_raw),) if per_raw else ()
    if not per:
        ctx.problem(f"{f}.per", "缺少此项（事实名列表，或 enterprise）", "is missing (a list of fact names, or enterprise)", ol)
    for name in per:
        if name == ENTERPRISE:
            continue
        if name not in ctx.vocab.facts:
            ctx.problem(f"{f}.per", f"未声明的事实 {name}（见 facts.yaml）", f"undeclared fact {name!r} (see facts.yaml)", ol)
        elif name.split(".", 1)[0] not in (ENTERPRISE, CALL, subject):
            ctx.problem(f"{f}.per", f"本项目的申报主体是 {subject}，不能读取 {name}", f"this programme's claim subject is {subject!r}; it cannot read {name!r}", ol)
    within_raw = raw.get("within", "policy")
    years = None
    if isinstance(within_raw, LineDict) and set(within_raw) == {"years"}:
        years = within_raw["years"]
        within = "years"
        if isinstance(years, bool) or not isinstance(years, int) or years < 1:
            ctx.problem(f"{f}.within.years", "应为正整数", "must be a positive whole number", ol)
            years = 1
    elif within_raw in ("policy", "year"):
        within = str(within_raw)
    else:
        ctx.problem(f"{f}.within", "应为 policy、year 或 {years: N}", "must be policy, year or {years: N}", ol)
        within = "policy"
    clause = _clause(ctx, raw["clause"], f"{f}.clause", ol) if raw.get("clause") else None
    if clause is None:
        ctx.problem(f"{f}.clause", "须引用原文条款（clause: 原文）", "must quote the clause it implements (clause: text)", ol)
    progs = tuple(str(p) for p in raw.get("programmes") or ())
    return M.Once(per, within, years, clause, progs)


def _scope_criteria(ctx: _Ctx, raw: Any, field: str, shared: dict[str, M.Criterion]) -> tuple[M.Criterion, ...]:
    """Scope criteria (the document's or a programme's): checked like any criterion, never soft."""
    out = []
    for i, raw_c in enumerate(raw or ()):
        crit = _criterion(ctx, raw_c, f"{field}[{i}]", shared)
        if crit is None:
            continue
        if crit.soft:
            ctx.problem(
                f"{field}[{i}].soft",
                "适用范围条件不能是“原则上”（soft）：不满足即不在适用范围内；“原则上”的条件请写在 criteria 中",
                "a scope criterion cannot be soft (原则上): failing it means out of scope; put a 原则上 condition under criteria",
                _line(raw_c),
            )
        out.append(crit)
    return tuple(out)


def _programme_scope(ctx: _Ctx, raw: LineDict, field: str, shared: dict[str, M.Criterion]) -> tuple[M.Criterion, ...] | None:
    """A programme's own ``scope:``, which replaces the document's; None when the key is absent."""
    if "scope" not in raw:
        return None
    spec = raw["scope"]
    if not isinstance(spec, LineList) or not spec:
        ctx.problem(
            f"{field}.scope",
            "项目的适用范围须为非空的条件列表（与文件的 scope 同一写法）；不写 scope 即沿用文件的适用范围",
            "a programme's scope must be a non-empty list of criteria (written like the document's scope); leave it out to use the document's scope",
            raw.line_of("scope"),
        )
        return None
    return _scope_criteria(ctx, spec, f"{field}.scope", shared)


def _caps(ctx: _Ctx, raw: Any, programme_ids: set[str]) -> list[M.Cap]:
    """Per-entity annual caps, each naming the programmes whose claims share it."""
    caps = []
    for i, c in enumerate(raw or ()):
        cl = _line(c)
        progs = tuple(str(x) for x in c.get("programmes") or ())
        for pid in progs:
            if pid not in programme_ids:
                ctx.problem(f"caps[{i}].programmes", f"未知项目 {pid}", f"unknown programme {pid!r}", cl)
        label = _label(c.get("label")) or M.Label("", "")
        amount = _expr(ctx, c.get("amount"), f"caps[{i}].amount", cl)
        clause = _clause(ctx, c.get("clause"), f"caps[{i}].clause", cl)
        over = str(c.get("over", "year"))
        if over not in ("year", "policy"):
            ctx.problem(f"caps[{i}].over", "应为 year（每个支持年度）或 policy（政策有效期内合计）", "must be year (per support year) or policy (a lifetime ceiling)", cl)
            over = "year"
        caps.append(M.Cap(str(c.get("id", f"cap{i}")), amount, progs, clause, label.zh, label.en, over))
    return caps


def _window(ctx: _Ctx, raw: Any, field: str) -> M.Window | None:
    if raw is None:
        return None
    line = _line(raw)
    clause = _clause(ctx, raw["clause"], f"{field}.clause", line) if raw.get("clause") else None
    return M.Window(_date(ctx, raw.get("from"), f"{field}.from", line), _date(ctx, raw.get("until"), f"{field}.until", line), clause)


def parse_document(text: str, *, file: str, vocab: Vocabulary) -> M.Document:
    """Parse one policy file's text; raises PolicyError listing every problem."""
    data = load_yaml_text(text, file=file)
    ctx = _Ctx(file, vocab)
    if isinstance(data, LineDict) and "part_of" in data:
        raise PolicyError([Problem("part_of", "这是文件的分册，须与正文一起加载", "this file is a part of a document; load it with the document", file, 1)])
    if not isinstance(data, LineDict) or "document" not in data or "programmes" not in data:
        raise PolicyError([Problem("document", "须有 document 与 programmes 两节", "must have 'document' and 'programmes'", file, 1)])
    d = data["document"]
    for key in ("id", "number", "issuer", "title", "issued", "in_force", "district"):
        if key not in d:
            ctx.problem(f"document.{key}", "缺少此项", "is missing", d.line)
    if ctx.problems:
        raise PolicyError(ctx.problems)
    doc_id = str(d["id"])
    doc_params = _parameters(ctx, data.get("parameters"), "parameters")
    ctx.params = set(doc_params)
    ctx.subject = ENTERPRISE
    scope = _scope_criteria(ctx, d.get("scope"), "document.scope", {})
    shared: dict[str, M.Criterion] = {}
    for name, c in (data.get("criteria") or {}).items():
        if isinstance(c, LineDict) and "id" not in c:
            c["id"] = name
        crit = _criterion(ctx, c, f"criteria.{name}", {})
        if crit:
            shared[name] = crit
    doc_notes = _notes(ctx, d.get("notes"), "document.notes")
    ctx.doc_note_ids = {n.id for n in doc_notes}  # type: ignore[attr-defined]
    ctx.doc_notes = doc_notes  # type: ignore[attr-defined]
    programmes: list[M.Programme] = []
    seen: set[str] = set()
    for raw in data["programmes"] or ():
        if not isinstance(raw, LineDict):
            ctx.problem("programmes", "每个项目应为映射", "each programme must be a mapping", _line(raw))
            continue
        p = _programme(ctx, raw, doc_id, shared, set(doc_params))
        if p is None:
            continue
        if p.id in seen:
            ctx.problem(f"programmes[{p.id}]", "项目 id 重复", "duplicate programme id", p.line)
        seen.add(p.id)
        programmes.append(p)
    ctx.subject = ENTERPRISE
    ctx.params = set(doc_params)
    caps = _caps(ctx, data.get("caps"), seen)
    issued = _date(ctx, d.get("issued"), "document.issued", d.line_of("issued"))
    in_force = _window(ctx, d.get("in_force"), "document.in_force")
    version_keys = versions.header(d, ctx.problem)  # successive versions (supersedes:), linked by load_policies
    if ctx.problems:
        raise PolicyError(ctx.problems)
    return M.Document(
        id=doc_id,
        number=str(d["number"]),
        issuer=str(d["issuer"]),
        title=str(d["title"]),
        issued=issued,  # type: ignore[arg-type]
        district=str(d["district"]),
        seed=str(d.get("seed", "")),
        in_force=in_force,  # type: ignore[arg-type]
        retroactive=_window(ctx, d.get("retroactive"), "document.retroactive"),
        scope=scope,
        programmes=programmes,
        caps=tuple(caps),
        notes=doc_notes,
        parameters=doc_params,
        management=dict(data.get("management") or {}),
        sections=tuple(data.get("sections") or ()),
        file=file,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        shared_criteria=shared,
        window_basis=_window_basis(ctx, d),
        **version_keys,
    )


def _window_basis(ctx: _Ctx, d: LineDict) -> str:
    basis = str(d.get("window_basis", "event_date"))
    if basis not in ("event_date", "application_date"):
        ctx.problem("document.window_basis", "应为 event_date 或 application_date", "must be event_date or application_date", d.line_of("window_basis"))
        raise PolicyError(ctx.problems)
    return basis


def add_part(document: M.Document, text: str, *, file: str, vocab: Vocabulary) -> None:
    """Add a part file's programmes (and caps) to its document: long documents may be split.

    A part file starts with ``part_of: <document id>`` and may use the document's shared
    criteria and parameters; it has its own ``programmes`` and, optionally, ``caps``.
    """
    data = load_yaml_text(text, file=file)
    ctx = _Ctx(file, vocab)
    ctx.doc_note_ids = {n.id for n in document.notes}  # type: ignore[attr-defined]
    ctx.doc_notes = document.notes  # type: ignore[attr-defined]
    seen = {p.id for p in document.programmes}
    for raw in data.get("programmes") or ():
        if not isinstance(raw, LineDict):
            ctx.problem("programmes", "每个项目应为映射", "each programme must be a mapping", _line(raw))
            continue
        p = _programme(ctx, raw, document.id, document.shared_criteria, set(document.parameters))
        if p is None:
            continue
        if p.id in seen:
            ctx.problem(f"programmes[{p.id}]", "项目 id 重复", "duplicate programme id", p.line)
        seen.add(p.id)
        document.programmes.append(p)
    ctx.subject = ENTERPRISE
    ctx.params = set(document.parameters)
    caps = list(document.caps) + _caps(ctx, data.get("caps"), seen)
    if ctx.problems:
        raise PolicyError(ctx.problems)
    document.caps = tuple(caps)
    for key, value in (data.get("management") or {}).items():
        if key in document.management:
            raise PolicyError([Problem(f"management.{key}", "与正文重复", "already given by the document", file, _line(data["management"], key))])
        document.management[key] = value
    document.parts.append(file)
    document.sha256 = hashlib.sha256((document.sha256 + hashlib.sha256(text.encode("utf-8")).hexdigest()).encode()).hexdigest()


def load_policies(directory: str | Path | None = None) -> M.PolicySet:
    """Load ``facts.yaml`` and every ``*.yaml`` document in a policy directory."""
    directory = Path(directory) if directory else DEFAULT_POLICY_DIR
    vocab = load_vocabulary(directory / "facts.yaml")
    documents = []
    problems: list[Problem] = []
    parts: list[tuple[Path, str, str]] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "facts.yaml":
            continue
        text = path.read_text(encoding="utf-8")
        head = load_yaml_text(text, file=str(path))
        if isinstance(head, LineDict) and "part_of" in head:
            parts.append((path, text, str(head["part_of"])))
            continue
        try:
            documents.append(parse_document(text, file=str(path), vocab=vocab))
        except PolicyError as exc:
            problems.extend(exc.problems)
    for path, text, doc_id in parts:
        doc = next((d for d in documents if d.id == doc_id), None)
        if doc is None:
            problems.append(Problem("part_of", f"找不到文件 {doc_id}", f"no document {doc_id!r} to add this part to", str(path), 1))
            continue
        try:
            add_part(doc, text, file=str(path), vocab=vocab)
        except PolicyError as exc:
            problems.extend(exc.problems)
    problems.extend(versions.link(documents, str(directory)))  # versions of a document share programme ids
    if problems:
        raise PolicyError(problems)
    return M.PolicySet(vocab, documents)


_ = Decimal  # re-exported for type hints in callers
