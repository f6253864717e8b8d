"""Drive the guided self-check through HTTP the way a browser without JavaScript does: read the
form of the page (the signed ``state``, ``page``, ``keys``, ``return``), post it back with answers."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field


def _attr(html: str, name: str) -> str | None:
    m = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    return htmllib.unescape(m.group(1)) if m else None


@dataclass
class Walk:
    client: object
    html: str = ""
    pages: list[str] = field(default_factory=list)

    def start(self, url: str = "/selfcheck") -> "Walk":
        r = self.client.get(url)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text[:500]
        self._seen(r.text)
        return self

    def _seen(self, html: str) -> None:
        self.html = html
        self.pages.append(self.page)

    @property
    def page(self) -> str:
        if 'id="totals"' in self.html:
            return "results"
        return _attr(self.html, "page") or ""

    @property
    def keys(self) -> list[str]:
        k = _attr(self.html, "keys")
        return k.split(",") if k else []

    @property
    def state(self) -> str:
        return _attr(self.html, "state") or ""

    @property
    def h1(self) -> str:
        m = re.search(r"<h1>(.*?)</h1>", self.html, re.S)
        return re.sub(r"<[^>]+>", "", m.group(1)).strip() if m else ""

    def labels(self) -> list[str]:
        """The questions on the page, by their visible label (unit included)."""
        found = re.findall(
            r'<label for="q-(?:enterprise-|claim-(?!label))[^"]+">(.*?)</label>|<legend>(.*?)</legend>',
            self.html,
            re.S,
        )
        return [re.sub(r"<[^>]+>", "", a or b).strip() for a, b in found]

    def post(self, action: str = "next", answers: dict | None = None, url: str = "/selfcheck", **extra) -> "Walk":
        data: dict = {
            "csrf_token": _attr(self.html, "csrf_token"),
            "state": self.state,
            "page": self.page,
            "action": action,
        }
        for name in ("keys", "return"):
            if _attr(self.html, name) is not None:
                data[name] = _attr(self.html, name)
        data.update(answers or {})
        data.update(extra)
        r = self.client.post(url, data=data)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text[:800]
        self._seen(r.text)
        return self

    def blank_until(self, page: str, limit: int = 30) -> list[list[str]]:
        """Answer every question page with blanks (暂不清楚) until ``page``; the labels asked, per page."""
        asked = []
        for _ in range(limit):
            if self.page == page:
                return asked
            assert self.page == "questions", self.page
            asked.append(self.labels())
            self.post("next")
        raise AssertionError(f"never reached {page}")
