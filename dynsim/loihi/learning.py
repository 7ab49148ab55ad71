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
    integers, ``+``, ``-``, ``*`` and parentheses; every top-level term must contain ``x0``,
    ``y0`` or a ``u`` (a dependency factor). Division, ``r0``, ``r1``, ``d`` and ``t`` are
    rejected as in brian2-loihi.

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

__all__ = ["LearningRule", "parse_rule"]

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
        rule = re.sub(r"[ \t\n]+", "", self.text)
        if not rule:
            raise self.fail("empty rule")
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
        return self._finish(self._poly(tree))

    def _finish(self, poly: _Poly) -> LearningRule:
        k = 0
        for c in poly.values():
            den = c.denominator
            k = max(k, den.bit_length() - 1)
        scaled = {m: int(c * (1 << k)) for m, c in poly.items()}
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
                return _poly_add(self._poly(node.left), self._poly(node.right))
            if isinstance(node.op, ast.Sub):
                return _poly_add(self._poly(node.left), self._poly(node.right), -1)
            if isinstance(node.op, ast.Mult):
                return _poly_mul(self._poly(node.left), self._poly(node.right))
            if isinstance(node.op, ast.Pow):
                return {(): Fraction(2) ** self._exponent(node)}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "sign" and len(node.args) == 1 and not node.keywords:
            inner_text = ast.unparse(node.args[0]).replace("**", "^")
            inner = _Parser(inner_text)
            inner_rule = inner._finish(inner._poly(node.args[0]))
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
