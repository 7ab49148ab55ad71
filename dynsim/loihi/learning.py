"""Loihi learning rules ``dw``: brian2-loihi's grammar, compiled to exact integer code.

A rule is a sum of products over the synapse's dependency factors and traces, as
brian2-loihi 0.5.2 accepts them (Davies et al. 2018, "sum of products")::

    dw = 2^-2*x1*y0 - 2^-2*y1*x0 + u3*(x2 - 4)

Symbols
    ``x0``, ``y0``  1 in the step a pre (post) spike reaches the synapse, else 0
    ``x1``, ``x2``  pre-synaptic traces (7 bit)
    ``y1``, ``y2``, ``y3``  post-synaptic traces (7 bit)
    ``w``           the weight mantissa
    ``u0`` .. ``u9``  1 in steps divisible by ``2**k``, else 0
    ``2^k``         a power of two, ``k`` in -7..9
    ``sign(...)``   -1, 0 or 1
    decimal integers 0..127, ``+``, ``-``, ``*`` and parentheses; every top-level term must
    contain ``x0``, ``y0`` or a ``u`` (a dependency factor). Division, ``r0``, ``r1``, ``d``
    and ``t`` are rejected as in brian2-loihi.

Bounds (the chip's learning engine has fixed-width registers; Davies et al. 2018 describe
the sum of products, Lava 0.10 ``lava/magma/core/learning/constants.py`` gives the widths):

* a constant is an 8-bit signed register (``W_CONST = 8``): an integer written in a rule is
  at most :data:`CONSTANT_MAX` = 127 (Python's ``0x10``, ``1_0`` or ``2 3`` are not
  integers of the grammar);
* a rule is at most :data:`MAX_RULE_CHARS` characters and expands to at most
  :data:`MAX_TERMS` products (checked during the expansion, before it can grow);
* the integer numerator ``dw * 2**K`` must fit in 62 bits for every trace (<= 127) and
  weight (|w| <= 256), so the exact evaluation can never wrap around.

brian2-loihi evaluates the rule in float64 (powers ``2^-k`` make it fractional) and rounds
the result away from zero (``sign(dw) * ceil(|dw|)``). dynsim expands the rule into a
polynomial with rational coefficients, multiplies it by the smallest power of two that
makes every coefficient an integer (``2**K``), evaluates that integer polynomial exactly and
rounds ``numerator / 2**K`` away from zero: the same numbers, in integer arithmetic.

Examples
--------
>>> from dynsim.loihi.learning import parse_rule
>>> rule = parse_rule("2^-2*x1*y0 - 2^-2*y1*x0")
>>> rule.denominator_bits, sorted(rule.symbols)
(2, ['x0', 'x1', 'y0', 'y1'])
>>> rule.numerator_code()
'-x0*y1 + x1*y0'
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from fractions import Fraction

from dynsim.errors import LearningRuleError
from dynsim.loihi import registers as R

__all__ = ["CONSTANT_MAX", "MAX_RULE_CHARS", "MAX_TERMS", "LearningRule", "parse_rule"]

#: Largest integer constant in a rule: the constants are 8-bit signed (Lava ``W_CONST``).
CONSTANT_MAX = 127
#: Longest rule accepted (characters, spaces included).
MAX_RULE_CHARS = 512
#: Most products (monomials) a rule or any part of it may expand to.
MAX_TERMS = 64
#: The integer numerator of dw must stay below 2**62 in magnitude (int64 arithmetic).
_NUMERATOR_BITS = 62
#: Largest magnitude of each symbol: 7-bit traces, 8-bit weights plus sign, 0/1 flags.
_SYMBOL_MAX = {"x1": R.TRACE_MAX, "x2": R.TRACE_MAX, "y1": R.TRACE_MAX, "y2": R.TRACE_MAX,
               "y3": R.TRACE_MAX, "w": 1 << R.WEIGHT_BITS}

_VARIABLES = ("x0", "x1", "x2", "y0", "y1", "y2", "y3", "w")
_EPOCH_GATES = tuple(f"u{k}" for k in range(10))
_DEPENDENCY = ("x0", "y0", *_EPOCH_GATES)

# A polynomial: {monomial (sorted tuple of symbol names): Fraction coefficient}
_Poly = dict[tuple[str, ...], Fraction]


def _poly_add(a: _Poly, b: _Poly, sign: int = 1) -> _Poly:
    out = dict(a)
    for mono, c in b.items():
        out[mono] = out.get(mono, Fraction(0)) + sign * c
        if out[mono] == 0:
            del out[mono]
    return out


def _poly_mul(a: _Poly, b: _Poly) -> _Poly:
    if len(a) * len(b) > MAX_TERMS * MAX_TERMS:
        raise OverflowError  # turned into a LearningRuleError by the parser
    out: _Poly = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            mono = tuple(sorted(ma + mb))
            out[mono] = out.get(mono, Fraction(0)) + ca * cb
            if out[mono] == 0:
                del out[mono]
    return out


@dataclass(frozen=True)
class LearningRule:
    """A parsed learning rule.

    Attributes
    ----------
    text : str
        The rule as the user wrote it.
    polynomial : dict
        Monomial (tuple of symbols) -> integer coefficient of ``dw * 2**denominator_bits``.
    denominator_bits : int
        ``K`` with ``dw = numerator / 2**K``.
    symbols : frozenset of str
        The factors the rule reads (``x1``, ``y0``, ``u3``, ``w``, ``sign0`` ...).
    signs : tuple
        ``(name, LearningRule)`` of each ``sign(...)`` sub-expression.
    """

    text: str
    polynomial: tuple[tuple[tuple[str, ...], int], ...]
    denominator_bits: int
    symbols: frozenset
    signs: tuple

    @property
    def traces(self) -> set[str]:
        """The traces (x1, x2, y1, y2, y3) the rule reads, sign() arguments included."""
        names = {s for s in self.symbols if s in ("x1", "x2", "y1", "y2", "y3")}
        for _, inner in self.signs:
            names |= inner.traces
        return names

    @property
    def epoch_gates(self) -> list[int]:
        """The ``k`` of every ``u_k`` the rule reads."""
        ks = {int(s[1:]) for s in self.symbols if s in _EPOCH_GATES}
        for _, inner in self.signs:
            ks |= set(inner.epoch_gates)
        return sorted(ks)

    def numerator_code(self) -> str:
        """Return Brian2 code of the integer numerator ``dw * 2**K`` (deterministic order)."""
        if not self.polynomial:
            return "0"
        parts = []
        for mono, coef in self.polynomial:
            factors = "*".join(mono)
            if not factors:
                term = str(abs(coef))
            elif abs(coef) == 1:
                term = factors
            else:
                term = f"{abs(coef)}*{factors}"
            sign = "-" if coef < 0 else "+"
            parts.append((sign, term))
        first_sign, first = parts[0]
        out = ("-" if first_sign == "-" else "") + first
        for sign, term in parts[1:]:
            out += f" {sign} {term}"
        return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.signs: list[tuple[str, LearningRule]] = []

    def fail(self, msg: str) -> LearningRuleError:
        return LearningRuleError(f"learning rule dw={self.text!r}: {msg}")

    def check_tokens(self, rule: str) -> None:
        if "/" in rule:
            raise self.fail("division is not allowed (use 2^-k for fractions)")
        for name, msg in (("r0", "r0"), ("r1", "r1")):
            if name in rule:
                raise self.fail(f"the variable '{msg}' is not supported (brian2-loihi grammar)")
        stripped = re.sub(r"sign\(", "(", rule)
        if re.search(r"d", stripped):
            raise self.fail("the variable 'd' is not supported (brian2-loihi grammar)")
        if re.search(r"t", stripped):
            raise self.fail("the variable 't' is not supported; use the epoch gates u0..u9")
        tokens = re.findall(r"x0|x1|x2|y0|y1|y2|y3|u[0-9]+|w|sign\(|[0-9]+|\+|-|\*|\^|\(|\)",
                            rule)
        if "".join(tokens) != rule:
            leftover = re.sub(
                r"x0|x1|x2|y0|y1|y2|y3|u[0-9]+|w|sign\(|[0-9]+|\+|-|\*|\^|\(|\)", " ", rule
            ).split()
            raise self.fail(
                f"unsupported symbol(s) {leftover}; allowed: x0, x1, x2, y0, y1, y2, y3, "
                "u0..u9, w, sign(), integers, +, -, *, 2^k, parentheses")
        for tok in tokens:
            if tok.startswith("u") and tok != "u" and (len(tok) > 2):
                raise self.fail(f"'{tok}': only u0..u9 are supported")
        if "^" in re.sub(r"(?<![0-9])2\^", "", rule):
            raise self.fail("'^' is only allowed as 2^k")

    def parse(self) -> LearningRule:
        if len(self.text) > MAX_RULE_CHARS:
            raise LearningRuleError(
                f"learning rule dw={self.text[:40]!r}... has {len(self.text)} characters; at "
                f"most {MAX_RULE_CHARS} are accepted")
        gap = re.search(r"[A-Za-z0-9_]\s+[A-Za-z0-9_]", self.text)
        if gap:
            raise self.fail(f"malformed expression: an operator is missing in {gap.group()!r}")
        rule = re.sub(r"[ \t\n]+", "", self.text)
        if not rule:
            raise self.fail("empty rule")
        glued = re.search(r"(?<![A-Za-z0-9])[0-9]+[A-Za-z_]", rule)
        if glued:
            raise self.fail(
                f"malformed expression: {glued.group()!r}... is not a decimal integer; "
                "write products with '*' (2*x0) and constants in decimal")
        self.check_tokens(rule)
        try:
            tree = ast.parse(rule.replace("^", "**"), mode="eval").body
        except SyntaxError:
            raise self.fail("malformed expression") from None
        for term in self._top_terms(tree):
            if not (self._names(term) & set(_DEPENDENCY)):
                raise self.fail(
                    f"the term {ast.unparse(term).replace('**', '^')!r} has no dependency "
                    "factor (x0, y0 or u0..u9): it would change the weight every step")
        return self._finish(self._expand(tree))

    def _expand(self, node: ast.AST) -> _Poly:
        """Expand ``node``, refusing rules that grow past :data:`MAX_TERMS` products."""
        try:
            return self._poly(node)
        except (OverflowError, RecursionError):
            raise self.fail(
                f"the rule expands to more than {MAX_TERMS} products (the chip's sum of "
                "products is small); write it with fewer factors") from None

    def _check_size(self, poly: _Poly) -> _Poly:
        if len(poly) > MAX_TERMS:
            raise OverflowError
        return poly

    def _finish(self, poly: _Poly) -> LearningRule:
        k = 0
        for c in poly.values():
            den = c.denominator
            k = max(k, den.bit_length() - 1)
        scaled = {m: int(c * (1 << k)) for m, c in poly.items()}
        largest = 0
        for mono, c in scaled.items():
            bound = abs(c)
            for sym in mono:
                bound *= _SYMBOL_MAX.get(sym, 1)
            largest += bound
        if largest >= 1 << _NUMERATOR_BITS:
            raise self.fail(
                f"the rule's integer form (dw * 2^{k}) can reach {largest}, beyond the "
                f"2^{_NUMERATOR_BITS} the exact evaluation allows; use smaller constants")
        ordered = tuple(sorted(((m, c) for m, c in scaled.items() if c != 0),
                               key=lambda mc: (len(mc[0]), mc[0])))
        symbols = frozenset(s for m, _ in ordered for s in m)
        return LearningRule(text=self.text, polynomial=ordered, denominator_bits=k,
                            symbols=symbols, signs=tuple(self.signs))

    def _top_terms(self, node: ast.AST) -> list[ast.AST]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            return self._top_terms(node.left) + self._top_terms(node.right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return self._top_terms(node.operand)
        return [node]

    def _names(self, node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    def _poly(self, node: ast.AST) -> _Poly:
        if isinstance(node, ast.Constant) and isinstance(node.value, int) \
                and not isinstance(node.value, bool):
            if node.value > CONSTANT_MAX:
                raise self.fail(
                    f"the constant {node.value} does not fit the learning engine's 8-bit "
                    f"signed constant register: use integers up to {CONSTANT_MAX} (and 2^k "
                    "factors for larger scales)")
            return {(): Fraction(node.value)} if node.value else {}
        if isinstance(node, ast.Name):
            if node.id not in _VARIABLES + _EPOCH_GATES:
                raise self.fail(f"unknown symbol {node.id!r}")
            return {(node.id,): Fraction(1)}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self._poly(node.operand)
            return inner if isinstance(node.op, ast.UAdd) else _poly_add({}, inner, -1)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                return self._check_size(
                    _poly_add(self._poly(node.left), self._poly(node.right)))
            if isinstance(node.op, ast.Sub):
                return self._check_size(
                    _poly_add(self._poly(node.left), self._poly(node.right), -1))
            if isinstance(node.op, ast.Mult):
                return self._check_size(
                    _poly_mul(self._poly(node.left), self._poly(node.right)))
            if isinstance(node.op, ast.Pow):
                return {(): Fraction(2) ** self._exponent(node)}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "sign" and len(node.args) == 1 and not node.keywords:
            inner_text = ast.unparse(node.args[0]).replace("**", "^")
            inner = _Parser(inner_text)
            inner_rule = inner._finish(inner._expand(node.args[0]))
            if inner.signs:
                raise self.fail("sign() cannot be nested")
            name = f"sign{len(self.signs)}"
            self.signs.append((name, inner_rule))
            return {(name,): Fraction(1)}
        raise self.fail(f"unsupported expression {ast.unparse(node).replace('**', '^')!r}")

    def _exponent(self, node: ast.BinOp) -> int:
        base = node.left
        if not (isinstance(base, ast.Constant) and base.value == 2):
            raise self.fail("powers must have base 2 (2^k)")
        exp = node.right
        sign = 1
        if isinstance(exp, ast.UnaryOp) and isinstance(exp.op, ast.USub | ast.UAdd):
            sign = -1 if isinstance(exp.op, ast.USub) else 1
            exp = exp.operand
        if not (isinstance(exp, ast.Constant) and isinstance(exp.value, int)):
            raise self.fail("the exponent of 2^k must be an integer constant")
        k = sign * exp.value
        if not R.DW_EXP_MIN <= k <= R.DW_EXP_MAX:
            raise self.fail(f"2^{k}: k must be in {R.DW_EXP_MIN}..{R.DW_EXP_MAX}")
        return k


def parse_rule(text: str) -> LearningRule:
    """Parse a learning rule in brian2-loihi's grammar.

    Parameters
    ----------
    text : str
        The rule, e.g. ``"2^-2*x1*y0 - 2^-2*y1*x0"``.

    Returns
    -------
    LearningRule

    Raises
    ------
    dynsim.errors.LearningRuleError
        With the reason, for anything outside the grammar.

    Examples
    --------
    >>> parse_rule("x1*y1")
    Traceback (most recent call last):
    ...
    dynsim.errors.LearningRuleError: learning rule dw='x1*y1': the term 'x1 * y1' has no dependency factor (x0, y0 or u0..u9): it would change the weight every step
    """  # noqa: E501
    if not isinstance(text, str):
        raise LearningRuleError(f"a learning rule must be a string, got {text!r}")
    return _Parser(text).parse()
