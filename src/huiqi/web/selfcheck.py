"""The guided self-check (政策自测): start from what is known, then a few short steps.

The GOV.UK patterns (one thing per page, check your answers, an error summary) and the 一网通办
政策精准匹配 conventions: a signed-in enterprise's record (name, USCC, district, town) and the open
round's 限定期间 are never asked; then district and town (selects), business area (the policy
documents' sections), the claim subjects the enterprise has ("do you have a …"), and only the facts
the engine says are missing (``needs_info``) for programmes still possible, one group at a time;
免申即享 programmes ask nothing. Then a check-your-answers page and the results.

All answers travel in one signed hidden field (the app's secret key): nothing is lost going back or
changing an answer, nothing is kept on the server, and every page works without JavaScript. This
module holds the step logic; ``views/public.py`` the routes; ``templates/selfcheck*.html`` the pages.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from itsdangerous import BadSignature, URLSafeSerializer

from huiqi.rules import InputError, PolicySet, evaluate, parse_profile
from huiqi.rules import expr as E
from huiqi.rules.facts import FactDef, FactValueError

FIELD_PREFIX = "f:"
PLACE_FACTS = ("registered_district", "town")  # asked on the first page, never among the questions
ENTERPRISE_PAGE = 6  # enterprise questions per page
CLAIM_PAGE = 8  # questions about one claim subject per page
MAX_CLAIMS = 20
OTHER = "__other__"  # the "not in the list" option of the town select
_SALT = "huiqi.selfcheck.v1"
_CLAIM_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


# ------------------------------------------------------------------ the visitor's answers


@dataclass
class Answers:
    """Everything the visitor has told us, and where they are."""

    profile: dict = field(default_factory=lambda: {"enterprise": {}, "call": {}, "claims": []})
    programmes: list[str] = field(default_factory=list)  # only these (自测此项目)
    areas: list[str] | None = None  # business areas chosen (document sections); None: not asked yet
    subjects_done: bool = False
    declined: list[str] = field(default_factory=list)  # claim kinds the visitor does not have
    skipped: list[str] = field(default_factory=list)  # question keys left blank: 暂不清楚
    trail: list[dict] = field(default_factory=list)  # pages shown, for 返回
    on: str | None = None  # the application date (default today)
    locked: list[str] = field(default_factory=list)  # enterprise facts from the district's record

    @property
    def enterprise(self) -> dict:
        return self.profile["enterprise"]

    @property
    def claims(self) -> list[dict]:
        return self.profile["claims"]

    def claim(self, claim_id: str) -> dict | None:
        return next((c for c in self.claims if c.get("id") == claim_id), None)

    def day(self) -> dt.date:
        try:
            return dt.date.fromisoformat(self.on) if self.on else dt.date.today()
        except ValueError:
            return dt.date.today()


def dump(answers: Answers, secret: str) -> str:
    """The signed (and, when it helps, compressed) form of the answers for the hidden field."""
    return URLSafeSerializer(secret, salt=_SALT).dumps(asdict(answers))


def load(token: str | None, secret: str) -> Answers | None:
    """The answers from the hidden field; None when absent, tampered with or from another key."""
    if not token:
        return None
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    a = Answers()
    prof = data.get("profile") if isinstance(data.get("profile"), dict) else {}
    for key in ("enterprise", "call"):
        if isinstance(prof.get(key), dict):
            a.profile[key] = {str(k): v for k, v in prof[key].items() if isinstance(v, (str, bool))}
    if isinstance(prof.get("claims"), list):
        a.profile["claims"] = [
            {str(k): v for k, v in c.items() if isinstance(v, (str, bool))}
            for c in prof["claims"]
            if isinstance(c, dict) and isinstance(c.get("kind"), str) and _CLAIM_ID.match(str(c.get("id", "")))
        ][:MAX_CLAIMS]
    a.programmes = [str(p) for p in data.get("programmes") or [] if isinstance(p, str)]
    a.areas = [str(s) for s in data["areas"] if isinstance(s, str)] if isinstance(data.get("areas"), list) else None
    a.subjects_done = bool(data.get("subjects_done"))
    a.declined = [str(k) for k in data.get("declined") or [] if isinstance(k, str)]
    a.skipped = [str(k) for k in data.get("skipped") or [] if isinstance(k, str)]
    a.trail = [t for t in data.get("trail") or [] if isinstance(t, dict) and isinstance(t.get("page"), str)][-40:]
    a.on = data.get("on") if isinstance(data.get("on"), str) else None
    a.locked = [str(k) for k in data.get("locked") or [] if isinstance(k, str)]
    return a


def profile_for_match(answers: Answers) -> dict:
    """The profile as ``huiqi match`` / ``POST /api/v1/match`` / a draft application take it."""
    prof = answers.profile
    return {
        "enterprise": dict(prof["enterprise"]),
        "call": dict(prof["call"]),
        "claims": [dict(c) for c in prof["claims"]],
    }


# ------------------------------------------------------------------ what the policies name


def _literals_compared(node: E.Node | None, fact: str, out: list[str]) -> None:
    """String literals a rule compares ``fact`` with (== / != / in): the values the policies know."""
    if node is None:
        return
    if isinstance(node, E.Binary):
        if node.op in ("==", "!="):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, E.Name) and a.name == fact and isinstance(b, E.Literal) and isinstance(b.value, str):
                    out.append(b.value)
        _literals_compared(node.left, fact, out)
        _literals_compared(node.right, fact, out)
    elif isinstance(node, E.In):
        if isinstance(node.operand, E.Name) and node.operand.name == fact:
            out.extend(str(v) for v in node.options if isinstance(v, str))
    elif isinstance(node, E.Unary):
        _literals_compared(node.operand, fact, out)
    elif isinstance(node, E.Call):
        for arg in node.args:
            _literals_compared(arg, fact, out)


def known_values(ps: PolicySet, fact: str) -> list[str]:
    """Every value of a text fact the loaded rules compare it with, in the order they appear."""
    found: list[str] = []
    for d in ps.documents:
        for c in d.scope:
            _literals_compared(c.test, fact, found)
        for p in d.programmes:
            for c in (*(p.scope or ()), *p.criteria):
                _literals_compared(c.test, fact, found)
            _literals_compared(p.applies_when, fact, found)
    return list(dict.fromkeys(found))


def districts(ps: PolicySet) -> list[str]:
    """The districts whose policies are loaded (金山区, 黄浦区 …): the district select's options."""
    named = [d.district for d in ps.documents if d.district]
    return list(dict.fromkeys(named + known_values(ps, "enterprise.registered_district")))


def towns(ps: PolicySet, on_record: dict[str, list[str]]) -> dict[str, list[str]]:
    """Towns and parks per district: those the policies name (under their document's district)
    and those on the district's register (enterprises and reviewers)."""
    out: dict[str, list[str]] = {d: [] for d in districts(ps)}
    for d in ps.documents:
        found: list[str] = []
        for p in d.programmes:
            for c in (*(p.scope or ()), *p.criteria):
                _literals_compared(c.test, "enterprise.town", found)
        out.setdefault(d.district, []).extend(found)
    for district, names in on_record.items():
        out.setdefault(district, []).extend(names)
    return {k: list(dict.fromkeys(v)) for k, v in out.items() if k}


def areas_of(ps: PolicySet, report: dict | None) -> list[dict]:
    """Business areas: the sections of the documents that may apply (not wholly out of scope),
    each with the programmes it holds, in the documents' order."""
    applies = {
        r["document_id"]
        for r in (report or {}).get("results", [])
        if r["status"] not in ("out_of_scope", "not_in_force")
    }
    out: dict[str, dict] = {}
    for d in ps.documents:
        if report is not None and d.id not in applies:
            continue
        for p in d.programmes:
            if not p.section:
                continue
            area = out.setdefault(p.section, {"key": p.section, "document": d.number, "programmes": []})
            area["programmes"].append(p)
    return list(out.values())


# ------------------------------------------------------------------ reading a field


class FieldError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(zh)
        self.zh, self.en = zh, en


def unit_of(fdef: FactDef) -> tuple[str, str] | None:
    """The one unit a field is asked in, said in its label: money in 元, ratios in %."""
    if fdef.type == "money":
        return ("元/年", "yuan a year") if fdef.unit == "元/年" else ("元", "yuan")
    if fdef.type == "ratio":
        return ("%", "%")
    if fdef.unit:
        return (fdef.unit, fdef.unit)
    return None


def hint_of(fdef: FactDef) -> tuple[str, str] | None:
    """Hint text under the label (never a placeholder that looks like an answer)."""
    if fdef.type == "money" or (fdef.type == "number" and fdef.unit and "元" in fdef.unit):
        neg = fdef.type == "number"
        return (
            "可写 1,200,000 或 120万" + ("；亏损填负数，如 -50万" if neg else ""),
            "e.g. 1,200,000 or 120万" + ("; a loss is negative, e.g. -50万" if neg else ""),
        )
    if fdef.type == "ratio":
        return ("填百分数：65 表示 65%", "a percentage: 65 means 65%")
    if fdef.type == "date":
        return ("如 2025-03-18", "e.g. 2025-03-18")
    return None


def _amount(raw: str, *, negative_ok: bool) -> Decimal:
    from huiqi.money import MoneyError, parse_money

    text = raw.strip()
    sign = Decimal(1)
    if negative_ok and text[:1] in ("-", "－", "−"):
        sign, text = Decimal(-1), text[1:]
    try:
        return sign * parse_money(text, field="amount")
    except MoneyError as exc:
        raise FieldError(exc.message_zh, exc.message_en) from None


_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def read_field(fdef: FactDef, raw: str) -> str | bool:
    """A typed answer in the field's unit → the profile's value (text the fact's coercion accepts).
    Raises FieldError with a bilingual message that never shows an internal name."""
    text = raw.strip()
    t = fdef.type
    if t == "bool":
        if text in ("true", "false"):
            return text == "true"
        raise FieldError("请选择“是”或“否”", "choose yes or no")
    if t == "money" or (t == "number" and fdef.unit and "元" in fdef.unit):
        value = _amount(text, negative_ok=t == "number")
    elif t == "ratio":
        try:
            value = Decimal(text.rstrip("%％ ").replace(",", "")) / 100
        except InvalidOperation:
            raise FieldError("请填百分数，如 65 表示 65%", "enter a percentage, e.g. 65 for 65%") from None
        if value < 0:
            raise FieldError("百分数不能为负数", "a percentage cannot be negative")
    elif t in ("int", "number"):
        try:
            value = Decimal(text.replace(",", "").replace("，", ""))
        except InvalidOperation:
            raise FieldError("请填数字", "enter a number") from None
        if t == "int" and (value != value.to_integral_value() or value < 0):
            raise FieldError("请填不小于 0 的整数", "enter a whole number, 0 or more")
    elif t == "date":
        m = _DATE.match(text)
        if not m:
            raise FieldError(
                "请按 年-月-日 填写日期，如 2025-03-18", "enter the date as year-month-day, e.g. 2025-03-18"
            )
        try:
            value_date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise FieldError("没有这一天，请检查月份和日期", "there is no such day: check the month and day") from None
        return value_date.isoformat()
    elif t == "enum":
        if text not in fdef.values:
            raise FieldError(
                f"请从列出的选项中选择：{'、'.join(fdef.values)}", f"choose one of: {', '.join(fdef.values)}"
            )
        return text
    else:
        if len(text) > 200:
            raise FieldError("不超过 200 个字", "at most 200 characters")
        return text
    plain = format(value.normalize(), "f") if value == value else str(value)
    try:
        fdef.coerce(plain, field="value")
    except (FactValueError, ValueError) as exc:
        problem = getattr(exc, "problem", None)
        raise FieldError(
            problem.message_zh if problem else str(exc), problem.message_en if problem else str(exc)
        ) from None
    return plain


def show_field(fdef: FactDef, stored: Any) -> str:
    """A stored value written back into its field, in the field's unit (0.65 → 65; 1200000 → 1,200,000)."""
    if stored is None or stored == "":
        return ""
    if isinstance(stored, bool):
        return "true" if stored else "false"
    t = fdef.type
    try:
        if t == "ratio":
            return format((Decimal(str(stored)) * 100).normalize(), "f")
        if t == "money" or (t == "number" and fdef.unit and "元" in fdef.unit):
            d = Decimal(str(stored))
            return f"{d:,.2f}".rstrip("0").rstrip(".") if d != d.to_integral_value() else f"{d:,.0f}"
    except InvalidOperation:
        return str(stored)
    return str(stored)


def show_answer(fdef: FactDef, stored: Any, lang: str) -> str:
    """An answer as the check-your-answers page and the PDF say it (是 / 65% / 1,200,000 元（120.00 万元））."""
    if stored is None or stored == "":
        return "暂不清楚" if lang != "en" else "Don't know"
    t = fdef.type
    if t == "bool" or isinstance(stored, bool):
        yes = stored is True or str(stored).lower() == "true"
        return ("是" if yes else "否") if lang != "en" else ("yes" if yes else "no")
    try:
        if t == "ratio":
            return f"{(Decimal(str(stored)) * 100).normalize():f}%"
        if t == "money" or (t == "number" and fdef.unit and "元" in fdef.unit):
            d = Decimal(str(stored))
            return (
                f"{d:,.2f} 元（{d / 10000:,.2f} 万元）" if lang != "en" else f"{d:,.2f} yuan ({d / 10000:,.2f} 万元)"
            )
    except InvalidOperation:
        pass
    unit = unit_of(fdef)
    return (
        f"{stored} {unit[0] if lang != 'en' else unit[1]}".strip() if unit and t in ("int", "number") else str(stored)
    )


# ------------------------------------------------------------------ questions


@dataclass
class Question:
    key: str  # "enterprise:debt_to_asset_ratio" or "claim:lease-1:annual_rent"
    facts: list[str]  # the fact names this answer fills (synonyms declared twice share one question)
    fdef: FactDef
    claim: str | None = None
    programmes: list[str] = field(default_factory=list)  # titles of the programmes that need it
    value: str = ""  # what the field shows (what was typed, or the stored answer in the field's unit)
    error: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        return FIELD_PREFIX + self.key

    @property
    def id(self) -> str:
        return "q-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.key)

    @property
    def unit(self) -> tuple[str, str] | None:
        return unit_of(self.fdef)

    @property
    def hint(self) -> tuple[str, str] | None:
        return hint_of(self.fdef)

    @property
    def help(self) -> tuple[str, str] | None:
        if self.fdef.type == "ratio":  # the vocabulary's help explains the 0.65 form; we ask 65 %
            return None
        return (self.fdef.help_zh, self.fdef.help_en or self.fdef.help_zh) if self.fdef.help_zh else None


def _stored(answers: Answers, key: str) -> Any:
    parts = key.split(":")
    if parts[0] == "enterprise":
        return answers.enterprise.get(parts[1])
    claim = answers.claim(parts[1])
    return None if claim is None else claim.get(parts[2])


def question_for(ps: PolicySet, answers: Answers, key: str) -> Question | None:
    """The question behind a key (also for 修改 on the check page), with its stored answer."""
    parts = key.split(":")
    if parts[0] == "enterprise" and len(parts) == 2:
        fact = f"enterprise.{parts[1]}"
        claim_id = None
    elif parts[0] == "claim" and len(parts) == 3 and answers.claim(parts[1]) is not None:
        fact = f"{answers.claim(parts[1])['kind']}.{parts[2]}"  # type: ignore[index]
        claim_id = parts[1]
    else:
        return None
    fdef = ps.vocabulary.fact(fact)
    if fdef is None:
        return None
    q = Question(key, [fact] + _synonyms(ps, fdef), fdef, claim_id)
    q.value = show_field(fdef, _stored(answers, key))
    return q


def _synonyms(ps: PolicySet, fdef: FactDef) -> list[str]:
    """Other facts of the same subject declared with the same label and type: one question."""
    return [
        n
        for n, f in ps.vocabulary.facts.items()
        if f is not fdef and f.subject == fdef.subject and f.zh == fdef.zh and f.type == fdef.type
    ]


def candidates(ps: PolicySet, answers: Answers, report: dict) -> list[dict]:
    """Results of programmes still possible that we may ask about: in the chosen areas (or the
    programmes named), not 免申即享, needing information, about the enterprise or a described subject."""
    by_id = {p.id: p for p in ps.programmes()}
    out = []
    for r in report["results"]:
        p = by_id.get(r["programme"])
        if p is None or r["status"] != "needs_info" or r["mode"] == "automatic":
            continue
        if not answers.programmes and answers.areas and p.section and p.section not in answers.areas:
            continue
        if any(m["type"] == "claim" for m in r["missing"]):
            continue  # no subject described: the "do you have a …" page asks
        out.append(r)
    return out


def pending(ps: PolicySet, answers: Answers, report: dict) -> list[Question]:
    """Every question still to ask, in order: the enterprise's (most-needed first), then each
    subject's; answered, skipped, place and call facts excluded; each fact once."""
    vocab = ps.vocabulary
    order = {name: i for i, name in enumerate(vocab.facts)}
    found: dict[str, Question] = {}
    aliases: dict[str, str] = {}
    for r in candidates(ps, answers, report):
        for m in r["missing"]:
            subject, _, name = m["fact"].partition(".")
            if subject == "call" or (subject == "enterprise" and name in PLACE_FACTS):
                continue
            key = (
                f"enterprise:{name}"
                if subject == "enterprise"
                else (f"claim:{r['claim']}:{name}" if r["claim"] else None)
            )
            if key is None:
                continue
            key = aliases.get(key, key)
            if key in answers.skipped or key in found and r["title"] in found[key].programmes:
                continue
            q = found.get(key)
            if q is None:
                q = question_for(ps, answers, key)
                if q is None:
                    continue
                if any(f"{key.rsplit(':', 1)[0]}:{n.split('.', 1)[1]}" in answers.skipped for n in q.facts):
                    continue
                found[key] = q
                for syn in q.facts[1:]:
                    aliases[f"{key.rsplit(':', 1)[0]}:{syn.split('.', 1)[1]}"] = key
            if r["title"] not in q.programmes:
                q.programmes.append(r["title"])
    claims_order = {c["id"]: i for i, c in enumerate(answers.claims)}
    return sorted(
        found.values(),
        key=lambda q: (
            q.claim is not None,
            claims_order.get(q.claim or "", 0),
            -len(q.programmes) if q.claim is None else 0,
            order.get(q.fdef.name, 0),
        ),
    )


def next_group(questions: list[Question]) -> list[Question]:
    """The next page of questions: up to six about the enterprise, else up to eight about one subject."""
    if not questions:
        return []
    first = questions[0]
    if first.claim is None:
        return [q for q in questions if q.claim is None][:ENTERPRISE_PAGE]
    return [q for q in questions if q.claim == first.claim][:CLAIM_PAGE]


def offered_kinds(ps: PolicySet, answers: Answers, report: dict) -> list[dict]:
    """The claim subjects worth asking about ("do you have a …"): those programmes still possible
    are about, each with the programmes' names; the kinds already described stay listed."""
    by_id = {p.id: p for p in ps.programmes()}
    kinds: dict[str, dict] = {}
    have = {c["kind"] for c in answers.claims}
    for r in report["results"]:
        p = by_id.get(r["programme"])
        if p is None or p.subject == "enterprise" or r["mode"] == "automatic":
            continue
        if r["status"] in ("out_of_scope", "not_in_force") or (r["status"] == "ineligible" and p.subject not in have):
            continue
        if not answers.programmes and answers.areas and p.section and p.section not in answers.areas:
            continue
        k = kinds.setdefault(
            p.subject,
            {
                "kind": p.subject,
                "zh": subject_name(ps, p.subject, "zh"),
                "en": subject_name(ps, p.subject, "en"),
                "programmes": [],
                "section": p.section,
            },
        )
        if p.title not in k["programmes"]:
            k["programmes"].append(p.title)
    for k in kinds.values():
        k["claims"] = [c for c in answers.claims if c["kind"] == k["kind"]]
    return list(kinds.values())


def add_claim(answers: Answers, kind: str) -> str | None:
    if len(answers.claims) >= MAX_CLAIMS:
        return None
    ids = {c["id"] for c in answers.claims}
    n = 1 + sum(1 for c in answers.claims if c["kind"] == kind)
    while f"{kind}-{n}" in ids:
        n += 1
    answers.claims.append({"id": f"{kind}-{n}", "kind": kind})
    if kind in answers.declined:
        answers.declined.remove(kind)
    return f"{kind}-{n}"


def remove_claim(answers: Answers, claim_id: str) -> None:
    answers.profile["claims"] = [c for c in answers.claims if c.get("id") != claim_id]
    answers.skipped = [k for k in answers.skipped if not k.startswith(f"claim:{claim_id}:")]


_PAREN = re.compile(r"\s*[（(]([^（）()]*)[）)]\s*$")


def subject_name(ps: PolicySet, kind: str, lang: str = "zh") -> str:
    """A kind of claim subject in words, without the programme codes a label may end with
    (“自用经营用房租赁合同（J1.1）” → “自用经营用房租赁合同”): codes stay behind 技术细节."""
    sub = ps.vocabulary.subjects.get(kind)
    text = (sub.en if lang == "en" else sub.zh) if sub else kind
    m = _PAREN.search(text)
    if m:
        ids = {p.id for p in ps.programmes()} | {i for d in ps.documents for p in d.programmes for i in p.inventory}
        parts = [x.strip() for x in re.split(r"[、,，/;；]| and ", m.group(1)) if x.strip()]
        if parts and all(x in ids for x in parts):
            text = text[: m.start()]
    return text


def claim_title(ps: PolicySet, answers: Answers, claim: dict, lang: str = "zh") -> str:
    """A subject in words: its name if given, else 租赁用房 1, 药品品种 2 … (never the id)."""
    base = subject_name(ps, claim["kind"], lang)
    same = [c for c in answers.claims if c["kind"] == claim["kind"]]
    n = same.index(claim) + 1 if claim in same else 1
    label = str(claim.get("label") or "").strip()
    return f"{base} {n}" + (f"：{label}" if label and lang != "en" else f": {label}" if label else "")


# ------------------------------------------------------------------ applying a page's answers


@dataclass
class PageErrors:
    items: list[tuple[str, tuple[str, str], str, str]] = field(
        default_factory=list
    )  # (field id, label, message zh, en)
    typed: dict[str, str] = field(default_factory=dict)  # field name → what was typed

    def add(self, fid: str, label: tuple[str, str], zh: str, en: str) -> None:
        self.items.append((fid, label, zh, en))

    def __bool__(self) -> bool:
        return bool(self.items)

    def of(self, fid: str) -> tuple[str, str] | None:
        return next(((zh, en) for f, _, zh, en in self.items if f == fid), None)


def apply_questions(ps: PolicySet, answers: Answers, keys: Iterable[str], form: dict[str, str]) -> PageErrors:
    """Read the answers of one page of questions; a blank answer is 暂不清楚 (kept as skipped)."""
    errors = PageErrors()
    for key in keys:
        q = question_for(ps, answers, key)
        if q is None:
            continue
        raw = str(form.get(q.name, "") or "")
        errors.typed[q.name] = raw
        target = answers.enterprise if q.claim is None else answers.claim(q.claim)
        names = [n.split(".", 1)[1] for n in q.facts]
        prefix = key.rsplit(":", 1)[0]
        if not raw.strip():
            for n in names:
                target.pop(n, None)  # type: ignore[union-attr]
                if f"{prefix}:{n}" not in answers.skipped:
                    answers.skipped.append(f"{prefix}:{n}")
            continue
        try:
            value = read_field(q.fdef, raw)
        except FieldError as exc:
            errors.add(q.id, (q.fdef.zh, q.fdef.en), exc.zh, exc.en)
            continue
        for n in names:
            target[n] = value  # type: ignore[index]
            if f"{prefix}:{n}" in answers.skipped:
                answers.skipped.remove(f"{prefix}:{n}")
    for claim in answers.claims:
        name = f"{FIELD_PREFIX}claim:{claim['id']}:label"
        if name in form:
            claim["label"] = str(form[name]).strip()[:100]
            if not claim["label"]:
                claim.pop("label")
    return errors


def apply_place(
    ps: PolicySet, answers: Answers, form: dict[str, str], known_towns: dict[str, list[str]]
) -> PageErrors:
    """District (select), town (select or "other"), and — when not signed in — name and USCC."""
    from huiqi.uscc import USCCError, validate_uscc

    errors = PageErrors()
    ent = answers.enterprise
    if "name" not in answers.locked:
        name = str(form.get("f:enterprise:name", "")).strip()[:200]
        errors.typed["f:enterprise:name"] = name
        if name:
            ent["name"] = name
        else:
            ent.pop("name", None)
    if "uscc" not in answers.locked:
        raw = str(form.get("f:enterprise:uscc", ""))
        errors.typed["f:enterprise:uscc"] = raw
        if raw.strip():
            try:
                ent["uscc"] = validate_uscc(raw, field="uscc")
            except USCCError as exc:
                errors.add(
                    "q-enterprise-uscc",
                    ("统一社会信用代码", "Unified social credit code"),
                    exc.message_zh,
                    exc.message_en,
                )
        else:
            ent.pop("uscc", None)
    if "registered_district" not in answers.locked:
        district = str(form.get("f:enterprise:registered_district", "")).strip()
        errors.typed["f:enterprise:registered_district"] = district
        if district == "":
            errors.add(
                "q-enterprise-registered_district",
                ("注册登记所在区", "District of registration"),
                "请选择企业注册登记所在的区",
                "choose the district the enterprise is registered in",
            )
        elif district in districts(ps) or district == "其他区":
            ent["registered_district"] = district
        else:
            errors.add(
                "q-enterprise-registered_district",
                ("注册登记所在区", "District of registration"),
                "请从列表中选择",
                "choose from the list",
            )
    if "town" not in answers.locked:
        town = str(form.get("f:enterprise:town", "")).strip()
        other = str(form.get("f:enterprise:town_other", "")).strip()[:50]
        errors.typed["f:enterprise:town"] = town
        errors.typed["f:enterprise:town_other"] = other
        if town == OTHER:
            if other:
                ent["town"] = other
            else:
                errors.add(
                    "q-enterprise-town_other",
                    ("所在镇（园区）", "Town or park"),
                    "选择了“其他”，请填写镇（园区）名称",
                    "you chose “other”: write the town or park's name",
                )
        elif town:
            ent["town"] = town
        else:
            ent.pop("town", None)
    return errors


def apply_areas(ps: PolicySet, answers: Answers, chosen: list[str], report: dict) -> None:
    keys = {a["key"] for a in areas_of(ps, report)}
    picked = [c for c in chosen if c in keys]
    answers.areas = picked or [a["key"] for a in areas_of(ps, report)]  # nothing ticked: every area


def apply_subjects(ps: PolicySet, answers: Answers, ticked: list[str], offered: list[dict]) -> None:
    """Tick = has one (add a subject of that kind if none yet); untick = has none (remove them)."""
    kinds = {k["kind"] for k in offered}
    for kind in kinds:
        if kind in ticked:
            if not any(c["kind"] == kind for c in answers.claims):
                add_claim(answers, kind)
            if kind in answers.declined:
                answers.declined.remove(kind)
        else:
            for c in [c for c in answers.claims if c["kind"] == kind]:
                remove_claim(answers, c["id"])
            if kind not in answers.declined:
                answers.declined.append(kind)
    answers.subjects_done = True


# ------------------------------------------------------------------ evaluating


def run(ps: PolicySet, answers: Answers) -> tuple[dict, list[tuple[str, str, str]]]:
    """Evaluate the answers; a value that no longer fits the vocabulary is dropped, never a 500."""
    prof = profile_for_match(answers)
    problems: list[tuple[str, str, str]] = []
    for _ in range(3):
        try:
            profile = parse_profile(prof, ps.vocabulary)
            # evaluating may refuse too: an event dated after the application date (issue 15)
            report = evaluate(ps, profile, on=answers.day(), programmes=answers.programmes or None).to_dict()
            break
        except InputError as exc:
            for p in exc.problems:
                problems.append((p.field, p.message_zh, p.message_en))
                _drop(prof, p.field)
    else:  # pragma: no cover - three rounds of drops always leave a valid profile
        profile = parse_profile({"enterprise": {}, "claims": []}, ps.vocabulary)
        report = evaluate(ps, profile, on=answers.day(), programmes=answers.programmes or None).to_dict()
    return report, problems


def _drop(prof: dict, path: str) -> None:
    m = re.match(r"^(enterprise|call)\.(\w+)$", path)
    if m:
        prof[m.group(1)].pop(m.group(2), None)
        return
    m = re.match(r"^claims\[(\d+)\]\.(\w+)$", path)
    if m and int(m.group(1)) < len(prof["claims"]):
        prof["claims"][int(m.group(1))].pop(m.group(2), None)
        return
    m = re.match(r"^claims\[(\d+)\]", path)
    if m and int(m.group(1)) < len(prof["claims"]):
        prof["claims"].pop(int(m.group(1)))


# ------------------------------------------------------------------ the pages, in order

PAGES = ("place", "area", "subjects", "questions", "check", "results")


def place_known(answers: Answers) -> bool:
    return "registered_district" in answers.locked and ("town" in answers.locked or "town" in answers.enterprise)


def next_page(ps: PolicySet, answers: Answers, report: dict, after: str) -> dict:
    """Where “继续” goes from ``after``: the first page still to do."""
    order = PAGES.index(after) + (0 if after == "questions" else 1) if after in PAGES else 0
    for page in PAGES[order:]:
        if page == "place" and not place_known(answers):
            return {"page": "place"}
        if page == "area":
            if answers.programmes or answers.areas is not None or after == "area":
                continue
            if len(areas_of(ps, report)) > 1:
                return {"page": "area"}
            answers.areas = [a["key"] for a in areas_of(ps, report)]
        if page == "subjects" and not answers.subjects_done:
            if offered_kinds(ps, answers, report):
                return {"page": "subjects"}
            answers.subjects_done = True
        if page == "questions":
            group = next_group(pending(ps, answers, report))
            if group:
                return {"page": "questions", "keys": [q.key for q in group]}
        if page in ("check", "results"):
            return {"page": page}
    return {"page": "check"}


def first_page(ps: PolicySet, answers: Answers, report: dict) -> dict:
    return next_page(ps, answers, report, "")


# ------------------------------------------------------------------ check your answers


@dataclass
class Row:
    label: tuple[str, str]
    value: str
    edit: str | None = None  # the 修改 target: a question key, or a page ("place", "area", "subjects")
    note: str | None = None


def review(ps: PolicySet, answers: Answers, lang: str) -> dict:
    """The check-your-answers page: every answer (暂不清楚 for those left blank), each with 修改."""
    vocab = ps.vocabulary
    ent = answers.enterprise
    locked = set(answers.locked)
    place_edit = None if {"registered_district", "town"} <= locked else "place"
    place: list[Row] = []
    for key, zh, en in (
        ("name", "企业名称", "Enterprise name"),
        ("uscc", "统一社会信用代码", "Unified social credit code"),
    ):
        if ent.get(key) or key not in locked:
            place.append(
                Row(
                    (zh, en),
                    str(ent.get(key) or ("未填写" if lang != "en" else "not given")),
                    None if key in locked else "place",
                )
            )
    for key in PLACE_FACTS:
        fdef = vocab.fact(f"enterprise.{key}")
        if fdef is not None:
            place.append(
                Row((fdef.zh, fdef.en), show_answer(fdef, ent.get(key), lang), None if key in locked else place_edit)
            )
    enterprise: list[Row] = []
    shown: set[str] = set()
    keys = [k for k in ent if k not in ("name", "uscc", *PLACE_FACTS)] + [
        k.split(":", 1)[1] for k in answers.skipped if k.startswith("enterprise:")
    ]
    for name in sorted(
        dict.fromkeys(keys),
        key=lambda n: list(vocab.facts).index(f"enterprise.{n}") if f"enterprise.{n}" in vocab.facts else 0,
    ):
        q = question_for(ps, answers, f"enterprise:{name}")
        if q is None or shown & set(q.facts):
            continue
        shown |= set(q.facts)
        enterprise.append(Row((q.fdef.zh, q.fdef.en), show_answer(q.fdef, ent.get(name), lang), q.key))
    claims = []
    for c in answers.claims:
        rows = []
        facts = [k for k in c if k not in ("id", "kind", "label")] + [
            k.split(":", 2)[2] for k in answers.skipped if k.startswith(f"claim:{c['id']}:")
        ]
        seen: set[str] = set()
        for name in dict.fromkeys(facts):
            q = question_for(ps, answers, f"claim:{c['id']}:{name}")
            if q is None or seen & set(q.facts):
                continue
            seen |= set(q.facts)
            rows.append(Row((q.fdef.zh, q.fdef.en), show_answer(q.fdef, c.get(name), lang), q.key))
        claims.append({"id": c["id"], "title": claim_title(ps, answers, c, lang), "rows": rows})
    areas = [a for a in (answers.areas or [])]
    return {"place": place, "enterprise": enterprise, "claims": claims, "areas": areas}


# ------------------------------------------------------------------ results


@dataclass
class DocView:
    """One document's results for the page and the PDF, bucketed the way a clerk reads them."""

    group: Any  # huiqi.presentation.DocumentGroup
    eligible: list[dict] = field(default_factory=list)
    needs_info: list[dict] = field(default_factory=list)
    ineligible: list[dict] = field(default_factory=list)
    automatic: list[dict] = field(default_factory=list)  # 免申即享: nothing to apply for
    other: list[dict] = field(default_factory=list)  # not in force / out of scope (this programme only)
    unasked: list[dict] = field(default_factory=list)  # outside the areas chosen, or no such subject

    @property
    def shown(self) -> int:
        return len(self.eligible) + len(self.needs_info) + len(self.ineligible) + len(self.automatic)


def results_view(ps: PolicySet, answers: Answers, report: dict, lang: str) -> list[DocView]:
    from huiqi.presentation import group_report

    by_id = {p.id: p for p in ps.programmes()}
    out = []
    for g in group_report(report, ps.documents):
        view = DocView(g)
        out.append(view)
        if g.collapsed:
            continue
        for r in g.results:
            p = by_id.get(r["programme"])
            item = dict(r)
            claim = answers.claim(r["claim"]) if r["claim"] else None
            item["claim_title"] = claim_title(ps, answers, claim, lang) if claim else None
            item["automatic"] = r["mode"] == "automatic"
            item["department"] = p.department if p else r["department"]
            waiting = next((m for m in r["missing"] if m["type"] == "claim"), None)
            item["asks"] = [m for m in r["missing"] if m["type"] != "claim" and not m["fact"].startswith("call.")]
            item["needs_round"] = any(m["fact"].startswith("call.") for m in r["missing"])
            outside = bool(
                p and not answers.programmes and answers.areas and p.section and p.section not in answers.areas
            )
            if r["status"] in ("not_in_force", "out_of_scope"):
                view.other.append(item)
            elif item["automatic"] and r["status"] in ("eligible", "needs_info"):
                view.automatic.append(item)  # nothing to apply for: the commission decides
            elif outside or (waiting is not None and r["status"] == "needs_info"):
                if outside:
                    item["why_unasked"] = ("不在所选的经营领域", "outside the areas chosen")
                else:
                    kind = waiting["subject"]  # type: ignore[index]
                    zh, en = subject_name(ps, kind, "zh"), subject_name(ps, kind, "en")
                    declined = kind in answers.declined
                    item["why_unasked"] = (
                        (f"你没有{zh}", f"you have no {en}") if declined else (f"需先添加{zh}", f"add a {en} first")
                    )
                view.unasked.append(item)
            else:
                getattr(view, r["status"]).append(item)
    return out
