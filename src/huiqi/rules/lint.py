"""``huiqi policies lint``: catch the rules a policy file quotes but does not enforce.

The loader (``huiqi policies check``) refuses files that cannot run. The lint reads files that
do run and looks for the defects issue 15 found by hand, each reported with file:line:

* ``unread-fact`` — a fact declared in the vocabulary that no rule of any document reads (a
  question asked for nothing, or a limit the encoding forgot: ``lease.start_date`` was declared
  for the three years of rent and never read);
* ``unenforced-limit`` — a clause quoted by a programme holds a time or count limit (三年内, 一次性,
  每两年, 每年, 不重复, 就高, 新增, 首次) and nothing in that programme enforces it (see
  ``ENFORCED_BY``, the one table of what counts), and no note explains why none is needed
  (``limits_explained``, below);
* ``bands`` / ``tiers`` — bands that overlap, leave gaps or pay less above a threshold than below
  it; milestone tiers whose sums do not rise with their thresholds;
* ``cap-never-binds`` — a ceiling no amount can reach;
* ``contradiction`` — two criteria of one programme that can never both hold, and the
  solver-backed checks of ``huiqi.rules.solver`` (a programme nobody can be eligible for, an
  amount above the ceiling its clause states).

Why no construct is needed — the escape. A programme lists the limit words it answers with a
note, by id (a note of the programme or of the document, shown to users)::

    limits_explained:
      一次性: one-award-per-listing     # note id: why the words need no count-once here

The lint checks the note exists; the words then count as explained.

Levels: ``error`` — the file says something impossible or unenforced that costs money or refuses
eligible applicants; ``warning`` — worth a reviewer's look (a redundant ceiling the text does
state, a fact kept for the workflow). ``huiqi policies check`` prints both and fails on errors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

from huiqi.rules import expr as E
from huiqi.rules import model as M
from huiqi.rules.facts import CALL, ENTERPRISE
from huiqi.rules.model import amount_forms, programme_nodes
from huiqi.rules.yamlio import LineDict, load_yaml_file

ERROR = "error"
WARNING = "warning"

# --------------------------------------------------------------------------- the table
#
# What enforces a limit word. Each construct is detected in ``constructs()``:
#   once               support.once: (one award per key over the policy's life — a ledger of awards)
#   count_once_per     support.count_once_per (claims sharing a value count once in one evaluation)
#   already_awarded    highest_tier.already_awarded (less what the enterprise already got)
#   highest_tier       highest_tier amounts (the highest tier reached only: 就高不重复)
#   cases              cases amounts (exactly one case is paid: 就高 between categories)
#   per_unit           per_unit amounts over a count of new things (每新增 1 个)
#   multi_year         multi_year amounts (a number of years of support)
#   multi_year_from    multi_year: {from: <date fact>} (the years run from a start date)
#   cap                a per-entity annual cap of the document naming the programme
#   cap_over_policy    a cap counted over the policy's life (caps: … over: policy)
#   date_window        a criterion, event date or applies_when doing date arithmetic or reading the
#                      call's qualifying period (add_years, years_between, days_between, add_days,
#                      call.period_start / call.period_end)
#   first_time_fact    a criterion reading a first-time / prior-award fact (FIRST_TIME_FACT)
#   fact_label         the criterion quoting the words reads a fact whose question states them
#                      (过去三年无严重失信: the applicant answers for the three years)
ENFORCED_BY: dict[str, tuple[str, ...]] = {
    "三年内": ("multi_year_from", "multi_year", "date_window", "cap_over_policy", "fact_label"),
    "一次性": ("once", "count_once_per", "already_awarded", "first_time_fact", "fact_label"),
    "每两年": ("once", "count_once_per", "date_window", "fact_label"),
    "每年": ("cap", "once", "count_once_per", "date_window", "multi_year", "fact_label"),
    "不重复": ("once", "count_once_per", "highest_tier", "already_awarded", "first_time_fact", "fact_label"),
    "就高": ("highest_tier", "cases", "once"),
    "新增": ("first_time_fact", "per_unit", "once", "count_once_per", "fact_label"),
    "首次": ("first_time_fact", "already_awarded", "once", "fact_label"),
}
LIMIT_WORDS = tuple(ENFORCED_BY)
# Ways a fact's question states the same limit (the label of a fact read by the criterion).
WORD_FORMS: dict[str, tuple[str, ...]] = {
    "三年内": ("三年", "3 年", "3年"),
    "一次性": ("一次", "首次", "已获", "已享受"),
    "每两年": ("两年", "2 年", "周期"),
    "每年": ("年度", "每年", "当年", "年"),
    "不重复": ("重复", "已享受", "已获"),
    "就高": ("就高",),
    "新增": ("新增", "新获", "新认定", "首次"),
    "首次": ("首次", "首", "已获", "此前"),
}
FIRST_TIME_FACT = re.compile(
    r"(first|prior|previous|already|before|newly|new_|_new|existing|awarded|repeat|other_funding|was_|is_new)"
)
FIRST_TIME_VALUE = re.compile(r"首次|初次|新认定|新增|新获")  # an enum value a criterion or case tests for
# Text facts that name the subject for people (a drug's name, an address): read by the pages and
# the workflow, never by a rule, so an unread one is no finding.
NAMING_FACT = re.compile(r"(^|_)(name|address|person)$")
DATE_FUNCTIONS = {"add_years", "years_between", "days_between", "add_days"}
PERIOD_FACTS = {"call.period_start", "call.period_end"}


@dataclass(frozen=True)
class Finding:
    level: str
    check: str
    file: str
    line: int
    message_zh: str
    message_en: str
    programme: str | None = None
    key: str = ""  # what the finding is about, for the known-findings list: the limit word, the fact…

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def render(self) -> str:
        who = f"{self.programme}: " if self.programme else ""
        return f"{self.location()}: {self.level} [{self.check}] {who}{self.message_zh} / {self.message_en}"

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "check": self.check,
            "file": self.file,
            "line": self.line,
            "programme": self.programme,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "key": self.key,
        }


# --------------------------------------------------------------------------- walking the model


def calls_in(node: E.Node) -> set[str]:
    return {n.function for n in E.walk(node) if isinstance(n, E.Call)}


def facts_read(policies: M.PolicySet | Iterable[M.Document]) -> set[str]:
    """Every fact some rule reads (criteria, scopes, amounts, event dates, caps, one-award keys)."""
    documents = policies.documents if isinstance(policies, M.PolicySet) else list(policies)
    read: set[str] = set()
    for d in documents:
        for c in d.scope:
            read |= E.names_in(c.test)
        for crit in d.shared_criteria.values():
            read |= E.names_in(crit.test)
        for cap in d.caps:
            read |= E.names_in(cap.amount)
        for p in d.programmes:
            for n in programme_nodes(p, d):
                read |= E.names_in(n)
            if p.support.count_once_per:
                read.add(p.support.count_once_per)
            once = getattr(p.support, "once", None)
            if once is not None:
                read |= {n for n in _strings(once) if "." in n}
    return {n for n in read if "." in n}


_READ_CACHE: dict[tuple, set[str]] = {}  # documents (by digest) → the facts their rules read


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _strings(getattr(value, name))
    elif isinstance(value, E.Name):
        yield value.name


def unread_profile_facts(policies: M.PolicySet | Iterable[M.Document], profile: Any, vocab: Any = None) -> list[str]:
    """Facts given in a profile that no rule of these documents reads (``huiqi match`` warns and lists them in its JSON)."""
    documents = policies.documents if isinstance(policies, M.PolicySet) else list(policies)
    vocab = vocab if vocab is not None else policies.vocabulary  # type: ignore[union-attr]
    key = tuple(sorted(d.sha256 for d in documents))
    cached = _READ_CACHE.get(key)
    if cached is None:
        cached = _READ_CACHE[key] = facts_read(documents)
    read = cached
    given = [f"{ENTERPRISE}.{k}" for k, v in profile.enterprise.items() if v is not None]
    given += [f"{CALL}.{k}" for k, v in profile.call.items() if v is not None and k != "date"]
    for claim in profile.claims:
        given += [f"{claim.kind}.{k}" for k, v in claim.facts.items() if v is not None]
    id_facts = {f"{s.name}.{s.id_fact}" for s in vocab.subjects.values() if s.id_fact}

    def naming(name: str) -> bool:  # a name or address given for the record, not for a rule
        fact = vocab.fact(name)
        return fact is not None and fact.type == "text" and bool(NAMING_FACT.search(name.split(".", 1)[1]))

    return sorted({g for g in given if g not in read and g not in id_facts and not naming(g)})


# --------------------------------------------------------------------------- raw YAML (lines, escapes)


def _raw_programmes(document: M.Document) -> dict[str, LineDict]:
    out: dict[str, LineDict] = {}
    for file in (document.file, *document.parts):
        if not file or not Path(file).exists():
            continue
        data = load_yaml_file(file)
        for raw in (data.get("programmes") or ()) if isinstance(data, LineDict) else ():
            if isinstance(raw, LineDict) and raw.get("id") is not None:
                out[str(raw["id"])] = raw
    return out


def _file_of(document: M.Document, raw: LineDict | None, pid: str) -> str:
    for file in (document.file, *document.parts):
        if raw is not None and file and Path(file).exists() and f"id: {pid}" in Path(file).read_text(encoding="utf-8"):
            return file
    return document.file


# --------------------------------------------------------------------------- constructs


def constructs(p: M.Programme, document: M.Document) -> set[str]:
    """The enforcing constructs present in a programme (names of ``ENFORCED_BY``)."""
    found: set[str] = set()
    support = p.support
    if getattr(support, "once", None):
        found.add("once")
    if support.count_once_per:
        found.add("count_once_per")
    for form in amount_forms(support.amount):
        if isinstance(form, M.HighestTier):
            found.add("highest_tier")
            if form.already_awarded is not None:
                found.add("already_awarded")
        elif isinstance(form, M.Cases):
            found.add("cases")
        elif isinstance(form, M.PerUnit):
            found.add("per_unit")
        elif isinstance(form, M.MultiYear):
            found.add("multi_year")
            if form.start is not None:
                found.add("multi_year_from")
    for cap in document.caps:
        if p.id in cap.programmes:
            found.add("cap")
            if str(getattr(cap, "over", "") or "") == "policy":
                found.add("cap_over_policy")
    for node in (*(c.test for c in (*p.scope_in(document), *p.criteria)), p.applies_when, p.event_date):
        if node is None:
            continue
        names = E.names_in(node)
        if calls_in(node) & DATE_FUNCTIONS or names & PERIOD_FACTS:
            found.add("date_window")
    whens = [case.when for form in amount_forms(support.amount) if isinstance(form, M.Cases) for case in form.cases]
    for node in (*(c.test for c in p.criteria), *whens):
        if any(FIRST_TIME_FACT.search(n.split(".", 1)[1]) for n in E.names_in(node) if "." in n):
            found.add("first_time_fact")
        if any(isinstance(v, str) and FIRST_TIME_VALUE.search(v) for v in literals_in(node)):
            found.add("first_time_fact")  # e.g. enterprise.hnte_recognition == "首次认定"
    return found


def literals_in(node: E.Node) -> list:
    """Every value written in the expression (literals and ``in`` options), depth first."""
    out: list = []
    for n in E.walk(node):
        if isinstance(n, E.Literal):
            out.append(n.value)
        elif isinstance(n, E.In):
            out.extend(n.options)
    return out


def _clauses_of(p: M.Programme, document: M.Document) -> Iterator[tuple[str, M.Clause, M.Criterion | None]]:
    for c in (*(p.scope or ()), *p.criteria):
        yield f"criteria[{c.id}]", c.clause, c
    yield "support", p.support.clause, None
    if p.support.count_once_clause:
        yield "support.count_once_clause", p.support.count_once_clause, None
    for form in amount_forms(p.support.amount):
        if isinstance(form, M.Cases):
            for case in form.cases:
                if case.clause is not None:
                    yield f"case[{case.label.zh}]", case.clause, None


def _label_states(c: M.Criterion, word: str, vocab: Any) -> bool:
    forms = WORD_FORMS.get(word, (word,))
    for name in E.names_in(c.test):
        fact = vocab.fact(name) if "." in name else None
        text = f"{c.label_zh} {fact.zh if fact else ''} {fact.help_zh or '' if fact else ''}"
        if fact is not None and any(f in text for f in forms):
            return True
    return False


def check_limits(policies: M.PolicySet) -> list[Finding]:
    findings: list[Finding] = []
    vocab = policies.vocabulary
    for d in policies.documents:
        raws = _raw_programmes(d)
        notes = {n.id for n in d.notes}
        for p in d.programmes:
            raw = raws.get(p.id)
            file = _file_of(d, raw, p.id)
            have = constructs(p, d)
            explained: dict[str, str] = {}
            spec = raw.get("limits_explained") if raw is not None else None
            if spec is not None:
                line = raw.line_of("limits_explained")
                if not isinstance(spec, dict):
                    findings.append(
                        Finding(
                            ERROR,
                            "limits-explained",
                            file,
                            line,
                            "limits_explained 应为 词 → 解释说明 id 的映射",
                            "limits_explained must map words to note ids",
                            p.id,
                        )
                    )
                    spec = {}
                for word, note in spec.items():
                    if word not in LIMIT_WORDS:
                        findings.append(
                            Finding(
                                ERROR,
                                "limits-explained",
                                file,
                                line,
                                f"{word} 不是时限/次数用语（{'、'.join(LIMIT_WORDS)}）",
                                f"{word!r} is not a limit word ({', '.join(LIMIT_WORDS)})",
                                p.id,
                            )
                        )
                    if str(note) not in notes | {n.id for n in p.notes}:
                        findings.append(
                            Finding(
                                ERROR,
                                "limits-explained",
                                file,
                                line,
                                f"未定义的解释说明 {note}",
                                f"undefined note {note!r}",
                                p.id,
                            )
                        )
                    explained[str(word)] = str(note)
            seen: set[str] = set()
            for where, clause, crit in _clauses_of(p, d):
                for word in LIMIT_WORDS:
                    if word not in clause.text or word in seen or word in explained:
                        continue
                    if have & set(ENFORCED_BY[word]):
                        continue
                    if crit is not None and "fact_label" in ENFORCED_BY[word] and _label_states(crit, word, vocab):
                        continue
                    seen.add(word)
                    line = (crit.file_line if crit is not None and crit.file_line else 0) or (
                        _line(raw, "support") if raw is not None else p.line
                    )
                    wanted = "、".join(ENFORCED_BY[word])
                    findings.append(
                        Finding(
                            ERROR,
                            "unenforced-limit",
                            file,
                            line,
                            f"所引条款含“{word}”（第 {clause.line} 行），本项目没有执行它的规则（可用：{wanted}），也没有说明为何不需要（limits_explained）",
                            f"the clause quoted at {where} (source line {clause.line}) says “{word}” and nothing in this programme enforces it "
                            f"(constructs that do: {', '.join(ENFORCED_BY[word])}); nor does a note say why none is needed (limits_explained)",
                            p.id,
                            word,
                        )
                    )
    return findings


def _line(raw: LineDict, key: str) -> int:
    try:
        return raw.line_of(key) or raw.line  # the line of the key itself (``support:``)
    except Exception:  # noqa: BLE001 - a key without a recorded line
        return raw.line


# --------------------------------------------------------------------------- unread facts


def check_unread_facts(policies: M.PolicySet) -> list[Finding]:
    read = facts_read(policies)
    vocab = policies.vocabulary
    id_facts = {f"{s.name}.{s.id_fact}" for s in vocab.subjects.values() if s.id_fact}
    used_subjects = {CALL, ENTERPRISE} | {p.subject for p in policies.programmes()}
    out = []
    for name, fact in sorted(vocab.facts.items()):
        if name in read or name in id_facts or fact.subject == CALL:
            continue
        if fact.type == "text" and NAMING_FACT.search(name.split(".", 1)[1]):
            continue
        if fact.subject not in used_subjects:
            continue  # a subject no loaded document supports (another district's vocabulary)
        out.append(
            Finding(
                WARNING,
                "unread-fact",
                _fact_file(vocab, fact),
                fact.line,
                f"事实 {name}（{fact.zh}）已声明，但没有规则读取它",
                f"fact {name} ({fact.en}) is declared but no rule reads it",
                key=name,
            )
        )
    return out


def _fact_file(vocab: Any, fact: Any) -> str:
    base = Path(vocab.file)
    for path in [base, *sorted((base.parent / "facts.d").glob("*.yaml"))]:
        try:
            text = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        short = fact.name.split(".", 1)[1]
        if 0 < fact.line <= len(text) and text[fact.line - 1].lstrip().startswith(f"{short}:"):
            return str(path)
    return str(base)


# --------------------------------------------------------------------------- bands, tiers, caps


def _const(node: E.Node | None, p: M.Programme, d: M.Document, on: dt.date) -> Decimal | None:
    if node is None:
        return None
    if any("." in n for n in E.names_in(node)):
        return None

    def lookup(name: str) -> Any:
        param = p.parameters.get(name) or d.parameters.get(name)
        return param.at(on) if param else None

    value = E.evaluate(node, lookup)
    return value if isinstance(value, Decimal) else None


def _on(d: M.Document) -> dt.date:
    return max(d.issued, d.in_force.start or d.issued)


def check_bands_and_tiers(policies: M.PolicySet) -> list[Finding]:
    out: list[Finding] = []
    for d in policies.documents:
        raws = _raw_programmes(d)
        on = _on(d)
        for p in d.programmes:
            raw = raws.get(p.id)
            file = _file_of(d, raw, p.id)
            line = _line(raw, "support") if raw is not None else p.line
            for form in amount_forms(p.support.amount):
                if isinstance(form, M.Bands):
                    out += _check_bands(form, p, d, on, file, line)
                elif isinstance(form, M.HighestTier):
                    out += _check_tiers(form, p, d, on, file, line)
                elif isinstance(form, (M.Rate, M.PerUnit)) and form.cap is not None:
                    cap = _const(form.cap, p, d, on)
                    if cap is not None and cap <= 0:
                        out.append(
                            Finding(
                                ERROR,
                                "cap-never-binds",
                                file,
                                line,
                                f"上限 {cap} 元不大于 0：本项永远为 0",
                                f"a ceiling of {cap} yuan pays nothing",
                                p.id,
                            )
                        )
    return out


def _check_bands(form: M.Bands, p: M.Programme, d: M.Document, on: dt.date, file: str, line: int) -> list[Finding]:
    out = []
    rows = []
    for b in form.bands:
        rows.append(
            (_const(b.lower, p, d, on), _const(b.upper, p, d, on), _const(b.rate, p, d, on), _const(b.cap, p, d, on), b)
        )
    known = [r for r in rows if r[0] is not None]
    known.sort(key=lambda r: r[0])
    for (lo1, up1, rate1, cap1, _), (lo2, up2, rate2, cap2, _) in pairwise(known):
        if up1 is None:
            out.append(
                Finding(
                    ERROR,
                    "bands",
                    file,
                    line,
                    f"自 {lo1} 起的一档没有上界，却还有自 {lo2} 起的一档：两档重叠",
                    f"the band from {lo1} has no upper bound but another starts at {lo2}: they overlap",
                    p.id,
                )
            )
        elif up1 > lo2:
            out.append(
                Finding(
                    ERROR,
                    "bands",
                    file,
                    line,
                    f"档位重叠：[{lo1}, {up1}) 与自 {lo2} 起的一档",
                    f"bands overlap: [{lo1}, {up1}) and the band from {lo2}",
                    p.id,
                )
            )
        elif up1 < lo2:
            out.append(
                Finding(
                    ERROR,
                    "bands",
                    file,
                    line,
                    f"档位不连续：{up1} 至 {lo2} 之间没有档位",
                    f"bands leave a gap between {up1} and {lo2}",
                    p.id,
                )
            )
        if rate1 is not None and rate2 is not None and rate2 < rate1:
            out.append(
                Finding(
                    ERROR,
                    "bands",
                    file,
                    line,
                    f"高一档的比例 {rate2} 低于低一档的 {rate1}",
                    f"a higher band's rate {rate2} is below the lower band's {rate1}",
                    p.id,
                )
            )
        if cap1 is not None and cap2 is not None and cap2 < cap1:
            out.append(
                Finding(
                    ERROR,
                    "bands",
                    file,
                    line,
                    f"高一档的上限 {cap2} 低于低一档的 {cap1}",
                    f"a higher band's ceiling {cap2} is below the lower band's {cap1}",
                    p.id,
                )
            )
    for lo, up, rate, cap, _ in known:
        if up is not None and up <= lo:
            out.append(
                Finding(ERROR, "bands", file, line, f"档位 [{lo}, {up}) 为空", f"the band [{lo}, {up}) is empty", p.id)
            )
        elif up is not None and rate is not None and cap is not None and up * rate <= cap:
            out.append(
                Finding(
                    WARNING,
                    "cap-never-binds",
                    file,
                    line,
                    f"档位 [{lo}, {up}) 按 {rate} 最多 {up * rate} 元，上限 {cap} 元永远不起作用",
                    f"the band [{lo}, {up}) at {rate} reaches at most {up * rate}: its ceiling {cap} never binds",
                    p.id,
                )
            )
    return out


def _check_tiers(
    form: M.HighestTier, p: M.Programme, d: M.Document, on: dt.date, file: str, line: int
) -> list[Finding]:
    out = []
    rows = [(_const(t.at_least, p, d, on), _const(t.amount, p, d, on)) for t in form.tiers]
    known = sorted((r for r in rows if r[0] is not None and r[1] is not None), key=lambda r: r[0])
    for (t1, a1), (t2, a2) in pairwise(known):
        if t1 == t2:
            out.append(
                Finding(ERROR, "tiers", file, line, f"两档门槛相同：{t1}", f"two tiers share the threshold {t1}", p.id)
            )
        elif a2 <= a1:
            out.append(
                Finding(
                    ERROR,
                    "tiers",
                    file,
                    line,
                    f"门槛 {t2} 的金额 {a2} 不高于门槛 {t1} 的 {a1}（就高：金额须随门槛上升）",
                    f"the tier at {t2} pays {a2}, not more than the tier at {t1} ({a1}): sums must rise with thresholds",
                    p.id,
                )
            )
    return out


def check_caps(policies: M.PolicySet) -> list[Finding]:
    """A document cap over enterprise-level programmes whose most, all together, stays under it never binds."""
    from huiqi.rules.solver import part_maximum

    out: list[Finding] = []
    for d in policies.documents:
        on = _on(d)
        for cap in d.caps:
            members = [d.programme(pid) for pid in cap.programmes]
            members = [m for m in members if m is not None]
            if not members or any(m.subject != ENTERPRISE or m.support.count_once_per for m in members):
                continue  # claims: an enterprise may have any number, so the cap can always bind
            limit = _const(cap.amount, members[0], d, on)
            total = Decimal(0)
            for m in members:
                most = part_maximum(m, d, policies.vocabulary, m.support.amount, on, caps=False)
                if most is None or most.value is None:
                    total = None  # type: ignore[assignment]
                    break
                total += most.value
            if limit is not None and total is not None and total <= limit:
                out.append(
                    Finding(
                        WARNING,
                        "cap-never-binds",
                        d.file,
                        _cap_line(d, cap.id),
                        f"上限 {cap.id}（{limit} 元）：所涉项目合计最多 {total} 元，上限永远不起作用",
                        f"cap {cap.id} ({limit}): its programmes reach at most {total} together, so it never binds",
                    )
                )
    return out


def _cap_line(d: M.Document, cap_id: str) -> int:
    for file in (d.file, *d.parts):
        if not file or not Path(file).exists():
            continue
        data = load_yaml_file(file)
        for raw in (data.get("caps") or ()) if isinstance(data, LineDict) else ():
            if isinstance(raw, LineDict) and str(raw.get("id")) == cap_id:
                return raw.line
    return 0


# --------------------------------------------------------------------------- everything


def lint(policies: M.PolicySet, *, solver: bool = True) -> list[Finding]:
    """Every finding over the loaded documents, errors first, then by file and line."""
    findings = check_unread_facts(policies) + check_limits(policies) + check_bands_and_tiers(policies)
    if solver:
        from huiqi.rules.solver import check_solver

        findings += check_caps(policies)
        findings += check_solver(policies)
    return sorted(findings, key=lambda f: (f.level != ERROR, f.file, f.line, f.check))


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == ERROR]


# --------------------------------------------------------------------------- known findings
#
# ``policies/lint.d/known.yaml`` lists errors known and not yet fixed, each with the reason; they are
# printed but do not fail ``policies check``. Each entry must still occur: a fixed one must be
# deleted (``stale``), so the list only ever shrinks to what is really open.
#
#   known:
#     - {programme: J8.2, check: unenforced-limit, key: 一次性, reason: "issue 15 defect 3 …"}

KNOWN_FILE = Path("lint.d") / "known.yaml"


@dataclass(frozen=True)
class Known:
    programme: str | None
    check: str
    key: str
    reason: str
    line: int

    def matches(self, f: Finding) -> bool:
        return f.check == self.check and (self.programme or None) == f.programme and (not self.key or self.key == f.key)


def load_known(policy_dir: str | Path | None) -> tuple[str, list[Known]]:
    from huiqi.rules.loader import DEFAULT_POLICY_DIR

    path = Path(policy_dir or DEFAULT_POLICY_DIR) / KNOWN_FILE
    if not path.exists():
        return str(path), []
    data = load_yaml_file(path) or {}
    out = []
    for raw in data.get("known") or ():
        out.append(
            Known(
                raw.get("programme"),
                str(raw.get("check", "")),
                str(raw.get("key", "") or ""),
                str(raw.get("reason", "")),
                getattr(raw, "line", 0),
            )
        )
    return str(path), out


def triage(
    findings: list[Finding], known: list[Known], known_file: str = ""
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """(new errors, known errors, stale entries as findings): what fails the check, what is listed, what to delete."""
    new, listed = [], []
    for f in errors(findings):
        (listed if any(k.matches(f) for k in known) else new).append(f)
    stale = [
        Finding(
            ERROR,
            "stale-known",
            known_file,
            k.line,
            f"已列为已知的问题不再出现，请删去：{k.programme} {k.check} {k.key}",
            f"a known finding no longer occurs; delete it: {k.programme} {k.check} {k.key}",
            k.programme,
        )
        for k in known
        if not any(k.matches(f) for f in findings)
    ]
    return new, listed, stale
