"""Read YAML 1.2 text into plain data, remembering the line of every key and item."""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ScenarioError, ScenarioErrors

Key = tuple[str | int, ...]

MAX_NODES = 100_000  # values after expanding aliases: a scenario has a few hundred; a bomb billions
MAX_EVENTS = 30_000  # values as written; the pure-Python reader takes ~0.1 ms for each
MAX_DEPTH = 32  # the schema nests 5 deep

_CORE = "tag:yaml.org,2002:"
# YAML 1.2's core schema, the only one read: ruamel also resolves dates, 1_000, 0b101 and
# '=' to other types, which YAML 1.2 reads as text.
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT = re.compile(r"[-+]?[0-9]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_OCT = re.compile(r"0o[0-7]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_EXPLICIT_TAG = re.compile(r"(?:&\S+\s+)?!")  # node properties: optional anchor, then a tag
_DIRECTIVE = re.compile(r"^%YAML[ \t]+([^\s#]*)", re.MULTILINE)


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
    from ruamel.yaml.reader import ReaderError

    directive = _DIRECTIVE.search(text)
    if directive is not None and directive.group(1) != "1.2":
        line = text.count("\n", 0, directive.start()) + 1
        raise ScenarioErrors(
            [
                ScenarioError(
                    file,
                    "",
                    line,
                    f"expected YAML 1.2, found a %YAML {directive.group(1)} directive",
                )
            ]
        )
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    yaml.Parser = _bounded_parser(file)
    try:
        with warnings.catch_warnings():
            # A reused anchor is valid YAML 1.2; ruamel's warning would only clutter stderr.
            warnings.simplefilter("ignore")
            node = yaml.compose(text)
    except ReaderError as exc:  # a character YAML forbids, e.g. a raw control character
        line = text.count("\n", 0, exc.position) + 1
        found = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a character"
        raise ScenarioErrors(
            [
                ScenarioError(
                    file, "", line, f"expected printable text, found the control character {found}"
                )
            ]
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        if "'\\t'" in problem:
            problem += " (indent with spaces; YAML does not allow tabs there)"
        raise ScenarioErrors([ScenarioError(file, "", line, f"invalid YAML: {problem}")]) from None
    except YAMLError as exc:
        raise ScenarioErrors([ScenarioError(file, "", None, f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ScenarioErrors(
            [ScenarioError(file, "", None, "invalid YAML: nested too deeply")]
        ) from None
    doc = Document(data=None)
    if node is None:
        return doc
    doc.lines[()] = node.start_mark.line + 1  # where a missing top-level key is reported
    builder = _Builder(file, doc, text)
    doc.data = builder.build(node, (), 0)
    if builder.errors:
        raise ScenarioErrors(builder.errors)
    return doc


def _bounded_parser(file: Path):
    """A YAML parser that stops at MAX_EVENTS values or MAX_DEPTH levels while it reads.

    Checking after composing would come too late: a 1 MB file of tiny values takes ruamel
    a minute and hundreds of MB to compose."""
    from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
    from ruamel.yaml.parser import Parser

    class BoundedParser(Parser):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.events = self.depth = 0

        def get_event(self):
            event = super().get_event()
            self.events += 1
            if isinstance(event, CollectionStartEvent):
                self.depth += 1
            elif isinstance(event, CollectionEndEvent):
                self.depth -= 1
            if self.events > MAX_EVENTS:
                problem = f"expected a scenario of at most {MAX_EVENTS:,} values, found more"
            elif self.depth > MAX_DEPTH:
                problem = f"expected at most {MAX_DEPTH} levels of nesting, found more"
            else:
                return event
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            raise ScenarioErrors([ScenarioError(file, "", line, problem)])

    return BoundedParser


def path_text(path: Key) -> str:
    """('models', 1, 'share') -> 'models[1].share'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if not part.isprintable():  # a key spelled with escapes: never print raw control codes
            part = repr(part)
        out += f".{part}" if out else part
    return out


class _Builder:
    def __init__(self, file: Path, doc: Document, text: str):
        self.file = file
        self.doc = doc
        self.text = text
        self.errors: list[ScenarioError] = []
        self.nodes = 0

    def fail(self, path: Key, line: int, problem: str) -> None:
        self.errors.append(ScenarioError(self.file, path_text(path), line, problem))

    def build(self, node, path: Key, depth: int):
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ScenarioErrors(
                [
                    ScenarioError(
                        self.file,
                        path_text(path),
                        node.start_mark.line + 1,
                        f"expected a small document, found more than {MAX_NODES} "
                        "values (an alias bomb?)",
                    )
                ]
            )
        if depth > MAX_DEPTH:
            raise ScenarioErrors(
                [
                    ScenarioError(
                        self.file,
                        path_text(path),
                        node.start_mark.line + 1,
                        f"expected at most {MAX_DEPTH} levels of nesting, found more",
                    )
                ]
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
            if not isinstance(key_node, ScalarNode) or self.tag(key_node) != _CORE + "str":
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self.fail(path, line, f"expected a text key, found {shown!r}")
                continue
            key = key_node.value
            if key in out:
                first = self.doc.lines.get(path + (key,))
                self.fail(
                    path + (key,),
                    line,
                    f"expected each key once, found a duplicate (first on line {first})",
                )
                continue
            self.doc.lines[path + (key,)] = line
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out

    def tag(self, node) -> str:
        """The node's tag; a plain scalar without an explicit tag resolved as YAML 1.2 does."""
        if node.style is None and not _EXPLICIT_TAG.match(self.text, node.start_mark.index):
            return _core_tag(node.value)
        return str(node.tag)

    def scalar(self, node, path: Key, line: int):
        tag, text = self.tag(node), node.value
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
                return int(text, 0)
            if _OCT.fullmatch(text):
                return int(text, 0)
        if tag == _CORE + "float":
            lowered = text.lower().lstrip("+")
            if lowered in (".inf", "-.inf"):
                return -math.inf if lowered.startswith("-") else math.inf
            if lowered == ".nan":
                return math.nan
            if _FLOAT.fullmatch(text):
                return float(text)
        self.fail(path, line, f"expected plain YAML, found the tag {_short(tag)}")
        return None


def _core_tag(text: str) -> str:
    """The tag YAML 1.2's core schema gives a plain scalar."""
    if _NULL.fullmatch(text):
        return _CORE + "null"
    if _BOOL.fullmatch(text):
        return _CORE + "bool"
    if _INT.fullmatch(text) or _HEX.fullmatch(text) or _OCT.fullmatch(text):
        return _CORE + "int"
    if _FLOAT.fullmatch(text) or _SPECIAL_FLOAT.fullmatch(text):
        return _CORE + "float"
    return _CORE + "str"


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
