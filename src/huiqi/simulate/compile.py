"""Compile the rule model to ibis expressions: the engine's semantics, one table at a time.

Every programme becomes a table expression over the population table with one row per
result the engine would produce (one per enterprise for enterprise-subject programmes; one
per claim of the programme's kind, or one "no such claim" row, for claim-subject ones),
carrying the status code and the ceiling in fen. count_once_per and the per-entity annual
caps are window functions over those rows. Everything mirrors ``huiqi.rules.engine``:

* three-valued logic is SQL's NULL logic (``unknown`` = NULL, Kleene AND/OR);
* numbers are exact decimals of the narrowest type that holds every value of the operation
  (``DECIMAL(p, s)``: money × rate keeps both scales, a sum one more integer digit — SQL's own
  rules, written out as casts so that DuckDB and Spark agree); only where that would need more
  than 38 digits is the value carried as DECIMAL(38, 10) instead, as the engine's 28-digit Decimal
  context would round it anyway. Narrow types stay in 64-bit integers in DuckDB: DECIMAL(38, 10)
  arithmetic (128-bit, overflow-checked, rescaled after each product) cost 0.4 µs a row per
  product, most of a claim kind's time (``docs/simulation.md``, *Numbers*);
* ``x / 0`` is NULL; min/max of an unknown is unknown (not SQL's NULL-skipping LEAST);
* the ceiling is rounded to the fen (ROUND_HALF_UP) once, at the end of each result, and
  carried as an exact integer number of fen from there on (caps are integer arithmetic).

Parameters are resolved at the evaluation date and constant-folded with the engine's own
evaluator, so whatever a parameter or a reform says, the constant parts are computed by
exactly the same code as in the engine. What cannot be compiled (an operation the engine
would reject with a type error, a cap whose limit depends on which programme comes first)
is refused when the policies are compiled, naming the programme and rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import ibis
import ibis.expr.datatypes as idt
import ibis.expr.operations as ops

from huiqi.rules import expr as E
from huiqi.rules import model as M
from huiqi.rules.engine import ELIGIBLE, INELIGIBLE, NEEDS_INFO, NOT_IN_FORCE, OUT_OF_SCOPE
from huiqi.rules.errors import PolicyError, Problem
from huiqi.rules.facts import CALL, ENTERPRISE
from huiqi.rules.model import programme_nodes
from huiqi.simulate.watched import PLACEHOLDER, Templates, WatchedDate, cache_root, can_template, template_key

NUM = idt.Decimal(38, 10)  # the fallback: a value whose exact type would need more than 38 digits
MAX_DIGITS = 38
INT_DIGITS = 18  # the widest 64-bit decimal; a year or a number of days is DECIMAL(18, 0) (range-checked by the cast)
STATUS_CODES = {ELIGIBLE: 0, INELIGIBLE: 1, NEEDS_INFO: 2, NOT_IN_FORCE: 3, OUT_OF_SCOPE: 4}
STATUS_NAMES = {v: k for k, v in STATUS_CODES.items()}
FACT_KIND = {"bool": "bool", "int": "num", "number": "num", "money": "num", "ratio": "num", "date": "date", "text": "str", "enum": "str"}
IBIS_TYPE = {"bool": idt.boolean, "num": NUM, "str": idt.string, "date": idt.date, "null": idt.boolean}

ENTERPRISE_ID = "enterprise_id"
CLAIM_KIND = "claim__kind"
CLAIM_ID = "claim__id"
CLAIM_SEQ = "claim__seq"


def column_of(fact: str) -> str:
    """``enterprise.registered_district`` → ``enterprise__registered_district``."""
    return fact.replace(".", "__")


class CompileError(PolicyError):
    """A rule the compiler cannot translate; raised at load (compile) time with the rule's name."""


def refuse(where: str, zh: str, en: str) -> CompileError:
    return CompileError([Problem(where, f"无法编译为 SQL：{zh}", f"cannot be compiled to SQL: {en}")])


class Refusal(Exception):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


# ------------------------------------------------------------------ compiled values

_NOTC = object()


@dataclass
class X:
    """A compiled value: a Python constant (folded) or an ibis expression, with its static type."""

    ty: str  # bool / num / str / date / null
    expr: Any = None
    const: Any = _NOTC
    raw: Any = None  # a numeric column in its stored type (before the cast to DECIMAL(38, 10))
    nul: Any = _NOTC  # a never-null flag, TRUE exactly where the value is NULL (when known from the parts)

    @property
    def is_const(self) -> bool:
        return self.const is not _NOTC

    def ibis(self, ty: str | None = None) -> Any:
        if not self.is_const:
            return self.expr
        t = ty or self.ty
        if self.const is None:
            return ibis.null(IBIS_TYPE[t if t != "null" else "bool"])
        return lit(self.const)


def lit(value: Any) -> Any:
    if isinstance(value, bool):
        return ibis.literal(value, type=idt.boolean)
    if isinstance(value, Decimal):
        p, s = dec_type_of(value)
        return dec_lit(value, p, s)
    if isinstance(value, WatchedDate):  # the evaluation date of a SQL template (simulate/watched.py)
        return ibis.literal(PLACEHOLDER, type=idt.date)
    if isinstance(value, dt.date):
        return ibis.literal(value, type=idt.date)
    if isinstance(value, str):
        return ibis.literal(value, type=idt.string)
    raise TypeError(value)  # pragma: no cover


def const(value: Any) -> X:
    return X(_type_of(value), const=value)


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Decimal):
        return "num"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "str"
    raise Refusal(f"不支持的常量 {value!r}", f"unsupported constant {value!r}")


def cast_num(e: Any) -> Any:
    """Force DECIMAL(38, 10) (ibis would elide a cast it thinks is a no-op)."""
    return ops.Cast(e, NUM).to_expr()


# ------------------------------------------------------------------ exact decimal types


def dec_type_of(value: Decimal) -> tuple[int, int]:
    """The narrowest DECIMAL(p, s) holding ``value`` exactly (0.003 → (3, 3); 2000000 → (7, 0))."""
    if not value.is_finite():
        raise Refusal(f"不支持的数值 {value}", f"unsupported number {value}")
    _, digits, exp = value.normalize().as_tuple()
    assert isinstance(exp, int)
    if exp >= 0:
        return max(1, len(digits) + exp), 0
    return max(len(digits), -exp, 1), -exp


def dec_lit(value: Decimal, p: int, s: int) -> Any:
    """``value`` as a literal of type DECIMAL(p, s), printed in plain digits."""
    if p > MAX_DIGITS:
        return ibis.literal(value, type=NUM)
    plain = value.quantize(Decimal(1).scaleb(-s)) if s else value.quantize(Decimal(1))
    return ibis.literal(plain, type=idt.Decimal(p, s))


def dec_of(e: Any) -> tuple[int, int]:
    """The exact (p, s) of a numeric expression (every numeric expression here carries its true type)."""
    t = e.type()
    if t.is_decimal() and t.precision is not None and t.scale is not None:
        return t.precision, t.scale
    if t.is_integer():
        return 19, 0
    return NUM.precision, NUM.scale


def as_dec(e: Any, p: int, s: int) -> Any:
    """``e`` (a column, a literal or an expression typed here) as DECIMAL(p, s): a cast where its type differs."""
    if dec_of(e) == (p, s) and e.type().is_decimal():
        return e
    return ops.Cast(e, idt.Decimal(p, s)).to_expr()


def typed_result(e: Any, p: int, s: int) -> Any:
    """An arithmetic result cast to the type it was computed to have: always written out, as ibis's
    own type for ``a * b`` or ``a + b`` is not the SQL engine's (a no-op cast where they agree)."""
    return ops.Cast(e, idt.Decimal(p, s)).to_expr()


def common_dec(types: Iterable[tuple[int, int]]) -> tuple[int, int] | None:
    """The type both SQL engines give a CASE or comparison over these: the most integer digits
    and the largest scale (None: more than 38 digits, use DECIMAL(38, 10))."""
    types = list(types)
    if not types:
        return (1, 0)
    s = max(t[1] for t in types)
    p = max(t[0] - t[1] for t in types) + s
    return (max(p, 1), s) if p <= MAX_DIGITS else None


def _patch_ibis_decimals() -> None:
    """ibis refuses to compare or unify two decimals when neither type holds the other
    (DECIMAL(11, 2) against DECIMAL(4, 4)), although every SQL engine does: the common type has
    the most integer digits and the largest scale. That rule, for decimals of known precision and
    scale only; every other type keeps ibis's own rule."""
    import importlib

    C_ = importlib.import_module("ibis.expr.datatypes.cast")  # the module (the package exports a function `cast`)

    if getattr(C_, "_huiqi_decimals", False):
        return
    castable, higher = C_.castable, C_.higher_precedence

    def both(a: Any, b: Any) -> bool:
        return a.is_decimal() and b.is_decimal() and None not in (a.precision, a.scale, b.precision, b.scale)

    def castable_(source: Any, target: Any, value: Any = None) -> bool:
        return True if both(source, target) else castable(source, target, value)

    def higher_(left: Any, right: Any) -> Any:
        if both(left, right):
            t = common_dec([(left.precision, left.scale), (right.precision, right.scale)]) or (38, 10)
            return idt.Decimal(t[0], t[1], nullable=left.nullable or right.nullable)
        return higher(left, right)

    C_.castable, C_.higher_precedence, C_._huiqi_decimals = castable_, higher_, True


_patch_ibis_decimals()


# Boolean helpers over Python bool/None constants or ibis expressions (B = bool | None | ibis).


def b_is_const(b: Any) -> bool:
    return b is None or isinstance(b, bool)


def b_ibis(b: Any) -> Any:
    if b is None:
        return ibis.null(idt.boolean)
    if isinstance(b, bool):
        return ibis.literal(b, type=idt.boolean)
    return b


def b_and(*items: Any) -> Any:
    """Kleene AND with folding (also fine for never-null flags)."""
    rest = []
    saw_none = False
    for b in items:
        if b is False:
            return False
        if b is True:
            continue
        if b is None:
            saw_none = True
            continue
        rest.append(b)
    if not rest:
        return None if saw_none else True
    out = rest[0]
    for b in rest[1:]:
        out = out & b
    if saw_none:
        out = out & ibis.null(idt.boolean)
    return out


def b_or(*items: Any) -> Any:
    rest = []
    saw_none = False
    for b in items:
        if b is True:
            return True
        if b is False:
            continue
        if b is None:
            saw_none = True
            continue
        rest.append(b)
    if not rest:
        return None if saw_none else False
    out = rest[0]
    for b in rest[1:]:
        out = out | b
    if saw_none:
        out = out | ibis.null(idt.boolean)
    return out


def b_not(b: Any) -> Any:
    if b is None:
        return None
    if isinstance(b, bool):
        return not b
    return ~b


def isnull(x: X) -> Any:
    """A never-null flag: is the value unknown?

    Where the value's NULLs follow from its parts (``a * b`` is NULL exactly where ``a`` or ``b``
    is), the flag is built from the parts' flags, so that asking whether an amount is unknown
    does not compute the amount again (``x.nul``)."""
    if x.is_const:
        return x.const is None
    if x.nul is not _NOTC:
        return x.nul
    return null_check(x.raw if x.raw is not None else x.expr)


def nul_case(branches: list[tuple[Any, Any]], default: Any) -> Any:
    """CASE WHEN c1 THEN f1 … ELSE default over never-null conditions and flags, folded:
    a TRUE flag is ``c OR rest``, a FALSE one ``NOT c AND rest``."""
    acc = default
    for cond, flag in reversed(branches):
        if cond is False or cond is None:
            continue
        if cond is True:
            acc = flag
        elif flag is True:
            acc = b_or(cond, acc)
        elif flag is False:
            acc = b_and(b_not(cond), acc)
        elif not b_is_const(acc) and flag.equals(acc):
            continue
        else:
            acc = ibis.ifelse(cond, flag, b_ibis(acc))
    return acc


def num(expr: Any, *parts: X) -> X:
    """A numeric X that is NULL exactly where one of ``parts`` is."""
    return X("num", expr, nul=b_or(*[isnull(p) for p in parts]))


def _native_literal(col: Any, value: Decimal) -> Any:
    """``value`` as a literal of the column's own numeric type, when that is exact (else None):
    comparing a DECIMAL(18, 2) or BIGINT column with such a literal is the same comparison,
    without widening every value to DECIMAL(38, 10)."""
    t = col.type()
    if not value.is_finite():
        return None
    if t.is_integer():
        if value != value.to_integral_value() or abs(value) >= 2**62:
            return None
        return ibis.literal(int(value), type=t)
    if t.is_decimal() and t.precision is not None and t.scale is not None and t.precision <= 18:
        q = value.quantize(Decimal(1).scaleb(-t.scale))
        if q != value or len(q.as_tuple().digits) > t.precision or abs(q) >= Decimal(10) ** (t.precision - t.scale):
            return None
        return ibis.literal(q, type=t)
    return None


def null_check(e: Any) -> Any:
    """e IS NULL, safe from the SQL printer's precedence slip (``NOT x IS NULL`` means NOT (x IS NULL))."""
    if isinstance(e.op(), ops.Field) or not e.type().is_boolean():
        return e.isnull()
    return e.cast(idt.int8).isnull()


def is_true(b: Any) -> Any:
    """Never-null: b is TRUE."""
    if b_is_const(b):
        return b is True
    return b.fill_null(False)


def is_false(b: Any) -> Any:
    if b_is_const(b):
        return b is False
    return (~b).fill_null(False)


def x_of_b(b: Any) -> X:
    if b_is_const(b):
        return const(b)
    return X("bool", b)


def b_of_x(x: X) -> Any:
    """A bool-typed X as a B."""
    if x.is_const:
        return x.const
    return x.expr


def as_bool(x: X) -> Any:
    """The engine's truthiness in and/or/criteria: unknown stays unknown, any known non-bool is true."""
    if x.is_const:
        if x.const is None or isinstance(x.const, bool):
            return x.const
        return True
    if x.ty == "bool":
        return x.expr
    return ibis.ifelse(null_check(x.expr), ibis.null(idt.boolean), True)


def choose(branches: list[tuple[Any, X]], default: X, ty: str) -> X:
    """CASE WHEN c1 THEN v1 … ELSE default, with never-null conditions folded where constant."""
    kept: list[tuple[Any, X]] = []
    for cond, value in branches:
        if cond is False or cond is None:
            continue
        if cond is True:
            default = value
            break
        kept.append((cond, value))
    if not kept:
        return default
    if ty == "null":
        ty = "bool"
    if ty == "num":
        vals = num_exprs([v for _, v in kept] + [default])
        args = [(c, e) for (c, _), e in zip(kept, vals)]
        out = ibis.cases(*args, else_=vals[-1])
    else:
        args = [(c, v.ibis(ty)) for c, v in kept]
        out = ibis.cases(*args, else_=default.ibis(ty))
    return X(ty, out, nul=nul_case([(c, isnull(v)) for c, v in kept], isnull(default)))


def num_exprs(xs: list[X]) -> list[Any]:
    """Numeric values (constants, NULL, expressions) as expressions of one common exact type."""
    types = [dec_type_of(x.const) if x.is_const else dec_of(x.expr) for x in xs if not (x.is_const and x.const is None)]
    t = common_dec(types)
    out = []
    for x in xs:
        if t is None:
            out.append(ibis.null(NUM) if x.is_const and x.const is None else cast_num(x.ibis("num")))
        elif x.is_const:
            out.append(ibis.null(idt.Decimal(*t)) if x.const is None else dec_lit(x.const, *t))
        else:
            out.append(as_dec(x.expr, *t))
    return out


def choose_b(branches: list[tuple[Any, Any]], default: Any) -> Any:
    """The same for never-null flags."""
    kept = []
    for cond, value in branches:
        if cond is False or cond is None:
            continue
        if cond is True:
            default = value
            break
        kept.append((cond, value))
    if not kept:
        return default
    return ibis.cases(*[(c, b_ibis(v)) for c, v in kept], else_=b_ibis(default))


def unify(a: str, b: str) -> str:
    if a == "null":
        return b
    if b == "null" or a == b:
        return a
    return "mixed"


# ------------------------------------------------------------------ name resolution


class Resolver:
    """Names for one programme over one table: facts are columns, parameters are constants."""

    def __init__(self, table: Any, vocab: Any, programme: M.Programme | None, document: M.Document, on: dt.date, *, claimless: bool = False, params: dict | None = None, notnull: frozenset = frozenset()):
        self.t = table
        self.notnull = notnull
        self.vocab = vocab
        self.programme = programme
        self.document = document
        self.on = on
        self.subject = None if claimless or programme is None else programme.subject
        self.columns = set(table.columns)
        self.params = params if params is not None else param_values(programme, document, on)

    def fact(self, name: str) -> X:
        subject, _, fname = name.partition(".")
        fdef = self.vocab.fact(name)
        kind = FACT_KIND[fdef.type] if fdef else "null"
        col = column_of(name)
        if subject == CALL:
            if fname == "date":
                if col in self.columns:
                    return X("date", self.t[col].fill_null(lit(self.on)))
                return const(self.on)
            return X(kind, _typed(self.t[col], kind)) if col in self.columns else X(kind, const=None)
        if subject == ENTERPRISE or (subject == self.subject and subject is not None):
            if col not in self.columns:
                raise Refusal(f"人口表缺少列 {col}", f"the population table has no column {col!r}")
            c = self.t[col]
            if col in self.notnull:  # never unknown in these rows: no IS NULL terms downstream
                return X(kind, _typed(c, kind), raw=c if kind == "num" else None, nul=False)
            return X(kind, _typed(c, kind), raw=c if kind == "num" else None)
        return const(None)  # another subject (or no claim): unknown

    def param(self, name: str) -> Any:
        return self.params.get(name)

    def name_unknown(self, name: str) -> Any:
        """Never-null: would the engine's lookup(name) be None?"""
        if "." in name:
            if name == f"{CALL}.date":
                return False
            return isnull(self.fact(name))
        return self.param(name) is None


def _typed(col: Any, kind: str) -> Any:
    """A fact column as the compiler reads it: decimals in their own type, integers as
    DECIMAL(19, 0), anything else (floating point) as DECIMAL(38, 10)."""
    if kind != "num":
        return col
    t = col.type()
    if t.is_decimal() and t.precision is not None and t.scale is not None:
        return col
    if t.is_integer():
        return ops.Cast(col, idt.Decimal(19, 0)).to_expr()
    return cast_num(col)


def param_values(programme: M.Programme | None, document: M.Document, on: dt.date) -> dict[str, Any]:
    out = {n: p.at(on) for n, p in document.parameters.items()}
    if programme is not None:
        out.update({n: p.at(on) for n, p in programme.parameters.items()})
    return out


# ------------------------------------------------------------------ expressions


def _fold(node: E.Node, params: dict[str, Any]) -> E.Node:
    """Substitute parameters; evaluate fact-free subtrees with the engine's own evaluator."""
    if not any("." in n for n in E.names_in(node)):
        try:
            return E.Literal(E.evaluate(node, params.get))
        except E.ExprError as exc:
            raise Refusal(f"常量表达式出错：{exc.message_zh}", f"constant expression fails: {exc.message_en}") from None
    if isinstance(node, E.Unary):
        return E.Unary(node.op, _fold(node.operand, params))
    if isinstance(node, E.Binary):
        return E.Binary(node.op, _fold(node.left, params), _fold(node.right, params))
    if isinstance(node, E.In):
        return E.In(_fold(node.operand, params), node.options, node.negated)
    if isinstance(node, E.Call):
        return E.Call(node.function, tuple(_fold(a, params) for a in node.args))
    return node


def compile_expr(node: E.Node, r: Resolver) -> X:
    return _c(_fold(node, r.params), r)


def _bad(op: str, *xs: X) -> Refusal:
    kinds = ", ".join(x.ty for x in xs)
    return Refusal(f"运算 {op!r} 不适用于 {kinds}", f"operator {op!r} cannot apply to {kinds}")


def _c(node: E.Node, r: Resolver) -> X:
    if isinstance(node, E.Literal):
        return const(node.value)
    if isinstance(node, E.Name):
        if node.is_fact:
            return r.fact(node.name)
        return const(r.param(node.name))
    if isinstance(node, E.Unary):
        x = _c(node.operand, r)
        if x.ty == "null":
            return const(None)
        if node.op == "not":
            if x.ty != "bool":
                raise _bad("not", x)
            return x_of_b(b_not(b_of_x(x)))
        if x.ty != "num":
            raise _bad("-", x)
        return num(typed_result(-x.expr, *dec_of(x.expr)), x) if not x.is_const else const(-x.const)
    if isinstance(node, E.Binary):
        return _binary(node, r)
    if isinstance(node, E.In):
        x = _c(node.operand, r)
        if x.ty == "null":
            return const(None)
        options = [v for v in node.options if v is not None and _type_of(v) == x.ty]
        if x.ty == "bool":
            raise _bad("in", x)
        if not options:
            found: Any = ibis.ifelse(null_check(x.expr), ibis.null(idt.boolean), False)
        else:
            found = x.expr.isin([lit(v) for v in options])
        return X("bool", ~found if node.negated else found)
    if isinstance(node, E.Call):
        return _call(node, r)
    raise TypeError(node)  # pragma: no cover


_CMP = {"==", "!=", "<", "<=", ">", ">="}


def _binary(node: E.Binary, r: Resolver) -> X:
    op = node.op
    left, right = _c(node.left, r), _c(node.right, r)
    if op in ("and", "or"):
        a, b = as_bool(left), as_bool(right)
        return x_of_b(b_and(a, b) if op == "and" else b_or(a, b))
    if left.ty == "null" or right.ty == "null":
        return const(None)
    if op in _CMP:
        if left.ty != right.ty:
            if op in ("==", "!="):
                both = b_and(b_not(isnull(left)), b_not(isnull(right)))
                return x_of_b(choose_b([(both, op == "!=")], None) if not b_is_const(both) else (op == "!=" if both else None))
            raise _bad(op, left, right)
        if left.ty == "num":
            a, b = _native_pair(left, right)
        else:
            a, b = left.expr if not left.is_const else left.ibis(), right.expr if not right.is_const else right.ibis()
        res = {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()
        return X("bool", res, nul=b_or(isnull(left), isnull(right)))
    a, b = left.ibis(), right.ibis()
    if op == "+":
        if left.ty == right.ty == "num":
            return num(a + b, left, right)
        if left.ty == right.ty == "str":
            return X("str", a.concat(b))
        raise _bad(op, left, right)
    if op == "-":
        if left.ty == right.ty == "num":
            return num(a - b, left, right)
        if left.ty == right.ty == "date":
            return X("num", _int_dec(a.delta(b, unit="day")))
        raise _bad(op, left, right)
    if op == "*":
        if left.ty == right.ty == "num":
            return _mul(left, right)
        raise _bad(op, left, right)
    if op == "/":
        if left.ty == right.ty == "num":
            # Exactness: DuckDB divides decimals in DOUBLE; the quotient is re-cast to DECIMAL(38, 10).
            q = cast_num(a.cast(idt.float64) / b.cast(idt.float64))
            return X("num", ibis.ifelse(b == lit(Decimal(0)), ibis.null(NUM), q), nul=b_or(isnull(left), isnull(right), is_true(b == lit(Decimal(0)))))
        raise _bad(op, left, right)
    raise _bad(op, left, right)  # pragma: no cover


def _call(node: E.Call, r: Resolver) -> X:
    name = node.function
    if name == "if":
        cond = _c(node.args[0], r)
        a, b = _c(node.args[1], r), _c(node.args[2], r)
        ty = unify(a.ty, b.ty)
        if ty == "mixed":
            raise _bad("if", a, b)
        if ty == "null":
            return const(None)
        c = b_of_x(cond) if cond.ty == "bool" else None  # a known non-bool condition is neither true nor false
        if a.is_const and b.is_const:
            same: Any = a.const is not None and a.const == b.const
        else:
            same = (a.ibis(ty) == b.ibis(ty)).fill_null(False)
        return choose([(is_true(c), a), (is_false(c), b), (same, a)], X(ty, const=None), ty)
    args = [_c(a, r) for a in node.args]
    if name == "known":
        return x_of_b(b_not(isnull(args[0])))
    if name in ("min", "max"):
        ty = "null"
        for x in args:
            ty = unify(ty, x.ty)
        if ty == "mixed" or ty == "bool":
            raise _bad(name, *args)
        if ty == "null":
            return const(None)
        if any(x.is_const and x.const is None for x in args):
            return const(None)
        vals = num_exprs(args) if ty == "num" else [x.ibis(ty) for x in args]
        f = ibis.least if name == "min" else ibis.greatest
        anynull = b_or(*[isnull(x) for x in args])
        return choose([(anynull, X(ty, const=None))], X(ty, f(*vals), nul=False), ty)  # NULL exactly where anynull
    if any(x.ty == "null" for x in args):
        return const(None)
    if name == "year":
        _need(name, args, "date")
        return X("num", _int_dec(args[0].ibis().year()))
    if name == "days_between":
        _need(name, args, "date", "date")
        return X("num", _int_dec(args[1].ibis().delta(args[0].ibis(), unit="day")))
    if name == "years_between":
        _need(name, args, "date", "date")
        a, b = args[0].ibis(), args[1].ibis()
        before = (b.month() < a.month()) | ((b.month() == a.month()) & (b.day() < a.day()))
        return X("num", _int_dec(b.year() - a.year() - ibis.ifelse(before, 1, 0)))
    if name == "add_days":
        _need(name, args, "date", "num")
        n = args[1].ibis()
        whole = (n - n % lit(Decimal(1))).cast(idt.int64)
        return X("date", args[0].ibis() + whole.as_interval("D"))
    if name == "add_years":
        _need(name, args, "date", "num")
        n = args[1].ibis()
        whole = (n - n % lit(Decimal(1))).cast(idt.int32)
        return X("date", args[0].ibis() + whole.as_interval("Y"))
    raise Refusal(f"未知函数 {name}", f"unknown function {name!r}")  # pragma: no cover


def _need(name: str, args: list[X], *types: str) -> None:
    if tuple(x.ty for x in args) != types:
        raise _bad(name, *args)


# ------------------------------------------------------------------ amounts


@dataclass
class AmountX:
    value: X  # num (unknown = NULL): the engine's _eval result
    unk: Any  # never-null: unknown_names is non-empty
    na: Any  # never-null: not_applicable was set


def _v(node: E.Node, r: Resolver) -> tuple[X, Any]:
    """The engine's _val: the value, and whether it added unknown names."""
    x = compile_expr(node, r)
    if x.ty not in ("num", "null"):
        raise Refusal(f"金额表达式应为数值：{E.to_source(node)}", f"an amount expression must be a number: {E.to_source(node)}")
    names = E.names_in(node)
    unk = b_and(isnull(x), b_or(*[r.name_unknown(n) for n in sorted(names)]))
    return x, unk


NULLNUM = X("num", const=None)


def _capped(value: X, cap: E.Node | None, r: Resolver) -> tuple[X, Any]:
    """_cap: min(value, cap); an unknown cap makes the value unknown."""
    if cap is None:
        return value, False
    c, cu = _v(cap, r)
    if c.is_const and c.const is None:
        return NULLNUM, cu
    out = choose([(isnull(c), NULLNUM), (is_true(_cmp(value, ">", c)), c)], value, "num")
    if not out.is_const:
        out.nul = b_or(isnull(value), isnull(c))  # min(value, cap): unknown where either is
    return out, cu


def compile_amount(amount: M.Amount, r: Resolver) -> AmountX:
    if isinstance(amount, M.Fixed):
        x, u = _v(amount.amount, r)
        return AmountX(x, u, False)
    if isinstance(amount, (M.Rate, M.PerUnit)):
        if isinstance(amount, M.Rate):
            a, au = _v(amount.base, r)
            b, bu = _v(amount.rate, r)
        else:
            a, au = _v(amount.count, r)
            b, bu = _v(amount.unit_amount, r)
        missing = b_or(isnull(a), isnull(b))
        product = _mul(a, b)
        capped, cu = _capped(product, amount.cap, r)
        value = choose([(missing, NULLNUM)], capped, "num")
        if isinstance(amount, M.Rate):
            unk = b_or(au, bu, cu)  # the engine reads the cap either way
        else:
            unk = b_or(au, bu, b_and(b_not(missing), cu))
        return AmountX(value, unk, False)
    if isinstance(amount, M.Cases):
        vb: list[tuple[Any, X]] = []
        ub: list[tuple[Any, Any]] = []
        nb: list[tuple[Any, Any]] = []
        for case in amount.cases:
            cx, cu = _v_bool(case.when, r)
            sub = compile_amount(case.amount, r)
            null = isnull(cx) if cx.ty in ("bool", "null") else isnull(cx)
            true = is_true(b_of_x(cx)) if cx.ty == "bool" else False
            vb += [(null, NULLNUM), (true, sub.value)]
            ub += [(null, cu), (true, sub.unk)]
            nb += [(null, False), (true, sub.na)]
        return AmountX(choose(vb, NULLNUM, "num"), choose_b(ub, False), choose_b(nb, True))
    if isinstance(amount, M.Bands):
        base, bu = _v(amount.base, r)
        vb, ub, nb = [(isnull(base), NULLNUM)], [(isnull(base), bu)], [(isnull(base), False)]
        for band in amount.bands:
            lo, lu = _v(band.lower, r)
            if band.upper is not None:
                hi, hu = _v(band.upper, r)
            else:
                hi, hu = None, False
            fail = b_or(isnull(lo), isnull(hi) if hi is not None else False)
            vb.append((fail, NULLNUM))
            ub.append((fail, b_or(lu, hu)))
            nb.append((fail, False))
            inside = b_and(_cmp(base, ">=", lo), _cmp(base, "<", hi) if hi is not None else True)
            inside = is_true(inside)
            rate, ru = _v(band.rate, r)
            capped, cu = _capped(_mul(base, rate), band.cap, r)
            value = choose([(isnull(rate), NULLNUM)], capped, "num")
            vb.append((inside, value))
            ub.append((inside, b_or(ru, b_and(b_not(isnull(rate)), cu))))
            nb.append((inside, False))
        return AmountX(choose(vb, NULLNUM, "num"), choose_b(ub, False), choose_b(nb, True))
    if isinstance(amount, M.HighestTier):
        value, vu = _v(amount.value, r)
        fails: list[tuple[Any, Any]] = []
        reached: list[tuple[Any, X]] = []
        pairs: list[tuple[X, X]] = []
        for tier in amount.tiers:
            th, tu = _v(tier.at_least, r)
            s, su = _v(tier.amount, r)
            pairs.append((th, s))
            fails.append((b_or(isnull(th), isnull(s)), b_or(tu, su)))
            reached.append((is_true(_cmp(value, ">=", th)), s))
        anyfail = b_or(*[f for f, _ in fails])
        # the best tier: the largest sum among those reached (ties: the same sum)
        cands = [choose([(c, s)], NULLNUM, "num") for c, s in reached]
        consts = [(th, s) for th, s in pairs if th.is_const and th.const is not None and s.is_const and s.const is not None]
        if all(c.is_const for c in cands):
            known = [c.const for c in cands if c.const is not None]
            best = const(max(known)) if known else NULLNUM
        elif len(consts) == len(pairs) and all(isinstance(th.const, Decimal) and isinstance(s.const, Decimal) for th, s in consts):
            # constant thresholds and sums: one CASE from the top threshold down, each branch the
            # largest sum among the tiers at or below that threshold (= GREATEST over the reached tiers)
            steps: list[tuple[Decimal, Decimal]] = []
            for t in sorted({th.const for th, _ in consts}):
                top = max(s.const for th, s in consts if th.const <= t)
                if steps and steps[-1][1] == top:
                    continue  # reaching t pays no more than the lower threshold already does
                steps.append((t, top))
            best = choose([(is_true(_cmp(value, ">=", const(t))), const(top)) for t, top in reversed(steps)], NULLNUM, "num")
        else:
            best = X("num", ibis.greatest(*num_exprs(cands)))
        none_reached = isnull(best)
        result = best
        prior_unk: Any = False
        if amount.already_awarded is not None:
            prior, pu = _v(amount.already_awarded, r)
            rest = max0(_sub(best, prior))
            nonzero = is_true(_cmp(prior, "!=", const(Decimal(0))))
            result = choose([(isnull(prior), NULLNUM), (nonzero, rest)], best, "num")
            prior_unk = b_and(b_not(none_reached), pu)
        fail_unk = choose_b([(f, u) for f, u in fails], False)
        return AmountX(
            choose([(isnull(value), NULLNUM), (anyfail, NULLNUM), (none_reached, NULLNUM)], result, "num"),
            choose_b([(isnull(value), vu), (anyfail, fail_unk)], prior_unk),
            choose_b([(isnull(value), False), (anyfail, False)], none_reached),
        )
    if isinstance(amount, M.Staged):
        subs = [compile_amount(s.amount, r) for s in amount.stages]
        total = subs[0].value
        for s in subs[1:]:
            total = _add(total, s.value)
        return AmountX(total, b_or(*[s.unk for s in subs]), False)  # the engine keeps a stage's not_applicable to itself
    if isinstance(amount, M.MultiYear):
        sub = compile_amount(amount.each_year, r)
        if amount.start is None:
            return AmountX(_mul(sub.value, const(Decimal(amount.years))), sub.unk, sub.na)
        # years from a start date (issue 15): year k ends on start + k years (Civil Code art. 201/202,
        # as add_years); only the years left on call.date count; past the last year: not applicable.
        src = E.to_source(amount.start)
        chain = "0"
        for k in range(amount.years, 0, -1):
            chain = f"if(call.date <= add_years({src}, {k}), {amount.years - k + 1}, {chain})"
        left = compile_expr(E.parse(chain), r)
        start_null = isnull(compile_expr(amount.start, r))
        past = b_and(b_not(start_null), is_true(as_bool(compile_expr(E.parse(f"call.date > add_years({src}, {amount.years})"), r))))
        value = choose([(past, X("num", const=None))], _mul(sub.value, left), "num")
        return AmountX(value, b_or(start_null, b_and(b_not(past), sub.unk)), b_or(past, b_and(b_not(past), sub.na)))
    if isinstance(amount, M.NoAmount):
        return AmountX(NULLNUM, False, False)
    raise Refusal(f"未知的金额形式 {type(amount).__name__}", f"unknown amount form {type(amount).__name__}")


def _v_bool(node: E.Node, r: Resolver) -> tuple[X, Any]:
    x = compile_expr(node, r)
    unk = b_and(isnull(x), b_or(*[r.name_unknown(n) for n in sorted(E.names_in(node))]))
    return x, unk


def _mul(a: X, b: X) -> X:
    if a.is_const and b.is_const:
        return const(None if a.const is None or b.const is None else a.const * b.const)
    for x, y in ((a, b), (b, a)):
        if y.ty == "num" and y.is_const and y.const == 1 and not x.is_const and x.ty == "num":
            return x  # × 100 % (a match ratio of one to one): the same value
    ea, eb = a.ibis("num"), b.ibis("num")
    (pa, sa), (pb, sb) = dec_of(ea), dec_of(eb)
    p, s = pa + pb, sa + sb
    if p > MAX_DIGITS:
        return num(cast_num(cast_num(ea) * cast_num(eb)), a, b)
    if p > INT_DIGITS and max(pa, pb) <= INT_DIGITS:
        # DuckDB keeps a product of two 64-bit decimals in 18 digits (failing on overflow): widen one side
        ea = as_dec(ea, INT_DIGITS + 1, sa)
    return num(typed_result(ea * eb, p, s), a, b)


def _int_dec(e: Any) -> Any:
    """An integer (a year, a number of days) as DECIMAL(18, 0)."""
    return ops.Cast(e, idt.Decimal(INT_DIGITS, 0)).to_expr()


def _sum_type(ea: Any, eb: Any) -> tuple[int, int] | None:
    (pa, sa), (pb, sb) = dec_of(ea), dec_of(eb)
    s = max(sa, sb)
    p = max(pa - sa, pb - sb) + s + 1
    return (p, s) if p <= MAX_DIGITS else None


def _add(a: X, b: X) -> X:
    if a.is_const and b.is_const:
        return const(None if a.const is None or b.const is None else a.const + b.const)
    ea, eb = a.ibis("num"), b.ibis("num")
    t = _sum_type(ea, eb)
    return num(typed_result(ea + eb, *t) if t else cast_num(cast_num(ea) + cast_num(eb)), a, b)


def _sub(a: X, b: X) -> X:
    if a.is_const and b.is_const:
        return const(None if a.const is None or b.const is None else a.const - b.const)
    ea, eb = a.ibis("num"), b.ibis("num")
    t = _sum_type(ea, eb)
    return num(typed_result(ea - eb, *t) if t else cast_num(cast_num(ea) - cast_num(eb)), a, b)


def max0(a: X) -> X:
    if a.is_const:
        return const(None if a.const is None else max(a.const, Decimal(0)))
    out = choose([(is_true(a.expr < lit(Decimal(0))), const(Decimal(0)))], a, "num")
    out.nul = isnull(a)
    return out


def _cmp(a: X, op: str, b: X) -> Any:
    """A comparison as a B (NULL when either side is unknown)."""
    if a.is_const and b.is_const:
        if a.const is None or b.const is None:
            return None
        return {">=": a.const >= b.const, ">": a.const > b.const, "<": a.const < b.const, "!=": a.const != b.const}[op]
    if (a.is_const and a.const is None) or (b.is_const and b.const is None):
        return None
    x, y = _native_pair(a, b)
    return {">=": lambda: x >= y, ">": lambda: x > y, "<": lambda: x < y, "!=": lambda: x != y}[op]()


def _native_pair(a: X, b: X) -> tuple[Any, Any]:
    """Both sides of a numeric comparison: a stored numeric column against a constant exactly
    representable in the column's own type is compared in that type (``_native_literal``), else
    both as DECIMAL(38, 10)."""
    if a.raw is not None and b.is_const and b.const is not None:
        nl = _native_literal(a.raw, b.const)
        if nl is not None:
            return a.raw, nl
    if b.raw is not None and a.is_const and a.const is not None:
        nl = _native_literal(b.raw, a.const)
        if nl is not None:
            return nl, b.raw
    return a.ibis("num"), b.ibis("num")


def to_fen(x: X) -> Any:
    """ROUND_HALF_UP to the fen of a non-negative amount, as an exact int64 number of fen."""
    if x.is_const:
        if x.const is None:
            return ibis.null(idt.int64)
        from huiqi.rules.amounts import to_fen as py_to_fen

        return ibis.literal(int(py_to_fen(x.const) * 100), type=idt.int64)
    scaled = _mul(x, const(Decimal(100))).expr
    p, s = dec_of(scaled)
    if s:  # to whole fen: half away from zero (DuckDB) or half up (Spark) ≡ ROUND_HALF_UP here (x ≥ 0)
        scaled = ops.Cast(scaled, idt.Decimal(p, 0)).to_expr()
    return scaled.cast(idt.int64)


# ------------------------------------------------------------------ programmes


@dataclass
class CompiledProgramme:
    index: int
    programme: M.Programme
    document: M.Document
    columns: set[str]  # population columns it reads
    caps: list[int] = field(default_factory=list)  # indexes into CompiledPolicies.caps


@dataclass
class CapInfo:
    index: int
    cap: M.Cap
    document: M.Document
    members: list[str]  # programme ids


@dataclass
class CompiledPolicies:
    policies: M.PolicySet
    on: dt.date
    programmes: list[CompiledProgramme]
    caps: list[CapInfo]
    # columns with no NULL in the rows that read them (a claim kind's columns within that kind's
    # rows): no unknown-tracking for them (``Resolver.fact``: ``nul=False``). Known from the loaded
    # table (``resident.load``); empty for a Parquet file (every column may be NULL).
    notnull: frozenset = frozenset()

    def fact_columns(self) -> dict[str, str]:
        """Population column → fact name, for every fact the compiled rules read."""
        out = {}
        for cp in self.programmes:
            for c in cp.columns:
                out[c] = c.replace("__", ".", 1)
        return out


def scope_of(programme: M.Programme, document: M.Document) -> tuple[Any, str]:
    """The scope criteria the engine checks for ``programme`` (its own ``scope`` replaces the
    document's when given) and the name a refusal cites."""
    name = f"programme[{programme.id}].scope" if programme.scope is not None else f"document[{document.id}].scope"
    return programme.scope_in(document), name


def once_key(programme: M.Programme) -> list[str] | None:
    """The facts whose values make a claim programme's count-once key (``enterprise``: the
    enterprise itself, already the window's partition), or None. ``count_once_per: FACT`` and
    ``once: {per: [...], within: policy}`` (issue 15) are the same rule inside one evaluation
    (a population has no earlier awards); ``within: year`` / ``years`` groups by support year
    and is refused until the plan groups so."""
    once = getattr(programme.support, "once", None)
    if once is None:
        key = programme.support.count_once_per
        return [key] if key else None
    if getattr(once, "within", "policy") != "policy":
        raise refuse(where(programme, "support.once"), f"按支持年度计的“只支持一次”（within: {once.within}）尚不能编译", f"once within {once.within} (by support year) is not compiled yet")
    return list(once.per)


def facts_read(programme: M.Programme, document: M.Document, caps: Iterable[M.Cap]) -> set[str]:
    nodes: list[E.Node] = list(programme_nodes(programme, document))
    nodes += [c.amount for c in caps]
    names = set()
    for n in nodes:
        names |= {x for x in E.names_in(n) if "." in x}
    names |= {n for n in once_key(programme) or () if "." in n}
    return {n for n in names if not n.startswith(CALL + ".")}


def prepare(policies: M.PolicySet, on: dt.date, programmes: Iterable[str] | None = None) -> CompiledPolicies:
    """Index the programmes and caps to compile; check every rule compiles (refusing with its name)."""
    wanted = set(programmes) if programmes else None
    compiled: list[CompiledProgramme] = []
    caps: list[CapInfo] = []
    from huiqi.rules import (
        versions,  # a document with versions: the newest of each programme (docs/simulation.md)
    )

    for document in policies.documents:
        for cap in document.caps:
            if not versions.cap_superseded(document, cap):
                caps.append(CapInfo(len(caps), cap, document, list(cap.programmes)))
    for document in policies.documents:
        for programme in document.programmes:
            if wanted is not None and programme.id not in wanted:
                continue
            if versions.skip(programme, document):
                continue
            my_caps = [c for c in caps if programme.id in c.members]
            cp = CompiledProgramme(len(compiled), programme, document, {column_of(n) for n in facts_read(programme, document, [c.cap for c in my_caps])}, [c.index for c in my_caps])
            compiled.append(cp)
    out = CompiledPolicies(policies, on, compiled, caps)
    root, key = _check_key(out)
    if key is None:
        _check(out)
    elif _CHECKED.find(key, on, root) is None:
        notes: dict = {}  # checked for every date the compiler cannot tell from this one (simulate/watched.py)
        _check(dataclasses.replace(out, on=WatchedDate(on, notes)))
        _CHECKED.keep(key, notes, True, root)
    return out


def _check_key(cp: CompiledPolicies) -> tuple[Path | None, str | None]:
    """The check is deterministic in the rule model (its full repr, vocabulary included), the
    programmes, ibis and the compiler's source, and in what the compiler learns of the date: a
    check that passed is kept (in memory, and next to the SQL cache, ``HUIQI_SQL_CACHE``) for every
    date it would pass for, so a second run (another process: the CLI) skips it."""
    text = repr(cp.policies)
    if not can_template(text):
        return None, None
    parts = (text, repr([p.programme.id for p in cp.programmes]), ibis.__version__)
    return cache_root(), template_key("check", parts, hashlib.sha256(Path(__file__).read_bytes()).digest())


_CHECKED = Templates()


def _check(cp: CompiledPolicies) -> None:
    """Build every programme's columns (``programme_stage`` and its second level, with and without a
    claim) and every cap's limit against an empty table of the right schema: refusals surface now,
    from the very builder the plan uses."""
    problems: list[Problem] = []
    for prog in cp.programmes:
        t = ibis.table(schema_for(cp.policies.vocabulary, prog.columns), name="population")
        for claimless in (False, True) if prog.programme.subject != ENTERPRISE else (False,):
            try:
                stage, finish = programme_stage(cp, prog, t, claimless=claimless)
                finish(t.mutate(**stage) if stage else t)
            except CompileError as exc:
                problems.extend(exc.problems)
    for cap in cp.caps:
        members = [p for p in cp.programmes if cap.index in p.caps]
        if not members:
            continue
        t = ibis.table(schema_for(cp.policies.vocabulary, set().union(*[p.columns for p in members])), name="population")
        try:
            cap_limit(cp, cap, t)
        except CompileError as exc:
            problems.extend(exc.problems)
    seen: set = set()
    unique = [p for p in problems if not (repr(p) in seen or seen.add(repr(p)))]
    if unique:
        raise CompileError(unique)


def schema_for(vocab: Any, columns: Iterable[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {ENTERPRISE_ID: idt.int64, CLAIM_KIND: idt.string, CLAIM_SEQ: idt.int64}
    for col in sorted(columns):
        fdef = vocab.fact(col.replace("__", ".", 1))
        schema[col] = IBIS_TYPE[FACT_KIND[fdef.type]] if fdef else idt.string
    return schema


def where(programme: M.Programme, what: str) -> str:
    return f"programmes[{programme.id}].{what}"


def first_member(cp: CompiledPolicies, cap: CapInfo) -> M.Programme | None:
    """The cap's limit is evaluated with the first member's parameters; refuse if that could matter."""
    progs = [p.programme for p in cp.programmes if p.programme.id in cap.members]
    if not progs:
        return None
    names = {n for n in E.names_in(cap.cap.amount) if "." not in n}
    first = progs[0]
    for other in progs[1:]:
        for n in names:
            a = param_values(first, cap.document, cp.on).get(n)
            b = param_values(other, cap.document, cp.on).get(n)
            if a != b:
                raise refuse(f"caps[{cap.cap.id}]", f"上限金额依所涉项目的参数 {n} 而不同", f"the cap's limit depends on the parameter {n!r}, which differs between its programmes")
    return first


def in_window(day: X, w: M.Window) -> Any:
    parts = []
    d = day.ibis("date")
    if w.start is not None:
        parts.append(d >= lit(w.start))
    if w.end is not None:
        parts.append(d <= lit(w.end))
    return b_and(*parts) if parts else True


def int_case(branches: list[tuple[Any, int]], default: int, dtype: Any) -> Any:
    kept = []
    for cond, value in branches:
        if cond is False or cond is None:
            continue
        if cond is True:
            default = value
            break
        kept.append((cond, ibis.literal(value, type=dtype)))
    if not kept:
        return ibis.literal(default, type=dtype)
    return ibis.cases(*kept, else_=ibis.literal(default, type=dtype))


# ------------------------------------------------------------------ one programme's columns (the only evaluation path)

E_, I_, N_, NF_, OOS_ = (STATUS_CODES[s] for s in (ELIGIBLE, INELIGIBLE, NEEDS_INFO, NOT_IN_FORCE, OUT_OF_SCOPE))


def refusal_at(programme: M.Programme, what: str, exc: Refusal) -> CompileError:
    return refuse(where(programme, what), exc.zh, exc.en)


def programme_stage(cp: CompiledPolicies, prog: CompiledProgramme, rows: Any, *, claimless: bool) -> tuple[dict[str, Any], Callable[[Any], dict[str, Any]]]:
    """Level 1: the pieces of one programme (scope, window, criteria, amount) as columns; level 2
    (the returned function, over the level-1 table): status, ceiling in fen, cap year, count-once key.

    ``claimless``: the engine's result without a claim (``missing_claim``): claim facts unknown,
    needs_info at best, never a ceiling."""
    programme, document, on = prog.programme, prog.document, cp.on
    vocab = cp.policies.vocabulary
    sfx = f"_{prog.index}"
    r = Resolver(rows, vocab, programme, document, on, claimless=claimless, notnull=cp.notnull)
    stage: dict[str, Any] = {}
    # applies_when (kept claims)
    kept: Any = True
    if not claimless and programme.subject != ENTERPRISE and programme.applies_when is not None:
        try:
            aw = as_bool(compile_expr(programme.applies_when, r))
        except Refusal as exc:
            raise refusal_at(programme, "applies_when", exc) from None
        kept = b_not(is_false(aw))
    # 1. scope
    scope_false, scope_null = [], []
    scope, scope_name = scope_of(programme, document)
    for c in scope:
        try:
            x = compile_expr(c.test, r)
        except Refusal as exc:
            raise refuse(f"{scope_name}[{c.id}]", exc.zh, exc.en) from None
        b = as_bool(x)
        scope_false.append(is_false(b))
        scope_null.append(isnull(x))  # as_bool(x) is unknown exactly where x is
    oos = b_or(*scope_false)
    # 2. window
    windows = [document.in_force] + ([document.retroactive] if document.retroactive else [])
    if on < document.issued:
        win_false: Any = True
        win_null: Any = False
    elif programme.event_date is not None and document.window_basis == "event_date":
        try:
            day = compile_expr(programme.event_date, r)
        except Refusal as exc:
            raise refusal_at(programme, "event_date", exc) from None
        if day.ty != "date":
            win_false, win_null = False, True
        else:
            inside = b_or(*[in_window(day, w) for w in windows])
            win_null = isnull(day)
            win_false = b_and(b_not(win_null), b_not(is_true(inside)))
    else:
        win_false, win_null = not any(w.contains(on) for w in windows), False
    # 3. criteria
    hard_false, crit_null = [], []
    for c in programme.criteria:
        try:
            x = compile_expr(c.test, r)
        except Refusal as exc:
            raise refusal_at(programme, f"criteria[{c.id}]", exc) from None
        b = as_bool(x)
        crit_null.append(isnull(x))
        if not c.soft:
            hard_false.append(is_false(b))
    # 4. amount
    try:
        amt = compile_amount(programme.support.amount, r)
    except Refusal as exc:
        raise refusal_at(programme, "support.amount", exc) from None
    support_failed = b_and(amt.na, b_not(amt.unk))
    flags = {"oos": oos, "winfalse": win_false, "failed": b_or(*hard_false, support_failed), "unk": b_or(*scope_null, win_null, *crit_null, claimless)}
    if not claimless:
        flags["amtunk"] = amt.unk
        flags["kept"] = kept
    for k, v in flags.items():
        if not b_is_const(v):
            stage[f"__{k}{sfx}"] = v
    value = amt.value
    if not claimless and not value.is_const:
        stage[f"__value{sfx}"] = value.expr
        stage[f"__vnull{sfx}"] = b_ibis(isnull(value))  # from the amount's parts, not the amount

    def finish(t: Any) -> dict[str, Any]:
        col = lambda k: t[f"__{k}{sfx}"] if f"__{k}{sfx}" in stage else flags[k]  # noqa: E731
        out: dict[str, Any] = {}
        if claimless:
            out["status"] = int_case([(col("oos"), OOS_), (col("winfalse"), NF_), (col("failed"), I_)], N_, idt.int8)
            return out
        v = X("num", t[f"__value{sfx}"], nul=t[f"__vnull{sfx}"]) if f"__value{sfx}" in stage else value
        unknown = b_or(col("unk"), b_and(isnull(v), col("amtunk")))
        status = int_case([(col("oos"), OOS_), (col("winfalse"), NF_), (col("failed"), I_), (unknown, N_)], E_, idt.int8)
        kept_b = col("kept")
        if b_is_const(kept_b):
            out["status"] = status if kept_b else ibis.null(idt.int8)
        else:
            out["status"] = ibis.ifelse(kept_b, status, ibis.null(idt.int8))
            out["kept"] = kept_b
        # the ceiling only where it is shown (a kept claim, eligible or needs-info): the CASE leaves
        # the amount's arithmetic unevaluated on the other rows (claim rows 4.7 → 3.0 s CPU at 1 M).
        # Enterprise programmes use enterprise_table's fenced form instead (inline measured slower
        # there: 9.4 → 16 s).
        out["fen"] = shown(out["status"], to_fen(max0(v)))
        rt = Resolver(t, vocab, programme, document, on)
        if prog.caps:
            # the evaluation date's year in SQL (DuckDB folds it), not read in Python: a SQL
            # template then serves every year (simulate/watched.py)
            on_year = lit(on).year().cast(idt.int32)
            year: Any = on_year
            if document.window_basis == "event_date" and programme.event_date is not None:
                try:
                    day = compile_expr(programme.event_date, rt)
                except Refusal as exc:
                    raise refusal_at(programme, "event_date", exc) from None
                if day.ty == "date" and not day.is_const:
                    year = day.expr.year().cast(idt.int32).fill_null(on_year)
                elif day.ty == "date" and day.const is not None:
                    year = lit(day.const).year().cast(idt.int32)
            out["capyear"] = year
        per = once_key(programme)
        if per and programme.subject != ENTERPRISE:
            parts = [t[column_of(n)].cast(idt.string) if column_of(n) in t.columns else ibis.null(idt.string) for n in per if n != ENTERPRISE]
            key: Any = ibis.literal("", type=idt.string)  # once per enterprise: every claim shares the key
            for i, part in enumerate(parts):  # || is NULL when a part is: a claim without its key is needs-info
                key = part if i == 0 else key + ibis.literal("\x1f", type=idt.string) + part
            out["key"] = key
        return out

    return stage, finish


def shown(status: Any, fen: Any) -> Any:
    """The ceiling in fen where ``status`` is eligible or needs-info, else NULL."""
    return ibis.ifelse((status == E_) | (status == N_), fen, ibis.null(idt.int64))


def cap_limit(cp: CompiledPolicies, cap: CapInfo, rows: Any) -> Any:
    """The cap's limit in fen, evaluated without a claim (as the engine does)."""
    first = first_member(cp, cap)
    try:
        rc = Resolver(rows, cp.policies.vocabulary, first, cap.document, cp.on, claimless=True, params=param_values(first, cap.document, cp.on))
        lim = compile_expr(cap.cap.amount, rc)
    except Refusal as exc:
        raise refuse(f"caps[{cap.cap.id}]", exc.zh, exc.en) from None
    if lim.ty not in ("num", "null"):
        return ibis.null(idt.int64)
    return to_fen(max0(lim))
