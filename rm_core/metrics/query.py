"""Filter metrics' `query:` strings (pandas-query syntax, as wbr-app decks write them) as polars expressions.

Only a safe subset is understood: column names (in `backticks` when they hold spaces), numbers and quoted text,
comparisons, `in` / `not in` lists, and `and` / `or` / `not` (also `&`, `|`, `~`). Nothing is ever evaluated.
"""
from __future__ import annotations

import ast
import re

import polars as pl

from rm_core.errors import UserError

_COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}


def query_expression(query: str, columns: list[str] | tuple[str, ...]) -> pl.Expr:
    """`query` as a boolean polars expression over `columns`; UserError naming what it cannot read."""
    names: dict[str, str] = {}

    def quote(match: re.Match) -> str:
        key = f"__col{len(names)}"
        names[key] = match.group(1)
        return key

    text = re.sub(r"`([^`]*)`", quote, query.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise UserError(f"filter query '{query}' is not a condition like: country == 'US'") from None

    def column(name: str) -> pl.Expr:
        real = names.get(name, name)
        if real not in columns:
            raise UserError(f"filter query '{query}' names column '{real}', which the data does not have")
        return pl.col(real)

    def value(node: ast.AST):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return -node.operand.value
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [value(e) for e in node.elts]
        raise UserError(f"filter query '{query}': cannot read '{ast.unparse(node)}'")

    def operand(node: ast.AST):
        if isinstance(node, ast.Name):
            return column(node.id)
        return pl.lit(value(node)) if not isinstance(node, (ast.List, ast.Tuple, ast.Set)) else value(node)

    def build(node: ast.AST) -> pl.Expr:
        if isinstance(node, ast.BoolOp):
            parts = [build(v) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
            return ~build(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            left, right = build(node.left), build(node.right)
            return (left & right) if isinstance(node.op, ast.BitAnd) else (left | right)
        if isinstance(node, ast.Compare):
            out = None
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn)):
                    items = value(right)
                    items = items if isinstance(items, list) else [items]
                    part = operand(left).is_in(items)
                    part = ~part if isinstance(op, ast.NotIn) else part
                elif type(op) in _COMPARE:
                    part = _COMPARE[type(op)](operand(left), operand(right))
                else:
                    raise UserError(f"filter query '{query}': operator not understood")
                out = part if out is None else out & part
                left = right
            return out
        if isinstance(node, ast.Name):
            return column(node.id).cast(pl.Boolean)
        raise UserError(f"filter query '{query}': cannot read '{ast.unparse(node)}'")

    return build(tree.body).fill_null(False)
