"""What changed from one version of a policy document to the next, programme by programme, in words.

``diff(old, new)`` compares two loaded documents and returns :class:`Change` items a policy officer
reads: "ceiling 200 万元 → 300 万元", "criterion added: ethics_review — 通过伦理审查 (clause: …, line
47)", "in force until 2027-12-31 → 2029-12-31". Used by ``huiqi policies diff OLD NEW`` and by the
workbench's review page (the second officer reviews the diff before publishing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from huiqi.rules import expr as E
from huiqi.rules import model as M

# words for the fields of the amount forms (rules/model.py)
FIELD_WORDS = {
    "cap": ("上限", "ceiling"),
    "amount": ("金额", "amount"),
    "unit_amount": ("单位金额", "amount per unit"),
    "rate": ("比例", "rate"),
    "base": ("基数", "base"),
    "count": ("数量", "count"),
    "when": ("适用情形", "case condition"),
    "lower": ("下限", "lower bound"),
    "upper": ("上限（不含）", "upper bound"),
    "at_least": ("门槛", "threshold"),
    "value": ("取值", "value"),
    "already_awarded": ("已获支持", "already awarded"),
    "years": ("年数", "years"),
    "after_months": ("间隔月数", "months after"),
}
MONEY_FIELDS = {"cap", "amount", "unit_amount", "lower", "upper", "at_least"}
RATE_FIELDS = {"rate"}


@dataclass
class Change:
    """One change, in Chinese and English; ``clause`` quotes the new (or, if removed, the old) text."""

    kind: str  # added / removed / changed
    what: str  # e.g. "support.amount.rate.cap", "criteria[ethics_review]"
    zh: str
    en: str
    old: str | None = None
    new: str | None = None
    clause: dict | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass
class ProgrammeDiff:
    programme: str
    title: str
    status: str  # added / removed / changed / same
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "programme": self.programme,
            "title": self.title,
            "status": self.status,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass
class DocumentDiff:
    old: str
    new: str
    document: list[Change]
    programmes: list[ProgrammeDiff]

    @property
    def changed(self) -> bool:
        return bool(self.document) or any(p.status != "same" for p in self.programmes)

    def to_dict(self) -> dict:
        return {
            "old": self.old,
            "new": self.new,
            "document": [c.to_dict() for c in self.document],
            "programmes": [p.to_dict() for p in self.programmes if p.status != "same"],
        }

    def lines(self, lang: str = "both") -> list[str]:
        """The diff as text lines: the document's header, then each changed programme."""

        def say(c: Change) -> str:
            text = c.zh if lang == "zh" else c.en if lang == "en" else f"{c.zh} / {c.en}"
            if c.clause and c.clause.get("text"):
                where = (
                    f"{c.clause.get('ref') or ''} 第 {c.clause['line']} 行"
                    if c.clause.get("line")
                    else c.clause.get("ref") or ""
                )
                text += f"\n      “{c.clause['text']}”" + (f"（{where.strip()}）" if where.strip() else "")
            return text

        out = [f"{self.old} → {self.new}"]
        if self.document:
            out.append("文件 / document")
            out += [f"  {_mark(c.kind)} {say(c)}" for c in self.document]
        for p in self.programmes:
            if p.status == "same":
                continue
            head = {
                "added": "新增项目 / programme added",
                "removed": "新版本未包含 / not in the new version",
                "changed": "修改 / changed",
            }[p.status]
            out.append(f"{p.programme} {p.title} — {head}")
            out += [f"  {_mark(c.kind)} {say(c)}" for c in p.changes]
        if not self.changed:
            out.append("无实质变化 / no change to the rules")
        return out


def _mark(kind: str) -> str:
    return {"added": "+", "removed": "−", "changed": "~"}.get(kind, "~")


# ------------------------------------------------------------------ values in words


def _wan(d: Decimal) -> str:
    from huiqi.money import format_wan

    return f"{format_wan(d)} 万元"


def _show(node: Any, key: str) -> str:
    """An expression as a clerk reads it: 2000000 as a ceiling → "200 万元", 0.3 as a rate → "30%"."""
    if node is None:
        return "（无）"
    if isinstance(node, E.Literal) and isinstance(node.value, Decimal) and not isinstance(node.value, bool):
        v = node.value
        if key in RATE_FIELDS and v <= 1:
            return f"{(v * 100).normalize():f}%"
        if key in MONEY_FIELDS and abs(v) >= 10000:
            return _wan(v)
    if isinstance(node, (E.Literal, E.Name, E.Unary, E.Binary, E.In, E.Call)):
        return E.to_source(node)
    return str(node)


def _flatten(obj: Any, path: str, out: dict[str, tuple[str, Any]]) -> None:
    """Every expression (and number) of an amount, by path: {path: (field key, node)}."""
    if obj is None:
        return
    if isinstance(obj, (E.Literal, E.Name, E.Unary, E.Binary, E.In, E.Call)):
        out[path] = (path.rsplit(".", 1)[-1].split("[")[0], obj)
        return
    if isinstance(obj, (int, Decimal)) and not isinstance(obj, bool):
        out[path] = (path.rsplit(".", 1)[-1], E.Literal(Decimal(obj)))
        return
    if isinstance(obj, tuple):
        for i, item in enumerate(obj):
            _flatten(item, f"{path}[{i}]", out)
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, (M.Label, M.Clause)):
        for f in dataclasses.fields(obj):
            _flatten(getattr(obj, f.name), f"{path}.{f.name}" if path else f.name, out)


def _words(path: str) -> tuple[str, str]:
    key = path.rsplit(".", 1)[-1].split("[")[0]
    zh, en = FIELD_WORDS.get(key, (key, key))
    return zh, en


def _clause(c: M.Clause | None) -> dict | None:
    return None if c is None or not c.text else {"text": c.text, "ref": c.ref, "line": c.line}


def _amount_changes(old: M.Support, new: M.Support) -> list[Change]:
    out: list[Change] = []
    a: dict[str, tuple[str, Any]] = {}
    b: dict[str, tuple[str, Any]] = {}
    _flatten(old.amount, "support.amount", a)
    _flatten(new.amount, "support.amount", b)
    clause = _clause(new.clause)
    if type(old.amount) is not type(new.amount):
        fa, fb = type(old.amount).__name__, type(new.amount).__name__
        out.append(
            Change(
                "changed",
                "support.amount",
                f"支持标准的计算方式 {fa} → {fb}",
                f"the support standard's form {fa} → {fb}",
                fa,
                fb,
                clause,
            )
        )
        return out
    for path in sorted(set(a) | set(b)):
        key = (a.get(path) or b.get(path))[0]  # type: ignore[index]
        va = _show(a[path][1], key) if path in a else None
        vb = _show(b[path][1], key) if path in b else None
        if va == vb:
            continue
        zh, en = _words(path)
        where = path.replace("support.amount.", "")
        if va is None:
            out.append(
                Change("added", path, f"{zh}新增：{vb}（{where}）", f"{en} added: {vb} ({where})", None, vb, clause)
            )
        elif vb is None:
            out.append(
                Change(
                    "removed",
                    path,
                    f"{zh}取消：原为 {va}（{where}）",
                    f"{en} removed: was {va} ({where})",
                    va,
                    None,
                    clause,
                )
            )
        else:
            out.append(
                Change("changed", path, f"{zh} {va} → {vb}（{where}）", f"{en} {va} → {vb} ({where})", va, vb, clause)
            )
    if old.discretionary != new.discretionary:
        out.append(
            Change(
                "changed",
                "support.discretionary",
                "改为择优/最高（金额在上限内由评审确定）" if new.discretionary else "不再为择优/最高：按标准核定金额",
                "now discretionary (最高/择优: a ceiling)"
                if new.discretionary
                else "no longer discretionary: the sum is as computed",
                str(old.discretionary),
                str(new.discretionary),
                clause,
            )
        )
    if old.clause.text != new.clause.text:
        out.append(
            Change(
                "changed",
                "support.clause",
                "支持标准条款文字修改",
                "the support standard's wording changed",
                old.clause.text,
                new.clause.text,
                clause,
            )
        )
    return out


def _criteria_changes(old: tuple[M.Criterion, ...], new: tuple[M.Criterion, ...], where: str) -> list[Change]:
    out: list[Change] = []
    a = {c.id: c for c in old}
    b = {c.id: c for c in new}
    label = "适用范围条件" if where == "scope" else "申报条件"
    label_en = "scope criterion" if where == "scope" else "criterion"
    for cid in [c.id for c in new if c.id not in a]:
        c = b[cid]
        soft = "（原则上）" if c.soft else ""
        out.append(
            Change(
                "added",
                f"{where}[{cid}]",
                f"新增{label}{soft}：{c.label_zh or cid}（{c.source}）",
                f"{label_en} added{' (in principle)' if c.soft else ''}: {c.label_en or cid} ({c.source})",
                None,
                c.source,
                _clause(c.clause),
            )
        )
    for cid in [c.id for c in old if c.id not in b]:
        c = a[cid]
        out.append(
            Change(
                "removed",
                f"{where}[{cid}]",
                f"删除{label}：{c.label_zh or cid}（{c.source}）",
                f"{label_en} removed: {c.label_en or cid} ({c.source})",
                c.source,
                None,
                _clause(c.clause),
            )
        )
    for cid in [c.id for c in new if c.id in a]:
        x, y = a[cid], b[cid]
        if x.source != y.source:
            out.append(
                Change(
                    "changed",
                    f"{where}[{cid}].test",
                    f"{label} {y.label_zh or cid} 的判断 {x.source} → {y.source}",
                    f"{label_en} {y.label_en or cid}: {x.source} → {y.source}",
                    x.source,
                    y.source,
                    _clause(y.clause),
                )
            )
        if x.soft != y.soft:
            out.append(
                Change(
                    "changed",
                    f"{where}[{cid}].soft",
                    f"{label} {y.label_zh or cid} "
                    + ("改为原则上（可由经办人书面决定）" if y.soft else "不再是原则上：必须满足"),
                    f"{label_en} {y.label_en or cid} "
                    + (
                        "is now in principle (an officer may decide)"
                        if y.soft
                        else "is no longer in principle: it must be met"
                    ),
                    str(x.soft),
                    str(y.soft),
                    _clause(y.clause),
                )
            )
        elif x.clause.text != y.clause.text and x.source == y.source:
            out.append(
                Change(
                    "changed",
                    f"{where}[{cid}].clause",
                    f"{label} {y.label_zh or cid} 的条款文字修改",
                    f"{label_en} {y.label_en or cid}: the clause's wording changed",
                    x.clause.text,
                    y.clause.text,
                    _clause(y.clause),
                )
            )
    return out


def _params(old: dict[str, M.Parameter], new: dict[str, M.Parameter], where: str) -> list[Change]:
    out: list[Change] = []
    for name in sorted(set(old) | set(new)):
        x, y = old.get(name), new.get(name)
        sx = None if x is None else "; ".join(f"{d or '…'}: {v}" for d, v in x.entries)
        sy = None if y is None else "; ".join(f"{d or '…'}: {v}" for d, v in y.entries)
        if sx != sy:
            kind = "added" if x is None else "removed" if y is None else "changed"
            out.append(
                Change(
                    kind,
                    f"{where}parameters.{name}",
                    f"参数 {name}：{sx or '（无）'} → {sy or '（无）'}",
                    f"parameter {name}: {sx or '(none)'} → {sy or '(none)'}",
                    sx,
                    sy,
                    _clause(y.clause if y else x.clause if x else None),
                )
            )
    return out


def _programme(old: M.Programme, new: M.Programme, od: M.Document, nd: M.Document) -> list[Change]:
    out: list[Change] = []
    if old.title != new.title:
        out.append(
            Change(
                "changed",
                "title",
                f"名称 {old.title} → {new.title}",
                f"title {old.title} → {new.title}",
                old.title,
                new.title,
            )
        )
    for attr, zh, en in (
        ("mode", "申报方式", "channel"),
        ("subject", "申报主体", "claim subject"),
        ("event_date_source", "事项发生日", "event date"),
        ("department", "受理部门", "department"),
    ):
        x, y = getattr(old, attr), getattr(new, attr)
        if x != y:
            out.append(Change("changed", attr, f"{zh} {x} → {y}", f"{en} {x} → {y}", str(x), str(y)))
    out += _criteria_changes(old.scope_in(od), new.scope_in(nd), "scope")
    out += _criteria_changes(old.criteria, new.criteria, "criteria")
    out += _amount_changes(old.support, new.support)
    out += _params(old.parameters, new.parameters, "")
    ma, mb = {m.id: m for m in old.materials}, {m.id: m for m in new.materials}
    for mid in [m for m in mb if m not in ma]:
        out.append(
            Change(
                "added",
                f"materials[{mid}]",
                f"新增申报材料：{mb[mid].name}",
                f"material added: {mb[mid].name}",
                None,
                mb[mid].name,
            )
        )
    for mid in [m for m in ma if m not in mb]:
        out.append(
            Change(
                "removed",
                f"materials[{mid}]",
                f"取消申报材料：{ma[mid].name}",
                f"material no longer required: {ma[mid].name}",
                ma[mid].name,
                None,
            )
        )
    pa, pb = old.process, new.process
    na, nb = (pa.notice_working_days if pa else None), (pb.notice_working_days if pb else None)
    if pb is None and pa is not None:
        out.append(
            Change(
                "removed",
                "process",
                "新版本未写明办理流程（按默认流程办理）",
                "the new version states no process (the default stages apply)",
                None,
                None,
            )
        )
    elif na != nb:
        out.append(
            Change(
                "changed",
                "process.notice_working_days",
                f"公示期 {na} → {nb} 个工作日",
                f"public notice {na} → {nb} working days",
                str(na),
                str(nb),
                _clause(pb.clause if pb else None),
            )
        )
    if pb is not None and (pa.stages if pa else ()) != pb.stages:
        out.append(
            Change(
                "changed",
                "process.stages",
                "办理环节调整：" + "、".join(pb.stages if pb else ()),
                "process stages changed: " + ", ".join(pb.stages if pb else ()),
                None,
                None,
            )
        )
    return out


def _window(w: M.Window | None) -> str:
    return "（无）" if w is None else w.describe()


def diff(old: M.Document, new: M.Document) -> DocumentDiff:
    """What changed from ``old`` to ``new`` (two versions of one document)."""
    doc: list[Change] = []
    for attr, zh, en in (
        ("number", "文号", "number"),
        ("title", "标题", "title"),
        ("issuer", "发文单位", "issuer"),
        ("district", "区", "district"),
    ):
        x, y = getattr(old, attr), getattr(new, attr)
        if x != y:
            doc.append(Change("changed", attr, f"{zh} {x} → {y}", f"{en} {x} → {y}", str(x), str(y)))
    if old.issued != new.issued:
        doc.append(
            Change(
                "changed",
                "issued",
                f"发布日 {old.issued} → {new.issued}",
                f"issued {old.issued} → {new.issued}",
                str(old.issued),
                str(new.issued),
            )
        )
    for attr, zh, en in (("in_force", "有效期", "in force"), ("retroactive", "追溯期", "retroactive period")):
        x, y = getattr(old, attr), getattr(new, attr)
        if _window(x) != _window(y):
            doc.append(
                Change(
                    "changed",
                    attr,
                    f"{zh} {_window(x)} → {_window(y)}",
                    f"{en} {_window(x)} → {_window(y)}",
                    _window(x),
                    _window(y),
                    _clause(y.clause if y else None),
                )
            )
    doc += _criteria_changes(old.scope, new.scope, "document.scope")
    doc += _params(old.parameters, new.parameters, "document.")
    ca, cb = {c.id: c for c in old.caps}, {c.id: c for c in new.caps}
    for cid in sorted(set(ca) | set(cb)):
        x, y = ca.get(cid), cb.get(cid)
        if y is None:
            doc.append(
                Change(
                    "removed",
                    f"caps[{cid}]",
                    f"新版本未列年度上限 {cid}（{x.label_zh}）：原版本的上限继续适用于各版本的申报",
                    f"annual cap {cid} ({x.label_en}) is not in the new version: the earlier version's cap still applies to the claims of every version",
                    _show(x.amount, "cap"),
                    None,
                    _clause(x.clause),
                )
            )
        elif x is None:
            doc.append(
                Change(
                    "added",
                    f"caps[{cid}]",
                    f"新增年度上限 {cid}：{_show(y.amount, 'cap')}（{'、'.join(y.programmes)}）",
                    f"annual cap added {cid}: {_show(y.amount, 'cap')} ({', '.join(y.programmes)})",
                    None,
                    _show(y.amount, "cap"),
                    _clause(y.clause),
                )
            )
        else:
            if _show(x.amount, "cap") != _show(y.amount, "cap"):
                doc.append(
                    Change(
                        "changed",
                        f"caps[{cid}].amount",
                        f"年度上限 {cid} {_show(x.amount, 'cap')} → {_show(y.amount, 'cap')}",
                        f"annual cap {cid} {_show(x.amount, 'cap')} → {_show(y.amount, 'cap')}",
                        _show(x.amount, "cap"),
                        _show(y.amount, "cap"),
                        _clause(y.clause),
                    )
                )
            if x.programmes != y.programmes:
                doc.append(
                    Change(
                        "changed",
                        f"caps[{cid}].programmes",
                        f"年度上限 {cid} 适用项目 {'、'.join(x.programmes)} → {'、'.join(y.programmes)}",
                        f"annual cap {cid} programmes {', '.join(x.programmes)} → {', '.join(y.programmes)}",
                        None,
                        None,
                        _clause(y.clause),
                    )
                )
    progs: list[ProgrammeDiff] = []
    a = {p.id: p for p in old.programmes}
    for p in new.programmes:
        if p.id not in a:
            ch = [
                Change(
                    "added",
                    "programme",
                    f"新增项目：{p.title}",
                    f"programme added: {p.title_en or p.title}",
                    None,
                    p.id,
                    _clause(p.support.clause),
                )
            ]
            progs.append(ProgrammeDiff(p.id, p.title, "added", ch))
            continue
        changes = _programme(a[p.id], p, old, new)
        progs.append(ProgrammeDiff(p.id, p.title, "changed" if changes else "same", changes))
    b = {p.id for p in new.programmes}
    for p in old.programmes:
        if p.id not in b:
            span = _window(old.in_force)
            progs.append(
                ProgrammeDiff(
                    p.id,
                    p.title,
                    "removed",
                    [
                        Change(
                            "removed",
                            "programme",
                            f"新版本未包含此项目：仍按原版本执行，事项须在原版本有效期（{span}）内",
                            f"not in the new version: still judged by the earlier version, for events in its window ({span})",
                            p.id,
                            None,
                            _clause(p.support.clause),
                        )
                    ],
                )
            )
    return DocumentDiff(f"{old.number}（{old.id}）", f"{new.number}（{new.id}）", doc, progs)


def same_window(new: M.Document, like: M.Document) -> M.Document:
    """A copy of ``new`` with the dates of ``like`` (issue date, windows): to cost the change of the
    rules alone on one population (``huiqi policies diff --population``)."""
    import copy

    out = copy.copy(new)
    out.issued, out.in_force, out.retroactive = like.issued, like.in_force, like.retroactive
    out.family = []
    out.supersedes = None
    return out
