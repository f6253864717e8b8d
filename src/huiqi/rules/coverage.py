"""Coverage of the documents: each section/topic → programmes → number of policy tests."""

from __future__ import annotations

from pathlib import Path

from huiqi.rules.loader import DEFAULT_POLICY_DIR
from huiqi.rules.model import PolicySet
from huiqi.rules.policytests import count_tests_by_programme


def coverage(policies: PolicySet, policy_dir: str | Path | None = None) -> list[dict]:
    """One row per inventory item declared in each document's `sections`."""
    counts = count_tests_by_programme(policy_dir or DEFAULT_POLICY_DIR)
    rows = []
    for d in policies.documents:
        for s in d.sections:
            sid = str(s.get("id"))
            progs = [p.id for p in d.programmes if sid in p.inventory]
            rows.append(
                {
                    "document": d.number,
                    "id": sid,
                    "title": str(s.get("title", "")),
                    "line": s.get("line"),
                    "programmes": progs,
                    "tests": sum(counts.get(p, 0) for p in progs),
                }
            )
    return rows
