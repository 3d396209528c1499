"""Read a ``telltale.yaml`` into a :class:`ServiceSpec`, locating every problem by line and key."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from telltale.errors import SpecError, SpecProblem
from telltale.spec import model as _model
from telltale.spec.model import ServiceSpec

_Path = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SpecLimits:
    """Bounds checked before a spec's tree is built, so no text can cost more than this.

    A real spec is a few kilobytes and a few hundred nodes; the defaults leave a
    hundredfold room. ``max_nodes`` counts nodes as aliases would expand them, so a
    "billion laughs" bomb of a few hundred bytes is refused while it is still a graph of
    a few dozen nodes, never expanded.
    """

    max_bytes: int = 256_000
    max_nodes: int = 50_000
    max_depth: int = 64
    max_aliases: int = 100

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_nodes", "max_depth", "max_aliases"):
            if getattr(self, name) < 1:
                raise ValueError(f"SpecLimits.{name} must be >= 1, got {getattr(self, name)}")


DEFAULT_LIMITS = SpecLimits()


class _LimitExceeded(yaml.YAMLError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader whose composer refuses deep nesting and many aliases as it goes."""

    limits = DEFAULT_LIMITS

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves Parser.peek_event unannotated
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise _LimitExceeded(f"uses more than {self.limits.max_aliases} aliases (*name); write the values out", line)
        self._depth += 1
        if self._depth > self.limits.max_depth:
            raise _LimitExceeded(f"nests deeper than {self.limits.max_depth} levels", line)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes in the tree as aliases would expand it, counted on the graph (never expanded);
    raises past ``limit`` or on an alias that contains itself."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise _LimitExceeded("has an alias that contains itself", node.start_mark.line + 1)
        open_.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                raise _LimitExceeded(f"expands to more than {limit} nodes (aliases included); a spec needs far fewer", node.start_mark.line + 1)
        open_.discard(key)
        sizes[key] = total
        return total

    return size(root)


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


def parse_spec(text: str, source: str = "telltale.yaml", *, limits: SpecLimits = DEFAULT_LIMITS) -> ServiceSpec:
    """Validate spec text; ``source`` names it in error messages.

    Size, nesting and alias expansion are checked against ``limits`` before anything is
    built, so a hostile text is refused in time proportional to its length.
    """
    data, lines, problems = _compose(text, source, limits)
    if problems:
        raise SpecError(problems)
    if not isinstance(data, dict):
        raise SpecError([SpecProblem(source, 1, "", "the spec must be a mapping of keys (service, owner, inputs, ...)")])
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(sorted(_locate(e, data, lines, source), key=_line_order)) from None


def _line_order(p: SpecProblem) -> tuple[bool, int]:
    """Problems in the order of their lines; those without a line last."""
    return (p.line is None, p.line or 0)


def spec_from_dict(data: dict[str, Any], source: str = "<spec>") -> ServiceSpec:
    """Validate an already-parsed spec (from JSON over HTTP, say); problems carry no line."""
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(_locate(e, data, {}, source)) from None


def _compose(text: str, source: str, limits: SpecLimits = DEFAULT_LIMITS) -> tuple[Any, dict[_Path, int], list[SpecProblem]]:
    if len(text) > limits.max_bytes:
        return None, {}, [SpecProblem(source, None, "", f"is {len(text)} characters long; the limit is {limits.max_bytes} (a spec is usually a few thousand)")]
    loader = type("_Loader", (_BoundedLoader,), {"limits": limits})
    try:
        root = yaml.compose(text, Loader=loader)
        if root is not None:
            _expanded_size(root, limits.max_nodes)
    except _LimitExceeded as e:
        return None, {}, [SpecProblem(source, e.line, "", f"is refused: it {e.message}")]
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


def _message(e: Mapping[str, Any], path: _Path) -> str:
    kind = e["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else ""
        close = difflib.get_close_matches(name, _KNOWN_KEYS, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {name!r}{hint}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of keys, got {_kind_of(e.get('input'))}"
    msg = str(e["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if "input" in e and kind not in ("value_error",) and not isinstance(e["input"], (dict, list)):
        msg = f"{msg}, got {e['input']!r}"
    return msg


def _kind_of(value: Any) -> str:
    """A value as a user would name it, for "must be a mapping" messages."""
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return repr(value)


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
