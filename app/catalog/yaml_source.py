"""Read a YAML file into plain data plus the line of every value, for file:line errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Loc = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed data, the 1-based line of each value by its path, and structural problems."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[Loc, int]] = field(default_factory=list)
    aliases: list[tuple[Loc, int]] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        """The line of `loc`, or of its nearest ancestor present in the file (missing keys)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return 1


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raises yaml.YAMLError (with a mark) on bad syntax."""
    # An alias (*name) reuses a node; a few nested aliases expand exponentially ("billion
    # laughs"), so deck files may not use them. Refuse them before building anything.
    aliases: list[tuple[Loc, int]] = [
        (("*" + str(event.anchor),), _line(event.start_mark))
        for event in yaml.parse(text, Loader=yaml.SafeLoader)
        if isinstance(event, yaml.AliasEvent)
    ]
    if aliases:
        return YamlDocument(data=None, aliases=aliases)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        document = YamlDocument(data=None)
        if node is None:
            return document
        _index_lines(node, (), document)
        document.data = loader.construct_document(node)
        return document
    finally:
        loader.dispose()


def _index_lines(root: yaml.Node, root_loc: Loc, document: YamlDocument) -> None:
    # Iterative walk: a deeply nested file must not exhaust the recursion limit.
    stack: list[tuple[yaml.Node, Loc]] = [(root, root_loc)]
    while stack:
        node, loc = stack.pop()
        document.lines[loc] = _line(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    document.duplicate_keys.append(((*loc, key), _line(key_node.start_mark)))
                seen.add(key)
                stack.append((value_node, (*loc, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, (*loc, index)))


def _line(mark: Any) -> int:
    """The 1-based line of a YAML mark (marks count from 0)."""
    return int(mark.line) + 1 if mark is not None else 1
