"""Browser fixtures: the app served by uvicorn on loopback, and Debian's chromium driven by Playwright
(no browser download). Without chromium the browser tests skip — except in CI, where the suite-wide
hook in the root conftest.py turns that skip into a failure."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.api.conftest import make_env, wf_policies  # noqa: F401 - the fixture is shared

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CRITERIA = "创新性 30\n产业化前景 30\n经济社会效益 20\n财务状况 20"  # the round's expert criteria (issue 16)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    return os.environ.get("HUIQI_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    exe = chromium_path()
    if not exe:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); set HUIQI_CHROMIUM to use another")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(tmp_path, wf_policies):
    """The web app with the test world, a round open today for WF-RENT (experts score four criteria),
    served on 127.0.0.1."""
    import uvicorn

    from huiqi.workflow.rounds import service as rounds
    from huiqi.workflow.users import service as users

    env = make_env(tmp_path, wf_policies)
    today = dt.date.today()
    with env["maker"]() as s:
        officer = users.by_username(session=s, username="officer")
        rounds.close_round(session=s, round_id=env["ids"]["round"], actor=officer)
        r = rounds.create(session=s, code=f"JS-{today.year}-E2E", name=f"{today.year} 年度租房补贴（端到端）", programmes=["WF-RENT"], year=today.year, opens_on=today - dt.timedelta(days=1), closes_on=today + dt.timedelta(days=60), period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), budget="3000000", actor=officer, policies=wf_policies, criteria=CRITERIA)
        rounds.open_round(session=s, round_id=r.id, actor=officer)
        s.commit()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(env["app"], host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    env["base"] = f"http://127.0.0.1:{port}"
    yield env
    server.should_exit = True
    thread.join(timeout=10)
    env["engine"].dispose()
