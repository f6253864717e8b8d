"""Draft a policy file from a document's published text: a skeleton for a person to review.

``huiqi policies draft SOURCE.txt --id ID --out FILE.yaml`` (also ``.docx``) writes a file in
the real policy format (docs/policy-format.md):

* the header: 文号, issuer, title, district, issue date, and the validity sentences found
  (有效期至…, 自…起施行, 自颁布之日起 N 日后实施, …至本措施实施前…参照本措施执行);
* one programme per heading (docs: workbench/structure.py), with its department, mode, the
  sentences that state conditions (``criteria``), amounts (``support``), materials and process,
  each quoted with its line, pre-parsed where the wording is regular (workbench/patterns.py);
* document-level conditions (适用范围、信用管理、保障措施…) as shared ``criteria`` that every
  programme ``use:``s, for the reviewer to keep or drop;
* every sentence that could not be placed as a ``todo`` entry with its quote and line.

**A draft does not load until a person has resolved it — on purpose.** Every value the text
cannot give is the word ``TODO`` in a field the loader checks: a criterion's ``test``, a
programme's ``subject`` and ``mode``, an amount's ``base``/``grant``/``count``/``when``, a
material's ``form``, ``window_basis``, dates of ``in_force``. So ``huiqi policies check`` on a
directory holding the draft names each of them (file, line, field) until it is resolved, and a
draft can never be evaluated by accident. The ``todo:`` lists (sentences not placed) and
``TODO`` inside free text (notes, labels) are not read by the loader: ``grep -n TODO FILE``
lists everything left, and a reviewed file has none.

Deterministic: rules and patterns only, no model, no network; the same text gives the same
file byte for byte. Money is ``Decimal`` yuan written as integers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from huiqi.rules.loader import PROCESS_STAGES
from huiqi.workbench import patterns as P
from huiqi.workbench.emit import Commented, Flow, dump
from huiqi.workbench.structure import Field, Outline, ProgrammeOutline, outline
from huiqi.workbench.text import Sentence, SourceText, tidy

TODO = "TODO"


def clause(sentence: Sentence, ref: str = "") -> Flow:
    out = Flow(text=sentence.text)
    if ref:
        out["ref"] = ref
    out["line"] = sentence.start_line
    return out


def _money(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def _rate_text(rate: P.Rate) -> str:
    if rate.text.startswith("1:") or ":" in rate.text:
        return P.scalar_decimal(rate.value)
    return rate.text


@dataclass
class Alternative:
    """One way the support is computed (a case when there are several)."""

    label: str
    amount: dict
    sentence: Sentence


@dataclass
class DraftStats:
    programmes: int = 0
    criteria: int = 0
    amounts: int = 0
    todos: int = 0


@dataclass
class Draft:
    """The draft as data (``data``) and as the YAML text written for review (``text``)."""

    data: dict
    text: str
    stats: DraftStats = field(default_factory=DraftStats)


# ---------------------------------------------------------------- amounts


def _rate_form(unit: P.SupportSentence, cap: Decimal | None) -> dict:
    assert unit.rate is not None
    rate = unit.rate
    if rate.matching:
        spec = Flow(grant=TODO, grant_label=Flow(zh=rate.base_label), ratio=_rate_text(rate))
        if cap is not None:
            spec["cap"] = _money(cap)
        return Flow(match=spec)
    spec = Flow(base=TODO, base_label=Flow(zh=rate.base_label), rate=_rate_text(rate))
    if cap is not None:
        spec["cap"] = _money(cap)
    return Flow(rate=spec)


def _fixed(value: Decimal, label: str = "") -> dict:
    spec = Flow(amount=_money(value))
    if label:
        spec["label"] = Flow(zh=label)
    return Flow(fixed=spec)


def _alternatives(unit: P.SupportSentence, sentence: Sentence) -> list[Alternative]:
    awards = unit.awards
    out: list[Alternative] = []
    if (
        awards
        and (unit.highest_only or (len(unit.thresholds) == len(awards) and len(awards) >= 2))
        and len(unit.thresholds) == len(awards)
    ):
        tiers = [Flow(at_least=_money(t), amount=_money(a.value)) for t, a in zip(unit.thresholds, awards)]
        out.append(Alternative("", {"highest_tier": {"value": TODO, "tiers": tiers}}, sentence))
    elif any(a.role == "staged" for a in awards):
        stages = []
        for i, a in enumerate(awards):
            stage = {"label": Flow(zh=a.label or f"第{i + 1}期"), "amount": _fixed(a.value)}
            if a.after_months:
                stage["after_months"] = a.after_months
            stages.append(stage)
        out.append(Alternative("", {"staged": stages}, sentence))
    elif len(awards) >= 2:
        for i, a in enumerate(awards):
            label = unit.categories[i] if unit.categories else (a.label or f"第{i + 1}档")
            amount = _rate_form(unit, a.value) if unit.rate else _fixed(a.value)
            out.append(Alternative(label, amount, sentence))
    elif len(awards) == 1:
        a = awards[0]
        if unit.rate:
            amount = _rate_form(unit, a.value)
        elif a.role == "unit":
            amount = Flow(
                per_unit=Flow(count=TODO, count_label=Flow(zh=a.label or "数量"), unit_amount=_money(a.value))
            )
        else:
            amount = _fixed(a.value)
        out.append(Alternative(a.label or _short(unit.condition), amount, sentence))
    elif unit.rate:
        out.append(Alternative(_short(unit.condition), _rate_form(unit, None), sentence))
    elif unit.entity_caps:  # 给予单个主体每年最高 200 万元: the ceiling is the only sum
        out.append(Alternative("", _fixed(unit.entity_caps[0].value, "原文只规定上限"), sentence))
    else:
        reason = Flow(zh=f"{TODO} 原文未规定金额：{sentence.text}", en=f"{TODO} the text names no sum")
        out.append(Alternative("", {"none": reason}, sentence))
    if unit.years and out:
        for alt in out:
            alt.amount = {"multi_year": Flow(years=unit.years, each_year=alt.amount)}
    return out


def _short(text: str, limit: int = 40) -> str:
    text = re.sub(r"^(?:对于|对)", "", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bands(units: list[tuple[P.SupportSentence, Sentence]]) -> Alternative | None:
    """2000 万（含）—5000 万按 2‱ 最高 1 万；5000 万（含）以上按 3‱ 最高 5 万 → one ``bands``."""
    if len(units) < 2 or not all(u.rate and 1 <= len(u.thresholds) <= 2 and len(u.awards) <= 1 for u, _ in units):
        return None
    bands = []
    for u, _ in units:
        assert u.rate is not None
        band = Flow({"from": _money(u.thresholds[0])})
        if len(u.thresholds) == 2:
            band["to"] = _money(u.thresholds[1])
        band["rate"] = _rate_text(u.rate)
        if u.awards:
            band["cap"] = _money(u.awards[0].value)
        bands.append(band)
    first = units[0][0]
    assert first.rate is not None
    spec = {"base": TODO, "base_label": Flow(zh=first.rate.base_label), "bands": bands}
    return Alternative("", {"bands": spec}, units[0][1])


# ---------------------------------------------------------------- programmes


def _criterion(
    sentence: Sentence, ref: str, ids: set[str], text: str | None = None, *, hint: str = ""
) -> Commented | dict:
    base = f"c{sentence.start_line}"
    cid, n = base, 1
    while cid in ids:
        n += 1
        cid = f"{base}_{n}"
    ids.add(cid)
    quote = Sentence(text or sentence.text, sentence.start_line, sentence.end_line)
    item: dict = {
        "id": cid,
        "test": Commented(TODO, "an expression over declared facts; delete the criterion if the sentence sets none"),
    }
    if P.SOFT.search(quote.text):
        item["soft"] = Commented(True, "原则上")
    item["clause"] = clause(quote, ref)
    return Commented(item, hint) if hint else item


def _field_ref(prog: ProgrammeOutline, f: Field, marker: str = "") -> str:
    return " ".join(x for x in (prog.ref, f"{f.marker.text if f.marker else ''}{f.name}{marker}") if x)


@dataclass
class _Context:
    doc_id: str
    prefix: str
    shared: list[str]  # ids of document-level criteria every programme uses
    department: str | None
    process: dict | None  # a document-level process, for programmes without their own
    caps: list[dict] = field(default_factory=list)


def _programme_id(prog: ProgrammeOutline, prefix: str, used: set[str]) -> str:
    number = prog.marker.number if prog.marker and prog.marker.number else 1
    pid = f"{prefix}{prog.set_ordinal}.{number}" if prog.set_ordinal else f"{prefix}{number}"
    if pid in used and prog.group_ordinal:
        pid = f"{prefix}{prog.group_ordinal}.{number}"
    while pid in used:
        pid += "b"
    used.add(pid)
    return pid


def _programme(prog: ProgrammeOutline, pid: str, ctx: _Context) -> tuple[dict, DraftStats]:
    stats = DraftStats(programmes=1)
    todo: list[Flow] = []
    ids: set[str] = set()
    criteria: list = [
        Commented({"use": name}, "a document-level condition: keep it if it applies here") for name in ctx.shared
    ]
    units: list[tuple[P.SupportSentence, Sentence]] = []
    count_once: Sentence | None = None

    def support_sentence(s: Sentence, ref: str, *, conditions: bool) -> None:
        nonlocal count_once
        unit = P.parse_support(s.text)
        if unit is None:
            if P.COUNT_ONCE.search(s.text):
                count_once = s
            else:
                todo.append(
                    Flow(
                        line=s.start_line,
                        text=s.text,
                        why="支持标准中未解析的句子 / unparsed sentence of the support standard",
                    )
                )
            return
        if unit.count_once:
            count_once = s
        units.append((unit, s))
        if conditions and len(unit.condition) >= 4:
            criteria.append(
                _criterion(
                    s,
                    ref,
                    ids,
                    unit.condition,
                    hint="the condition of an amount sentence (a case's `when` if cases stay)",
                )
            )

    fields = {f.kind for f in prog.fields}
    for f, item, s in prog.field_sentences("criteria"):
        criteria.append(_criterion(s, _field_ref(prog, f, item.marker.text if item.marker else ""), ids))
    for f, _item, s in prog.field_sentences("support"):
        support_sentence(s, _field_ref(prog, f), conditions=True)
    if "support" not in fields:
        for item in prog.body:
            for s in item.sentences:
                unit = P.parse_support(s.text)
                if unit is None:
                    criteria.append(_criterion(s, prog.ref, ids))
                else:
                    support_sentence(s, prog.ref, conditions=True)
    else:
        for item in prog.body:
            todo.extend(
                Flow(line=s.start_line, text=s.text, why="不在任何栏目中 / outside every field")
                for s in item.sentences
            )
    # A sum stated only in the heading (专题三 ……市、区两级给予最高 300 万元) caps the rate of the standard.
    body_values = {a.value for u, _ in units for a in u.sums}
    for s in prog.title_sentences:
        t = P.parse_support(s.text)
        if t is None:
            continue
        extra = [a for a in t.awards if a.value not in body_values]
        if not units and (t.quantified):
            units.append((t, s))
        elif (
            len(units) == 1
            and units[0][0].rate
            and not units[0][0].awards
            and len(extra) == 1
            and extra[0].role == "ceiling"
        ):
            units[0][0].sums.append(extra[0])
            units[0][0].discretionary = True
            units[0] = (units[0][0], Sentence(f"{s.text}……{units[0][1].text}", s.start_line, units[0][1].end_line))
    # A support sentence without a sum beside quantified ones qualifies them (就高不重复) or waits for review.
    if any(u.quantified or u.entity_caps for u, _ in units):
        kept = []
        for unit, s in units:
            if unit.quantified or unit.entity_caps:
                kept.append((unit, s))
                continue
            if unit.highest_only:
                for other, _ in units:
                    other.highest_only = True
            todo.append(
                Flow(
                    line=s.start_line,
                    text=s.text,
                    why="支持标准中无金额的句子：核对其对金额的影响 / no sum: check how it qualifies the amounts",
                )
            )
        units = kept
    stats.criteria = sum(1 for c in criteria if not (isinstance(c, Commented) and "use" in c.value))

    # caps first: a per-entity yearly cap goes to the document's caps list
    amount_units = []
    for unit, s in units:
        for cap in unit.entity_caps:
            ctx.caps.append(
                {
                    "id": f"{pid}-per-entity{'-year' if cap.role == 'entity_year' else ''}",
                    "label": Flow(
                        zh=f"{cap.label}{'每年' if cap.role == 'entity_year' else ''}最高 {P.scalar_decimal(cap.value / 10000)} 万元"
                    ),
                    "amount": _money(cap.value),
                    "programmes": [pid],
                    "clause": clause(s),
                }
            )
        if unit.awards or unit.rate or not unit.entity_caps or len(units) == 1:
            amount_units.append((unit, s))
    banded = _bands(amount_units)
    alternatives = [banded] if banded else [alt for unit, s in amount_units for alt in _alternatives(unit, s)]
    stats.amounts = len(alternatives)
    support: dict = {
        "discretionary": Commented(
            any(u.discretionary for u, _ in units),
            "最高 / 择优 / 不超过 found" if any(u.discretionary for u, _ in units) else "",
        )
    }
    if not alternatives:
        support["clause"] = Flow(text=TODO, line=prog.line)
        support["amount"] = Commented(TODO, "no sentence of this programme states an amount")
    elif len(alternatives) == 1:
        support["clause"] = clause(alternatives[0].sentence)
        support["amount"] = alternatives[0].amount
    else:
        support["clause"] = clause(alternatives[0].sentence)
        support["amount"] = Commented(
            {
                "cases": [
                    {
                        "label": Flow(zh=alt.label or f"第{i + 1}种情形"),
                        "when": TODO,
                        "clause": clause(alt.sentence),
                        "amount": alt.amount,
                    }
                    for i, alt in enumerate(alternatives)
                ]
            },
            "several sums: one case each — or split the programme if they are separate supports",
        )
    if count_once is not None:
        support["count_once_per"] = Commented(TODO, "the fact that identifies the item counted once")
        support["count_once_clause"] = clause(count_once)

    materials, stamped = [], False
    for f, item, s in prog.field_sentences("materials"):
        if P.STAMPED.search(s.text) and item.marker is None:
            stamped = True
    for f, item, s in prog.field_sentences("materials"):
        if item.marker is None:
            if not P.STAMPED.search(s.text):
                todo.append(
                    Flow(
                        line=s.start_line,
                        text=s.text,
                        why="申报材料中未解析的句子 / unparsed sentence of the materials",
                    )
                )
            continue
        m = P.parse_material(s.text)
        entry = Flow(id=f"m{len(materials) + 1}", name=m.name, form=m.form or TODO)
        if stamped and m.form in ("copy", "original_for_check"):
            entry["stamped"] = True
        if not m.required:
            entry["required"] = False
        if m.when:
            entry["when"] = f"{TODO} {m.when}"
        materials.append(Commented(entry, f"line {s.start_line}"))

    process_sentences = [s for _f, _i, s in prog.field_sentences("process")]
    if process_sentences:
        process = _process(process_sentences)
    else:
        process = ctx.process
    mode = P.mode_in(" ".join(s.text for s in process_sentences)) if process_sentences else None
    dept_sentences = [s for _f, _i, s in prog.field_sentences("department")]
    department = dept_sentences[0].text.rstrip("。；;") if dept_sentences else (ctx.department or TODO)

    data: dict = {
        "id": pid,
        "inventory": [pid],
        "section": prog.section,
        "title": prog.title,
        "department": department,
        "mode": Commented(mode or TODO, "网上申报 online / 线下递交 offline / 免申即享 automatic"),
        "subject": Commented(TODO, "enterprise, or the claim subject counted (declared in facts.yaml)"),
        "criteria": criteria,
        "support": support,
        "materials": (
            materials if materials else Commented([], f"{TODO} 原文未列申报材料" if "materials" not in fields else "")
        ),
    }
    if process is not None:
        data["process"] = process
    if todo:
        data["todo"] = todo
    stats.todos = len(todo) + len(criteria) - len(ctx.shared)
    return data, stats


def _process(sentences: list[Sentence]) -> dict:
    text = " ".join(s.text for s in sentences)
    found = set()
    for s in sentences:
        found |= set(P.stages_in(s.text))
    stages = [s for s in PROCESS_STAGES if s in found]
    days = P.notice_days(text)
    notice = next((s for s in sentences if "公示" in s.text or "公布" in s.text), sentences[0])
    out: dict = {
        "stages": Commented(
            stages, "pre-parsed from the process sentences: check the order and the steps"
        )
    }
    out["notice_working_days"] = Commented(
        days, "公示期限" if days is not None else "the text gives no notice period"
    )
    out["clause"] = clause(notice)
    return out


# ---------------------------------------------------------------- header


def _header(source: SourceText) -> dict:
    lines = [re.sub(r"^#+\s*", "", line).replace("**", "").strip() for line in source.lines]
    number_at = next((i for i, line in enumerate(lines) if P.DOC_NUMBER.match(line)), None)
    out: dict = {"number": TODO, "issuer": TODO, "title": TODO, "district": TODO, "issued": TODO, "number_line": None}
    if number_at is None:
        return out
    out["number"] = re.sub(r"\s+", "", lines[number_at])
    out["number_line"] = number_at + 1
    before = [line for line in lines[:number_at] if line and P.ISSUER_END.search(line.split()[-1])]
    if before:
        out["issuer"] = "、".join(before[-1].split())
    text = "".join(
        tidy(line) for line in lines[number_at + 1 : number_at + 12] if line and not re.match(r"^[-—]{3,}$", line)
    )
    m = re.search(r"[^，。：:]*?关于[^》]*?(?:《[^》]*》)?[^，。：:《]*?(?:通知|决定|意见|批复|公告)", text)
    if m:
        out["title"] = m.group(0)
    for line in lines[number_at + 1 :]:
        d = P.DATE.fullmatch(line.strip())
        if d:
            out["issued"] = P.to_date(d) or TODO
            break
    if out["issuer"] != TODO and (dm := P.DISTRICT.search(out["issuer"])):
        out["district"] = dm.group("d")
    return out


def _validity(sentences: list[Sentence], issued: object) -> tuple[dict, dict | None, list[Flow], list[Flow]]:
    """in_force, retroactive, every validity sentence found, and notes on the reading."""
    found = [(s, v) for s in sentences if (v := P.parse_validity(s.text)) is not None]
    notes: list[Flow] = []
    in_force: dict = {"from": Commented(TODO, "no validity sentence found"), "until": TODO}
    retroactive = None
    if not found:
        return in_force, None, [], notes
    main, v = next(
        (
            (s, v)
            for s, v in found
            if v.until or v.start or v.start_days_after_issue or v.starts_on_issue or v.refers_elsewhere
        ),
        found[0],
    )
    issued_day = issued if isinstance(issued, dt.date) else None
    start: object = TODO
    if v.start:
        start = v.start
    elif v.starts_on_issue and issued_day:
        start = issued_day
    elif v.start_days_after_issue is not None and issued_day:
        start = issued_day + dt.timedelta(days=v.start_days_after_issue)
        notes.append(
            Flow(
                id="validity-start",
                zh=f"{TODO} 核对：“自颁布之日起 {v.start_days_after_issue} 日后实施”按民法典第二百零一条，颁布日 {issued_day} 不计入，第 {v.start_days_after_issue} 日为 {start}。",
                en=f"{TODO} check: issue day not counted (Civil Code art. 201); day {v.start_days_after_issue} is {start}.",
            )
        )
    until: object = v.until if v.until else (TODO if v.refers_elsewhere else None)
    in_force = {
        "from": Commented(start, "" if start != TODO else "the sentence does not give a date: look it up"),
        "until": Commented(
            until,
            "施行时间同另一文件：look its validity up" if v.refers_elsewhere else ("" if until else "not stated"),
        ),
        "clause": clause(main),
    }
    for s, rv in found:
        if rv.retroactive_from:
            retro_until = (start - dt.timedelta(days=1)) if isinstance(start, dt.date) else TODO
            retroactive = {"from": rv.retroactive_from, "until": retro_until, "clause": clause(s)}
    listed = [Flow(line=s.start_line, text=s.text) for s, _ in found]
    return in_force, retroactive, listed, notes


# ---------------------------------------------------------------- the document


def draft_document(source: SourceText, *, doc_id: str, prefix: str | None = None, seed: str | None = None) -> Draft:
    """The draft of one document (see the module docstring)."""
    prefix = prefix if prefix is not None else (doc_id[:1].upper() if doc_id[:1].isalpha() else "P")
    o: Outline = outline(source)
    header = _header(source)
    doc_sections = [s for s in o.sections if s.kind != "header"]
    all_doc_sentences = [s for sec in o.sections for s in sec.sentences]
    in_force, retroactive, validity_found, validity_notes = _validity(all_doc_sentences, header["issued"])
    validity_lines = {v["line"] for v in validity_found}

    shared: dict[str, dict] = {}
    doc_todo: list[Flow] = []
    department = None
    process_sentences: list[Sentence] = []
    for sec in doc_sections:
        for s in sec.sentences:
            if s.start_line in validity_lines:
                continue
            if sec.kind == "set" and not sec.title == s.text:
                doc_todo.append(
                    Flow(
                        line=s.start_line,
                        text=s.text,
                        why=f"{sec.title} 的总述：与各专题核对 / the set's summary: check each topic against it",
                    )
                )
                continue
            if m := P.DEPARTMENT.search(s.text):
                department = department or m.group("d")
            if P.DOC_CONDITION.search(s.text):
                name = f"doc_l{s.start_line}" + ("" if f"doc_l{s.start_line}" not in shared else f"_{len(shared)}")
                item: dict = {"test": Commented(TODO, "an expression, or several criteria: one per condition")}
                if P.SOFT.search(s.text):
                    item["soft"] = Commented(True, "原则上")
                item["clause"] = clause(s, sec.title)
                shared[name] = item
            elif P.stages_in(s.text) and sec.kind in ("part", "set") and ("受理" in s.text or "申报" in s.text):
                process_sentences.append(s)
            else:
                doc_todo.append(
                    Flow(line=s.start_line, text=s.text, why=f"{sec.title or '正文'}：未解析 / not parsed")
                )
    ctx = _Context(
        doc_id, prefix, list(shared), department, _process(process_sentences) if process_sentences else None
    )

    used: set[str] = set()
    programmes, sections, stats = [], [], DraftStats()
    for prog in o.programmes:
        pid = _programme_id(prog, prefix, used)
        data, pstats = _programme(prog, pid, ctx)
        programmes.append(data)
        sections.append(
            Flow(id=pid, title=prog.title if not prog.implicit else prog.set_title, line=prog.line, to=prog.end_line)
        )
        stats.programmes += 1
        stats.criteria += pstats.criteria
        stats.amounts += pstats.amounts
        stats.todos += pstats.todos
    n_parts = 0
    for sec in doc_sections:
        if (
            sec.kind in ("set", "part")
            and not any(p.line >= sec.line and p.line <= sec.end_line for p in o.programmes)
            and sec.items
        ):
            if sec.kind == "set" and any(p.set_ordinal == sec.set_ordinal for p in o.programmes):
                continue
            n_parts += 1
            sid = f"{prefix}{sec.set_ordinal}" if sec.kind == "set" else f"{prefix}0.{n_parts}"
            sections.append(Flow(id=sid, title=sec.title, line=sec.line, to=sec.end_line))
    sections.sort(key=lambda s: s["line"])

    document: dict = {
        "id": doc_id,
        "number": Commented(
            header["number"], f"line {header['number_line']}" if header["number_line"] else "文号 not found"
        ),
        "issuer": header["issuer"],
        "title": header["title"],
        "district": header["district"],
        "issued": header["issued"],
        "seed": seed or source.name,
        "window_basis": Commented(
            TODO,
            (
                "event_date (the text dates support by the supported event; it has a retroactive window)"
                if retroactive
                else "application_date or event_date: what the validity window is checked against"
            ),
        ),
        "in_force": in_force,
    }
    if retroactive:
        document["retroactive"] = retroactive
    first_condition = next(iter(shared.values()), None)
    document["scope"] = [
        Commented(
            {
                "id": "scope",
                "test": TODO,
                "clause": first_condition["clause"] if first_condition else Flow(text=TODO),
            },
            "who the whole document is for (e.g. registered in the district); failing it means out of scope",
        )
    ]
    document["notes"] = validity_notes
    document["validity_found"] = Commented(validity_found, "every validity sentence of the text")
    stats.todos += len(doc_todo) + len(shared)

    data: dict = {"document": document, "sections": sections}
    if shared:
        data["criteria"] = shared
    data["programmes"] = programmes
    if ctx.caps:
        data["caps"] = ctx.caps
    if doc_todo:
        data["todo"] = Commented(doc_todo, "sentences outside every programme that were not placed")
    body = dump(data)
    stats.todos = body.count(TODO)  # every marker a person must resolve (grep -n TODO)
    text = _banner(source, doc_id, stats) + body
    return Draft(data, text, stats)


def _banner(source: SourceText, doc_id: str, stats: DraftStats) -> str:
    digest = hashlib.sha256("\n".join(source.lines).encode("utf-8")).hexdigest()[:16]
    return (
        f"# DRAFT of {doc_id} — written by `huiqi policies draft` from {source.name} (sha256 {digest}…).\n"
        "# For review, not for use: every TODO is for a person to resolve. Line numbers are the source's.\n"
        "# `huiqi policies check` names each TODO left in a rule field; `grep -n TODO` lists them all.\n"
        f"# {stats.programmes} programmes, {stats.criteria} condition sentences, {stats.amounts} amounts pre-parsed, "
        f"{stats.todos} TODO markers to resolve. Format: docs/policy-format.md.\n\n"
    )


def read_source(path: Path) -> SourceText:
    """A .txt (UTF-8) or .docx document as text lines."""
    if path.suffix.lower() == ".docx":
        from huiqi.workbench.docx_text import docx_lines

        return SourceText.from_text("\n".join(docx_lines(path)), name=path.with_suffix(".txt").name)
    return SourceText.from_text(path.read_text(encoding="utf-8"), name=path.name)
