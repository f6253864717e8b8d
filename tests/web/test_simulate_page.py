"""The simulation page (/office/simulate, issue 17: "the web app's simulation page uses the same
resident population"): a district's officer runs its district's programmes over the population the
server holds — the numbers equal ``run.run`` over the Parquet file itself; the population is loaded
once per process; roles without ``simulate.run`` are refused; bad input is a bilingual 422 on the page."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from huiqi.api import Settings, create_app
from huiqi.rules import load_policies
from huiqi.simulate import population as P
from huiqi.simulate import reform as RF
from huiqi.simulate import resident as RS
from huiqi.simulate import run as R
from huiqi.web.render import _wan
from tests.api.conftest import _template, web_login, wf_policies  # noqa: F401 - shared fixtures
from tests.workflow.conftest import POLICY_DIR

ON = dt.date(2025, 9, 1)
N = 2000


@pytest.fixture(scope="module")
def policies():
    return load_policies()


@pytest.fixture(scope="module")
def pop(tmp_path_factory, policies):
    path = tmp_path_factory.mktemp("simweb") / "pop.parquet"
    P.write_population(policies.vocabulary, N, path, seed=7)
    return path


@pytest.fixture(scope="module")
def jinshan(policies):
    return [p.id for d in policies.documents if d.district == "金山区" for p in d.programmes]


def _app(tmp_path, policies, wf_policies, population):
    template, _ = _template(wf_policies)  # the page tests' users: officer (金山区), officer-hp (黄浦区), auditor, …
    shutil.copy(template, tmp_path / "web.sqlite")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.sqlite'}", policy_dir=POLICY_DIR,
                        data_dir=tmp_path / "data", secure_cookies=False, secret_key="test-secret-" + "x" * 40,
                        population=population)
    return create_app(settings, policies=policies)


@pytest.fixture
def app(tmp_path, policies, wf_policies, pop):
    return _app(tmp_path, policies, wf_policies, (pop,))


def _client(app, username):
    c = TestClient(app)
    assert web_login(c, username).status_code == 303
    return c


def cell(page: str, row: str, key: str) -> str:
    """The text of the cell ``data-k=key`` in the table row ``id=row``."""
    tr = re.search(rf'<tr id="{re.escape(row)}">(.*?)</tr>', page, re.S)
    assert tr, row
    m = re.search(rf'data-k="{key}">([^<]*)<', tr.group(1))
    assert m, (row, key)
    return html.unescape(m.group(1))


def test_officer_runs_the_districts_programmes_and_gets_the_services_numbers(app, pop, policies, jinshan, monkeypatch):
    loads = []
    real = RS.load
    monkeypatch.setattr(RS, "load", lambda *a, **kw: loads.append(1) or real(*a, **kw))
    c = _client(app, "officer")
    page = c.get("/office/simulate").text
    assert 'href="/office/simulate"' in page  # in the officer's navigation
    assert "金山区政策文件中的 33 个项目" in page and 'value="J2.3"' in page and 'value="H1"' not in page
    assert loads == []  # nothing loaded before the first run
    r = c.get("/office/simulate", params={"run": "1", "on": "2025-09-01"})
    assert r.status_code == 200, r.text
    want = R.run(policies, pop, on=ON, programmes=jinshan).totals()  # the service over the Parquet file itself
    assert set(re.findall(r'<tr id="p-([^"]+)">', r.text)) == set(want) | {"total"}
    for pid, t in want.items():
        for k in ("results", "eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope"):
            assert cell(r.text, f"p-{pid}", k) == str(t[k]), (pid, k)
        for k in ("ceiling", "after_caps", "needs_info_ceiling"):
            assert cell(r.text, f"p-{pid}", k) == _wan(t[k]), (pid, k)
    total = sum(t["after_caps"] for t in want.values())
    assert total > 0 and cell(r.text, "p-total", "after_caps") == _wan(total)
    assert cell(r.text, "p-total", "eligible") == str(sum(t["eligible"] for t in want.values()))
    # by hand, from the file: J3.1 (one result per enterprise) is out of scope for every enterprise
    # registered in another district (scope: 申报单位需在金山区范围内进行注册登记, 各实施细则 支持对象)
    t = pq.read_table(pop, columns=["claim__seq", "enterprise__registered_district"])
    district = t.filter(pc.equal(t["claim__seq"], 0))["enterprise__registered_district"].to_pylist()
    elsewhere = sum(1 for d in district if d is not None and d != "金山区")
    assert 0 < elsewhere < N
    assert cell(r.text, "p-J3.1", "results") == str(N) and cell(r.text, "p-J3.1", "out_of_scope") == str(elsewhere)
    assert "用时" in r.text and "首次载入" in r.text
    assert loads == [1]
    # a second request (grouped by district) reuses the loaded population; the groups add up to the total
    r2 = c.get("/office/simulate", params={"run": "1", "on": "2025-09-01", "by": "district"})
    assert r2.status_code == 200 and loads == [1] and "首次载入" not in r2.text
    assert app.state.huiqi.populations.entry().loads == 1
    groups = re.search(r'<table class="grid" id="by-group">(.*?)</table>', r2.text, re.S).group(1)
    assert sum(int(x) for x in re.findall(r'data-k="eligible">(\d+)<', groups)) == sum(
        t["eligible"] for t in want.values())
    assert "金山区" in groups


def test_a_reform_shows_the_difference_the_service_computes(app, pop, policies):
    c = _client(app, "officer")
    change = "J2.3.support.amount.rate=20%"
    r = c.get("/office/simulate", params={"run": "1", "on": "2025-09-01", "programme": ["J2.3", "J3.1"],
                                          "changes": change})
    assert r.status_code == 200, r.text
    base = R.run(policies, pop, on=ON, programmes=["J2.3", "J3.1"])
    reform = R.run(RF.apply(policies, RF.read_changes(None, [change])), pop, on=ON, programmes=["J2.3", "J3.1"])
    rows = {x["programme"]: x for x in RF.compare(base, reform)}
    assert rows["J2.3"]["difference"] > 0 and rows["J3.1"]["difference"] == 0  # 10% → 20% of the R&D cost (专题三)
    assert set(re.findall(r'<tr id="p-([^"]+)">', r.text)) == {"J2.3", "J3.1", "total"}
    assert cell(r.text, "c-J2.3", "difference") == "+" + _wan(rows["J2.3"]["difference"])
    assert cell(r.text, "c-J2.3", "reform_after_caps") == _wan(rows["J2.3"]["reform_after_caps"])
    assert cell(r.text, "c-total", "difference") == "+" + _wan(rows["J2.3"]["difference"])


@pytest.mark.parametrize(
    ("params", "zh", "en", "loads"),
    [
        ({"on": "2025-02-30"}, "不是有效日期", "not a real date", 0),
        ({"programme": "J9.9"}, "没有此项目：J9.9", "no such programme: J9.9", 0),
        ({"programme": "H1"}, "不在本次测算的范围内", "outside this simulation's scope", 0),  # Huangpu's, for Jinshan's officer
        ({"changes": "J2.3.support.amount.cap"}, "应为 目标=值", "must be target=value", 0),
        ({"changes": "H1.support.amount.cap=1"}, "不在本次测算的范围内", "outside this simulation's scope", 0),
        ({"by": "street"}, "未知分组", "unknown grouping", 0),
        # a path the model does not have is found when the reform is applied, after the population is loaded
        ({"changes": "J2.3.support.amount.nonsense=1"}, "找不到 nonsense", "no such field 'nonsense'", 1),
    ],
)
def test_bad_input_is_a_bilingual_422_on_the_page(app, params, zh, en, loads):
    c = _client(app, "officer")
    r = c.get("/office/simulate", params={"run": "1", **params})
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert 'id="error"' in text and zh in text and en in text
    assert 'id="simulate-form"' in text  # the form again, with what was typed
    assert 'id="results"' not in text
    assert app.state.huiqi.populations.entry().loads == loads


def test_roles_without_the_permission_are_refused(app):
    for username in ("tinglin", "expert0", "ent1"):  # reviewer, expert, enterprise user
        c = _client(app, username)
        assert c.get("/office/simulate", params={"run": "1"}).status_code == 403, username
        assert 'href="/office/simulate"' not in c.get("/").text
    anonymous = TestClient(app).get("/office/simulate", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 307) and "/login" in anonymous.headers["location"]


def test_each_district_sees_its_own_programmes(app):
    hp = _client(app, "officer-hp").get("/office/simulate").text
    assert "黄浦区政策文件中的" in hp and 'value="H1"' in hp and 'value="J2.3"' not in hp
    auditor = _client(app, "auditor").get("/office/simulate")
    assert auditor.status_code == 200 and "金山区政策文件中的 33 个项目" in auditor.text
    admin = _client(app, "admin").get("/office/simulate").text
    assert "所有区政策文件中的" in admin and 'value="H1"' in admin and 'value="J2.3"' in admin


def test_no_population_is_a_clear_message_never_a_500(tmp_path, policies, wf_policies):
    for population, zh, en in (((), "尚未配置测算用的企业人口数据", "no enterprise population is configured"),
                               ((tmp_path / "gone.duckdb",), "文件不存在", "does not exist")):
        app = _app(tmp_path, policies, wf_policies, population)
        c = _client(app, "officer")
        for r in (c.get("/office/simulate"), c.get("/office/simulate", params={"run": "1"})):
            text = html.unescape(r.text)
            assert r.status_code == 200 and 'id="notice"' in text and zh in text and en in text
            assert 'id="results"' not in text


def test_a_persisted_population_is_offered_beside_the_parquet_one(tmp_path, policies, wf_policies, pop):
    db = tmp_path / "pop.duckdb"
    RS.load(policies, pop, database=db)  # huiqi simulate load pop.parquet --out pop.duckdb
    app = _app(tmp_path, policies, wf_policies, (pop, db))
    c = _client(app, "officer")
    assert '<select name="population">' in c.get("/office/simulate").text
    params = {"run": "1", "on": "2025-09-01", "programme": "J3.1"}
    a = c.get("/office/simulate", params=params).text
    b = c.get("/office/simulate", params={**params, "population": "pop.duckdb"}).text
    assert [app.state.huiqi.populations.entry(n).loads for n in ("pop.parquet", "pop.duckdb")] == [1, 1]
    for k in ("results", "eligible", "needs_info", "out_of_scope", "after_caps"):
        assert cell(a, "p-J3.1", k) == cell(b, "p-J3.1", k)
    assert cell(b, "p-J3.1", "results") == str(N)
