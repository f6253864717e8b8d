"""The match API's start-up preparation (issue 17): the rules compiled and the match JSON's fixed
parts built before the first request, then the collector told to leave them alone (gc.freeze())."""

from __future__ import annotations

import gc

import pytest

from huiqi.api import Settings, create_app
from huiqi.api.app import GC_GEN0_THRESHOLD
from huiqi.rules import expr as E
from huiqi.rules import load_policies
from huiqi.rules.model import programme_nodes


@pytest.fixture
def gc_restored():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_app_compiles_the_rules_then_freezes_them_out_of_the_collector(tmp_path, gc_restored):
    ps = load_policies()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)  # CPython's defaults, whatever ran before
    settings = Settings(with_database=False, data_dir=tmp_path, secret_key="test-secret-" + "x" * 40)
    create_app(settings, policies=ps)
    assert gc.get_threshold()[0] == GC_GEN0_THRESHOLD == 50_000
    assert gc.get_freeze_count() > 0
    nodes = [n for d in ps.documents for p in d.programmes for n in programme_nodes(p, d)]
    assert len(nodes) > 500  # both documents' scope, criteria, event dates and amounts
    compiled = [E._compiled.get(id(n)) for n in nodes]
    assert all(c is not None and c[0] is n for c, n in zip(compiled, nodes))  # built at start-up
    # frozen: created before gc.freeze(), so no collection walks them any more
    closures = {id(c[1]) for c in compiled[:50]}  # type: ignore[index]
    assert not any(id(o) in closures for o in gc.get_objects())
    fresh = E.compiled(E.parse("enterprise.employees > 10"))  # built after start-up: not frozen
    assert any(o is fresh for o in gc.get_objects())


def test_a_match_opens_no_database_session(env):
    from fastapi.testclient import TestClient

    state = env["app"].state.huiqi
    opened = []
    real = state.sessionmaker

    def counting():  # noqa: ANN202
        opened.append(1)
        return real()

    state.sessionmaker = counting
    with TestClient(env["app"]) as c:
        r = c.post("/api/v1/match?on=2026-03-10&detail=summary", json={"enterprise": {"registered_district": "金山区"}})
        assert r.status_code == 200 and r.json()["detail"] == "summary"
        assert opened == []
        assert c.get("/api/v1/auth/me").status_code == 401 and opened == [1]  # a route that does open one


def test_serve_says_how_it_tuned_the_collector(tmp_path, monkeypatch, gc_restored):
    import uvicorn
    from typer.testing import CliRunner

    from huiqi.cli.main import app

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k))
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path))
    r = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "serve.sqlite")])
    assert r.exit_code == 0, r.output
    assert started and "gc.freeze(); gen-0 threshold 50,000;" in r.output
