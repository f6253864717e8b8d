"""The two-district access matrix (issue 13): every role of each district, and the administrator,
against every resource and action, through the API, the pages and the CLI — on SQLite and
PostgreSQL.

The expected outcome of each cell is written out by hand below, from the rules of
``docs/workflow.md`` (roles, scopes, tenancy), not computed from the code under test:

* a record out of the actor's scope answers **404** (its existence is not disclosed) — another
  district's records, another enterprise's, another town's, an application not assigned;
* a record in scope but an action the role may not take answers **403**;
* an action the role may take gets past the access check and ends where the record's state or
  the (deliberately bad) input stops it — **409** / **422** — or succeeds without changing a
  state (**200**/**201**, an idempotent re-run or an existing record);
* after every refusal (403/404) the database is exactly as before: every row of every table and
  the audit chain's head (``two_districts.snapshot``).

Columns: ``admin``, then each role of the record's district and (primed) of the other district:
``officer officer' reviewer reviewer' expert expert' auditor auditor' enterprise enterprise'``.
The records (``tests/workflow/two_districts.py``): ``A`` an application in expert review (its
district's first expert assigned), ``F`` one of its files, ``S`` one in notice ``N`` with objection
``O`` (dismissed), ``P`` one approved, paid in batch ``B``, changed (``C``, approved), revoked
(receivable ``RC``, recovered), rounds ``R`` (open) and ``R2`` (draft), the second enterprise
``ent2`` and the second expert ``expert2`` (tied to it).
"""

from __future__ import annotations

import os
import re
import sys

import pytest
from fastapi.testclient import TestClient

from huiqi.config import Settings
from huiqi.rules import load_policies
from huiqi.store import make_engine, make_sessionmaker, upgrade
from tests.workflow import two_districts as td
from tests.workflow.two_districts import expect

# ------------------------------------------------------------------ the expected outcomes, by hand

#                                                                       adm off off' rev rev' exp exp' aud aud' ent ent'
API = [
    # reading a district's records
    ("GET", "/applications/{A}", None,                                  "200 200 404 200 404 200 404 200 404 200 404"),
    ("GET", "/applications/{A}/materials", None,                        "200 200 404 200 404 200 404 200 404 200 404"),
    ("GET", "/applications/{A}/materials/{F}", None,                    "200 200 404 200 404 200 404 200 404 200 404"),
    ("GET", "/applications/{P}", None,                                  "200 200 404 200 404 404 404 200 404 200 404"),  # P: not assigned to any expert
    ("GET", "/exports/notice/{N}.xlsx", None,                           "200 200 404 403 404 403 404 200 404 403 404"),  # N lists S: seen by its town, expert, enterprise
    ("GET", "/exports/payment/{B}.xlsx", None,                          "200 200 404 404 404 404 404 200 404 404 404"),  # a payment batch: the district's books only
    # acting on A (in expert review)
    ("POST", "/applications/{A}/town-confirm", {"confirmed": True},     "403 403 404 409 404 403 404 403 404 403 404"),
    ("POST", "/applications/{A}/district-check", {"passed": True},      "403 409 404 403 404 403 404 403 404 403 404"),
    ("POST", "/applications/{A}/experts", {"expert_ids": ["{expert}"]}, "403 422 404 403 404 403 404 403 404 403 404"),  # assigned already
    ("POST", "/applications/{A}/score", {"score": "abc"},               "403 403 404 403 404 422 404 403 404 403 404"),
    ("POST", "/applications/{A}/objections", {"objector": "x", "content": "y"}, "403 409 404 403 404 403 404 403 404 403 404"),
    ("POST", "/applications/{A}/approve", {"amount": "1"},              "403 409 404 403 404 403 404 403 404 403 404"),  # cannot skip the shortlist
    ("POST", "/applications/{A}/credit-override", {"reason": "x"},      "403 409 404 403 404 403 404 403 404 403 404"),  # no record awaits
    ("POST", "/applications/{A}/revoke", {"ground": "x", "reason": "x"}, "403 409 404 403 404 403 404 403 404 403 404"),
    ("POST", "/applications/{A}/submit", {},                            "403 409 404 403 404 403 404 403 404 409 404"),
    ("POST", "/applications/{A}/withdraw", {},                          "403 403 404 403 404 403 404 403 404 409 404"),
    ("POST", "/applications/{A}/progress", {"period": "2026", "progress": "x"}, "403 409 404 403 404 403 404 403 404 409 404"),
    ("POST", "/applications/{A}/changes", {"kind": "content", "description": "x"}, "403 409 404 403 404 403 404 403 404 409 404"),
    ("POST", "/notices", {"application_ids": ["{A}"]},                  "403 409 404 403 404 403 404 403 404 403 404"),  # cannot skip the shortlist
    # acting on P (revoked)
    ("POST", "/applications/{P}/decline", {"reason": "x"},              "403 409 404 403 404 404 404 403 404 403 404"),
    ("POST", "/applications/{P}/confirm", {},                           "403 409 404 403 404 404 404 403 404 403 404"),
    ("POST", "/applications/{P}/consult", {"department": "d", "opinion": "o"}, "403 409 404 403 404 404 404 403 404 403 404"),
    # rounds: R open (a published call: every enterprise user sees it), R2 a draft
    ("POST", "/rounds/{R}/open", None,                                  "403 409 404 403 404 403 404 403 404 403 403"),
    ("POST", "/rounds/{R2}/close", None,                                "403 409 404 403 404 403 404 403 404 404 404"),
    ("POST", "/rounds/{R}/budget", {"budget": "abc", "reason": "x"},    "403 422 404 403 404 403 404 403 404 403 403"),
    ("POST", "/rounds/{R}/shortlist", {"min_score": "abc"},             "403 422 404 403 404 403 404 403 404 403 403"),
    # a new application in R of the district's enterprise (a profile contradicting the record: refused after the check)
    ("POST", "/applications", {"round_id": "{R}", "programme": "{X}-RENT", "profile": {"enterprise": {"registered_district": "别区"}}, "enterprise_id": "{ent}"},
                                                                        "403 422 404 403 404 403 404 403 404 422 404"),
    # notice N (open) and objection O (dismissed)
    ("POST", "/notices/{N}/close", {"on": "2026-10-01"},                "403 409 404 403 404 403 404 403 404 403 404"),
    ("POST", "/objections/{O}/resolve", {"upheld": False, "finding": "x"}, "403 409 404 403 404 403 404 403 404 403 404"),
    # money: batch B (done: a re-run pays nothing), receivable RC (recovered), change C (approved)
    ("POST", "/payment-batches/{B}/run", None,                          "403 200 404 404 404 404 404 403 404 404 404"),
    ("POST", "/receivables/{RC}/recovered", {},                         "403 409 404 404 404 404 404 403 404 403 404"),
    ("POST", "/changes/{C}/decide", {"approve": True, "reason": "x"},   "403 409 404 404 404 404 404 403 404 403 404"),
    # ties: the second expert's, with the second enterprise (exists: recorded again, nothing new)
    ("POST", "/experts/{expert2}/ties", {"enterprise_id": "{ent2}", "reason": "x"}, "403 201 404 404 404 404 404 403 404 404 404"),
    ("POST", "/experts/me/ties", {"enterprise_id": "{ent2}", "reason": "x"}, "403 422 422 403 403 201 404 403 403 403 403"),  # an officer is no expert
    # actions on no record: the role decides (an officer's own district is where it acts)
    ("POST", "/imports/credit", "csv",                                   "403 422 422 403 403 403 403 403 403 403 403"),
    ("POST", "/imports/automatic", "lab",                                "403 422 403 403 403 403 403 403 403 403 403"),  # the programme of another district's document
    ("POST", "/payment-batches", {"pay_on": "2000-01-01"},               "403 422 422 403 403 403 403 403 403 403 403"),
    ("POST", "/rounds", {"code": "NEW", "name": "x", "programmes": ["{X}-PROJECT"], "year": 2026, "opens_on": "2026-05-01", "closes_on": "2026-04-01"},
                                                                         "403 422 403 403 403 403 403 403 403 403 403"),
    ("POST", "/users", {"username": "new-user", "password": "short", "role": "auditor"}, "422 422 422 403 403 403 403 403 403 403 403"),
    ("POST", "/enterprises", {"uscc": "bad", "name": "x"},               "422 422 422 403 403 403 403 403 403 403 403"),
    ("GET", "/payment-batches", None,                                    "200 200 200 403 403 403 403 200 200 403 403"),
    ("GET", "/changes", None,                                            "200 200 200 403 403 403 403 200 200 403 403"),
    ("GET", "/audit/log", None,                                          "200 200 200 403 403 403 403 200 200 403 403"),
    ("GET", "/audit/verify", None,                                       "200 200 200 403 403 403 403 200 200 403 403"),
    ("GET", "/dashboard", None,                                          "200 200 200 200 200 403 403 200 200 403 403"),
    ("GET", "/users", None,                                              "200 200 200 403 403 403 403 200 200 403 403"),
    ("GET", "/experts", None,                                            "200 200 200 403 403 403 403 200 200 403 403"),
]

# what each actor's lists hold, by record of the two districts ("js:A" = Jinshan's A)
SEES = {
    "/applications": {  # every application of the district: S, P, A (all of its enterprise, in its town); an expert the assigned ones
        "admin": "js:S js:P js:A hp:S hp:P hp:A",
        "officer": "{k}:S {k}:P {k}:A", "reviewer": "{k}:S {k}:P {k}:A", "expert": "{k}:S {k}:A", "auditor": "{k}:S {k}:P {k}:A", "enterprise": "{k}:S {k}:P {k}:A",
    },
    "/rounds": {  # a district's staff: its rounds; an enterprise user: every published call
        "admin": "js:R js:R2 hp:R hp:R2",
        "officer": "{k}:R {k}:R2", "reviewer": "{k}:R {k}:R2", "expert": "{k}:R {k}:R2", "auditor": "{k}:R {k}:R2", "enterprise": "js:R hp:R",
    },
    "/notices": {"admin": "js:N hp:N", "officer": "{k}:N", "reviewer": "{k}:N", "expert": "{k}:N", "auditor": "{k}:N", "enterprise": "{k}:N"},
    "/payments": {"admin": "js:PAY hp:PAY", "officer": "{k}:PAY", "reviewer": "{k}:PAY", "expert": "", "auditor": "{k}:PAY", "enterprise": "{k}:PAY"},
    "/payment-batches": {"admin": "js:B hp:B", "officer": "{k}:B", "auditor": "{k}:B"},
    "/changes": {"admin": "js:C hp:C", "officer": "{k}:C", "auditor": "{k}:C"},
    "/enterprises": {  # an expert sees its district's enterprises (to declare ties), not the other district's
        "admin": "js:ent js:ent2 hp:ent hp:ent2",
        "officer": "{k}:ent {k}:ent2", "reviewer": "{k}:ent {k}:ent2", "expert": "{k}:ent {k}:ent2", "auditor": "{k}:ent {k}:ent2", "enterprise": "{k}:ent",
    },
}
LIST_KEY = {"/applications": ("A", "S", "P"), "/rounds": ("R", "R2"), "/notices": ("N",), "/payments": ("PAY",), "/payment-batches": ("B",), "/changes": ("C",), "/enterprises": ("ent", "ent2")}

# ------------------------------------------------------------------ the seeded database, once per backend


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    from argon2 import PasswordHasher

    from huiqi.workflow.users import service as user_service

    from tests.workflow.conftest import new_pg_schema

    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'matrix.sqlite'}"
    else:
        url, drop = new_pg_schema("huiqi_m")
    engine = make_engine(url)
    upgrade(engine)
    policy_dir = td.policy_dir(tmp / "policies")
    ps = load_policies(policy_dir)
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    real, user_service._hasher = user_service._hasher, cheap
    try:
        with make_sessionmaker(engine)() as s:
            w = td.seed(s, ps, root=tmp / "data" / "files")
    finally:
        user_service._hasher = real
    settings = Settings(database_url=url, policy_dir=policy_dir, data_dir=tmp / "data", secure_cookies=False, secret_key="matrix-" + "k" * 40)
    from huiqi.api import create_app

    app = create_app(settings, policies=ps)
    client = TestClient(app)
    usernames = {"admin"} | {u for d in w.values() for u in d.users.values()}
    tokens = {u: _token(client, u) for u in usernames}
    yield {"world": w, "client": client, "tokens": tokens, "engine": engine, "app": app, "url": url, "policies": policy_dir, "tmp": tmp}
    client.close()
    app.state.huiqi.engine.dispose()
    engine.dispose()
    if drop is not None:
        drop()


def _token(client, username):
    r = client.post("/api/v1/auth/token", json={"username": username, "password": td.PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _fill(value, d):
    """Put the district's record ids into a path or body ("{A}" → 123; "{X}" → the programme prefix)."""
    ids = {**d.ids, "X": d.prefix}
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and whole.group(1) in ids and isinstance(ids[whole.group(1)], int):
            return ids[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: _fill(v, d) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, d) for v in value]
    return value


def _request(client, method, path, body, headers, d):
    if body == "csv":
        return client.post(path, files={"file": ("credit.csv", b"uscc,what\n1,2\n", "text/csv")}, headers=headers)
    if body == "lab":
        return client.post(path, data={"programme": f"{d.prefix}-LAB", "year": "2026"}, files={"file": ("lab.csv", b"uscc,what\n1,2\n", "text/csv")}, headers=headers)
    return client.request(method, path, json=_fill(body, d), headers=headers)


def _run_row(world, key, expected, call):
    """Every actor of a row: the refusals first (the database checked unchanged after them), then
    the allowed ones; one assertion listing every cell that differs."""
    names = td.actors(world["world"], key)
    order = sorted(expected, key=lambda col: expected[col] not in (403, 404))
    before = td.snapshot(world["engine"])
    wrong, refused_done = [], False
    for col in order:
        if not refused_done and expected[col] not in (403, 404):
            refused_done = True
            after = td.snapshot(world["engine"])
            assert after == before, f"{key}: a refusal changed the database: {[t for t in after if after[t] != before[t]]}"
        got, detail = call(names[col])
        if got != expected[col]:
            wrong.append(f"{col} ({names[col]}): expected {expected[col]}, got {got} {detail[:200]}")
    if not refused_done:
        assert td.snapshot(world["engine"]) == before, f"{key}: a refusal changed the database"
    assert not wrong, f"{key}:\n" + "\n".join(wrong)


CASES = [(key, m, p, b, row) for (m, p, b, row) in API for key in td.KEYS]


@pytest.mark.parametrize("key,method,path,body,row", CASES, ids=[f"{m} {p} of {k}" for k, m, p, _b, _r in CASES])
def test_api(world, key, method, path, body, row):
    d = world["world"][key]
    url = "/api/v1" + _fill(path, d)

    def call(username):
        r = _request(world["client"], method, url, body, world["tokens"][username], d)
        if r.status_code in (403, 404):
            payload = r.json()
            assert payload["message_zh"] and payload["message_en"] and payload["error"] in ("NotFound", "PermissionDenied"), payload
        return r.status_code, r.text

    _run_row(world, key, expect(row), call)


@pytest.mark.parametrize("path", sorted(SEES))
def test_lists_hold_only_what_is_in_scope(world, path):
    """Each list holds the records of the actor's scope and nothing of the other district's
    (finding 3: notice and payment exports, /payment-batches, /audit/log, /office/changes…)."""
    w = world["world"]
    id_of = {f"{k}:{r}": w[k].ids[r] for k in td.KEYS for r in LIST_KEY[path]}
    field = "id"
    for key in td.KEYS:
        for role, spec in SEES[path].items():
            username = "admin" if role == "admin" else w[key].users[role]
            want = sorted(id_of[x] for x in spec.format(k=key).split())
            r = world["client"].get("/api/v1" + path, headers=world["tokens"][username])
            assert r.status_code == 200, (path, username, r.text)
            got = sorted(x[field] for x in r.json() if x[field] in id_of.values())
            assert got == want, (path, username, got, want)
            extra = [x[field] for x in r.json() if x[field] not in id_of.values()]
            if path not in ("/rounds",):  # nothing else exists in these lists
                assert not extra, (path, username, extra)


def test_audit_log_is_the_districts(world):
    """Finding 3: /audit/log gave a Huangpu officer 195 of 317 entries of Jinshan's."""
    c, w = world["client"], world["world"]
    every = c.get("/api/v1/audit/log", params={"limit": 5000}, headers=world["tokens"]["admin"]).json()
    assert {e["district"] for e in every} == {"金山区", "黄浦区", None}  # None: system-wide (the first administrator)
    for key in td.KEYS:
        for role in ("officer", "auditor"):
            mine = c.get("/api/v1/audit/log", params={"limit": 5000}, headers=world["tokens"][w[key].users[role]]).json()
            assert mine and {e["district"] for e in mine} == {w[key].name}
            assert len(mine) == sum(1 for e in every if e["district"] == w[key].name)


# ------------------------------------------------------------------ pages

#                                                                  adm off off' rev rev' exp exp' aud aud' ent ent'
PAGES = [
    ("GET", "/office/applications/{A}", None,                     "200 200 404 200 404 403 403 200 404 403 403"),
    ("GET", "/my/applications/{A}", None,                         "403 403 403 403 403 403 403 403 403 200 404"),
    ("GET", "/expert/applications/{A}", None,                     "403 403 403 403 403 200 404 403 403 403 403"),
    ("GET", "/files/{A}/{F}", None,                               "200 200 404 200 404 200 404 200 404 200 404"),
    ("GET", "/office/exports/payment/{B}.xlsx", None,             "200 200 404 403 403 403 403 200 404 403 403"),
    ("GET", "/office/exports/notice/{N}.xlsx", None,              "200 200 404 403 403 403 403 200 404 403 403"),
    ("GET", "/office/rounds", None,                               "200 200 200 403 403 403 403 200 200 403 403"),
    ("GET", "/office/changes", None,                              "200 200 200 403 403 403 403 200 200 403 403"),
    ("GET", "/office/dashboard", None,                            "200 200 200 200 200 403 403 200 200 403 403"),
    # the simulation page (simulate.run): each district's officers and auditors, their own district's programmes
    ("GET", "/office/simulate", None,                             "200 200 200 403 403 403 403 200 200 403 403"),
    # an irreversible action first shows its confirmation page (200, nothing changed), then runs with confirmed=1
    ("POST", "/office/applications/{P}/act", {"action": "decline", "reason": "x"}, "403 200 404 403 404 403 403 403 404 403 403"),
    ("POST", "/office/applications/{P}/act", {"action": "decline", "reason": "x", "confirmed": "1"}, "403 303 404 403 404 403 403 403 404 403 403"),
    ("POST", "/office/payments/batches/{B}/run", {},              "403 200 404 404 404 403 403 403 404 403 403"),
    ("POST", "/office/payments/batches/{B}/run", {"confirmed": "1"}, "403 303 404 404 404 403 403 403 404 403 403"),
    ("POST", "/office/rounds/{R}/budget", {"budget": "abc", "reason": "x"}, "403 303 404 403 404 403 403 403 404 403 403"),
    ("POST", "/office/changes/{C}/decide", {"approve": "1", "reason": "x"}, "403 303 404 404 404 403 403 403 404 403 403"),
]


@pytest.fixture(scope="module")
def pages(world):
    from tests.api.conftest import web_login

    clients = {}
    for username in world["tokens"]:
        c = TestClient(world["app"])
        assert web_login(c, username, td.PASSWORD).status_code == 303
        clients[username] = c
    yield clients
    for c in clients.values():
        c.close()


PAGE_CASES = [(key, m, p, b, row) for (m, p, b, row) in PAGES for key in td.KEYS]


@pytest.mark.parametrize("key,method,path,body,row", PAGE_CASES, ids=[f"{m} {p} of {k}" for k, m, p, _b, _r in PAGE_CASES])
def test_pages(world, pages, key, method, path, body, row):
    from tests.api.conftest import page_csrf

    d = world["world"][key]
    url = _fill(path, d)

    def call(username):
        c = pages[username]
        if method == "GET":
            r = c.get(url, follow_redirects=False)
        else:
            r = c.post(url, data={**_fill(body, d), "csrf_token": page_csrf(c, "/")}, follow_redirects=False)
        return r.status_code, r.text[:200]

    _run_row(world, key, expect(row), call)


# ------------------------------------------------------------------ the CLI (the same services, the same answers)

#                                                                        adm off off' rev rev' exp exp' aud aud' ent ent'
CLI = [
    (["application", "show", "{A}"],                                    "200 200 404 200 404 200 404 200 404 200 404"),
    (["decision", "approve", "{P}", "1"],                               "403 409 404 403 404 404 404 403 404 403 404"),
    (["decision", "decline", "{P}", "--reason", "x"],                  "403 409 404 403 404 404 404 403 404 403 404"),
    (["payment", "run", "{B}"],                                         "403 200 404 404 404 404 404 403 404 404 404"),
    (["change", "decide", "{C}", "--approve", "--reason", "x"],         "403 409 404 404 404 404 404 403 404 403 404"),
    (["round", "close", "{R2code}"],                                    "403 409 404 403 404 403 404 403 404 404 404"),
    (["export", "payments", "{B}", "{out}"],                            "200 200 404 404 404 404 404 200 404 404 404"),
    (["review", "score", "{A}", "abc"],                                 "403 403 404 403 404 422 404 403 404 403 404"),
]


def _cli_outcome(out: str, rc: int) -> int:
    """The CLI prints the service's refusal in both languages (exit 2; rich wraps the lines): read
    back its kind from the English message."""
    if rc == 0:
        return 200
    flat = re.sub(r"\s+", "", out)
    if "oryoumaynotseeit" in flat:
        return 404
    if "mayonlybedoneby" in flat:
        return 403
    if "cannot" in flat or "possible:" in flat:
        return 409
    return 422


@pytest.fixture(scope="module")
def cli(world):
    from huiqi.cli.main import run
    from huiqi.config import set_settings

    env = {"HUIQI_DATABASE_URL": world["url"], "HUIQI_POLICY_DIR": str(world["policies"]), "HUIQI_DATA_DIR": str(world["tmp"] / "data"), "HUIQI_STORAGE_DIR": str(world["tmp"] / "data" / "files")}
    saved = {k: os.environ.get(k) for k in env}

    def call(args, actor):
        import contextlib
        import io

        os.environ.update(env)
        argv, out, err = sys.argv, io.StringIO(), io.StringIO()
        sys.argv = ["huiqi", *args, "--actor", actor]
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    run()
                    rc = 0
                except SystemExit as exc:
                    rc = exc.code or 0
        finally:
            sys.argv = argv
        text_ = out.getvalue() + err.getvalue()
        assert "Traceback" not in text_
        return _cli_outcome(text_, rc), text_

    yield call
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    set_settings(None)


CLI_CASES = [(key, args, row) for (args, row) in CLI for key in td.KEYS]


@pytest.mark.parametrize("key,args,row", CLI_CASES, ids=[f"{' '.join(a[:2])} of {k}" for k, a, _r in CLI_CASES])
def test_cli(world, cli, key, args, row):
    d = world["world"][key]
    ids = {**d.ids, "R2code": d.codes["R2"], "out": str(world["tmp"] / f"out-{key}.xlsx")}
    argv = [re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), a) for a in args]
    _run_row(world, key, expect(row), lambda username: cli(argv, username))
