"""Budget charts as hand-written SVG (no network, no plotting library needed)."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path


def _yuan_wan(v: Decimal) -> str:
    return f"{(v / 10000):,.1f} 万"


def budget_svg(rows: list[dict], path: str | Path, *, title: str = "预算（封顶后）/ budget after caps by programme", series: tuple[str, ...] = ("after_caps",), labels: tuple[str, ...] = ("",)) -> Path:
    """Horizontal bars per programme; one bar per series (e.g. baseline and reform)."""
    colours = ("#2b6cb0", "#dd6b20", "#38a169")
    bar, gap, left, width = 14, 10, 150, 520
    n = len(rows)
    height = 60 + n * (bar * len(series) + gap) + 30
    peak = max([Decimal(0)] + [Decimal(r.get(s) or 0) for r in rows for s in series]) or Decimal(1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 160}" height="{height}" font-family="sans-serif" font-size="12">']
    out.append(f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>')
    for i, (s, lab) in enumerate(zip(series, labels)):
        if lab:
            out.append(f'<rect x="{left + i * 130}" y="32" width="10" height="10" fill="{colours[i % 3]}"/><text x="{left + 14 + i * 130}" y="41">{escape(lab)}</text>')
    y = 55
    for r in rows:
        out.append(f'<text x="{left - 6}" y="{y + bar * len(series) / 2 + 4}" text-anchor="end">{escape(str(r["programme"]))}</text>')
        for i, s in enumerate(series):
            v = Decimal(r.get(s) or 0)
            w = float(v / peak) * width if peak else 0
            out.append(f'<rect x="{left}" y="{y}" width="{max(w, 0):.1f}" height="{bar - 2}" fill="{colours[i % 3]}"><title>{escape(str(r["programme"]))}: {v} 元</title></rect>')
            out.append(f'<text x="{left + max(w, 0) + 4:.1f}" y="{y + bar - 4}" font-size="10">{_yuan_wan(v)}</text>')
            y += bar
        y += gap
    out.append("</svg>")
    path = Path(path)
    path.write_text("\n".join(out), encoding="utf-8")
    return path
