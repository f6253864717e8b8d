"""POST /api/v1/match?form=compact and ?detail=summary (issue 17): opt-in forms of the same document."""

from __future__ import annotations

import datetime as dt

from huiqi.rules import evaluate, load_policies, parse_profile
from huiqi.rules.report import compact, expand, report_summary

PROFILE = {
    "enterprise": {"name": "上海示例生物医药有限公司", "registered_district": "金山区", "independent_legal_person": True, "biomed_business": True},
    "call": {"period_start": "2025-01-01", "period_end": "2025-12-31"},
    "claims": [{"id": "drug-1", "kind": "drug", "registration_date": "2025-03-01"}, {"id": "trial-1", "kind": "trial"}],
}


def test_compact_form_holds_each_clause_and_note_once_and_expands_to_the_full_document():
    ps = load_policies()
    full = evaluate(ps, parse_profile(PROFILE, ps.vocabulary), on=dt.date(2025, 9, 1)).to_dict()
    small = compact(full)
    assert expand(small) == full
    cited = [c for r in full["results"] for c in r["citations"]]
    assert len(small["clauses"]) < len(cited)  # the same clauses recur across results (scope, credit, …)
    notes = [n for r in full["results"] for n in r["notes"]]
    assert len(small["notes"]) < len(notes) / 4  # the 14 document notes are on every Jinshan result
    import orjson

    # 452 KB → 239 KB here: since each result carries only the notes that bear on it (issue 15) there is
    # less to share than the first measure (397 → 198 KB), but still well under two thirds
    assert len(orjson.dumps(small)) < len(orjson.dumps(full)) * 0.6


def test_summary_is_the_full_documents_list_fields():
    ps = load_policies()
    report = evaluate(ps, parse_profile(PROFILE, ps.vocabulary), on=dt.date(2025, 9, 1))
    full, summary = report.to_dict(), report_summary(report)
    assert summary["total_ceiling"] == full["total_ceiling"] and summary["potential_ceiling"] == full["potential_ceiling"]
    for s, f in zip(summary["results"], full["results"], strict=True):
        assert {k: v for k, v in s.items() if k != "missing"} == {k: f[k] for k in s if k != "missing"}
        assert s["missing"] == [m["fact"] for m in f["missing"]]


def test_match_route_forms(client):
    r = client.post("/api/v1/match?on=2026-03-10&form=compact", json=PROFILE_WF)
    assert r.status_code == 200 and r.json()["form"] == "compact"
    full = client.post("/api/v1/match?on=2026-03-10", json=PROFILE_WF).json()
    assert "form" not in full and expand(r.json()) == full  # the default is unchanged
    s = client.post("/api/v1/match?on=2026-03-10&detail=summary", json=PROFILE_WF).json()
    assert s["detail"] == "summary" and [x["programme"] for x in s["results"]] == [x["programme"] for x in full["results"]]
    assert client.post("/api/v1/match?form=tiny", json=PROFILE_WF).status_code == 422


PROFILE_WF = {"enterprise": {"name": "示例", "registered_district": "金山区"}}
