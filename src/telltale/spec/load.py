"""Read a ``telltale.yaml`` into a :class:`ServiceSpec`, locating every problem by line and key."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from telltale.errors import SpecError, SpecProblem
from telltale.spec import model as _model
from telltale.spec.model import ServiceSpec

_Path = tuple[Any, ...]


def load_spec(path: str | Path) -> ServiceSpec:
    """Load and validate a spec file; raise :class:`SpecError` listing every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([SpecProblem(str(path), None, "", "file not found; run `telltale init` to write one")]) from None
    except OSError as e:
        raise SpecError([SpecProblem(str(path), None, "", f"cannot be read: {e.strerror}")]) from None
    return parse_spec(text, str(path))


def parse_spec(text: str, source: str = "telltale.yaml") -> ServiceSpec:
    """Validate spec text; ``source`` names it in error messages."""
    data, lines, problems = _compose(text, source)
    if problems:
        raise SpecError(problems)
    if not isinstance(data, dict):
        raise SpecError([SpecProblem(source, 1, "", "the spec must be a mapping of keys (service, owner, inputs, ...)")])
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(_locate(e, data, lines, source)) from None


def spec_from_dict(data: dict[str, Any], source: str = "<spec>") -> ServiceSpec:
    """Validate an already-parsed spec (from JSON over HTTP, say); problems carry no line."""
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(_locate(e, data, {}, source)) from None


def _compose(text: str, source: str) -> tuple[Any, dict[_Path, int], list[SpecProblem]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(e, "problem", None) or str(e)
        return None, {}, [SpecProblem(source, line, "", f"is not valid YAML: {what}")]
    if root is None:
        return None, {}, [SpecProblem(source, None, "", "is empty")]
    lines: dict[_Path, int] = {}
    problems: list[SpecProblem] = []
    constructor = yaml.SafeLoader("")

    def build(node: yaml.Node, path: _Path) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for k_node, v_node in node.value:
                key = constructor.construct_object(k_node, deep=True)
                child = (*path, key)
                if key in out:
                    problems.append(SpecProblem(source, k_node.start_mark.line + 1, _dotted(child), "duplicate key; the second would silently win"))
                lines[child] = k_node.start_mark.line + 1
                out[key] = build(v_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                items.append(build(item, (*path, i)))
            return items
        return constructor.construct_object(node, deep=True)

    lines[()] = root.start_mark.line + 1
    return build(root, ()), lines, problems


def _locate(err: ValidationError, data: Any, lines: dict[_Path, int], source: str) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    seen: set[tuple[str, str]] = set()
    for e in err.errors():
        path = _data_path(e["loc"], data)
        key = _dotted(path)
        msg = _message(e, path)
        if (key, msg) in seen:  # a union reports the same miss once per variant
            continue
        seen.add((key, msg))
        problems.append(SpecProblem(source, _line_of(path, lines), key, msg))
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> _Path:
    """Keep the parts of a pydantic location that walk the data (dropping union tags)."""
    path: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier() and part[0].islower() and part not in _UNION_TAGS:
            path.append(part)  # a missing key: name it, it has no line of its own
            break
    return tuple(path)


def _line_of(path: _Path, lines: dict[_Path, int]) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _message(e: dict[str, Any], path: _Path) -> str:
    kind = e["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else ""
        close = difflib.get_close_matches(name, _KNOWN_KEYS, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {name!r}{hint}"
    msg = str(e["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if "input" in e and kind not in ("value_error",) and not isinstance(e["input"], (dict, list)):
        msg = f"{msg}, got {e['input']!r}"
    return msg


def _dotted(path: _Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _all_keys() -> list[str]:
    keys: set[str] = set()
    for obj in vars(_model).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            keys.update(obj.model_fields)
    return sorted(keys)


_KNOWN_KEYS = _all_keys()
_UNION_TAGS = {"FallbackDefault"}
