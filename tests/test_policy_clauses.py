"""Every quoted clause is really in the document, at (or just after) the line it cites.

The seed texts are kept in policies/sources/ (the documents as published, one file each).
A quotation may leave words out with “……”; each remaining fragment must stand in the
seed within a few lines of the cited line. Whitespace, page marks (- 27 -) and line
breaks of the seed are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from huiqi.rules import load_policies

ROOT = Path(__file__).resolve().parents[1]
POLICIES = load_policies(ROOT / "policies")


def _norm(text: str) -> str:
    return re.sub(r"[\s*#\-—–]+", "", re.sub(r"-\s*\d+\s*-", "", text))


def _clauses():
    for d in POLICIES.documents:
        yield d, f"{d.id} in_force", d.in_force.clause
        if d.retroactive:
            yield d, f"{d.id} retroactive", d.retroactive.clause
        for c in d.scope:
            yield d, f"{d.id} scope {c.id}", c.clause
        for cap in d.caps:
            yield d, f"{d.id} cap {cap.id}", cap.clause
        for p in d.programmes:
            for c in p.scope or ():  # a programme's own scope (replaces the document's)
                yield d, f"{p.id} scope {c.id}", c.clause
            for c in p.criteria:
                yield d, f"{p.id} {c.id}", c.clause
            yield d, f"{p.id} support", p.support.clause
            if p.process and p.process.clause:
                yield d, f"{p.id} process", p.process.clause


CLAUSES = [(d, where, c) for d, where, c in _clauses() if c is not None and c.text and c.line]


def test_most_clauses_cite_a_line():
    assert len(CLAUSES) > 400


@pytest.mark.parametrize("document, where, clause", CLAUSES, ids=[w for _, w, _ in CLAUSES])
def test_quotation_stands_in_the_document_at_its_line(document, where, clause):
    seed = (ROOT / "policies" / "sources" / document.seed).read_text(encoding="utf-8").splitlines()
    window = _norm("".join(seed[max(0, clause.line - 4) : clause.line + 40]))
    for fragment in re.split(r"……|…", clause.text):
        wanted = _norm(fragment).strip("“”\"'（）()；;。，,")
        if len(wanted) >= 4:
            assert wanted in window, f"{where}: “{fragment.strip()}” is not at line {clause.line} of {document.seed}"
