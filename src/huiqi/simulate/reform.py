"""What-if reforms on the loaded model (never on YAML text), OpenFisca/PolicyEngine style.

A change names a target and a value:

* ``PROGRAMME.PARAM=value`` — a programme parameter (``parameters:``), or ``DOCUMENT.PARAM`` a
  document parameter: the value replaces every dated entry (or give ``{date: value}`` in a file);
* ``PROGRAMME.path=expression`` — any expression of the programme reached by an attribute path:
  ``support.amount.cap``, ``support.amount.rate``, ``support.amount.cases[1].amount.cap``,
  ``criteria[ID].test``, ``applies_when``… The value is parsed by the rule language, so it may be
  a number (``3000000``, ``15%``) or a whole expression (``enterprise.employees >= 30``).

A reform file is YAML: ``{name: ..., changes: {target: value, ...}}``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from huiqi.rules import expr as E
from huiqi.rules import model as M
from huiqi.rules.engine import sharing
from huiqi.rules.errors import InputError, Problem


@dataclass
class Change:
    target: str
    value: Any

    def describe(self) -> str:
        return f"{self.target}={self.value}"


def read_changes(path: Path | None, sets: list[str]) -> list[Change]:
    changes: list[Change] = []
    if path is not None:
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError([Problem("--reform", f"文件不存在：{path}", f"no such file: {path}")]) from None
        if not isinstance(data, dict) or not isinstance(data.get("changes"), dict):
            raise InputError([Problem("--reform", "改革文件应含 changes 映射", "a reform file needs a 'changes' mapping", str(path))])
        changes += [Change(str(k), v) for k, v in data["changes"].items()]
    for s in sets:
        if "=" not in s:
            raise InputError([Problem("--set", f"应为 目标=值：{s!r}", f"must be target=value: {s!r}")])
        k, v = s.split("=", 1)
        changes.append(Change(k.strip(), v.strip()))
    return changes


def _value(raw: Any, field: str) -> Any:
    if isinstance(raw, str):
        try:
            node = E.parse(raw)
        except E.ExprError as exc:
            raise InputError([Problem(field, f"值有误：{exc.message_zh}", f"bad value: {exc.message_en}")]) from None
        return node.value if isinstance(node, E.Literal) else raw
    return E.coerce_literal(raw)


def apply(policies: M.PolicySet, changes: list[Change]) -> M.PolicySet:
    """A deep copy of the policy set with the changes applied; the original is untouched."""
    ps = copy.deepcopy(policies)
    for ch in changes:
        _apply_one(ps, ch)
    return ps


def owner_of(ps: M.PolicySet, target: str) -> str | None:
    """The programme or document id a change's target starts with (the longest), or None."""
    ids = sorted([p.id for p in ps.programmes()] + [d.id for d in ps.documents], key=len, reverse=True)
    return next((i for i in ids if target.startswith(i + ".")), None)


def _apply_one(ps: M.PolicySet, ch: Change) -> None:
    owner = owner_of(ps, ch.target)
    if owner is None:
        raise InputError([Problem(ch.target, "找不到该项目或文件", "no programme or document with that id")])
    rest = ch.target[len(owner) + 1 :]
    prog = ps.programme(owner)
    doc = ps.document(owner) if prog is None else ps.document(prog.document_id)
    params = prog.parameters if prog is not None else doc.parameters  # type: ignore[union-attr]
    if rest in params or (prog is not None and rest in doc.parameters):  # type: ignore[union-attr]
        table = params if rest in params else doc.parameters  # type: ignore[union-attr]
        old = table[rest]
        if isinstance(ch.value, dict):
            entries = tuple(sorted(((dt.date.fromisoformat(str(k)) if k not in (None, "None") else None, _value(v, ch.target)) for k, v in ch.value.items()), key=lambda e: e[0] or dt.date.min))
        else:
            entries = ((None, _value(ch.value, ch.target)),)
        table[rest] = dataclasses.replace(old, entries=entries)
        return
    if prog is None:
        raise InputError([Problem(ch.target, f"文件 {owner} 没有参数 {rest}", f"document {owner} has no parameter {rest!r}")])
    try:
        node = E.parse(ch.value if isinstance(ch.value, str) else str(ch.value))
    except E.ExprError as exc:
        raise InputError([Problem(ch.target, f"表达式有误：{exc.message_zh}", f"bad expression: {exc.message_en}")]) from None
    _set_path(prog, rest.split(".") if rest else [], node, ch.target)


_STEP = re.compile(r"^([A-Za-z_]+)(?:\[([^\]]+)\])?$")


def _set_path(obj: Any, path: list[str], node: E.Node, target: str) -> Any:
    """Replace the expression at the path, rebuilding frozen dataclasses on the way back up."""
    if not path:
        if not isinstance(obj, (E.Literal, E.Name, E.Unary, E.Binary, E.In, E.Call)):
            raise InputError([Problem(target, "目标不是表达式", "the target is not an expression")])
        return node
    m = _STEP.match(path[0])
    if not m or not hasattr(obj, m.group(1)):
        raise InputError([Problem(target, f"找不到 {path[0]}", f"no such field {path[0]!r}")])
    name, index = m.group(1), m.group(2)
    child = getattr(obj, name)
    if index is not None:
        items = list(child)
        if index.isdigit():
            i = int(index)
        else:
            i = next((k for k, it in enumerate(items) if getattr(it, "id", None) == index), -1)
        if not 0 <= i < len(items):
            raise InputError([Problem(target, f"找不到 {path[0]}", f"no such item {path[0]!r}")])
        items[i] = _set_path(items[i], path[1:], node, target)
        new_child: Any = tuple(items)
    else:
        new_child = _set_path(child, path[1:], node, target)
    if dataclasses.is_dataclass(obj) and getattr(type(obj), "__dataclass_params__").frozen:
        return dataclasses.replace(obj, **{name: new_child})
    setattr(obj, name, new_child)
    return obj


def affected(base: M.PolicySet, reformed: M.PolicySet, wanted: Iterable[str] | None = None) -> set[str] | None:
    """The programmes (within ``wanted``) whose results a reform can change, so that only they are
    run again: those it changed; every programme of a document whose own fields it changed (a
    document parameter, the scope, the windows, the caps…); and every programme that shares a cap
    or a count-once key with one of these (``engine.sharing``: a cap clips its members' results
    together, a count-once key spans its programmes) — no other rule couples two programmes'
    results. None where it cannot tell (another vocabulary, documents or programmes added or
    removed): run them all."""
    if repr(base.vocabulary) != repr(reformed.vocabulary):
        return None
    if _ids(base) != _ids(reformed):
        return None
    touched: set[str] = set()
    for old, new in zip(base.documents, reformed.documents):
        if _own_fields(old) != _own_fields(new):
            touched |= {p.id for p in new.programmes}
        else:
            touched |= {b.id for a, b in zip(old.programmes, new.programmes) if repr(a) != repr(b)}
    pool = set(wanted) if wanted is not None else {p.id for d in reformed.documents for p in d.programmes}
    # with every programme sharing a cap or a count-once key with them, as the engine evaluates them
    return sharing(reformed, touched & pool) & pool


def _ids(ps: M.PolicySet) -> list:
    return [(d.id, [p.id for p in d.programmes]) for d in ps.documents]


def _own_fields(document: M.Document) -> str:
    """Everything of a document but its programmes (parameters, scope, windows, caps, notes…)."""
    fields = [f.name for f in dataclasses.fields(document) if f.repr and f.name != "programmes"]
    return repr([(name, getattr(document, name)) for name in fields])


def compare(baseline: Any, reform: Any | None) -> list[dict]:
    """Per programme: baseline, reform and the difference (eligible counts and amounts)."""
    b = baseline.totals()
    r = reform.totals() if reform is not None else {}
    rows = []
    for pid, t in b.items():
        row = {"programme": pid, "title": t["title"], "eligible": t["eligible"], "needs_info": t["needs_info"], "baseline_ceiling": t["ceiling"], "baseline_after_caps": t["after_caps"]}
        if reform is not None:
            u = r.get(pid, {"eligible": 0, "ceiling": Decimal(0), "after_caps": Decimal(0)})
            row.update({"reform_eligible": u["eligible"], "reform_ceiling": u["ceiling"], "reform_after_caps": u["after_caps"], "difference": u["after_caps"] - t["after_caps"]})
        rows.append(row)
    return rows
