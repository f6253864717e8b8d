"""Every quoted clause is really in the document, at the line it cites.

The seed texts are kept in policies/sources/ (the documents as published, one file each).
A quotation may leave words out with “……”. Its first fragment must BEGIN on the cited line
(it may run on over the following lines: a sentence broken by the seed's line breaks); each
later fragment must follow the one before it, in order, starting at most ``MAX_SKIP`` lines
after the previous fragment ends (“……” skips words, not pages). Whitespace, page marks
(- 27 -) and line breaks of the seed are ignored.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

import pytest

from huiqi.rules import load_policies
from huiqi.rules import model as M

ROOT = Path(__file__).resolve().parents[1]
POLICIES = load_policies(ROOT / "policies")


def _norm(text: str) -> str:
    return re.sub(r"[\s*#\-—–]+", "", re.sub(r"-\s*\d+\s*-", "", text))


def _amount_clauses(amount):
    """The clauses quoted inside an amount (a case's own sentence), depth first."""
    if isinstance(amount, M.Cases):
        for case in amount.cases:
            if case.clause is not None:
                yield case.clause
            yield from _amount_clauses(case.amount)
    elif isinstance(amount, M.Staged):
        for stage in amount.stages:
            yield from _amount_clauses(stage.amount)
    elif isinstance(amount, M.MultiYear):
        yield from _amount_clauses(amount.each_year)


def _clauses():
    for d in POLICIES.documents:
        yield d, f"{d.id} in_force", d.in_force.clause
        if d.retroactive:
            yield d, f"{d.id} retroactive", d.retroactive.clause
        for c in d.scope:
            yield d, f"{d.id} scope {c.id}", c.clause
        for name, param in d.parameters.items():
            yield d, f"{d.id} parameter {name}", param.clause
        for cap in d.caps:
            yield d, f"{d.id} cap {cap.id}", cap.clause
        for p in d.programmes:
            for c in p.scope or ():  # a programme's own scope (replaces the document's)
                yield d, f"{p.id} scope {c.id}", c.clause
            for c in p.criteria:
                yield d, f"{p.id} {c.id}", c.clause
            yield d, f"{p.id} support", p.support.clause
            if p.support.count_once_clause:
                yield d, f"{p.id} count_once", p.support.count_once_clause
            for i, clause in enumerate(_amount_clauses(p.support.amount)):
                yield d, f"{p.id} amount clause {i + 1}", clause
            for name, param in p.parameters.items():
                yield d, f"{p.id} parameter {name}", param.clause
            if p.process and p.process.clause:
                yield d, f"{p.id} process", p.process.clause


CLAUSES = [(d, where, c) for d, where, c in _clauses() if c is not None and c.text and c.line]


def test_most_clauses_cite_a_line():
    assert len(CLAUSES) > 400


MAX_SKIP = 8  # lines a “……” may jump over (the seeds have a blank line between text lines)


def _fragments(text: str) -> list[str]:
    out = [_norm(f).strip("“”\"'（）()；;。，,") for f in re.split(r"……|…", text)]
    return [f for f in out if len(f) >= 4]


def quotation_problem(seed_lines: list[str], text: str, line: int) -> str | None:
    """Why ``text`` does not stand at ``line`` (1-based) of the seed, or None when it does."""
    if not 1 <= line <= len(seed_lines):
        return f"line {line} is not in the document ({len(seed_lines)} lines)"
    starts = [0]  # offset of each line's first character in the normalised text
    for raw in seed_lines:
        starts.append(starts[-1] + len(_norm(raw)))
    full = _norm("".join(seed_lines))
    if starts[line] == starts[line - 1]:
        return f"line {line} is blank"

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    pos, last_line = starts[line - 1], line
    for k, wanted in enumerate(_fragments(text)):
        if k == 0:  # the first fragment begins on the cited line (and may run on over the next ones)
            found = full.find(wanted, starts[line - 1])
            if found < 0 or found >= starts[line]:
                return f"“{wanted[:30]}” does not begin on line {line}"
        else:
            found = full.find(wanted, pos)
            if found < 0:
                return f"“{wanted[:30]}” does not follow the quotation's previous words"
            if line_of(found) - last_line > MAX_SKIP:
                return (
                    f"“{wanted[:30]}” stands {line_of(found) - last_line} lines after the previous words (> {MAX_SKIP})"
                )
        pos = found + len(wanted)
        last_line = line_of(pos - 1)
    return None


@pytest.mark.parametrize("document, where, clause", CLAUSES, ids=[w for _, w, _ in CLAUSES])
def test_quotation_stands_in_the_document_at_its_line(document, where, clause):
    seed = (ROOT / "policies" / "sources" / document.seed).read_text(encoding="utf-8").splitlines()
    problem = quotation_problem(seed, clause.text, clause.line)
    assert problem is None, f"{where}: {problem} of {document.seed}"


def _seed(document_id: str) -> list[str]:
    seed = POLICIES.document(document_id).seed
    return (ROOT / "policies" / "sources" / seed).read_text(encoding="utf-8").splitlines()


HUANGPU = _seed("huangpu-2025-2")
JINSHAN = _seed("jinshan-2025-25")


def test_a_citation_moved_to_another_line_fails():
    """Issue 15: a Huangpu clause cited at line 51 moved to line 33 must fail (it passed with the old window)."""
    h5 = next(c for d, w, c in CLAUSES if d.id == "huangpu-2025-2" and c.line == 51)
    assert quotation_problem(HUANGPU, h5.text, 51) is None
    assert quotation_problem(HUANGPU, h5.text, 33) is not None
    assert quotation_problem(HUANGPU, h5.text, 49) is not None  # two lines before: the old window let it pass
    assert quotation_problem(HUANGPU, h5.text, 53) is not None  # just after: the words are not there


def test_a_quotation_running_over_the_seed_line_breaks_stands_at_its_first_line():
    # Jinshan lines 1114–1116: 分类评审。属于基础研究类人才，需作为第一作者在国外著名期 / 刊或国内核心刊物上…
    text = "属于基础研究类人才，需作为第一作者在国外著名期刊或国内核心刊物上发表过论文"
    assert quotation_problem(JINSHAN, text, 1114) is None
    assert quotation_problem(JINSHAN, text, 1116) is not None  # cites where the sentence ends, not where it begins
    assert quotation_problem(JINSHAN, text, 1112) is not None  # the line before


def test_words_skipped_by_an_ellipsis_must_follow_in_order_and_nearby():
    # Huangpu line 65: 对获得市级资金支持的创新药……单个主体每年最高 5000 万元。
    assert quotation_problem(HUANGPU, "对获得市级资金支持的创新药……单个主体每年最高 5000 万元", 65) is None
    assert quotation_problem(HUANGPU, "单个主体每年最高 5000 万元……对获得市级资金支持的创新药", 65) is not None
    # a fragment from far down the document does not stand at line 65
    assert (
        quotation_problem(HUANGPU, "对获得市级资金支持的创新药……" + "同一项目不可重复享受同级财政资金资助", 65)
        is not None
    )
