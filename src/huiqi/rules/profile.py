"""Enterprise profiles: an enterprise, the call's dates, and its claim subjects.

A profile (YAML or JSON) looks like::

    enterprise:
      uscc: 91310116MA1J8XXXXX
      name: 上海某某生物医药有限公司
      registered_district: 金山区        # any fact declared under `enterprise` in facts.yaml
    call:                               # optional: the yearly call's qualifying period (限定期间)
      period_start: 2025-01-01
      period_end: 2025-12-31
    claims:                             # claim subjects: a lease, a drug variety, a trial…
      - id: trial-1
        kind: trial
        drug_class: "1"
        phase: "II"
    awards:                             # optional: support already granted (the workflow's ledger)
      - programme: J1.1
        document: jinshan-2025-25
        year: 2025                      # the support year the award was for
        amount: 300000                  # yuan
        key: {lease.premises_id: A-101} # the count-once key values of that claim
        project: P-2025-001             # optional: the project's identity
        decided_on: 2025-11-20

``awards`` absent means *not known* (see ``Profile.awards_known``); ``awards: []`` means
known to be none.

Every value is checked against the fact vocabulary; a fact left out is *unknown*.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from huiqi.rules.errors import Problem, ProfileError
from huiqi.rules.facts import CALL, ENTERPRISE, FactValueError, Vocabulary

RESERVED_ENTERPRISE_KEYS = ("uscc", "name")
RESERVED_CLAIM_KEYS = ("id", "kind", "label")


@dataclass
class Claim:
    id: str
    kind: str
    facts: dict[str, Any]
    label: str | None = None


@dataclass(frozen=True)
class Award:
    """Support already granted, as the workflow's ledger (or the enterprise) knows it."""

    programme: str
    document: str
    year: int  # the support year the award was for
    amount: Decimal  # yuan
    key: dict[str, Any] = field(default_factory=dict)  # count-once key: fact name → value
    project: str | None = None
    decided_on: dt.date | None = None

    def to_dict(self) -> dict:
        def plain(v: Any) -> Any:
            return v if isinstance(v, (bool, str)) or v is None else v.isoformat() if hasattr(v, "isoformat") else str(v)

        out = {
            "programme": self.programme,
            "document": self.document,
            "year": self.year,
            "amount": str(self.amount),
            "key": {k: plain(v) for k, v in self.key.items()},
        }
        if self.project:
            out["project"] = self.project
        if self.decided_on:
            out["decided_on"] = self.decided_on.isoformat()
        return out


@dataclass
class Profile:
    uscc: str | None
    name: str | None
    enterprise: dict[str, Any]
    call: dict[str, Any] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    # Support already granted; None = not known (the profile has no `awards`), [] = known to be none.
    awards: list[Award] | None = None

    @property
    def awards_known(self) -> bool:
        return self.awards is not None

    def to_dict(self) -> dict:
        """The profile as plain JSON-able data (dates as ISO text, numbers as decimal text)."""

        def plain(facts: dict[str, Any]) -> dict[str, Any]:
            return {k: (v if isinstance(v, (bool, str)) or v is None else str(v) if not hasattr(v, "isoformat") else v.isoformat()) for k, v in facts.items()}

        ent = {"uscc": self.uscc, "name": self.name, **plain(self.enterprise)}
        out = {
            "enterprise": {k: v for k, v in ent.items() if v is not None},
            "call": plain(self.call),
            "claims": [{"id": c.id, "kind": c.kind, **({"label": c.label} if c.label else {}), **plain(c.facts)} for c in self.claims],
        }
        if self.awards is not None:
            out["awards"] = [a.to_dict() for a in self.awards]
        return out


def _facts(vocab: Vocabulary, subject: str, raw: dict, reserved: tuple[str, ...], where: str, problems: list[Problem]) -> dict[str, Any]:
    declared = vocab.facts_of(subject)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in reserved:
            continue
        path = f"{where}.{key}"
        fact = declared.get(str(key))
        if fact is None:
            problems.append(Problem(path, f"未知的事实 {key}（{subject} 没有这一项）", f"unknown fact {key!r} for {subject!r}"))
            continue
        try:
            out[str(key)] = fact.coerce(value, field=path)
        except FactValueError as exc:
            problems.append(exc.problem)
        except ValueError as exc:  # money parsing and friends
            problems.append(Problem(path, getattr(exc, "message_zh", str(exc)), getattr(exc, "message_en", str(exc))))
    return out


def parse_profile(data: Any, vocab: Vocabulary) -> Profile:
    """Check and type a profile's data against the vocabulary; raise ProfileError with every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ProfileError([Problem("profile", "企业画像应为映射（含 enterprise 与 claims）", "a profile must be a mapping with 'enterprise' and 'claims'")])
    unknown_top = set(data) - {"enterprise", "call", "claims", "awards"}
    for key in sorted(map(str, unknown_top)):
        problems.append(Problem(key, f"未知的顶层字段 {key}", f"unknown top-level field {key!r}"))
    ent_raw = data.get("enterprise")
    if not isinstance(ent_raw, dict):
        problems.append(Problem("enterprise", "缺少企业信息（enterprise）", "the 'enterprise' mapping is missing"))
        ent_raw = {}
    uscc = ent_raw.get("uscc")
    if uscc is not None:
        from huiqi.uscc import USCCError, validate_uscc

        try:
            uscc = validate_uscc(str(uscc), field="enterprise.uscc")
        except USCCError as exc:
            problems.append(Problem("enterprise.uscc", exc.message_zh, exc.message_en))
    enterprise = _facts(vocab, ENTERPRISE, ent_raw, RESERVED_ENTERPRISE_KEYS, "enterprise", problems)
    _org_type_from_uscc(vocab, uscc, enterprise, problems)
    call_raw = data.get("call") or {}
    if not isinstance(call_raw, dict):
        problems.append(Problem("call", "call 应为映射", "'call' must be a mapping"))
        call_raw = {}
    call = _facts(vocab, CALL, call_raw, (), "call", problems)
    claims: list[Claim] = []
    kinds = set(vocab.claim_kinds())
    seen: set[str] = set()
    for i, raw in enumerate(data.get("claims") or []):
        where = f"claims[{i}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, "应为映射", "must be a mapping"))
            continue
        kind = raw.get("kind")
        if kind not in kinds:
            problems.append(Problem(f"{where}.kind", f"未知的申报主体类型 {kind!r}；可选：{'、'.join(sorted(kinds))}", f"unknown claim kind {kind!r}; known: {', '.join(sorted(kinds))}"))
            continue
        cid = str(raw.get("id") or f"{kind}-{i + 1}")
        if cid in seen:
            problems.append(Problem(f"{where}.id", f"申报主体 id 重复：{cid}", f"duplicate claim id {cid!r}"))
        seen.add(cid)
        claims.append(Claim(cid, kind, _facts(vocab, kind, raw, RESERVED_CLAIM_KEYS, where, problems), raw.get("label")))
    awards = _awards(vocab, data["awards"], problems) if "awards" in data and data["awards"] is not None else None
    if problems:
        raise ProfileError(problems)
    return Profile(uscc=uscc, name=ent_raw.get("name"), enterprise=enterprise, call=call, claims=claims, awards=awards)


def _org_type_from_uscc(vocab: Vocabulary, uscc: Any, enterprise: dict[str, Any], problems: list[Problem]) -> None:
    """Read ``org_type`` from the USCC's category code when the profile does not give it; refuse a
    profile whose ``org_type`` contradicts its code."""
    fact = vocab.facts_of(ENTERPRISE).get("org_type")
    if fact is None or not isinstance(uscc, str):
        return
    from huiqi.uscc import org_type_from_uscc

    derived = org_type_from_uscc(uscc)
    if derived is None or (fact.values and derived not in fact.values):
        return
    given = enterprise.get("org_type")
    if given is None:
        enterprise["org_type"] = derived
    elif given != derived:
        problems.append(
            Problem(
                "enterprise.org_type",
                f"单位类型“{given}”与统一社会信用代码 {uscc} 的机构类别（{uscc[:2]}：{derived}）不符",
                f"org_type {given!r} contradicts the USCC {uscc}, whose category code {uscc[:2]} means {derived!r}",
            )
        )


AWARD_KEYS = ("programme", "document", "year", "amount", "key", "project", "decided_on")


def _awards(vocab: Vocabulary, raw: Any, problems: list[Problem]) -> list[Award]:
    """Check the ``awards`` list: each entry names its programme, document, support year, amount (yuan)."""
    from huiqi.rules.facts import FactDef

    if not isinstance(raw, list):
        problems.append(Problem("awards", "awards 应为列表（已获支持记录）", "'awards' must be a list (support already granted)"))
        return []
    money = FactDef("awards.amount", "awards", "money", "金额", "amount")
    day = FactDef("awards.decided_on", "awards", "date", "决定日期", "decision date")
    out: list[Award] = []
    for i, item in enumerate(raw):
        where = f"awards[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, "应为映射", "must be a mapping"))
            continue
        before = len(problems)
        for key in sorted(map(str, set(item) - set(AWARD_KEYS))):
            problems.append(Problem(f"{where}.{key}", f"未知字段 {key}；可用：{'、'.join(AWARD_KEYS)}", f"unknown field {key!r}; known: {', '.join(AWARD_KEYS)}"))
        texts: dict[str, str] = {}
        for key in ("programme", "document"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(f"{where}.{key}", "缺少此项（应为非空文本）", "is missing (non-empty text expected)"))
            else:
                texts[key] = value.strip()
        year = item.get("year")
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
            problems.append(Problem(f"{where}.year", "应为支持年度（四位整数，如 2025）", "must be the support year (a four-digit integer, e.g. 2025)"))
            year = 0
        amount = None
        if item.get("amount") is None:
            problems.append(Problem(f"{where}.amount", "缺少此项（已获支持金额，元）", "is missing (the amount granted, yuan)"))
        else:
            try:
                amount = money.coerce(item["amount"], field=f"{where}.amount")
            except FactValueError as exc:
                problems.append(exc.problem)
            except ValueError as exc:
                problems.append(Problem(f"{where}.amount", getattr(exc, "message_zh", str(exc)), getattr(exc, "message_en", str(exc))))
        decided = None
        if item.get("decided_on") is not None:
            try:
                decided = day.coerce(item["decided_on"], field=f"{where}.decided_on")
            except FactValueError as exc:
                problems.append(exc.problem)
        project = item.get("project")
        if project is not None and (not isinstance(project, (str, int)) or isinstance(project, bool) or not str(project).strip()):
            problems.append(Problem(f"{where}.project", "项目标识应为非空文本", "the project identity must be non-empty text"))
            project = None
        key_raw = item.get("key") or {}
        key: dict[str, Any] = {}
        if not isinstance(key_raw, dict):
            problems.append(Problem(f"{where}.key", "key 应为映射（事实名: 值）", "'key' must be a mapping (fact name: value)"))
        else:
            for name, value in key_raw.items():
                name = str(name)
                if name == "enterprise":
                    key[name] = str(value)
                    continue
                fact = vocab.fact(name) if "." in name else None
                if fact is None:
                    problems.append(Problem(f"{where}.key.{name}", f"未知的事实 {name}（见 facts.yaml）", f"unknown fact {name!r} (see facts.yaml)"))
                    continue
                try:
                    key[name] = fact.coerce(value, field=f"{where}.key.{name}")
                except FactValueError as exc:
                    problems.append(exc.problem)
                except ValueError as exc:
                    problems.append(Problem(f"{where}.key.{name}", getattr(exc, "message_zh", str(exc)), getattr(exc, "message_en", str(exc))))
        if len(problems) == before:
            out.append(Award(texts["programme"], texts["document"], int(year), amount, key, str(project).strip() if project is not None else None, decided))  # type: ignore[arg-type]
    return out


def read_profile_file(path: str | Path, vocab: Vocabulary) -> Profile:
    """Read a YAML or JSON profile file."""
    data = load_profile_data(path)
    try:
        return parse_profile(data, vocab)
    except ProfileError as exc:
        for p in exc.problems:
            p.file = p.file or str(path)
        raise


def load_profile_data(path: str | Path) -> Any:
    """The parsed content of a YAML or JSON profile file, before it is checked as a profile; a file
    that is missing, not UTF-8, empty, malformed or nested too deep is a ProfileError naming it."""
    from huiqi.rules.errors import PolicyError
    from huiqi.rules.yamlio import decode_utf8, load_yaml_text

    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProfileError([Problem("profile", f"文件不存在：{path}", f"no such file: {path}", str(path))]) from None
    except OSError as exc:
        problem = Problem("profile", f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}", str(path))
        raise ProfileError([problem]) from None
    try:
        text = decode_utf8(raw, file=str(path), field="profile")
    except PolicyError as exc:
        raise ProfileError(exc.problems) from None
    if not text.strip():
        empty = ("文件为空（应为含 enterprise 与 claims 的企业画像）", "the file is empty (a profile with 'enterprise' and 'claims' is expected)")
        raise ProfileError([Problem("profile", *empty, str(path))])
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileError([Problem("profile", f"JSON 格式错误：{exc.msg}", f"malformed JSON: {exc.msg}", str(path), exc.lineno)]) from None
        except RecursionError:
            raise ProfileError([Problem("profile", "JSON 嵌套过深", "the JSON is nested too deeply", str(path))]) from None
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            problem = Problem("profile", f"JSON 中有无法读取的值：{exc}", f"a value in the JSON cannot be read: {exc}", str(path))
            raise ProfileError([problem]) from None
    else:
        try:
            data = load_yaml_text(text, file=str(path))
        except PolicyError as exc:
            raise ProfileError(exc.problems) from None
    return data


def profile_json_schema(vocab: Vocabulary) -> dict:
    """The JSON Schema of a profile, generated from the vocabulary."""

    def props(subject: str) -> dict:
        return {name: f.json_schema() for name, f in vocab.facts_of(subject).items()}

    claim_variants = []
    for kind in vocab.claim_kinds():
        sub = vocab.subjects[kind]
        claim_variants.append(
            {
                "type": "object",
                "title": f"{sub.zh} / {sub.en}",
                "properties": {"id": {"type": "string"}, "kind": {"const": kind}, "label": {"type": "string"}, **props(kind)},
                "required": ["kind"],
                "additionalProperties": False,
            }
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "huiqi enterprise profile / 企业画像",
        "type": "object",
        "properties": {
            "enterprise": {
                "type": "object",
                "properties": {
                    "uscc": {"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}\\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", "description": "统一社会信用代码 (GB 32100-2015)"},
                    "name": {"type": "string"},
                    **props(ENTERPRISE),
                },
                "additionalProperties": False,
            },
            "call": {"type": "object", "properties": props(CALL), "additionalProperties": False},
            "claims": {"type": "array", "items": {"oneOf": claim_variants}},
            "awards": {
                "type": "array",
                "description": "已获支持记录（工作流台账）；不填表示未知 / support already granted (the workflow's ledger); absent = not known",
                "items": {
                    "type": "object",
                    "properties": {
                        "programme": {"type": "string", "minLength": 1, "description": "项目编号 / programme id"},
                        "document": {"type": "string", "minLength": 1, "description": "文件编号 / document id"},
                        "year": {"type": "integer", "minimum": 1900, "maximum": 9999, "description": "支持年度 / support year"},
                        "amount": {"type": ["string", "number"], "description": "金额（元） / amount, yuan"},
                        "key": {"type": "object", "description": "计一次的键：事实名 → 值 / count-once key: fact name → value"},
                        "project": {"type": "string", "description": "项目标识 / project identity"},
                        "decided_on": {"type": "string", "format": "date"},
                    },
                    "required": ["programme", "document", "year", "amount"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["enterprise"],
        "additionalProperties": False,
    }
