"""Formula expressions that carry their own value: the formula text and its cached value
come from one tree, so they cannot drift apart."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable


class ErrorValue:
    """A spreadsheet error (#VALUE!, #DIV/0!, #N/A); never allowed into a finished cell."""

    def __init__(self, code: str):
        self.code = code

    def __repr__(self) -> str:
        return self.code


VALUE_ERROR = ErrorValue("#VALUE!")
DIV_ERROR = ErrorValue("#DIV/0!")
NA_ERROR = ErrorValue("#N/A")
NUM_ERROR = ErrorValue("#NUM!")
REF_ERROR = ErrorValue("#REF!")

ATOM, POW, MUL, ADD, CMP = 0, 1, 2, 3, 4  # Excel precedence, tightest first


class E:
    """One formula (sub)expression: its text and the value a spreadsheet computes for it.

    A range has `value` as a list of rows (each a list of cell values).
    """

    __slots__ = ("prec", "shape", "text", "value")

    def __init__(self, text: str, value, prec: int = ATOM, shape: tuple[int, int] | None = None):
        self.text, self.value, self.prec, self.shape = text, value, prec, shape

    def __add__(self, other):
        return _arith("+", ADD, self, other, lambda a, b: a + b)

    def __radd__(self, other):
        return _arith("+", ADD, lift(other), self, lambda a, b: a + b)

    def __sub__(self, other):
        return _arith("-", ADD, self, other, lambda a, b: a - b)

    def __rsub__(self, other):
        return _arith("-", ADD, lift(other), self, lambda a, b: a - b)

    def __mul__(self, other):
        return _arith("*", MUL, self, other, lambda a, b: a * b)

    def __rmul__(self, other):
        return _arith("*", MUL, lift(other), self, lambda a, b: a * b)

    def __truediv__(self, other):
        return _arith("/", MUL, self, other, _divide)

    def __rtruediv__(self, other):
        return _arith("/", MUL, lift(other), self, _divide)

    def __pow__(self, other):
        return _arith("^", POW, self, other, _power)

    def __lt__(self, other):
        return _compare("<", self, other, lambda c: c < 0)

    def __le__(self, other):
        return _compare("<=", self, other, lambda c: c <= 0)

    def __gt__(self, other):
        return _compare(">", self, other, lambda c: c > 0)

    def __ge__(self, other):
        return _compare(">=", self, other, lambda c: c >= 0)

    def eq(self, other):
        return _compare("=", self, other, lambda c: c == 0)

    def ne(self, other):
        return _compare("<>", self, other, lambda c: c != 0)

    def __repr__(self) -> str:
        return f"E({self.text!r}, {self.value!r})"


def lift(value) -> E:
    """A Python constant as a formula literal."""
    if isinstance(value, E):
        return value
    if isinstance(value, bool):
        return E("TRUE" if value else "FALSE", value)
    if isinstance(value, str):
        return E('"' + value.replace('"', '""') + '"', value)
    if isinstance(value, int):
        return E(str(value), value)
    if not math.isfinite(value):  # would be written as NAN or INF: a #NAME? in the file
        raise ValueError(f"{value!r} cannot be a formula literal")
    return E(repr(float(value)).upper(), float(value))


def _wrap(expr: E, limit: int, strict: bool) -> str:
    needs = expr.prec > limit or (strict and expr.prec == limit and expr.prec != ATOM)
    return f"({expr.text})" if needs else expr.text


def _number(value):
    """A cell value as a number for arithmetic, or an error (text cannot be computed with)."""
    if isinstance(value, ErrorValue):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return 0
    return VALUE_ERROR


def _arith(op: str, prec: int, left, right, fn: Callable) -> E:
    left, right = lift(left), lift(right)
    a, b = _number(left.value), _number(right.value)
    if isinstance(a, ErrorValue):
        value = a
    elif isinstance(b, ErrorValue):
        value = b
    else:
        try:
            value = fn(a, b)
        except (OverflowError, ZeroDivisionError, ValueError):
            value = VALUE_ERROR
        if isinstance(value, float) and not math.isfinite(value):
            value = VALUE_ERROR
    text = f"{_wrap(left, prec, False)}{op}{_wrap(right, prec, True)}"
    return E(text, value, prec)


def _divide(a, b):
    return DIV_ERROR if b == 0 else a / b


def _power(a, b):
    result = float(a) ** b
    # Python gives a complex number for a negative base and a fractional exponent
    return NUM_ERROR if isinstance(result, complex) else result


def _rank(value) -> int:
    # Excel's ordering across types: numbers < text < booleans
    if isinstance(value, bool):
        return 2
    if isinstance(value, str):
        return 1
    return 0


def _compare(op: str, left, right, test: Callable[[int], bool]) -> E:
    left, right = lift(left), lift(right)
    a, b = left.value, right.value
    if isinstance(a, ErrorValue) or isinstance(b, ErrorValue):
        value = a if isinstance(a, ErrorValue) else b
    else:
        a, b = (0 if a is None else a), (0 if b is None else b)
        if _rank(a) != _rank(b):
            order = _rank(a) - _rank(b)
        elif isinstance(a, str):
            order = (a.lower() > b.lower()) - (a.lower() < b.lower())
        else:
            order = (a > b) - (a < b)
        value = test(order)
    return E(f"{_wrap(left, ADD, False)}{op}{_wrap(right, ADD, False)}", value, CMP)


def _flat(args: Iterable[E]):
    """(value, from_range) for every value in the arguments, ranges flattened."""
    for arg in args:
        if arg.shape is not None:
            for row in arg.value:
                for value in row:
                    yield value, True
        else:
            yield arg.value, False


def _call(name: str, args: list[E], value) -> E:
    return E(f"{name}({','.join(a.text for a in args)})", value)


def _numbers(args: list[E]):
    """Numbers as Excel's SUM/MAX/MIN/COUNT see them: text and blanks in ranges are skipped."""
    out = []
    for value, from_range in _flat(args):
        if isinstance(value, ErrorValue):
            return value
        if from_range and (isinstance(value, (str, bool)) or value is None):
            continue
        number = _number(value)
        if isinstance(number, ErrorValue):
            return number
        out.append(number)
    return out


def _aggregate(name: str, fn: Callable[[list], object]) -> Callable[..., E]:
    def function(*args) -> E:
        args = [lift(a) for a in args]
        numbers = _numbers(args)
        return _call(name, args, numbers if isinstance(numbers, ErrorValue) else fn(numbers))

    function.__name__ = name
    return function


SUM = _aggregate("SUM", lambda xs: sum(xs))
MAX = _aggregate("MAX", lambda xs: max(xs) if xs else 0)
MIN = _aggregate("MIN", lambda xs: min(xs) if xs else 0)
PRODUCT = _aggregate("PRODUCT", lambda xs: math.prod(xs) if xs else 0)


def COUNT(*args) -> E:
    args = [lift(a) for a in args]
    count = sum(
        1 for v, _ in _flat(args) if isinstance(v, (int, float)) and not isinstance(v, bool)
    )
    return _call("COUNT", args, count)


def COUNTIF(rng: E, text: str) -> E:
    count = sum(1 for v, _ in _flat([rng]) if isinstance(v, str) and v.lower() == text.lower())
    return _call("COUNTIF", [rng, lift(text)], count)


def ROWS(rng: E) -> E:
    return _call("ROWS", [rng], rng.shape[0])


def COLUMNS(rng: E) -> E:
    return _call("COLUMNS", [rng], rng.shape[1])


def _truth(value):
    if isinstance(value, ErrorValue):
        return value
    if isinstance(value, str):
        return VALUE_ERROR
    return bool(value)


def IF(condition, then, otherwise) -> E:
    condition, then, otherwise = lift(condition), lift(then), lift(otherwise)
    truth = _truth(condition.value)
    value = truth if isinstance(truth, ErrorValue) else (then.value if truth else otherwise.value)
    return _call("IF", [condition, then, otherwise], value)


def AND(*args) -> E:
    args = [lift(a) for a in args]
    seen, value = False, True
    for item, from_range in _flat(args):
        if isinstance(item, ErrorValue):
            value = item
            break
        if from_range and (isinstance(item, str) or item is None):
            continue
        truth = _truth(item)
        if isinstance(truth, ErrorValue):
            value = truth
            break
        seen = True
        value = value and truth
    if value is True and not seen:
        value = VALUE_ERROR
    return _call("AND", args, value)


def NOT(arg) -> E:
    arg = lift(arg)
    truth = _truth(arg.value)
    return _call("NOT", [arg], truth if isinstance(truth, ErrorValue) else not truth)


def ISNUMBER(arg: E) -> E:
    v = arg.value
    return _call("ISNUMBER", [arg], isinstance(v, (int, float)) and not isinstance(v, bool))


def ISERROR(arg: E) -> E:
    return _call("ISERROR", [arg], isinstance(arg.value, ErrorValue))


def IFERROR(arg, fallback) -> E:
    arg, fallback = lift(arg), lift(fallback)
    value = fallback.value if isinstance(arg.value, ErrorValue) else arg.value
    return _call("IFERROR", [arg, fallback], value)


def _unary(name: str, fn: Callable) -> Callable[[E], E]:
    def function(arg) -> E:
        arg = lift(arg)
        number = _number(arg.value)
        return _call(name, [arg], number if isinstance(number, ErrorValue) else fn(number))

    function.__name__ = name
    return function


ABS = _unary("ABS", abs)
INT = _unary("INT", math.floor)


def POWER(base, exponent) -> E:
    result = lift(base) ** lift(exponent)
    base, exponent = lift(base), lift(exponent)
    return _call("POWER", [base, exponent], result.value)


def SUMPRODUCT(*ranges: E) -> E:
    columns = [[v for v, _ in _flat([r])] for r in ranges]
    total = 0.0
    for items in zip(*columns):
        errors = [v for v in items if isinstance(v, ErrorValue)]
        if errors:
            total = errors[0]
            break
        product = 1.0
        for v in items:
            product *= v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0
        total += product
    return _call("SUMPRODUCT", list(ranges), total)


def MATCH(lookup, rng: E) -> E:
    lookup = lift(lookup)
    value = NA_ERROR
    for position, (item, _) in enumerate(_flat([rng]), start=1):
        if isinstance(item, str) and isinstance(lookup.value, str):
            same = item.lower() == lookup.value.lower()
        else:
            same = _rank(item) == _rank(lookup.value) and item == lookup.value
        if same:
            value = position
            break
    return _call("MATCH", [lookup, rng, lift(0)], value)


def INDEX(rng: E, row, column) -> E:
    row, column = lift(row), lift(column)
    r, c = row.value, column.value
    if isinstance(r, ErrorValue) or isinstance(c, ErrorValue):
        value = r if isinstance(r, ErrorValue) else c
    else:
        r, c = int(r), int(c)
        inside = 1 <= r <= len(rng.value) and 1 <= c <= len(rng.value[0])
        # Python would wrap a 0 or negative position around to the end of the range
        value = rng.value[r - 1][c - 1] if inside else REF_ERROR
    return _call("INDEX", [rng, row, column], value)
