"""Turn schema validation errors into `FILE:LINE: path: expected X, found Y` messages."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path

from .errors import ScenarioError
from .yamlload import Document, Key, path_text

_BRANCH_TAGS = {"number", "list"}  # discriminator tags of the decline factor, not real keys


def describe(errors: list[dict], doc: Document, file: Path) -> list[ScenarioError]:
    """One ScenarioError per schema error, in file order, without redundant ones."""
    from .schema import ScenarioSpec

    located = []
    seen: set[tuple[Key, str]] = set()
    for error in errors:
        key = tuple(part for part in error["loc"] if part not in _BRANCH_TAGS)
        if error["type"] == "too_short" and any(
            other["loc"][: len(error["loc"])] == error["loc"] and other is not error
            for other in errors
        ):
            continue  # an item failed; its own message says why
        if error["type"] == "missing":
            line = doc.line(key[:-1])
        else:
            line = doc.line(key)
        problem = _problem(error, key, doc, ScenarioSpec)
        if (key, problem) in seen:
            continue
        seen.add((key, problem))
        located.append(ScenarioError(file, path_text(key), line, problem))
    located.sort(key=lambda e: e.line or 0)
    return located


def _problem(error: dict, key: Key, doc: Document, root) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    found = _found(error, key, doc)
    if kind == "missing":
        return "expected a value (required), found nothing"
    if kind == "extra_forbidden":
        if key[-1] == "<<":
            return "unknown key (YAML 1.2 has no merge keys: write the fields out)"
        known = _known_keys(root, key[:-1])
        near = difflib.get_close_matches(str(key[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}?" if near else f"expected one of: {', '.join(known)}"
        return f"unknown key ({hint})"
    bounds = {
        "greater_than": f"a number > {_num(ctx.get('gt'))}",
        "greater_than_equal": f"a number >= {_num(ctx.get('ge'))}",
        "less_than": f"a number < {_num(ctx.get('lt'))}",
        "less_than_equal": f"a number <= {_num(ctx.get('le'))}",
    }
    if kind in bounds:
        return f"expected {_range(root, key) or bounds[kind]}, found {found}"
    expected = {
        "float_type": "a number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "finite_number": "a finite number",
        "string_type": "text",
        "tuple_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "literal_error": f"one of {ctx.get('expected')}",
        "union_tag_invalid": "a number or a list of numbers",
    }
    if kind in expected:
        return f"expected {expected[kind]}, found {found}"
    if kind == "string_pattern_mismatch":
        if key and key[-1] == "currency":
            return f"expected three capital letters such as USD, found {found}"
        return f"expected text without control characters, found {found}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        lo, hi = ctx.get("min_length"), ctx.get("max_length")
        unit = "characters" if kind.startswith("string") else "entries"
        count = ctx.get("actual_length")
        if count is None:
            count = len(error["input"]) if hasattr(error["input"], "__len__") else "?"
        limit = lo if lo is not None else hi
        want = f"at least {lo}" if lo is not None else f"at most {hi}"
        if limit == 1:
            unit = unit[:-1] if unit == "characters" else "entry"
        return f"expected {want} {unit}, found {count}"
    return f"expected a valid value ({error['msg']}), found {found}"


def _num(value) -> str:
    # 1e9 rather than 1e+09: the way a scenario file writes it
    return (
        f"{value:g}".replace("e+0", "e").replace("e+", "e")
        if isinstance(value, float)
        else str(value)
    )


def _found(error: dict, key: Key, doc: Document) -> str:
    value = error["input"]
    if key in doc.texts and not isinstance(value, (dict, tuple, list)):
        text = doc.texts[key]
        if isinstance(value, bool):
            return f"{text} (a boolean)"
        if value is None:
            return "nothing (null)"
        if isinstance(value, str):
            return f"the text {text[:60]!r}"
        return text
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (tuple, list)):
        return f"a list of {len(value)}"
    if value is None:
        return "nothing"
    return repr(value)[:60]


def _model_at(root, parent: Key):
    """The schema class whose keys are valid under `parent` (None when unknown)."""
    model, in_dict = root, False
    for part in parent:
        if isinstance(part, int):
            continue
        if in_dict:
            in_dict = False
            continue  # a free key (case or model name): its value has the model already
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = _unwrap(field.annotation)
        in_dict = typing.get_origin(annotation) is dict
        model = _model_in(typing.get_args(annotation)[1] if in_dict else annotation)
    return None if in_dict else model


def _unwrap(annotation):
    """Optional[X] -> X."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


def _model_in(annotation):
    """The pydantic model class inside an annotation (Optional, tuple[...], dict[...])."""
    from pydantic import BaseModel

    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
        stack.extend(typing.get_args(item))
    return None


def _known_keys(root, parent: Key) -> list[str]:
    return list(getattr(_model_at(root, parent), "model_fields", {}))


def _range(root, key: Key) -> str:
    """The field's whole range, e.g. 'a number >= 0 and <= 1', from its schema constraints."""
    names = [part for part in key if isinstance(part, str)]
    model = _model_at(root, key[: len(key) - (1 if isinstance(key[-1], str) else 2)])
    info = getattr(model, "model_fields", {}).get(names[-1]) if names else None
    if info is None:
        return ""
    lo = hi = None
    for meta in _constraints(info):
        for attr, sign in (("gt", ">"), ("ge", ">=")):
            if getattr(meta, attr, None) is not None:
                lo = (sign, getattr(meta, attr))
        for attr, sign in (("lt", "<"), ("le", "<=")):
            if getattr(meta, attr, None) is not None:
                hi = (sign, getattr(meta, attr))
    if lo and hi:
        kind = "a whole number" if _unwrap(info.annotation) is int else "a number"
        return f"{kind} {lo[0]} {_num(lo[1])} and {hi[0]} {_num(hi[1])}"
    return ""


def _constraints(info) -> list:
    """Every annotated-types constraint on a field, however deeply it is nested."""
    found = list(info.metadata)
    stack = [info.annotation]
    while stack:
        item = stack.pop()
        for meta in getattr(item, "__metadata__", ()):
            found.append(meta)
            found.extend(getattr(meta, "metadata", ()))
        stack.extend(typing.get_args(item))
    return found
