"""Shared fixtures: the two seed documents, drafted once per session (fast: well under a second each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.rules import load_policies
from huiqi.workbench.draft import draft_document, read_source

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"


def _seed(doc_id: str) -> Path:
    """The seed named by the shipped file (survives renaming the sources)."""
    doc = load_policies(POLICIES).document(doc_id)
    assert doc is not None
    return POLICIES / "sources" / doc.seed


@pytest.fixture(scope="session")
def jinshan_source():
    return read_source(_seed("jinshan-2025-25"))


@pytest.fixture(scope="session")
def huangpu_source():
    return read_source(_seed("huangpu-2025-2"))


@pytest.fixture(scope="session")
def drafts(tmp_path_factory, jinshan_source, huangpu_source):
    """{doc id: (draft, path of the written draft)}"""
    out = {}
    base = tmp_path_factory.mktemp("drafts")
    for doc_id, source in (("jinshan-2025-25", jinshan_source), ("huangpu-2025-2", huangpu_source)):
        result = draft_document(source, doc_id=doc_id)
        path = base / f"{doc_id}.draft.yaml"
        path.write_text(result.text, encoding="utf-8")
        out[doc_id] = (result, path)
    return out
