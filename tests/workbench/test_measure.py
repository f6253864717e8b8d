"""The draft's precision and recall against the shipped policy files, with floors.

Measured on this branch (huiqi policies draft-score, see docs/policy-format.md):

  黄科委规〔2025〕2号   money 22/22, rates 12/12, criteria 34/34 found; precision money 22/22, rates 12/12, criteria 23/25
  金科〔2025〕25号      money 48/49, rates 23/23, criteria 134/148 found; precision money 48/48, rates 24/24, criteria 86/113

The floors below sit a little under those figures, so a change that loses what the draft
finds fails here. (Huangpu's measures are one line each, so matching by line is coarse there.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from huiqi.workbench.measure import Item, matches, score

from .conftest import POLICIES

FLOORS = {
    "huangpu-2025-2": {
        "recall": {"money": 0.95, "rate": 0.95, "criterion": 0.95},
        "precision": {"money": 0.95, "rate": 0.95, "criterion": 0.85},
        "programme_recall": 0.9,
    },
    "jinshan-2025-25": {
        "recall": {"money": 0.94, "rate": 0.95, "criterion": 0.87},
        "precision": {"money": 0.95, "rate": 0.95, "criterion": 0.72},
        "programme_recall": 0.7,
    },
}


@pytest.fixture(scope="module")
def scores(drafts):
    return {doc_id: score(path, POLICIES / f"{doc_id}.yaml") for doc_id, (_draft, path) in drafts.items()}


@pytest.mark.parametrize("doc_id", sorted(FLOORS))
def test_precision_and_recall_floors(scores, doc_id):
    result, floors = scores[doc_id], FLOORS[doc_id]
    for kind, floor in floors["recall"].items():
        assert result.recall(kind) >= floor, f"{doc_id} {kind} recall {result.recall(kind):.2f} < {floor}"
    for kind, floor in floors["precision"].items():
        assert result.precision(kind) >= floor, f"{doc_id} {kind} precision {result.precision(kind):.2f} < {floor}"
    worst = min(result.rows, key=lambda r: r.recall)
    assert worst.recall >= floors["programme_recall"], f"{worst.programme}: recall {worst.recall:.2f}"


def test_every_shipped_programme_is_scored_against_its_own_draft_programme(scores):
    rows = {r.programme: r.draft for r in scores["jinshan-2025-25"].rows}
    assert rows["J2.2"] == "J2.2" and rows["J6.1-listed"] == "J6.1" and rows["J7.4-national"] == "J7.4"
    rows = {r.programme: r.draft for r in scores["huangpu-2025-2"].rows}
    assert rows["H3b"] == "H3" and rows["H7b"] == "H7" and rows["H11b"] == "H11"
    assert len(rows) == 19  # the shipped file splits 12 measures into 19 programmes


def test_the_shipped_amounts_are_counted_from_the_model(scores):
    result = scores["jinshan-2025-25"]
    # the one sum the draft cannot find: 3 × 50 万 = 150 万, a cap the shipped file computes (J1.1-per-enterprise, line 56)
    assert [(i.kind, i.value) for i in result.missed if i.kind == "money"] == [("money", Decimal(1500000))]


def test_matching_needs_kind_value_lines_and_words():
    shipped = Item("money", Decimal(500000), 56, 58)
    assert matches(Item("money", Decimal("500000.0"), 56, 56), shipped)
    assert not matches(Item("money", Decimal(50000), 56, 56), shipped)  # value
    assert not matches(Item("money", Decimal(500000), 60, 62), shipped)  # lines do not overlap
    assert not matches(Item("rate", Decimal(500000), 56, 56), shipped)  # kind
    crit = Item("criterion", True, 52, 54, "（2）申报单位原则上在限定期间内，在区内落户")
    assert matches(Item("criterion", True, 52, 54, "申报单位原则上在限定期间内"), crit)
    assert not matches(Item("criterion", False, 52, 54, "申报单位原则上在限定期间内"), crit)  # soft differs
    assert not matches(
        Item("criterion", True, 52, 54, "具备健全的财务管理制度"), crit
    )  # other words on the same lines
