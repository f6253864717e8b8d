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

Every value is checked against the fact vocabulary; a fact left out is *unknown*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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


@dataclass
class Profile:
    uscc: str | None
    name: str | None
    enterprise: dict[str, Any]
    call: dict[str, Any] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The profile as plain JSON-able data (dates as ISO text, numbers as decimal text)."""

        def plain(facts: dict[str, Any]) -> dict[str, Any]:
            return {k: (v if isinstance(v, (bool, str)) or v is None else str(v) if not hasattr(v, "isoformat") else v.isoformat()) for k, v in facts.items()}

        ent = {"uscc": self.uscc, "name": self.name, **plain(self.enterprise)}
        return {
            "enterprise": {k: v for k, v in ent.items() if v is not None},
            "call": plain(self.call),
            "claims": [{"id": c.id, "kind": c.kind, **({"label": c.label} if c.label else {}), **plain(c.facts)} for c in self.claims],
        }


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
    unknown_top = set(data) - {"enterprise", "call", "claims"}
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
    if problems:
        raise ProfileError(problems)
    return Profile(uscc=uscc, name=ent_raw.get("name"), enterprise=enterprise, call=call, claims=claims)


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
        },
        "required": ["enterprise"],
        "additionalProperties": False,
    }
