"""Reading and writing the configuration document as YAML or JSON text.

Syntax errors become problems with a line number, like every other problem of the file. The
document is bounded before it is built (calldesk.lib.limits): its size in bytes, and for YAML
its depth and number of nodes while the parser composes them, so neither a deeply nested nor a
huge file can exhaust the stack or the memory; JSON, parsed in C, is checked right after.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from calldesk.lib import limits


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists each one with its place in the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_BOOL_TAG = "tag:yaml.org,2002:bool"
_STR_TAG = "tag:yaml.org,2002:str"
# The settings that are true or false (the document's and form definitions').
FLAG_KEYS = frozenset({"active", "retired", "required", "personal", "data"})


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # An explicit tag on a value it cannot hold (`!!timestamp 2008-02-30`, `!!int x`) is a
        # problem at its place, not a traceback.
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[no-untyped-call]
        except (ValueError, TypeError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"`{node.value}` cannot be read as {node.tag.rsplit(':', 1)[-1]} ({error})", node.start_mark
            ) from None


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    # YAML 1.1 reads `no`, `off`, `Yes` as booleans: a user called `No`, a mapping value `on`
    # or a choice labelled `No` would become false. Only the flags take a boolean; anywhere
    # else the word stays the text it was written as (a key too: `on:` is a name).
    for key_node, value_node in node.value:
        if _is_word(key_node):
            key_node.tag = _STR_TAG
        if _is_word(value_node) and key_node.value not in FLAG_KEYS:
            value_node.tag = _STR_TAG
    seen: set[Any] = set()
    for key_node, _value in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            # `? [a, b]` (a "complex key"): a list or mapping cannot be a setting's name.
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if isinstance(key, str | int | float | bool) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"`{key}` is given twice in the same mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_sequence(loader: _StrictLoader, node: yaml.SequenceNode) -> Any:
    """A list's items are never flags (roles, choices): `- No` stays the word."""
    for item in node.value:
        if _is_word(item):
            item.tag = _STR_TAG
    yield from loader.construct_yaml_seq(node)  # type: ignore[no-untyped-call]


def _is_word(node: yaml.Node) -> bool:
    """A plain (unquoted, untagged) scalar that YAML 1.1 read as a boolean."""
    return isinstance(node, yaml.ScalarNode) and node.tag == _BOOL_TAG and node.style is None


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)

# YAML 1.1 reads `0034` as octal 28, `1_000` as 1000, `1:30` as 90 and `1.10` as 1.1, so an
# unquoted agent ID, reportVer or choice code would silently become another one. The
# document's only numbers are plain whole numbers (version, minutes, days): only those are
# read as numbers; everything else that looks numeric stays the text it was written as.
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
# No setting is a date either: `2008-02-30` (no such day) or `2008-02-28` is the text it was
# written as, a name or a code, never a date (or a traceback).
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# Longer numbers than any setting takes stay text too (then a setting that wants a number
# says so): Python refuses to read an integer of more than 4,300 digits, and PostgreSQL one
# past 64 bits.
_StrictLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9]{0,17})$"), list("-+0123456789"))


def _json_int(digits: str) -> int | str:
    return int(digits) if len(digits.lstrip("-")) <= 18 else digits


class _BoundedLoader(_StrictLoader):
    """Counts nodes and depth as the composer builds them and stops at the limits, with the
    place. An alias counts as the nodes it repeats, so a few lines of aliases cannot stand
    for millions of values ("billion laughs")."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0
        self.anchor_sizes: dict[str, int] = {}

    def _count(self, nodes: int, mark: Any) -> None:
        self.nodes += nodes
        if self.nodes > limits.MAX_DOCUMENT_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"the document has more than {limits.MAX_DOCUMENT_NODES:,} values", mark
            )

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._count(self.anchor_sizes.get(event.anchor or "", 1), event.start_mark)
            return super().compose_node(parent, index)  # type: ignore[no-untyped-call,no-any-return]
        self.depth += 1
        if self.depth > limits.MAX_DOCUMENT_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {limits.MAX_DOCUMENT_DEPTH} levels deep", event.start_mark
            )
        before = self.nodes
        self._count(1, event.start_mark)
        node = super().compose_node(parent, index)  # type: ignore[no-untyped-call]
        self.depth -= 1
        anchor = getattr(event, "anchor", None)
        if anchor:
            self.anchor_sizes[anchor] = self.nodes - before
        return node  # type: ignore[no-any-return]


def _json_bounds_problem(document: Any) -> str:
    """The first limit a parsed JSON document goes past, or ""."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > limits.MAX_DOCUMENT_NODES:
            return f"the document has more than {limits.MAX_DOCUMENT_NODES:,} values"
        if depth > limits.MAX_DOCUMENT_DEPTH:
            return f"nested more than {limits.MAX_DOCUMENT_DEPTH} levels deep"
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return ""


def size_problem(size: int) -> str:
    if size > limits.MAX_DOCUMENT_BYTES:
        return f"the file is larger than {limits.MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"
    return ""


def is_json(text: str, filename: str = "") -> bool:
    """JSON by a `.json` name; YAML by a `.yaml`/`.yml` name; otherwise by the first character."""
    name = filename.lower()
    if name.endswith(".json"):
        return True
    if name.endswith((".yaml", ".yml")):
        return False
    return text.lstrip().startswith(("{", "["))


def load_text(text: str, filename: str = "") -> Any:
    """Parse the document (see `is_json` for how JSON is told from YAML)."""
    if problem := size_problem(len(text.encode("utf-8", "surrogatepass"))):
        raise ConfigError([problem])
    if is_json(text, filename):
        try:
            document = json.loads(text, parse_int=_json_int)
        except json.JSONDecodeError as error:
            raise ConfigError([f"line {error.lineno}, column {error.colno}: {error.msg}"]) from None
        except RecursionError:
            raise ConfigError([f"the document is nested more than {limits.MAX_DOCUMENT_DEPTH} levels deep"]) from None
        if problem := _json_bounds_problem(document):
            raise ConfigError([problem])
        return document
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - _BoundedLoader is a SafeLoader  # nosec B506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        problem = error.problem or error.context or "is not valid YAML"
        raise ConfigError([f"{where}: {problem}"]) from None
    except yaml.reader.ReaderError as error:  # a control character, e.g. NUL
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = f"#x{error.character:04x}" if isinstance(error.character, int) else repr(error.character)
        raise ConfigError(
            [f"line {line}, column {column}: the character {character} is not allowed in a YAML file"]
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"the file is not valid YAML: {error}"]) from None


def dump_text(document: dict[str, Any], as_json: bool = False) -> str:
    """The document as text; the same document always gives the same bytes."""
    if as_json:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
