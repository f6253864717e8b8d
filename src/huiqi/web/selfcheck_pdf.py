"""The printable 自测结果单: the self-check's results as a PDF with a Chinese font embedded.

fpdf2 writes it (pure Python; it subsets and embeds OpenType fonts, including the CFF-outline
Noto Sans CJK of Debian's ``fonts-noto-cjk`` — reportlab cannot embed CFF outlines, and a browser's
print-to-PDF would need chromium on the server at run time). Nothing is fetched from the network.
The font is looked for at run time (``HUIQI_PDF_FONT``, then the usual Debian/Ubuntu/Fedora paths,
then fontconfig); without one, :class:`PdfUnavailable` is raised and the page says so — never a 500.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from huiqi.rules import PolicySet

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Fedora
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
)


class PdfUnavailable(RuntimeError):
    """The PDF cannot be made here (no CJK font, or fpdf2 missing): say so, offer the print view."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.message_zh, self.message_en = zh, en


@lru_cache(maxsize=1)
def find_font() -> tuple[str, int] | None:
    """(path, face index in a collection) of a font with Simplified Chinese, or None."""
    paths = [os.environ.get("HUIQI_PDF_FONT", "")] + list(FONT_CANDIDATES)
    for path in paths:
        if path and Path(path).is_file():
            return path, _sc_face(path)
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{file}\n%{index}", ":lang=zh-cn"], capture_output=True, text=True, timeout=5
            ).stdout.split("\n")
        except (OSError, subprocess.SubprocessError):
            return None
        if out and out[0] and Path(out[0]).is_file() and Path(out[0]).suffix.lower() in (".ttf", ".otf", ".ttc"):
            return out[0], int(out[1]) if len(out) > 1 and out[1].isdigit() else 0
    return None


def _sc_face(path: str) -> int:
    """In a collection (.ttc) the face whose family names Simplified Chinese (… SC); else 0."""
    if not path.lower().endswith(".ttc"):
        return 0
    try:
        from fontTools.ttLib import TTCollection

        with TTCollection(path, lazy=True) as coll:
            for i, font in enumerate(coll.fonts):
                family = str(font["name"].getDebugName(1) or "")
                if family.endswith(" SC") or "SC" in family.split():
                    return i
    except Exception:  # noqa: BLE001 - any unreadable font: the first face
        return 0
    return 0


def _wan(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)) / 10000:,.2f} 万元"


def build(ps: PolicySet, answers: Any, report: dict, *, lang: str = "zh", round_: dict | None = None) -> bytes:
    """The 自测结果单 as PDF bytes."""
    try:
        from fpdf import FPDF
    except ModuleNotFoundError:
        raise PdfUnavailable("服务器未安装 fpdf2", "fpdf2 is not installed on the server") from None
    font = find_font()
    if font is None:
        raise PdfUnavailable(
            "服务器上没有中文字体（请安装 fonts-noto-cjk）", "no Chinese font on the server (install fonts-noto-cjk)"
        )
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(16, 14, 16)
    path, face = font
    try:
        if path.lower().endswith(".ttc"):
            pdf.add_font("cjk", "", path, collection_font_number=face)
        else:
            pdf.add_font("cjk", "", path)
    except Exception as exc:  # noqa: BLE001 - a broken font file: say so, do not crash
        raise PdfUnavailable(f"中文字体无法读取：{path}", f"the Chinese font cannot be read: {path} ({exc})") from None
    _write(pdf, ps, answers, report, lang, round_)
    return bytes(pdf.output())


def _write(pdf: Any, ps: PolicySet, answers: Any, report: dict, lang: str, round_: dict | None) -> None:
    """The sheet's content: who, when, the totals, each document's results, the answers given."""
    from fpdf.enums import XPos, YPos

    from huiqi.web import selfcheck as sc
    from huiqi.web.i18n import pick, translate

    en = lang == "en"

    def t(key: str, **kw: Any) -> str:
        return translate(key, lang).format(**kw)

    def say(zh: str, en_: str) -> str:
        return pick(zh, en_, lang)

    def line(text: str, size: float = 10, h: float = 5.6, gray: int = 0) -> None:
        pdf.set_font("cjk", size=size)
        pdf.set_text_color(gray, gray, gray)
        pdf.multi_cell(pdf.epw, h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)

    def rule() -> None:
        pdf.set_draw_color(200, 200, 200)
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + pdf.epw, pdf.get_y() + 1)
        pdf.ln(3)

    pdf.set_title(say("政策自测结果单", "Self-check result sheet"))
    pdf.set_creator("huiqi")
    pdf.add_page()
    ent = answers.enterprise
    line(say("政策自测结果单", "Self-check result sheet"), size=17, h=9)
    made = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    line(
        f"{t('sc.results.on')} {answers.day().isoformat()} · {say('生成于', 'made')} {made}"
        f" · {t('sc.results.policy_version')} {report['policy_version']}",
        size=8.5,
        gray=90,
    )
    rule()
    who = [ent.get("name") or say("（未填写企业名称）", "(no name given)")]
    if ent.get("uscc"):
        who.append(f"{t('sc.place.uscc')} {ent['uscc']}")
    where = " ".join(str(ent.get(k)) for k in ("registered_district", "town") if ent.get(k))
    if where:
        who.append(where)
    line(" · ".join(who), size=11, h=6.5)
    if round_:
        period = f"{round_['period_start']} – {round_['period_end']}（{round_['name']}）"
        line(f"{t('sc.check.period')} {period}", size=9, gray=60)
    pdf.ln(2)
    line(f"{t('selfcheck.total')}：{_wan(report['total_ceiling'])}", size=12, h=7)
    line(f"{t('selfcheck.potential')}：{_wan(report['potential_ceiling'])}", size=10.5, h=6.2)
    rule()
    sep = say("、", "; ")
    for d in sc.results_view(ps, answers, report, lang):
        g = d.group
        if g.collapsed:
            line(g.summary_en if en else g.summary_zh, size=9.5, gray=70)
            pdf.ln(1)
            continue
        line(f"{g.district}{say('政策', ' policy')}《{g.document}》", size=12.5, h=7.5)
        for key in ("eligible", "needs_info", "automatic", "ineligible"):
            bucket = getattr(d, key)
            if bucket:
                line(f"{t('sc.results.' + key)}（{len(bucket)}）", size=10.5, h=6.5, gray=40)
            for r in bucket:
                title = pick(r["title"], r.get("title_en"), lang) + (
                    f" — {r['claim_title']}" if r.get("claim_title") else ""
                )
                money = ""
                if r["ceiling"] is not None and r["status"] in ("eligible", "needs_info"):
                    money = f"{t('result.ceiling')} {_wan(r['ceiling'])}" + (
                        say("（择优）", "") if r["discretionary"] else ""
                    )
                elif r["status"] == "needs_info" and r.get("possible_ceiling"):
                    money = f"{t('sc.results.possible')} {_wan(r['possible_ceiling'])}"
                line(f"• {title}" + (f"    {money}" if money else ""), size=9.5)
                extra = []
                if r.get("automatic"):
                    extra.append(t("sc.results.automatic_one", department=r["department"]))
                if r["status"] == "needs_info" and r.get("asks"):
                    asks = sep.join(pick(m["zh"], m["en"], lang) for m in r["asks"][:8])
                    extra.append(t("sc.results.asks") + asks + (" …" if len(r["asks"]) > 8 else ""))
                for f in r["failed"][:3]:
                    extra.append(
                        f"{say('未满足', 'not met')}：{pick(f['label_zh'], f['label_en'], lang)}（{f['clause']['ref']}）"
                    )
                for f in r["soft_failed"][:3]:
                    extra.append(f"{t('result.soft_failed')}：{pick(f['label_zh'], f['label_en'], lang)}")
                for text in extra:
                    line(f"    {text}", size=8.5, h=4.8, gray=70)
            if bucket:
                pdf.ln(1)
        if d.unasked or d.other:
            line(f"{t('sc.results.unasked')}：{len(d.unasked) + len(d.other)}", size=8.5, gray=90)
        pdf.ln(2)
    rule()
    line(say("你的回答", "Your answers"), size=11, h=6.5)
    rv = sc.review(ps, answers, lang)
    rows = [(pick(*r.label, lang), r.value) for r in rv["place"] + rv["enterprise"]]
    for c in rv["claims"]:
        rows.append((c["title"], ""))
        rows += [(f"    {pick(*r.label, lang)}", r.value) for r in c["rows"]]
    for label, value in rows:
        line(f"{label}：{value}" if value else label, size=8.5, h=4.8)
    pdf.ln(3)
    line(t("sc.results.disclaimer"), size=8, gray=100)
