"""The rule expression language: parse, print, and evaluate three-valued.

A small, pure, loop-free language for criteria and amounts. It is parsed by hand
(never ``eval``) into a tree of frozen nodes that the engine evaluates and the
population simulator compiles to ibis/SQL. ``None`` is *unknown*: an unknown fact
makes every operation on it unknown, except where Kleene logic decides without it
(``false and ?`` is false, ``true or ?`` is true) — exactly SQL's NULL semantics.

Grammar (lowest precedence first)::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := sum (("=="|"!="|"<"|"<="|">"|">=") sum | ["not"] "in" list)?
    sum      := product (("+"|"-") product)*
    product  := unary (("*"|"/") unary)*
    unary    := "-" unary | atom
    atom     := NUMBER [%|‰|‱] | STRING | true | false | date literal
              | NAME ("." NAME)* | NAME "(" args ")" | "(" expr ")" | list
    list     := "[" [literal ("," literal)*] "]"

Dotted names (``enterprise.revenue``) are facts; bare names are parameters.
Functions: min, max, if, known, date, year, days_between, years_between,
add_days, add_years.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator, Mapping, Union

__all__ = [
    "ExprError",
    "Node",
    "Literal",
    "Name",
    "Unary",
    "Binary",
    "In",
    "Call",
    "parse",
    "to_source",
    "evaluate",
    "names_in",
    "FUNCTIONS",
]

Value = Union[None, bool, Decimal, str, dt.date]


class ExprError(ValueError):
    """A syntax or type error in an expression, with the column where it happened."""

    def __init__(self, message_en: str, message_zh: str, *, source: str = "", column: int | None = None):
        self.message_en = message_en
        self.message_zh = message_zh
        self.source = source
        self.column = column
        where = f" (column {column + 1})" if column is not None else ""
        super().__init__(f"{message_zh} / {message_en}{where}: {source}")


# ---------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Literal:
    value: Value


@dataclass(frozen=True, slots=True)
class Name:
    """A fact (dotted, e.g. ``lease.annual_rent``) or a parameter (bare, e.g. ``rate``)."""

    name: str

    @property
    def is_fact(self) -> bool:
        return "." in self.name


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" or "-"
    operand: "Node"


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # and or == != < <= > >= + - * /
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class In:
    operand: "Node"
    options: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    args: tuple["Node", ...]


Node = Union[Literal, Name, Unary, Binary, In, Call]

# ---------------------------------------------------------------- lexing

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<suffix>%|‰|‱)?
  | (?P<string>"[^"\\]*"|'[^'\\]*'|“[^”]*”)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)

_SUFFIX = {"%": Decimal("0.01"), "‰": Decimal("0.001"), "‱": Decimal("0.0001")}
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "unknown"}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    value: Any
    column: int


def _lex(source: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m:
            raise ExprError(
                f"unexpected character {source[pos]!r}",
                f"无法识别的字符 {source[pos]!r}",
                source=source,
                column=pos,
            )
        kind = m.lastgroup if m.lastgroup != "suffix" else "number"
        if m.group("ws"):
            pass
        elif m.group("date"):
            try:
                value = dt.date.fromisoformat(m.group("date"))
            except ValueError:
                raise ExprError(
                    f"{m.group('date')} is not a real date",
                    f"{m.group('date')} 不是有效日期",
                    source=source,
                    column=pos,
                ) from None
            tokens.append(_Tok("literal", m.group(0), value, pos))
        elif m.group("number") is not None:
            value = Decimal(m.group("number").replace("_", ""))
            if m.group("suffix"):
                value = value * _SUFFIX[m.group("suffix")]
            tokens.append(_Tok("literal", m.group(0), value, pos))
        elif m.group("string"):
            tokens.append(_Tok("literal", m.group(0), m.group("string")[1:-1], pos))
        elif m.group("name"):
            word = m.group("name")
            if word in ("true", "false"):
                tokens.append(_Tok("literal", word, word == "true", pos))
            elif word == "unknown":
                tokens.append(_Tok("literal", word, None, pos))
            elif word in _KEYWORDS:
                tokens.append(_Tok("op", word, None, pos))
            else:
                tokens.append(_Tok("name", word, None, pos))
        else:
            tokens.append(_Tok("op", m.group("op"), None, pos))
        del kind
        pos = m.end()
    tokens.append(_Tok("end", "", None, len(source)))
    return tokens


# ---------------------------------------------------------------- parsing

FUNCTIONS: dict[str, tuple[int, int | None]] = {
    # name: (min args, max args or None for any)
    "min": (2, None),
    "max": (2, None),
    "if": (3, 3),
    "known": (1, 1),
    "year": (1, 1),
    "days_between": (2, 2),
    "years_between": (2, 2),
    "add_days": (2, 2),
    "add_years": (2, 2),
}

_COMPARE = {"==", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = _lex(source)
        self.i = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> _Tok:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            self.fail(tok, f"expected {text!r}", f"此处应为 {text!r}")
        return tok

    def fail(self, tok: _Tok, en: str, zh: str) -> None:
        got = tok.text or "end of expression"
        raise ExprError(f"{en}, got {got!r}", f"{zh}，实际为 {got!r}", source=self.source, column=tok.column)

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text == text

    def parse(self) -> Node:
        node = self.or_()
        if self.peek().kind != "end":
            self.fail(self.peek(), "unexpected text after the expression", "表达式后有多余内容")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.at("or"):
            self.take()
            node = Binary("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.at("and"):
            self.take()
            node = Binary("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.at("not"):
            self.take()
            return Unary("not", self.not_())
        return self.compare()

    def compare(self) -> Node:
        node = self.sum()
        tok = self.peek()
        if tok.kind == "op" and tok.text in _COMPARE:
            self.take()
            return Binary(tok.text, node, self.sum())
        if self.at("in"):
            self.take()
            return In(node, self.literal_list(), False)
        if self.at("not") and self.tokens[self.i + 1].text == "in":
            self.take()
            self.take()
            return In(node, self.literal_list(), True)
        return node

    def literal_list(self) -> tuple[Value, ...]:
        self.expect("[")
        items: list[Value] = []
        if not self.at("]"):
            while True:
                tok = self.take()
                negative = tok.kind == "op" and tok.text == "-"
                if negative:
                    tok = self.take()
                if tok.kind != "literal" or (negative and not isinstance(tok.value, Decimal)):
                    self.fail(tok, "a list may hold only literal values", "列表中只能是常量")
                items.append(-tok.value if negative else tok.value)
                if self.at(","):
                    self.take()
                    continue
                break
        self.expect("]")
        return tuple(items)

    def sum(self) -> Node:
        node = self.product()
        while self.at("+") or self.at("-"):
            op = self.take().text
            node = Binary(op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*") or self.at("/"):
            op = self.take().text
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            operand = self.unary()
            if isinstance(operand, Literal) and isinstance(operand.value, Decimal):
                return Literal(-operand.value)
            return Unary("-", operand)
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "literal":
            return Literal(tok.value)
        if tok.kind == "name":
            if self.at("("):
                return self.call(tok)
            return Name(tok.text)
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        self.fail(tok, "expected a value, a name or '('", "此处应为数值、名称或 '('")
        raise AssertionError  # pragma: no cover

    def call(self, tok: _Tok) -> Node:
        name = tok.text
        if name == "date":
            self.expect("(")
            arg = self.take()
            if arg.kind != "literal" or not isinstance(arg.value, (str, dt.date)):
                self.fail(arg, "date() takes a 'YYYY-MM-DD' string", "date() 需要 'YYYY-MM-DD' 形式的字符串")
            self.expect(")")
            try:
                value = arg.value if isinstance(arg.value, dt.date) else dt.date.fromisoformat(arg.value)
            except ValueError:
                self.fail(arg, "not a real date", "不是有效日期")
            return Literal(value)
        if name not in FUNCTIONS:
            raise ExprError(
                f"unknown function {name!r}; known: {', '.join(sorted(FUNCTIONS))}",
                f"未知函数 {name!r}",
                source=self.source,
                column=tok.column,
            )
        self.expect("(")
        args: list[Node] = []
        if not self.at(")"):
            while True:
                args.append(self.or_())
                if self.at(","):
                    self.take()
                    continue
                break
        self.expect(")")
        lo, hi = FUNCTIONS[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            raise ExprError(
                f"{name}() takes {lo if hi == lo else f'at least {lo}'} arguments, got {len(args)}",
                f"{name}() 的参数个数不对：{len(args)}",
                source=self.source,
                column=tok.column,
            )
        return Call(name, tuple(args))


def parse(source: str | int | float | Decimal | bool) -> Node:
    """Parse an expression (a YAML number or boolean is taken as a literal)."""
    if isinstance(source, bool):
        return Literal(source)
    if isinstance(source, (int, Decimal)):
        return Literal(Decimal(source))
    if isinstance(source, float):
        return Literal(Decimal(str(source)))
    if not isinstance(source, str) or not source.strip():
        raise ExprError("an expression must be non-empty text", "表达式不能为空", source=str(source))
    return _Parser(source).parse()


# ---------------------------------------------------------------- printing

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "atom": 8}


def _literal_source(value: Value) -> str:
    if value is None:
        return "unknown"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    if isinstance(value, dt.date):
        return f"date('{value.isoformat()}')"
    return '"' + value + '"' if '"' not in value else "'" + value + "'"


def _prec(node: Node) -> int:
    if isinstance(node, Binary):
        return _PRECEDENCE["cmp"] if node.op in _COMPARE else _PRECEDENCE[node.op]
    if isinstance(node, In):
        return _PRECEDENCE["cmp"]
    if isinstance(node, Unary):
        return _PRECEDENCE["not"] if node.op == "not" else _PRECEDENCE["neg"]
    if isinstance(node, Literal) and isinstance(node.value, Decimal) and node.value < 0:
        return _PRECEDENCE["neg"]
    return _PRECEDENCE["atom"]


def to_source(node: Node) -> str:
    """Print a tree back to source text that parses to the same tree."""
    if isinstance(node, Literal):
        return _literal_source(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Unary):
        inner = to_source(node.operand)
        if _prec(node.operand) <= _prec(node):
            inner = f"({inner})"
        return f"not {inner}" if node.op == "not" else f"-{inner}"
    if isinstance(node, Binary):
        mine = _prec(node)
        left = to_source(node.left)
        right = to_source(node.right)
        if _prec(node.left) < mine or (node.op in _COMPARE and _prec(node.left) == mine):
            left = f"({left})"
        if _prec(node.right) <= mine:
            right = f"({right})"
        return f"{left} {node.op} {right}"
    if isinstance(node, In):
        inner = to_source(node.operand)
        if _prec(node.operand) <= _PRECEDENCE["cmp"]:
            inner = f"({inner})"
        options = ", ".join(_literal_source(v) for v in node.options)
        return f"{inner} {'not in' if node.negated else 'in'} [{options}]"
    if isinstance(node, Call):
        return f"{node.function}({', '.join(to_source(a) for a in node.args)})"
    raise TypeError(node)  # pragma: no cover


def children(node: Node) -> tuple[Node, ...]:
    """The sub-expressions of ``node``: a binary's left and right, an operand, a call's arguments
    (an ``in`` list's options are values, not expressions)."""
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, (Unary, In)):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every sub-expression, depth first (a node before its children, left to right)."""
    yield node
    for child in children(node):
        yield from walk(child)


def names_in(node: Node) -> set[str]:
    """Every fact or parameter name the expression reads."""
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Unary):
        return names_in(node.operand)
    if isinstance(node, Binary):
        return names_in(node.left) | names_in(node.right)
    if isinstance(node, In):
        return names_in(node.operand)
    if isinstance(node, Call):
        out: set[str] = set()
        for arg in node.args:
            out |= names_in(arg)
        return out
    return set()


# ---------------------------------------------------------------- evaluation


class EvalTypeError(ExprError):
    """Operands of the wrong type met at evaluation time."""


def _type_error(op: str, *values: Value) -> EvalTypeError:
    kinds = ", ".join(type(v).__name__ for v in values)
    return EvalTypeError(f"operator {op!r} cannot apply to {kinds}", f"运算 {op!r} 不适用于 {kinds}")


def _add_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February → 28 February (民法典第二百零二条: last day of the month)
        return d.replace(year=d.year + n, day=28)


def _call(name: str, args: list[Value]) -> Value:
    if name == "known":
        return args[0] is not None
    if name in ("min", "max"):
        if any(a is None for a in args):
            return None
        return min(args) if name == "min" else max(args)  # type: ignore[type-var]
    if any(a is None for a in args):
        return None
    if name == "year":
        return Decimal(args[0].year)  # type: ignore[union-attr]
    if name == "days_between":
        return Decimal((args[1] - args[0]).days)  # type: ignore[operator]
    if name == "years_between":
        a, b = args  # whole years from a to b (age-style)
        years = b.year - a.year - ((b.month, b.day) < (a.month, a.day))  # type: ignore[union-attr]
        return Decimal(years)
    if name == "add_days":
        return args[0] + dt.timedelta(days=int(args[1]))  # type: ignore[operator, arg-type]
    if name == "add_years":
        return _add_years(args[0], int(args[1]))  # type: ignore[arg-type]
    raise ExprError(f"unknown function {name!r}", f"未知函数 {name!r}")  # pragma: no cover


def _compare(op: str, a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if type(a) is not type(b) and not (isinstance(a, Decimal) and isinstance(b, Decimal)):
        raise _type_error(op, a, b)
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def evaluate(node: Node, lookup: Callable[[str], Value]) -> Value:
    """Evaluate a tree; ``lookup(name)`` gives a fact or parameter value, ``None`` when unknown.

    The tree is compiled once into nested closures (:func:`compiled`) and the closure is called:
    the same rules as walking the tree (three-valued ``and``/``or``/``if``, unknown operands make
    unknown results, the same type errors), without deciding the node's kind again on every call."""
    hit = _compiled.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1](lookup)
    return compiled(node)(lookup)


Evaluator = Callable[[Callable[[str], Value]], Value]

# id(node) → (node, closure). The entry keeps its node alive, so an id is never reused while its
# entry stands; policies loaded again bring new nodes, and the cache starts afresh when it is full.
_compiled: dict[int, tuple[Node, Evaluator]] = {}
_COMPILED_LIMIT = 20_000
_fact_names: dict[int, tuple[Node, tuple[str, ...]]] = {}


def compiled(node: Node) -> Evaluator:
    """The closure that evaluates ``node`` (built once per node object)."""
    hit = _compiled.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    fn = _compile(node)
    if len(_compiled) > _COMPILED_LIMIT:
        _compiled.clear()
    _compiled[id(node)] = (node, fn)
    return fn


def fact_names(node: Node) -> tuple[str, ...]:
    """The dotted (fact) names the expression reads, sorted; computed once per node object."""
    hit = _fact_names.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    names = tuple(sorted(n for n in names_in(node) if "." in n))
    if len(_fact_names) > _COMPILED_LIMIT:
        _fact_names.clear()
    _fact_names[id(node)] = (node, names)
    return names


def _compile(node: Node) -> Evaluator:  # noqa: C901 - one case per kind of node, as evaluate had
    if isinstance(node, Literal):
        value = node.value
        return lambda lookup: value
    if isinstance(node, Name):
        name = node.name
        return lambda lookup: lookup(name)
    if isinstance(node, Binary):
        return _compile_binary(node.op, _compile(node.left), _compile(node.right))
    if isinstance(node, Unary):
        operand = _compile(node.operand)
        if node.op == "not":

            def not_(lookup: Callable[[str], Value]) -> Value:
                value = operand(lookup)
                if value is None:
                    return None
                if not isinstance(value, bool):
                    raise _type_error("not", value)
                return not value

            return not_

        def neg(lookup: Callable[[str], Value]) -> Value:
            value = operand(lookup)
            if value is None:
                return None
            if not isinstance(value, Decimal):
                raise _type_error("-", value)
            return -value

        return neg
    if isinstance(node, In):
        operand, options, negated = _compile(node.operand), node.options, node.negated

        def in_(lookup: Callable[[str], Value]) -> Value:
            value = operand(lookup)
            if value is None:
                return None
            found = value in options
            return (not found) if negated else found

        return in_
    if isinstance(node, Call):
        args = [_compile(a) for a in node.args]
        function = node.function
        if function == "if":
            cond_, then_, else_ = args

            def if_(lookup: Callable[[str], Value]) -> Value:
                cond = cond_(lookup)
                if cond is True:
                    return then_(lookup)
                if cond is False:
                    return else_(lookup)
                a = then_(lookup)
                b = else_(lookup)
                return a if a == b and a is not None else None

            return if_
        return lambda lookup: _call(function, [a(lookup) for a in args])
    raise TypeError(node)  # pragma: no cover


def _compile_binary(op: str, left_: Evaluator, right_: Evaluator) -> Evaluator:  # noqa: C901
    if op == "and":

        def and_(lookup: Callable[[str], Value]) -> Value:
            left = left_(lookup)
            if left is False:
                return False
            right = right_(lookup)
            if right is False:
                return False
            return None if left is None or right is None else True

        return and_
    if op == "or":

        def or_(lookup: Callable[[str], Value]) -> Value:
            left = left_(lookup)
            if left is True:
                return True
            right = right_(lookup)
            if right is True:
                return True
            return None if left is None or right is None else False

        return or_
    if op in _COMPARE:
        return lambda lookup: _compare(op, left_(lookup), right_(lookup))

    def arithmetic(lookup: Callable[[str], Value]) -> Value:
        left = left_(lookup)
        right = right_(lookup)
        if left is None or right is None:
            return None
        if op == "+":
            if isinstance(left, dt.date) or isinstance(right, dt.date):
                raise _type_error(op, left, right)
            return left + right  # type: ignore[operator]
        if op == "-":
            if isinstance(left, dt.date) and isinstance(right, dt.date):
                return Decimal((left - right).days)
            return left - right  # type: ignore[operator]
        if op == "*":
            return left * right  # type: ignore[operator]
        if op == "/":
            if right == 0:
                return None  # x / 0 is unknown, as NULLIF in SQL
            return left / right  # type: ignore[operator]
        raise _type_error(op, left, right)  # pragma: no cover

    return arithmetic


def coerce_literal(value: Any) -> Value:
    """Turn a YAML scalar into an expression value (numbers become Decimal)."""
    if value is None or isinstance(value, (bool, str, dt.date)):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:  # pragma: no cover
        raise ExprError(f"not a value: {value!r}", f"不是有效值：{value!r}") from None


def evaluate_with(node: Node, values: Mapping[str, Value]) -> Value:
    """Evaluate with a plain mapping of names to values (missing names are unknown)."""
    return evaluate(node, values.get)
