"""Risk rule conditions: a small Boolean language over choice ids.

Grammar (highest precedence last)::

    condition := "default" | or_expr
    or_expr   := and_expr ( "||" and_expr )*
    and_expr  := unary ( "&&" unary )*
    unary     := "!" unary | primary
    primary   := CHOICE_ID | "(" or_expr ")"
    CHOICE_ID := [A-Za-z0-9_]+

A choice id is true when that choice is selected. ``default`` is only recognised as the whole
condition. A question's rules are tried in order and the first true one sets the risk; ``default``
is always true (and without a ``default`` rule, no match means no risk). Conditions are parsed
once into a tree (cached per text) and never passed to eval().
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from reviews.lensfile.model import DEFAULT_CONDITION, NO_MATCH_RISK, Risk

if TYPE_CHECKING:
    from reviews.lensfile.model import Question


class ConditionSyntaxError(ValueError):
    """The condition text is not a valid expression."""


@dataclass(frozen=True)
class Ref:
    choice_id: str

    def evaluate(self, selected: frozenset[str]) -> bool:
        return self.choice_id in selected


@dataclass(frozen=True)
class Not:
    operand: Expr

    def evaluate(self, selected: frozenset[str]) -> bool:
        return not self.operand.evaluate(selected)


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]

    def evaluate(self, selected: frozenset[str]) -> bool:
        return all(o.evaluate(selected) for o in self.operands)


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]

    def evaluate(self, selected: frozenset[str]) -> bool:
        return any(o.evaluate(selected) for o in self.operands)


@dataclass(frozen=True)
class Default:
    """The ``default`` rule: true whatever is selected."""

    def evaluate(self, selected: frozenset[str]) -> bool:
        return True


Expr = Ref | Not | And | Or
Condition = Expr | Default

_TOKEN = re.compile(r"\s*(?:(?P<id>[A-Za-z0-9_]+)|(?P<op>&&|\|\||!|\(|\)))")


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None:
            bad = text[pos:].lstrip()
            col = len(text) - len(bad) + 1
            raise ConditionSyntaxError(f"unexpected character {bad[0]!r} at position {col}")
        kind = "id" if m.group("id") is not None else "op"
        tokens.append((kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] == value:
            self.i += 1
            return True
        return False

    def parse(self) -> Expr:
        if not self.tokens:
            raise ConditionSyntaxError("condition is empty")
        expr = self.or_expr()
        tok = self.peek()
        if tok is not None:
            raise ConditionSyntaxError(f"unexpected {tok[1]!r} at position {tok[2]}")
        return expr

    def or_expr(self) -> Expr:
        parts = [self.and_expr()]
        while self.take("||"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(_flatten(Or, parts))

    def and_expr(self) -> Expr:
        parts = [self.unary()]
        while self.take("&&"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(_flatten(And, parts))

    def unary(self) -> Expr:
        if self.take("!"):
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise ConditionSyntaxError("condition ends where a choice id or '(' was expected")
        if tok[0] == "id":
            self.i += 1
            return Ref(tok[1])
        if self.take("("):
            expr = self.or_expr()
            if not self.take(")"):
                nxt = self.peek()
                where = f"at position {nxt[2]}" if nxt else "at the end"
                raise ConditionSyntaxError(f"missing ')' {where}")
            return expr
        raise ConditionSyntaxError(f"unexpected {tok[1]!r} at position {tok[2]}")


def _flatten(kind: type[And | Or], parts: list[Expr]) -> tuple[Expr, ...]:
    out: list[Expr] = []
    for p in parts:
        out.extend(p.operands if isinstance(p, kind) else (p,))
    return tuple(out)


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Condition:
    """Parse a condition into its tree. Raises :class:`ConditionSyntaxError`."""
    if text.strip() == DEFAULT_CONDITION:
        return Default()
    return _Parser(text).parse()


def referenced_ids(condition: Condition) -> list[str]:
    """Choice ids a condition mentions, in order of first appearance."""
    seen: dict[str, None] = {}

    def walk(node: Condition) -> None:
        if isinstance(node, Ref):
            seen.setdefault(node.choice_id)
        elif isinstance(node, Not):
            walk(node.operand)
        elif isinstance(node, And | Or):
            for o in node.operands:
                walk(o)

    walk(condition)
    return list(seen)


def to_text(condition: Condition) -> str:
    """Render a tree with single spaces and only the parentheses it needs."""
    if isinstance(condition, Default):
        return DEFAULT_CONDITION
    if isinstance(condition, Ref):
        return condition.choice_id
    if isinstance(condition, Not):
        inner = to_text(condition.operand)
        return f"!{inner}" if isinstance(condition.operand, Ref | Not) else f"!({inner})"
    if isinstance(condition, And):
        return " && ".join(f"({to_text(o)})" if isinstance(o, Or) else to_text(o) for o in condition.operands)
    return " || ".join(to_text(o) for o in condition.operands)


def canonical(text: str) -> str:
    """Canonical spelling of a condition text (raises :class:`ConditionSyntaxError` if invalid)."""
    return to_text(parse_condition(text))


def evaluate(question: Question, selected_choice_ids: Iterable[str]) -> Risk:
    """Risk of ``question`` when exactly ``selected_choice_ids`` are selected.

    Rules are tried in their file order; the first whose condition is true wins (``default`` is always
    true). When none is true, which only a question without a ``default`` rule allows, the risk is
    :data:`~reviews.lensfile.model.NO_MATCH_RISK` (no risk, as in the AWS tool). Selecting an id the
    question does not have, or combining the "None of these" choice with another choice, raises
    ``ValueError``. An empty selection is evaluated like any other; deciding whether an unanswered
    question has a risk at all is the caller's business.
    """
    selected = frozenset(selected_choice_ids)
    known = {c.id: c for c in question.choices}
    unknown = sorted(selected - known.keys())
    if unknown:
        raise ValueError(f"question {question.id!r} has no choice {', '.join(map(repr, unknown))}")
    if len(selected) > 1 and any(known[c].is_none_of_these for c in selected):
        raise ValueError(f"question {question.id!r}: 'None of these' cannot be combined with other choices")
    for rule in question.risk_rules:
        if parse_condition(rule.condition).evaluate(selected):
            return rule.risk
    return NO_MATCH_RISK
