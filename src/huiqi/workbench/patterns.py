"""The regular wordings of subsidy documents, as patterns: sums, rates, ratios, qualifiers,
the header, validity, process and materials.

Every function here reads one sentence (or line) and returns what it could parse; nothing
guesses beyond the words. Money is ``Decimal`` yuan (``50 万元`` → 500000), rates are
``Decimal`` fractions with the text as written (``30%`` → 0.3, ``3‰`` → 0.003, ``2‱`` →
0.0002, ``1:0.5`` → 0.5).

The qualifiers the review needs (docs/policy-format.md §6):
原则上 → ``soft``; 最高 / 择优 / 不超过 / 视情况 → ``discretionary``; 每年 / 单年度 → a yearly
ceiling; 单个主体每年最高 / 每家企业单年度最高 → a per-entity yearly cap (``caps:``);
三年内 → ``multi_year``; 一次性 → one-off; 分别 → sums paired with the items listed;
就高（不重复）→ ``highest_tier``; 每新增 1 个 → ``per_unit``; 满一年后再给予 → ``staged``;
配套 / 1:0.5 → ``match``; 公示期限为 5 个工作日 → ``process.notice_working_days``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from huiqi.workbench.text import CN_NUM, cn_number, marker_of

NUM = r"\d+(?:\.\d+)?"
_UNIT_SCALE = {
    "亿元": Decimal(100_000_000),
    "亿": Decimal(100_000_000),
    "万元": Decimal(10_000),
    "万": Decimal(10_000),
    "元": Decimal(1),
}
MONEY = re.compile(
    rf"(?P<a>{NUM})\s*(?:[-－—~～]\s*(?P<b>{NUM})\s*)?"
    r"(?P<unit>亿元|万元|万(?=[奖支补资的一，,。；;、/\s（(]|$)|亿(?=[元，,。；;、\s]|$)|(?<![单美])元)"
)
_LIST_BEFORE = re.compile(rf"(?:{NUM}\s*、\s*)+$")
PERCENT = re.compile(rf"(?P<n>{NUM})\s*(?P<s>%|％|‰|‱)")
RATIO = re.compile(rf"(?<![\d.])(?P<x>{NUM})\s*[:：]\s*(?P<y>{NUM})(?![\d.])")
_PCT_SCALE = {"%": Decimal("0.01"), "％": Decimal("0.01"), "‰": Decimal("0.001"), "‱": Decimal("0.0001")}

AWARD = re.compile(r"给予|给与|补贴|资助|奖励|支持|配套|最高|不超过|可支持|予以")
AWARD_VERB = re.compile(r"给予|给与|补贴|资助|奖励|最高|不超过|可支持|予以|配套")
THRESHOLD = re.compile(r"突破|达到|达|超过|不低于|不少于|以上|以下|收入|成交额|营业额|规模|投资额")
THRESHOLD_AFTER = re.compile(r"^\s*(?:（含）|\(含\)|以上|以下|及以上|[—－\-~～至])")
ENTITY = re.compile(r"(?:单个|每家|每个|每一)[^，,；;。]{0,10}?(?:主体|企业|单位|机构|服务站|孵化器|载体)")
PER_YEAR = re.compile(r"每年|单年度|每年度|年度")
PER_UNIT = re.compile(r"每新增|每增加|每(?:\d+|[一两])个")
STAGED = re.compile(rf"满\s*(?P<n>[{CN_NUM}\d]+)\s*(?P<u>年|个月)\S{{0,4}}?后再|再给予")
CEILING = re.compile(r"最高|不超过|上限|以内|最多")
DISCRETIONARY = re.compile(r"最高|择优|不超过|视情况|上限")
SOFT = re.compile(r"原则上")
YEARS = re.compile(rf"(?P<n>[{CN_NUM}\d]+)\s*年内")
ONE_OFF = re.compile(r"一次性")
HIGHEST_ONLY = re.compile(r"就高|不重复")
RESPECTIVELY = re.compile(r"分别")
MATCHING = re.compile(r"配套")
COUNT_ONCE = re.compile(r"同一\S{0,6}不同规格视为同一\S{0,4}")
_CLAUSE = re.compile(r"[^，,；;。：:！？!?]+")


def scalar_decimal(value: Decimal) -> str:
    """1 → "1", 0.50 → "0.5": a Decimal as the shortest exact text."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def yuan(number: str, unit: str) -> Decimal:
    """``50``, ``万元`` → Decimal(500000): exact, never float."""
    value = Decimal(number) * _UNIT_SCALE[unit]
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


@dataclass(frozen=True)
class MoneyMention:
    value: Decimal
    start: int
    end: int
    upper: Decimal | None = None  # 50-200 万元: value 500000, upper 2000000


def money_mentions(text: str) -> list[MoneyMention]:
    """Every sum of money in a sentence, in order; ``20、50、100 万元`` gives three."""
    out: list[MoneyMention] = []
    for m in MONEY.finditer(text):
        unit = m.group("unit")
        listed = _LIST_BEFORE.search(text[: m.start()])
        if listed:
            pos = listed.start()
            for n in re.finditer(NUM, listed.group(0)):
                out.append(MoneyMention(yuan(n.group(0), unit), pos + n.start(), pos + n.end()))
        upper = yuan(m.group("b"), unit) if m.group("b") else None
        out.append(MoneyMention(yuan(m.group("a"), unit), m.start(), m.end(), upper))
    return out


@dataclass(frozen=True)
class RateMention:
    value: Decimal  # fraction
    text: str  # as written: 30%, 3‰, 2‱, 1:0.5
    start: int
    end: int
    ratio: bool = False


def rate_mentions(text: str) -> list[RateMention]:
    out = [
        RateMention(
            Decimal(m.group("n")) * _PCT_SCALE[m.group("s")],
            f"{m.group('n')}{m.group('s').replace('％', '%')}",
            m.start(),
            m.end(),
        )
        for m in PERCENT.finditer(text)
    ]
    for m in RATIO.finditer(text):
        x = Decimal(m.group("x"))
        if x:
            out.append(
                RateMention(
                    Decimal(m.group("y")) / x, f"{m.group('x')}:{m.group('y')}", m.start(), m.end(), ratio=True
                )
            )
    return sorted(out, key=lambda r: r.start)


def _clause_bounds(text: str, pos: int) -> tuple[int, int]:
    for m in _CLAUSE.finditer(text):
        if m.start() <= pos < m.end():
            return m.start(), m.end()
    return 0, len(text)


_LABEL_NOISE = re.compile(r"分别|择优|最高|给予|给与|不超过|可支持|每年|单年度|一次性|的$|可$|再$")


@dataclass
class Sum:
    """A sum of money the sentence awards, with what kind of sum it is."""

    value: Decimal
    role: str  # fixed / ceiling / unit / staged / year / entity_year / entity
    label: str  # the words that say what the sum is for (I 期临床试验)
    after_months: int = 0


@dataclass
class Rate:
    value: Decimal
    text: str
    base_label: str  # 租金, 项目研发投入, 市级资金
    matching: bool  # 配套: a share of a higher-level grant


@dataclass
class SupportSentence:
    """What one sentence of a support standard says, as far as its wording is regular."""

    text: str
    sums: list[Sum] = field(default_factory=list)
    thresholds: list[Decimal] = field(default_factory=list)
    rate: Rate | None = None
    years: int | None = None
    discretionary: bool = False
    soft: bool = False
    one_off: bool = False
    highest_only: bool = False
    respectively: bool = False
    count_once: bool = False
    condition: str = ""  # the 对……的 phrase, or the clauses before the amount
    categories: list[str] = field(default_factory=list)

    @property
    def awards(self) -> list[Sum]:
        return [s for s in self.sums if s.role not in ("entity_year", "entity")]

    @property
    def entity_caps(self) -> list[Sum]:
        return [s for s in self.sums if s.role in ("entity_year", "entity")]

    @property
    def quantified(self) -> bool:
        return bool(self.sums or self.rate)


def _role(text: str, mention: MoneyMention, prev_end: int) -> str:
    a, _ = _clause_bounds(text, mention.start)
    pre = text[a : mention.start]
    if THRESHOLD_AFTER.match(text[mention.end :]):
        return "threshold"
    if THRESHOLD.search(pre) and not AWARD_VERB.search(pre):
        return "threshold"
    if ENTITY.search(pre) and PER_YEAR.search(pre):
        return "entity_year"
    if ENTITY.search(pre) and CEILING.search(pre):
        return "entity"
    if PER_UNIT.search(text[prev_end : mention.start]):
        return "unit"
    if STAGED.search(pre):
        return "staged"
    if PER_YEAR.search(pre) and CEILING.search(pre):
        return "year"
    if CEILING.search(text[max(a, prev_end) : mention.start]) or CEILING.search(pre):
        return "ceiling"
    return "fixed"


def _label(text: str, mention: MoneyMention, prev_end: int) -> str:
    a, _ = _clause_bounds(text, mention.start)
    start = max(a, prev_end)
    label = text[start : mention.start].strip(" 、，,")
    for _ in range(3):
        label = _LABEL_NOISE.sub("", label).strip(" 、，,")
    marker, rest = marker_of(label)
    return (rest if marker else label).strip()


def _months(text: str) -> int:
    m = STAGED.search(text)
    if not m or not m.group("n"):
        return 12
    n = cn_number(m.group("n")) or 1
    return n * 12 if m.group("u") == "年" else n


def condition_of(text: str) -> str:
    """The clauses before the first that states the amount (按…%, 给予, a sum), without numbering."""
    marker, rest = marker_of(text)
    offset = len(text) - len(rest) if marker else 0
    parts = []
    for m in _CLAUSE.finditer(text, offset):
        chunk = m.group(0)
        if re.search(r"按照?|给予|给与|予以|补贴|资助", chunk) or MONEY.search(chunk) or PERCENT.search(chunk):
            break
        parts.append((m.start(), m.end()))
    if not parts:
        return ""
    return text[parts[0][0] : parts[-1][1]].strip(" ，,")


def parse_support(text: str) -> SupportSentence | None:
    """Parse a sentence that states support; None when it states none (no sum, rate or award verb)."""
    result = SupportSentence(text)
    prev_end = 0
    for mention in money_mentions(text):
        role = _role(text, mention, prev_end)
        if role == "threshold":
            result.thresholds.append(mention.value)
            if mention.upper is not None:
                result.thresholds.append(mention.upper)
            continue
        value = mention.upper if mention.upper is not None else mention.value
        if mention.upper is not None:
            role = "ceiling"  # 50-200 万元: the upper end is the most
        result.sums.append(
            Sum(
                value,
                role,
                _label(text, mention, prev_end),
                _months(text[: mention.start]) if role == "staged" else 0,
            )
        )
        prev_end = mention.end
    for r in rate_mentions(text):
        a, _ = _clause_bounds(text, r.start)
        pre = text[: r.start]
        anchor = max(pre.rfind("按照"), pre.rfind("按"))
        if anchor < 0 or (not r.ratio and anchor < a and not re.search(r"按照?[^，,；;。]*$", text[: r.start])):
            continue
        base = text[anchor : r.start]
        base = re.sub(r"^按照?", "", base)
        base = re.sub(r"^(?:不超过|不高于)", "", base)
        base = re.sub(r"(?:给予|给与|最高|不超过|的|\s)+$", "", base)
        result.rate = Rate(r.value, r.text, base.strip(), bool(MATCHING.search(text)) or r.ratio)
        break
    if not result.quantified and not re.search(r"给予|给与|予以|奖励|补贴|资助|配套", text):
        return None
    m = YEARS.search(text)
    if m and result.quantified:
        result.years = cn_number(m.group("n"))
    result.discretionary = bool(DISCRETIONARY.search(text))
    result.soft = bool(SOFT.search(text))
    result.one_off = bool(ONE_OFF.search(text))
    result.highest_only = bool(HIGHEST_ONLY.search(text))
    result.respectively = bool(RESPECTIVELY.search(text))
    result.count_once = bool(COUNT_ONCE.search(text))
    result.condition = condition_of(text)
    if result.respectively and result.condition:
        items = [c.strip() for c in re.split(r"、|和|及|或", result.condition) if c.strip()]
        if len(items) == len(result.awards):
            result.categories = items
    return result


# ---------------------------------------------------------------- header, validity, process, materials

DOC_NUMBER = re.compile(r"^(?P<n>[\u4e00-\u9fff]{1,12}\s*〔\s*\d{4}\s*〕\s*\d+\s*号)$")
DATE = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
ISSUER_END = re.compile(r"(委员会|办公室|人民政府|政府|局|委|厅|部|中心|办)$")
DISTRICT = re.compile(r"[省市](?P<d>[\u4e00-\u9fff]{2,3}?[区县])")
VALIDITY = re.compile(
    r"有效期(?:至|为|截止|自|[^。；]{0,6}规定)|施行|起实施|后实施|之日起\S{0,6}实施|参照本\S{0,6}执行"
)
UNTIL = re.compile(rf"有效期(?:至|截止到?)\s*{DATE.pattern}")
FROM_DATE = re.compile(rf"自\s*{DATE.pattern}\s*起\S{{0,2}}(?:施行|实施|执行)")
FROM_ISSUE = re.compile(r"自(?:颁布|印发|发布|公布)之日起\s*(?:(?P<n>\d+)\s*日后)?\S{0,2}(?:施行|实施)")
RETROACTIVE = re.compile(rf"{DATE.pattern}\s*(?:起)?至本\S{{0,6}}(?:实施|施行)前\S*?参照本\S{{0,6}}执行")
SAME_AS_OTHER = re.compile(r"(?:施行|实施)时间同《")


def to_date(m: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


@dataclass
class Validity:
    """What a validity sentence fixes: a start, an end, a retroactive window."""

    start: dt.date | None = None
    start_days_after_issue: int | None = None  # 自颁布之日起 30 日后实施
    starts_on_issue: bool = False
    until: dt.date | None = None
    retroactive_from: dt.date | None = None
    refers_elsewhere: bool = False  # 施行时间同《……》规定的有效期


def parse_validity(text: str) -> Validity | None:
    if not VALIDITY.search(text):
        return None
    v = Validity()
    if m := UNTIL.search(text):
        v.until = to_date(m)
    if m := FROM_DATE.search(text):
        v.start = to_date(m)
    if m := FROM_ISSUE.search(text):
        if m.group("n"):
            v.start_days_after_issue = int(m.group("n"))
        else:
            v.starts_on_issue = True
    if m := RETROACTIVE.search(text):
        v.retroactive_from = to_date(m)
    v.refers_elsewhere = bool(SAME_AS_OTHER.search(text))
    return v


STAGE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("application", re.compile(r"申报|填报|提交|申请")),
    ("town_confirmation", re.compile(r"(?:镇|园区)[^。；]{0,20}确认")),
    ("district_check", re.compile(r"初审|受理|审核|形式审查")),
    ("expert_review", re.compile(r"专家|评审")),
    ("consultation", re.compile(r"征求|征询|部门[^。；]{0,8}意见")),
    ("shortlist", re.compile(r"拟立项|入围名单|奖励名单|拟获奖")),
    ("public_notice", re.compile(r"公示|向社会公布")),
    ("approval", re.compile(r"立项|批准|表彰|核定")),
    ("payment", re.compile(r"拨付|兑付|颁发[^。]{0,8}奖金")),
)
NOTICE_DAYS = re.compile(r"(?:公示|公布)[^。]{0,16}?(?P<n>\d+)\s*个工作日")
MODES = (
    ("automatic", re.compile(r"免申即享|免于申报|无需申报")),
    ("offline", re.compile(r"线下递交|现场递交|书面递交|纸质")),
    ("online", re.compile(r"网络系统|网上|一网通办|线上|在线")),
)


def stages_in(text: str) -> list[str]:
    return [stage for stage, pattern in STAGE_WORDS if pattern.search(text)]


def notice_days(text: str) -> int | None:
    m = NOTICE_DAYS.search(text)
    return int(m.group("n")) if m else None


def mode_in(text: str) -> str | None:
    for mode, pattern in MODES:
        if pattern.search(text):
            return mode
    return None


@dataclass
class MaterialItem:
    name: str
    form: str | None  # copy / original / original_for_check / electronic; None: the text does not say
    required: bool
    when: str | None  # 新增用地项目提供


def parse_material(text: str) -> MaterialItem:
    marker, rest = marker_of(text)
    name = (rest if marker else text).strip().rstrip("；;。.，,")
    if re.search(r"原件核验", name):
        form = "original_for_check"
    elif re.search(r"复印件", name):
        form = "copy"
    elif re.search(r"原件", name):
        form = "original"
    elif re.search(r"电子|扫描件|截图", name):
        form = "electronic"
    else:
        form = None
    when = None
    if m := re.search(r"[（(]([^（）()]*?提供)", name):
        when = m.group(1).split("、")[0]
    required = not re.search(r"^其他|其他需要|其他佐证", name)
    return MaterialItem(name, form, required, when)


STAMPED = re.compile(r"复印件[^。]{0,6}须?加盖[^。]{0,8}公章")
DOC_CONDITION = re.compile(r"适用于|原则上|不予支持|重复享受|不可重复|不得|信用")
DEPARTMENT = re.compile(r"(?P<d>区[\u4e00-\u9fff]{1,6}?)负责[^。]{0,10}受理")
