"""Policy tests as data (OpenFisca style): situations with expected outputs, beside the policy files.

A file under ``policies/tests/<document-id>/`` looks like::

    defaults:                 # merged into every case (claims are replaced, not merged)
      on: 2025-09-01
      profile: {enterprise: {...}, call: {...}}
    cases:
      - name: 1 类新药 II 期，研发投入 3500 万 → 10% 为 350 万，封顶 200 万
        clause: 金科〔2025〕25号 专题四 3.支持标准（1） (line 437)
        profile: {claims: [...]}
        expect:
          - {programme: J2.4, claim: t1, status: eligible, ceiling: "2000000.00"}

An ``expect`` entry may also give ``this_year`` (multi-year support: this support year's amount),
``reason`` (a text the result's reason contains), ``failed_label`` (a text a failed criterion's label
contains), ``notes`` (note ids the result carries), ``discretionary``, ``failed`` / ``soft_failed`` (criterion ids
that must be among them), ``missing`` (facts that must be asked for) and ``capped_by`` (cap ids).
A case may give ``total_ceiling``, or ``error`` (a field the profile must be refused for).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from huiqi.rules.errors import ProfileError
from huiqi.rules.model import PolicySet
from huiqi.rules.yamlio import load_yaml_file


@dataclass
class PolicyCase:
    name: str
    clause: str
    on: dt.date
    profile: dict
    expect: list[dict]
    total_ceiling: str | None
    error: str | None
    file: str
    line: int


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v) if k in base and k != "claims" else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_cases(path: str | Path) -> list[PolicyCase]:
    """Read one policy-test file into cases."""
    data = load_yaml_file(path)
    defaults = _plain(data.get("defaults") or {})
    out = []
    for raw in data.get("cases") or []:
        line = getattr(raw, "line", 0)
        case = _plain(raw)
        profile = _merge(defaults.get("profile") or {}, case.get("profile") or {})
        on = case.get("on", defaults.get("on"))
        if isinstance(on, str):
            on = dt.date.fromisoformat(on)
        out.append(
            PolicyCase(
                name=str(case.get("name", f"case at line {line}")),
                clause=str(case.get("clause", "")),
                on=on or dt.date.today(),
                profile=profile,
                expect=list(case.get("expect") or []),
                total_ceiling=None if case.get("total_ceiling") is None else str(case["total_ceiling"]),
                error=case.get("error"),
                file=str(path),
                line=line,
            )
        )
    return out


def iter_test_files(policy_dir: str | Path) -> list[Path]:
    return sorted((Path(policy_dir) / "tests").rglob("*.yaml"))


def run_case(case: PolicyCase, policies: PolicySet) -> list[str]:
    """Run one case; return the list of mismatches (empty when it passes)."""
    from huiqi.rules.engine import evaluate
    from huiqi.rules.profile import parse_profile

    errors: list[str] = []
    try:
        profile = parse_profile(case.profile, policies.vocabulary)
        report = evaluate(policies, profile, on=case.on)  # an event after the application date is refused here
    except ProfileError as exc:
        if case.error and any(p.field == case.error or p.field.startswith(case.error) for p in exc.problems):
            return []
        return [f"profile refused: {exc}"]
    if case.error:
        return [f"expected the profile to be refused for {case.error!r}, but it was accepted"]
    for exp in case.expect:
        pid = str(exp["programme"])
        claim = exp.get("claim")
        found = [r for r in report.results if r.programme.id == pid and (r.claim.id if r.claim else None) == claim]
        if not found:
            have = sorted({(r.programme.id, r.claim.id if r.claim else None) for r in report.results if r.programme.id == pid})
            errors.append(f"{pid}/{claim}: no such result (have {have})")
            continue
        r = found[0]
        where = f"{pid}/{claim}"
        if "status" in exp and r.status != exp["status"]:
            why = "; ".join(f"{f.id}: {f.label_zh}" for f in r.failed) or r.reason_en or ", ".join(sorted(r.missing))
            errors.append(f"{where}: status {r.status!r}, expected {exp['status']!r} ({why})")
        if "ceiling" in exp:
            want = None if exp["ceiling"] is None else Decimal(str(exp["ceiling"]))
            if r.ceiling != want:
                errors.append(f"{where}: ceiling {r.ceiling}, expected {want} (steps: {[s.formula for s in r.steps]})")
        if "this_year" in exp:
            want = None if exp["this_year"] is None else Decimal(str(exp["this_year"]))
            if r.this_year != want:
                errors.append(f"{where}: this_year {r.this_year}, expected {want}")
        if "reason" in exp and str(exp["reason"]) not in (r.reason_zh or "") + " / " + (r.reason_en or ""):
            errors.append(f"{where}: reason {r.reason_zh!r} / {r.reason_en!r} does not contain {exp['reason']!r}")
        if "failed_label" in exp and not any(str(exp["failed_label"]) in f.label_zh + " / " + f.label_en for f in r.failed):
            errors.append(f"{where}: no failed criterion's label contains {exp['failed_label']!r} (have {[f.label_zh for f in r.failed]})")
        if "notes" in exp:
            have = {n.id for n in r.notes()}
            if not set(exp["notes"] or []) <= have:
                errors.append(f"{where}: notes lack {sorted(set(exp['notes']) - have)}")
        if "discretionary" in exp and r.discretionary != bool(exp["discretionary"]):
            errors.append(f"{where}: discretionary {r.discretionary}, expected {exp['discretionary']}")
        for key, got in (("failed", {f.id for f in r.failed}), ("soft_failed", {f.id for f in r.soft_failed}), ("missing", set(r.missing)), ("capped_by", {c.cap for c in r.caps})):
            if key in exp:
                want_set = set(exp[key] or [])
                if not want_set and got:
                    errors.append(f"{where}: {key} should be empty, got {sorted(got)}")
                elif not want_set <= got:
                    errors.append(f"{where}: {key} {sorted(got)} lacks {sorted(want_set - got)}")
    if case.total_ceiling is not None and report.total_ceiling != Decimal(case.total_ceiling):
        errors.append(f"total_ceiling {report.total_ceiling}, expected {case.total_ceiling}")
    return errors


def count_tests_by_programme(policy_dir: str | Path) -> dict[str, int]:
    """How many policy-test expectations name each programme."""
    counts: dict[str, int] = {}
    for path in iter_test_files(policy_dir):
        for case in read_cases(path):
            for exp in case.expect:
                counts[str(exp["programme"])] = counts.get(str(exp["programme"]), 0) + 1
    return counts
