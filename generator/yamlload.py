"""Read YAML 1.2 text into plain data, remembering the line of every key and item."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ScenarioError, ScenarioErrors

Key = tuple[str | int, ...]

MAX_NODES = 100_000  # a scenario has a few hundred; an alias bomb has billions
MAX_DEPTH = 32  # the schema nests 5 deep

_CORE = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?[0-9]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_OCT = re.compile(r"0o[0-7]+")


@dataclass
class Document:
    """Plain data (dicts, tuples, scalars) plus where each piece came from."""

    data: object
    lines: dict[Key, int] = field(default_factory=dict)  # path -> 1-based line
    texts: dict[Key, str] = field(default_factory=dict)  # path -> scalar as written

    def line(self, path: Key) -> int | None:
        """The line of `path`, else of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def parse(text: str, file: Path) -> Document:
    """Parse one YAML document; raise ScenarioErrors for syntax, tags, duplicates, bombs."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ScenarioErrors([ScenarioError(file, "", line, f"invalid YAML: {problem}")]) from None
    except YAMLError as exc:
        raise ScenarioErrors([ScenarioError(file, "", None, f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ScenarioErrors([ScenarioError(file, "", None, "invalid YAML: nested too deeply")]) from None
    doc = Document(data=None)
    if node is None:
        return doc
    builder = _Builder(file, doc)
    doc.data = builder.build(node, (), 0)
    if builder.errors:
        raise ScenarioErrors(builder.errors)
    return doc


def path_text(path: Key) -> str:
    """('models', 1, 'share') -> 'models[1].share'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Builder:
    def __init__(self, file: Path, doc: Document):
        self.file = file
        self.doc = doc
        self.errors: list[ScenarioError] = []
        self.nodes = 0

    def fail(self, path: Key, line: int, problem: str) -> None:
        self.errors.append(ScenarioError(self.file, path_text(path), line, problem))

    def build(self, node, path: Key, depth: int):
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ScenarioErrors(
                [ScenarioError(self.file, path_text(path), node.start_mark.line + 1,
                               f"expected a small document, found more than {MAX_NODES} "
                               "values (an alias bomb?)")]
            )
        if depth > MAX_DEPTH:
            raise ScenarioErrors(
                [ScenarioError(self.file, path_text(path), node.start_mark.line + 1,
                               f"expected at most {MAX_DEPTH} levels of nesting, found more")]
            )
        line = node.start_mark.line + 1
        tag = str(node.tag)
        if isinstance(node, MappingNode):
            if tag != _CORE + "map":
                self.fail(path, line, f"expected plain YAML, found the tag {_short(tag)}")
                return None
            return self.mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if tag != _CORE + "seq":
                self.fail(path, line, f"expected plain YAML, found the tag {_short(tag)}")
                return None
            items = []
            for index, item in enumerate(node.value):
                self.doc.lines[path + (index,)] = item.start_mark.line + 1
                items.append(self.build(item, path + (index,), depth + 1))
            return tuple(items)
        self.doc.texts[path] = node.value
        return self.scalar(node, path, line)

    def mapping(self, node, path: Key, depth: int) -> dict:
        from ruamel.yaml.nodes import ScalarNode

        out: dict = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or str(key_node.tag) != _CORE + "str":
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self.fail(path, line, f"expected a text key, found {shown!r}")
                continue
            key = key_node.value
            if key in out:
                first = self.doc.lines.get(path + (key,))
                self.fail(path + (key,), line, f"expected each key once, found a duplicate "
                          f"(first on line {first})")
                continue
            self.doc.lines[path + (key,)] = line
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out

    def scalar(self, node, path: Key, line: int):
        tag, text = str(node.tag), node.value
        if tag == _CORE + "str":
            return text
        if tag == _CORE + "null":
            return None
        if tag == _CORE + "bool":
            return text.lower() == "true"
        if tag == _CORE + "int":
            if _INT.fullmatch(text):
                return int(text)
            if _HEX.fullmatch(text):
                return int(text[2:], 16)
            if _OCT.fullmatch(text):
                return int(text[2:], 8)
        if tag == _CORE + "float":
            lowered = text.lower().lstrip("+")
            if lowered in (".inf", "-.inf"):
                return -math.inf if lowered.startswith("-") else math.inf
            if lowered == ".nan":
                return math.nan
            try:
                return float(text)
            except ValueError:
                pass
        self.fail(path, line, f"expected plain YAML, found the tag {_short(tag)}")
        return None


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
