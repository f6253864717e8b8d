"""The fact vocabulary: every fact a rule may read, with its type, unit and labels.

Facts live in ``policies/facts.yaml``. A fact belongs to a *subject*: the enterprise,
the call for applications (``call``: its dates), or a claim subject such as a lease,
a drug variety, a trial or a technology-contract portfolio. Its full name is
``subject.name`` (``lease.annual_rent``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from huiqi.rules.errors import PolicyError, Problem
from huiqi.rules.yamlio import LineDict, load_yaml_file

FACT_TYPES = ("bool", "int", "number", "money", "ratio", "date", "text", "enum")

# Subjects every vocabulary has, whatever the file says.
ENTERPRISE = "enterprise"
CALL = "call"


@dataclass(frozen=True)
class FactDef:
    """One declared fact."""

    name: str  # full name, e.g. "lease.annual_rent"
    subject: str
    type: str
    zh: str
    en: str
    unit: str | None = None
    values: tuple[str, ...] = ()
    help_zh: str | None = None
    help_en: str | None = None
    line: int = 0

    def coerce(self, raw: Any, *, field: str) -> Any:
        """Turn a profile value into the fact's type, or raise a Problem-bearing ValueError."""
        if raw is None:
            return None
        t = self.type
        try:
            if t == "bool":
                if isinstance(raw, bool):
                    return raw
                if isinstance(raw, str) and raw.strip().lower() in ("true", "yes", "是", "1"):
                    return True
                if isinstance(raw, str) and raw.strip().lower() in ("false", "no", "否", "0"):
                    return False
                raise _bad(field, "应为 是/否（true/false）", "must be true or false", raw)
            if t in ("int", "number", "money", "ratio"):
                if isinstance(raw, bool):
                    raise _bad(field, "应为数值", "must be a number", raw)
                if isinstance(raw, float):
                    raw = str(raw)
                text = str(raw).replace(",", "").replace("_", "").strip()
                if t == "money" and isinstance(raw, str):
                    from huiqi.money import parse_money  # 120万 and friends

                    value = parse_money(raw, field=field)
                else:
                    value = Decimal(text)
                if not value.is_finite():
                    raise _bad(field, "应为有限数值", "must be a finite number", raw)
                if t == "int" and value != value.to_integral_value():
                    raise _bad(field, "应为整数", "must be a whole number", raw)
                if t in ("money", "int") and value < 0:
                    raise _bad(field, "不能为负数", "must not be negative", raw)
                return value
            if t == "date":
                if isinstance(raw, dt.datetime):
                    return raw.date()
                if isinstance(raw, dt.date):
                    return raw
                try:
                    return dt.date.fromisoformat(str(raw).strip())
                except ValueError:
                    raise _bad(field, "不是有效日期（应为 YYYY-MM-DD）", "is not a real date (YYYY-MM-DD)", raw) from None
            if t == "enum":
                text = str(raw)
                if text not in self.values:
                    raise _bad(field, f"应为以下之一：{'、'.join(self.values)}", f"must be one of: {', '.join(self.values)}", raw)
                return text
            return str(raw)
        except InvalidOperation:
            raise _bad(field, "应为数值", "must be a number", raw) from None

    def json_schema(self) -> dict:
        desc = f"{self.zh} / {self.en}" + (f" ({self.unit})" if self.unit else "")
        if self.type == "bool":
            return {"type": "boolean", "description": desc}
        if self.type == "int":
            return {"type": "integer", "minimum": 0, "description": desc}
        if self.type in ("number", "ratio"):
            return {"type": ["number", "string"], "description": desc}
        if self.type == "money":
            return {"type": ["number", "string"], "description": desc + " — yuan; Decimal text preferred"}
        if self.type == "date":
            return {"type": "string", "format": "date", "description": desc}
        if self.type == "enum":
            return {"type": "string", "enum": list(self.values), "description": desc}
        return {"type": "string", "description": desc}


class FactValueError(ValueError):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.render())


def _bad(field: str, zh: str, en: str, raw: Any) -> FactValueError:
    return FactValueError(Problem(field, f"{zh}（收到 {raw!r}）", f"{en} (got {raw!r})"))


@dataclass(frozen=True)
class SubjectDef:
    """A kind of thing facts are about: the enterprise, the call, or a claim subject."""

    name: str
    zh: str
    en: str
    id_fact: str | None = None  # e.g. a drug's "variety"
    line: int = 0


@dataclass
class Vocabulary:
    """All declared subjects and facts."""

    subjects: dict[str, SubjectDef] = field(default_factory=dict)
    facts: dict[str, FactDef] = field(default_factory=dict)
    file: str = ""
    # subject → (len(facts), its facts): facts_of is asked on every profile parsed
    _by_subject: dict = field(default_factory=dict, repr=False, compare=False)

    def fact(self, name: str) -> FactDef | None:
        return self.facts.get(name)

    def facts_of(self, subject: str) -> dict[str, FactDef]:
        hit = self._by_subject.get(subject)
        if hit is None or hit[0] != len(self.facts):  # facts are only added while loading
            prefix = subject + "."
            hit = self._by_subject[subject] = (
                len(self.facts),
                {n[len(prefix):]: f for n, f in self.facts.items() if n.startswith(prefix)},
            )
        return dict(hit[1])

    def claim_kinds(self) -> list[str]:
        return [s for s in self.subjects if s not in (ENTERPRISE, CALL)]


def load_vocabulary(path: str | Path) -> Vocabulary:
    """Load ``facts.yaml`` and any ``facts.d/*.yaml`` beside it; problems come with file:line."""
    path = Path(path)
    vocab = Vocabulary(file=str(path))
    problems: list[Problem] = []
    files = [path] + sorted((path.parent / "facts.d").glob("*.yaml"))
    for file_path in files:
        _load_into(vocab, file_path, problems, core=file_path == path)
    for sub in vocab.subjects.values():
        if sub.id_fact and f"{sub.name}.{sub.id_fact}" not in vocab.facts:
            problems.append(Problem(f"subjects.{sub.name}.id_fact", f"未声明的事实 {sub.id_fact}", f"undeclared fact {sub.id_fact!r}", vocab.file, sub.line))
    if problems:
        raise PolicyError(problems)
    return vocab


def _load_into(vocab: Vocabulary, path: Path, problems: list[Problem], *, core: bool) -> None:
    data = load_yaml_file(path)
    file = str(path)
    if not isinstance(data, LineDict) or ("facts" not in data and "subjects" not in data):
        problems.append(Problem(path.name, "应含 subjects 或 facts", "must have 'subjects' or 'facts'", file, 1))
        return
    data.setdefault("subjects", LineDict())
    data.setdefault("facts", LineDict())
    for name, spec in (data["subjects"] or {}).items():
        if name in vocab.subjects:
            problems.append(Problem(f"subjects.{name}", f"主体 {name} 重复声明", f"subject {name!r} declared twice", file, data["subjects"].line_of(name)))
            continue
        if not isinstance(spec, LineDict):
            problems.append(Problem(f"subjects.{name}", "应为映射", "must be a mapping", file, data["subjects"].line_of(name)))
            continue
        vocab.subjects[name] = SubjectDef(
            name=name, zh=str(spec.get("zh", name)), en=str(spec.get("en", name)), id_fact=spec.get("id_fact"), line=spec.line
        )
    if core:
        for subject in (ENTERPRISE, CALL):
            if subject not in vocab.subjects:
                problems.append(Problem(f"subjects.{subject}", "必须声明", "must be declared", file, 1))
    facts = data["facts"] or LineDict()
    for subject, block in facts.items():
        if subject not in vocab.subjects:
            problems.append(Problem(f"facts.{subject}", f"未声明的主体 {subject}", f"undeclared subject {subject!r}", file, facts.line_of(subject)))
            continue
        if not isinstance(block, LineDict):
            problems.append(Problem(f"facts.{subject}", "应为映射", "must be a mapping", file, facts.line_of(subject)))
            continue
        for fname, spec in block.items():
            line = block.line_of(fname)
            full = f"{subject}.{fname}"
            if full in vocab.facts:
                problems.append(Problem(full, f"事实 {full} 重复声明（另见 {vocab.facts[full].line} 行）", f"fact {full!r} declared twice", file, line))
                continue
            if not isinstance(spec, LineDict):
                problems.append(Problem(full, "应为映射", "must be a mapping", file, line))
                continue
            ftype = spec.get("type")
            if ftype not in FACT_TYPES:
                problems.append(Problem(full, f"类型应为 {'/'.join(FACT_TYPES)}", f"type must be one of {', '.join(FACT_TYPES)}", file, line))
                continue
            values = tuple(str(v) for v in spec.get("values", ()) or ())
            if ftype == "enum" and not values:
                problems.append(Problem(full, "枚举类型须列出 values", "an enum needs 'values'", file, line))
            for key in ("zh", "en"):
                if not spec.get(key):
                    problems.append(Problem(full, f"缺少 {key} 标签", f"missing the {key} label", file, line))
            vocab.facts[full] = FactDef(
                name=full,
                subject=subject,
                type=ftype,
                zh=str(spec.get("zh", "")),
                en=str(spec.get("en", "")),
                unit=spec.get("unit"),
                values=values,
                help_zh=spec.get("help_zh"),
                help_en=spec.get("help_en"),
                line=line,
            )
