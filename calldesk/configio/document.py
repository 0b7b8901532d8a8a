"""Reading and writing the configuration document as YAML or JSON text.

Syntax errors become problems with a line number, like every other problem of the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists each one with its place in the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if isinstance(key, str | int | float | bool) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"`{key}` is given twice in the same mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.1 reads `0034` as octal 28, `1_000` as 1000, `1:30` as 90 and `1.10` as 1.1, so an
# unquoted agent ID, reportVer or choice code would silently become another one. The
# document's only numbers are plain whole numbers (version, minutes, days): only those are
# read as numbers; everything else that looks numeric stays the text it was written as.
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))


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
    if is_json(text, filename):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError([f"line {error.lineno}, column {error.colno}: {error.msg}"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 -- _StrictLoader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        problem = error.problem or error.context or "is not valid YAML"
        raise ConfigError([f"{where}: {problem}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"the file is not valid YAML: {error}"]) from None


def dump_text(document: dict[str, Any], as_json: bool = False) -> str:
    """The document as text; the same document always gives the same bytes."""
    if as_json:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
