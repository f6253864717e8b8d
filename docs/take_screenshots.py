"""Take the guides' screenshots (docs/img/*.png) of the real pages with Debian's chromium.

Starts ``huiqi serve --demo`` on a temporary database, moves the demo's application under review
through experts, notice, approval and payment over the API (so the dashboard has figures), then
photographs the enterprise's and the officer's pages.

Run: .venv/bin/python docs/take_screenshots.py   (needs chromium and a CJK font, e.g. fonts-noto-cjk)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("HUIQI_SHOTS_OUT") or ROOT / "docs" / "img")  # another folder: try without touching docs/
PASSWORD = "huiqi-demo-2026"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = Path(tempfile.mkdtemp(prefix="huiqi-shots-"))
    env = dict(os.environ, HUIQI_DATA_DIR=str(tmp), HUIQI_STORAGE_DIR=str(tmp / "files"))
    proc = subprocess.Popen([sys.executable, "-m", "huiqi.cli.main", "serve", "--demo", "--port", str(port), "--db", str(tmp / "demo.sqlite")], env=env, cwd=str(tmp), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        advance(base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("HUIQI_CHROMIUM") or shutil.which("chromium"), args=ARGS, headless=True)
            shoot(browser, base)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def tok(c: httpx.Client, user: str) -> dict:
    r = c.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def advance(base: str) -> None:
    """The demo application under review: experts, consultation, shortlist, notice, approval, payment."""
    with httpx.Client(base_url=base, timeout=30) as c:
        off = tok(c, "officer-js")
        apps = c.get("/api/v1/applications", params={"state": "district_checked"}, headers=off).json()
        if not apps:
            return
        aid = apps[0]["id"]
        experts = [e["id"] for e in c.get("/api/v1/experts", headers=off).json() if e["username"] in ("expert-js1", "expert-js2")]
        c.post(f"/api/v1/applications/{aid}/experts", json={"expert_ids": experts}, headers=off).raise_for_status()
        for ex, sc in (("expert-js1", "86"), ("expert-js2", "90")):
            c.post(f"/api/v1/applications/{aid}/score", json={"score": sc, "comment": "创新性强，数据可信"}, headers=tok(c, ex)).raise_for_status()
        c.post(f"/api/v1/applications/{aid}/consult", json={"department": "区财政局", "opinion": "同意"}, headers=off).raise_for_status()
        rid = apps[0]["round_id"]
        c.post(f"/api/v1/rounds/{rid}/shortlist", json={}, headers=off).raise_for_status()
        today = dt.date.today()
        n = c.post("/api/v1/notices", json={"application_ids": [aid], "published_on": today.isoformat(), "title": "金山区生物医药产业项目拟立项公示"}, headers=off)
        n.raise_for_status()
        c.post(f"/api/v1/notices/{n.json()['id']}/close", json={"on": (today + dt.timedelta(days=21)).isoformat()}, headers=off).raise_for_status()
        detail = c.get(f"/api/v1/applications/{aid}", headers=off).json()
        c.post(f"/api/v1/applications/{aid}/approve", json={"amount": detail["proposed_amount"] or detail["ceiling"], "reason": "经专家评审择优，同意立项"}, headers=off).raise_for_status()
        b = c.post("/api/v1/payment-batches", json={"pay_on": today.isoformat()}, headers=off)
        b.raise_for_status()
        c.post(f"/api/v1/payment-batches/{b.json()['id']}/run", headers=off).raise_for_status()


def shoot(browser, base: str) -> None:
    def login(page, user: str) -> None:
        page.goto(f"{base}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

    def next_step(page) -> None:
        before = page.get_attribute("#selfcheck input[name=state]", "value")
        page.click("#sc-next")
        page.wait_for_function("v => { const s = document.querySelector('#selfcheck input[name=state]'); return s && s.value !== v; }", arg=before)

    def snap(page, name: str, full: bool = True) -> None:
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)

    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{base}/")
    snap(page, "home", full=False)
    page.goto(f"{base}/programmes/J2.3")
    snap(page, "programme", full=False)
    login(page, "ent-js2")
    # the guided self-check (docs/guide-enterprise.md §2): what is on record is not asked
    page.goto(f"{base}/selfcheck?programme=J2.5")
    if page.locator("#has-device").count():
        page.check("#has-device")
        next_step(page)
    snap(page, "selfcheck-questions", full=False)
    for _ in range(12):
        if page.locator("#sc-next:has-text('查看测算结果')").count():
            break
        next_step(page)
    snap(page, "selfcheck-check", full=False)
    next_step(page)
    snap(page, "selfcheck-results", full=False)
    page.goto(f"{base}/my")
    snap(page, "enterprise-my", full=False)
    first = page.locator("#my-apps a").first
    if first.count():
        first.click()
        page.wait_for_load_state("networkidle")
        snap(page, "enterprise-application")
    page.click("header form[action='/logout'] button")
    login(page, "ent-js1")
    snap(page, "enterprise-paid", full=False)

    page.click("header form[action='/logout'] button")
    login(page, "officer-js")
    snap(page, "officer-queue", full=False)
    approved = page.locator("#queue tr", has_text="已立项").locator("a")
    (approved.first if approved.count() else page.locator("#queue a").first).click()
    page.wait_for_load_state("networkidle")
    snap(page, "officer-application")
    for path, name in (("/office/notices", "officer-notices"), ("/office/payments", "officer-payments"), ("/office/dashboard", "officer-dashboard"), ("/office/rounds", "officer-rounds"), ("/office/imports", "officer-imports")):
        page.goto(base + path)
        snap(page, name, full=False)
    page.click("header form[action='/logout'] button")
    login(page, "reviewer-shanyang")
    snap(page, "reviewer-queue", full=False)
    page.click("header form[action='/logout'] button")
    login(page, "expert-js1")
    snap(page, "expert-home", full=False)
    page.goto(f"{base}/?lang=en")
    page.goto(f"{base}/policies")
    snap(page, "policies-en", full=False)
    ctx.close()


if __name__ == "__main__":
    sys.exit(main())
