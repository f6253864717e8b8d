"""Charts drawn on the server as SVG (no JavaScript, no external service)."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from markupsafe import Markup, escape

from huiqi.money import format_wan as _fw


def format_wan(v, places: int = 4) -> str:  # noqa: ANN001
    return f"{_fw(v, places)}万"

PALETTE = ("#b71c1c", "#0969da", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#57606a")


def _nice_max(v: Decimal) -> Decimal:
    if v <= 0:
        return Decimal(1)
    exp = len(str(int(v))) - 1
    step = Decimal(10) ** exp
    for m in (1, 2, 2.5, 5, 10):
        top = step * Decimal(str(m))
        if top >= v:
            return top
    return step * 10


def bar_chart(items: Iterable[tuple[str, Decimal]], *, title: str, width: int = 560, bar_h: int = 26) -> Markup:
    """Horizontal bars, labelled with the sum in 万元."""
    data = [(str(k), Decimal(v)) for k, v in items]
    label_w, pad = 150, 10
    h = max(1, len(data)) * (bar_h + 8) + 46
    top = _nice_max(max((v for _, v in data), default=Decimal(0)))
    plot_w = width - label_w - 110
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<text x="{pad}" y="20" font-size="15" font-weight="600" fill="#1f2328">{escape(title)}</text>']
    if not data:
        out.append(f'<text x="{pad}" y="50" font-size="13" fill="#66707a">—</text>')
    for i, (k, v) in enumerate(data):
        y = 34 + i * (bar_h + 8)
        w = 0 if top == 0 else float(v / top) * plot_w
        out.append(f'<text x="{label_w - 6}" y="{y + bar_h * 0.68:.1f}" font-size="13" text-anchor="end" fill="#1f2328">{escape(k[:14])}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(k)}: {escape(format_wan(v))}</title></rect>')
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.68:.1f}" font-size="12" fill="#1f2328">{escape(format_wan(v))}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def column_chart(items: Iterable[tuple[str, Decimal]], *, title: str, width: int = 560, height: int = 260) -> Markup:
    """Vertical columns (e.g. by month)."""
    data = [(str(k), Decimal(v)) for k, v in items]
    left, bottom, topm = 60, 40, 34
    plot_h = height - bottom - topm
    plot_w = width - left - 16
    top = _nice_max(max((v for _, v in data), default=Decimal(0)))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<text x="10" y="20" font-size="15" font-weight="600" fill="#1f2328">{escape(title)}</text>']
    for j in range(5):
        val = top * j / 4
        y = topm + plot_h - plot_h * j / 4
        out.append(f'<line x1="{left}" x2="{width - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dee4"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#66707a">{escape(format_wan(val, 0))}</text>')
    n = max(1, len(data))
    slot = plot_w / n
    for i, (k, v) in enumerate(data):
        hh = 0 if top == 0 else float(v / top) * plot_h
        x = left + i * slot + slot * 0.15
        out.append(f'<rect x="{x:.1f}" y="{topm + plot_h - hh:.1f}" width="{slot * 0.7:.1f}" height="{hh:.1f}" fill="#0969da"><title>{escape(k)}: {escape(format_wan(v))}</title></rect>')
        out.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle" fill="#1f2328">{escape(k)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def budget_chart(rows: Iterable[dict], *, title: str, used_label: str, budget_label: str, width: int = 560) -> Markup:
    """Per round: the budget as a grey track, the approved sum over it (red when above)."""
    data = list(rows)
    bar_h, label_w = 22, 150
    h = max(1, len(data)) * (bar_h + 26) + 40
    plot_w = width - label_w - 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<text x="10" y="20" font-size="15" font-weight="600" fill="#1f2328">{escape(title)}</text>']
    for i, r in enumerate(data):
        y = 34 + i * (bar_h + 26)
        used = Decimal(r["used"])
        budget = Decimal(r["budget"]) if r.get("budget") else None
        scale = max(budget or Decimal(0), used) or Decimal(1)
        out.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="13" text-anchor="end" fill="#1f2328">{escape(str(r["code"])[:16])}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" rx="3" fill="#eef1f4"/>')
        uw = float(used / scale) * plot_w
        colour = "#cf222e" if budget is not None and used > budget else "#1a7f37"
        out.append(f'<rect x="{label_w}" y="{y}" width="{uw:.1f}" height="{bar_h}" rx="3" fill="{colour}"/>')
        if budget is not None:
            bx = label_w + float(budget / scale) * plot_w
            out.append(f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{y - 3}" y2="{y + bar_h + 3}" stroke="#1f2328" stroke-width="2"/>')
        pct = f" ({used / budget * 100:.0f}%)" if budget else ""
        text = f"{used_label} {format_wan(used)} / {budget_label} {format_wan(budget) if budget is not None else '—'}{pct}"
        out.append(f'<text x="{label_w}" y="{y + bar_h + 15}" font-size="12" fill="#1f2328">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
