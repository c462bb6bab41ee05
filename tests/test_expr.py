"""The formula expressions: each carries its text and its value, and the two must agree with
what a spreadsheet computes from the text (precedence, parentheses, n/a, errors)."""

from __future__ import annotations

import io
import math
import random
import re

import openpyxl
import pytest
from agreement import agree
from engine import read_values, recalc

from generator.workbook.book import Book
from generator.workbook.expr import (
    ABS,
    AND,
    COLUMNS,
    COUNT,
    COUNTIF,
    DIV_ERROR,
    IF,
    IFERROR,
    INDEX,
    ISERROR,
    ISNUMBER,
    MATCH,
    MAX,
    MIN,
    NA_ERROR,
    NOT,
    POWER,
    PRODUCT,
    ROWS,
    SUM,
    SUMPRODUCT,
    VALUE_ERROR,
    E,
    ErrorValue,
    lift,
)
from generator.workbook.xlsxfile import finalize

# -- a reference reading of formula text, with Excel's precedence ---------------------------

TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+(?:\.\d*)?(?:E[+-]?\d+)?)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<function>[A-Z][A-Z0-9.]*)\(
  | (?P<bool>TRUE|FALSE)\b
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$!.]*)
  | (?P<op><=|>=|<>|[-+*/^=<>(),])
)""",
    re.VERBOSE,
)
# Excel: comparisons bind loosest, then + -, then * /, then ^; all are left-associative,
# and a leading minus binds tighter than ^ (-2^2 is 4).
BINARY = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "+": 2, "-": 2, "*": 3, "/": 3, "^": 4}
ERROR = "error"


def tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    while position < len(text):
        match = TOKEN.match(text, position)
        assert match, f"cannot read {text[position:]!r} in {text!r}"
        out.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return out


class Parser:
    """Formula text -> a tree of tuples, read the way Excel reads it."""

    def __init__(self, text: str):
        self.items, self.at = tokens(text), 0

    def peek(self):
        return self.items[self.at] if self.at < len(self.items) else (None, None)

    def take(self):
        self.at += 1
        return self.items[self.at - 1]

    def parse(self):
        tree = self.binary(1)
        assert self.at == len(self.items), "text left over"
        return tree

    def binary(self, lowest: int):
        left = self.unary()
        while True:
            kind, op = self.peek()
            if kind != "op" or op not in BINARY or BINARY[op] < lowest:
                return left
            self.take()
            left = ("op", op, left, self.binary(BINARY[op] + 1))

    def unary(self):
        kind, value = self.peek()
        if kind == "op" and value == "-":
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def primary(self):
        kind, value = self.take()
        if kind == "number":
            return ("lit", float(value))
        if kind == "string":
            return ("lit", value[1:-1].replace('""', '"'))
        if kind == "bool":
            return ("lit", value == "TRUE")
        if kind == "name":
            return ("name", value)
        if kind == "function":
            args = []
            if self.peek() != ("op", ")"):
                args.append(self.binary(1))
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.binary(1))
            assert self.take() == ("op", ")")
            return ("call", value, args)
        assert (kind, value) == ("op", "("), f"unexpected {value!r}"
        inner = self.binary(1)
        assert self.take() == ("op", ")")
        return inner


def evaluate(tree, env: dict[str, float]):
    """Numbers and booleans only: enough to check that text and value are the same tree."""
    kind = tree[0]
    if kind == "lit":
        return tree[1]
    if kind == "name":
        return env[tree[1]]
    if kind == "neg":
        value = evaluate(tree[1], env)
        return value if value == ERROR else -value
    if kind == "call":
        return _call(tree[1], tree[2], env)
    _, op, left, right = tree
    a, b = evaluate(left, env), evaluate(right, env)
    if ERROR in (a, b):
        return ERROR
    try:
        value = {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "^": lambda: float(a) ** b,
            "=": lambda: a == b,
            "<>": lambda: a != b,
            "<": lambda: a < b,
            ">": lambda: a > b,
            "<=": lambda: a <= b,
            ">=": lambda: a >= b,
        }[op]()
    except (ZeroDivisionError, OverflowError):
        return ERROR
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
        return ERROR
    return value


def _call(name: str, args: list, env):
    if name == "IF":
        condition = evaluate(args[0], env)
        if condition == ERROR:
            return ERROR
        return evaluate(args[1] if condition else args[2], env)
    values = [evaluate(arg, env) for arg in args]
    if ERROR in values:
        return ERROR
    if name == "ABS":
        return abs(values[0])
    if name == "MAX":
        return max(values)
    if name == "MIN":
        return min(values)
    if name == "POWER":
        return evaluate(("op", "^", ("lit", values[0]), ("lit", values[1])), env)
    raise AssertionError(f"no reference for {name}")


# -- random expressions -------------------------------------------------------------------

# Dyadic values keep + - * / exact, so an engine's rounding of near-cancelling sums to 0
# cannot make it disagree with Python.
LEAVES = {"a": 2.0, "b": -3.0, "c": 0.5, "d": 0.0, "e": 4.0, "f": -1.5}
LITERALS = (2, -2, 0.5, -0.25, 3, 1, 8.0, -0.5)


def random_expr(rng: random.Random, depth: int, leaf) -> E:
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.7:
            return leaf(rng.choice(list(LEAVES)))
        return lift(rng.choice(LITERALS))
    left, right = random_expr(rng, depth - 1, leaf), random_expr(rng, depth - 1, leaf)
    pick = rng.randrange(12)
    if pick < 2:
        return left + right
    if pick < 4:
        return left - right
    if pick < 6:
        return left * right
    if pick == 6:
        return left / right
    if pick == 7:
        return left ** lift(rng.choice((2, 3, -1, 0.5)))
    if pick == 8:
        return rng.choice((left < right, left >= right, left.eq(right), left.ne(right))) + 0
    if pick == 9:
        return IF(left > right, left, right - 1)
    if pick == 10:
        return rng.choice((MAX, MIN))(left, right, lift(rng.choice(LITERALS)))
    return ABS(left) * POWER(right, 2)


def _same(value, reference) -> bool:
    if isinstance(value, ErrorValue) or reference == ERROR:
        return isinstance(value, ErrorValue) and reference == ERROR
    return math.isclose(float(value), float(reference), rel_tol=1e-12, abs_tol=1e-300)


def test_text_and_value_are_one_tree_for_random_expressions():
    rng = random.Random(20240601)
    checked = 0
    for _ in range(2000):
        expr = random_expr(rng, 5, lambda name: E(name, LEAVES[name]))
        reference = evaluate(Parser(expr.text).parse(), LEAVES)
        assert _same(expr.value, reference), (expr.text, expr.value, reference)
        checked += not isinstance(expr.value, ErrorValue)
    assert checked > 1000


def test_libreoffice_computes_the_carried_values(libreoffice, tmp_path):
    """The same random expressions as cell formulas: LibreOffice, not our reading of the
    text, decides whether text and value agree."""
    rng = random.Random(7)
    refs = {name: f"$A${row}" for row, name in enumerate(LEAVES, start=1)}
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Expr"
    for name, ref in refs.items():
        sheet[ref.replace("$", "")] = LEAVES[name]
    cached, expected = {}, {}
    while len(expected) < 300:
        expr = random_expr(rng, 4, lambda name: E(refs[name], LEAVES[name]))
        if isinstance(expr.value, ErrorValue):
            continue
        ref = f"B{len(expected) + 1}"
        sheet[ref] = "=" + expr.text
        cached[ref] = expr.value if isinstance(expr.value, bool) else float(expr.value)
        expected[ref] = expr
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = tmp_path / "expr.xlsx"
    source.write_bytes(finalize(buffer.getvalue(), {"Expr": cached}))
    (out,) = recalc([source], tmp_path / "out")
    got = read_values(out)["Expr"]
    wrong = [
        (ref, expr.text, expr.value, got.get(ref))
        for ref, expr in expected.items()
        if not agree(float(expr.value), float(got.get(ref)), scale=1e-3)
    ]
    assert wrong == []


# -- precedence and parentheses -----------------------------------------------------------

a, b, c = E("a", 2.0), E("b", 3.0), E("c", 2.0)


@pytest.mark.parametrize(
    "expr, text, value",
    [
        (a + b * c, "a+b*c", 8.0),
        ((a + b) * c, "(a+b)*c", 10.0),
        (a - (b - c), "a-(b-c)", 1.0),
        (a - b - c, "a-b-c", -3.0),
        (a / (b * c), "a/(b*c)", 1 / 3),
        (a / b / c, "a/b/c", 1 / 3),
        ((a**b) ** c, "a^b^c", 64.0),  # Excel's ^ is left-associative
        (a ** (b**c), "a^(b^c)", 512.0),
        (lift(-2) ** 2, "-2^2", 4.0),  # and its minus sign binds tighter than ^
        (a ** lift(-1), "a^-1", 0.5),
        (0 - lift(-2) ** 2, "0--2^2", -4.0),
        (a * lift(-3), "a*-3", -6.0),
        ((a < b) + 1, "(a<b)+1", 2),
        ((a + b).eq(a * c), "a+b=a*c", False),
        (2 * (a + b), "2*(a+b)", 10.0),
        (1 - (a + b) / c, "1-(a+b)/c", -1.5),
    ],
)
def test_precedence_and_parentheses(expr, text, value):
    assert expr.text == text
    assert expr.value == value
    assert _same(evaluate(Parser(text).parse(), {"a": 2.0, "b": 3.0, "c": 2.0}), value)


@pytest.mark.parametrize(
    "number", [0.1, 1 / 3, 1e-7, 1e20, 123456789.123, 2.5e-300, 0.0, -0.75, 1e16, 5e-324]
)
def test_number_literals_read_back_exactly(number):
    text = lift(number).text
    assert float(text) == number
    assert tokens(text.lstrip("-"))[0][0] == "number"


def test_literals_of_other_types():
    assert lift(3).text == "3"
    assert lift(True).text == "TRUE" and lift(True).value is True
    assert lift('say "hi"').text == '"say ""hi"""'
    assert lift('say "hi"').value == 'say "hi"'


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_literal_is_refused(bad):
    with pytest.raises(ValueError):
        lift(bad)


# -- n/a and errors -----------------------------------------------------------------------

NA = E("x", "n/a")


def test_n_a_passes_through_isnumber_guards():
    guarded = IF(ISNUMBER(NA), NA * 2, "n/a")
    assert guarded.text == 'IF(ISNUMBER(x),x*2,"n/a")'
    assert guarded.value == "n/a"
    assert IF(ISNUMBER(a), a * 2, "n/a").value == 4.0
    assert IF(b <= 1e-12, "n/a", a / b).value == 2 / 3
    assert IF(lift(0.0) <= 1e-12, "n/a", a / 0).value == "n/a"  # the untaken branch


def test_text_in_arithmetic_is_an_error_not_a_number():
    assert (NA * 2).value is VALUE_ERROR
    assert (NA + 0).value is VALUE_ERROR
    assert IF(NA, 1, 2).value is VALUE_ERROR
    assert SUM(NA).value is VALUE_ERROR


def test_errors_propagate_through_every_operation():
    broken = a / 0
    assert broken.value is DIV_ERROR
    for expr in (
        broken + 1,
        1 - broken,
        broken * 0,
        broken**2,
        broken < 1,
        ABS(broken),
        MAX(broken, 1),
        MIN(1, broken),
        SUM(broken),
        POWER(broken, 1),
        IF(broken, 1, 2),
        AND(broken),
        NOT(broken),
        INDEX(E("r", [[1]], shape=(1, 1)), broken, 1),
    ):
        assert expr.value is DIV_ERROR, expr.text
    assert ISERROR(broken).value is True and ISNUMBER(broken).value is False
    assert IFERROR(broken, False).value is False
    assert IFERROR(a, False).value == 2.0
    assert IFERROR(broken, False).text == "IFERROR(a/0,FALSE)"


def test_numbers_a_spreadsheet_cannot_hold_are_errors():
    assert isinstance((lift(-8.0) ** (1 / 3)).value, ErrorValue)  # Python: a complex number
    assert isinstance(POWER(-2, 0.5).value, ErrorValue)
    assert isinstance((lift(10.0) ** 400).value, ErrorValue)
    assert isinstance((lift(1e300) * 1e300).value, ErrorValue)
    assert isinstance((lift(0.0) ** -1).value, ErrorValue)


def test_index_outside_its_range_is_an_error():
    block = E("R", [[1, 2], [3, 4]], shape=(2, 2))
    assert INDEX(block, 2, 1).value == 3
    for row, column in ((0, 1), (3, 1), (1, 0), (1, 3), (-1, 1)):
        assert isinstance(INDEX(block, row, column).value, ErrorValue), (row, column)


def test_match_not_found_is_n_a_and_an_iserror_guard_turns_it_into_text():
    names = E("N", [["base"], ["Bear"]], shape=(2, 1))
    assert MATCH("bear", names).value == 2  # case-insensitive, as in Excel
    assert MATCH("bull", names).value is NA_ERROR
    missing = MATCH("bull", names)
    assert IF(ISERROR(missing), "n/a", INDEX(names, missing, 1)).value == "n/a"


def test_a_finished_cell_never_holds_an_error_or_a_range():
    book = Book(["S"])
    book.text("S", 1, 1, "x")
    with pytest.raises(AssertionError, match="#DIV/0!"):
        book.formula("S", 2, 1, lift(1) / 0)
    with pytest.raises(AssertionError):
        book.formula("S", 3, 1, book.span("S", 1, 1, 1, 1))
    assert book.formula("S", 4, 1, lift(1) / 4).value == 0.25
    assert book.grid[("S", 4, 1)] == 0.25


# -- functions over ranges ------------------------------------------------------------------

ROW = E("R", [[1.0, "curve", None, True, 4.0]], shape=(1, 5))


def test_range_functions_skip_text_blanks_and_booleans_like_excel():
    assert SUM(ROW).value == 5.0
    assert MAX(ROW).value == 4.0 and MIN(ROW).value == 1.0
    assert PRODUCT(ROW).value == 4.0
    assert COUNT(ROW).value == 2
    assert COUNTIF(ROW, "CURVE").value == 1
    assert ROWS(ROW).value == 1 and COLUMNS(ROW).value == 5
    assert MAX(E("R", [["x"]], shape=(1, 1))).value == 0  # no numbers: 0, as in Excel
    assert AND(E("R", [[None, "x"]], shape=(1, 2))).value is VALUE_ERROR  # nothing to test
    assert AND(E("R", [[True, None]], shape=(1, 2)), a > 1).value is True


def test_sumproduct_treats_text_as_zero_and_keeps_errors():
    shares = E("S", [[0.25], [0.75]], shape=(2, 1))
    costs = E("C", [[4.0], ["n/a"]], shape=(2, 1))
    assert SUMPRODUCT(shares, costs).value == 1.0
    assert SUMPRODUCT(shares, costs).text == "SUMPRODUCT(S,C)"
    assert SUMPRODUCT(shares, E("C", [[1.0], [DIV_ERROR]], shape=(2, 1))).value is DIV_ERROR


def test_comparisons_follow_excel_type_order():
    assert (lift("a") > 1).value is True  # text sorts after numbers
    assert (lift(True) > "a").value is True  # booleans after text
    assert lift("a").eq("A").value is True  # text compares without case
    assert (E("blank", None) < 1).value is True  # an empty cell is 0
