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
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        document = YamlDocument(data=None)
        if node is None:
            return document
        _index_lines(node, (), document)
        if not document.aliases:
            document.data = loader.construct_document(node)
        return document
    finally:
        loader.dispose()


def _index_lines(root: yaml.Node, root_loc: Loc, document: YamlDocument) -> None:
    # Iterative walk: a deeply nested file must not exhaust the recursion limit.
    stack: list[tuple[yaml.Node, Loc]] = [(root, root_loc)]
    visited: set[int] = set()
    while stack:
        node, loc = stack.pop()
        if id(node) in visited:
            # An alias (*name) reuses a node; a few nested aliases expand exponentially
            # ("billion laughs"), so deck files may not use them at all.
            document.aliases.append((loc, node.start_mark.line + 1))
            continue
        visited.add(id(node))
        document.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    document.duplicate_keys.append((loc + (key,), key_node.start_mark.line + 1))
                seen.add(key)
                stack.append((value_node, loc + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, loc + (index,)))
