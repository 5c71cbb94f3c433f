"""Griffe extension: render the toolkit's reST-flavoured docstrings as Markdown.

The code's docstrings are written for ``help()`` and doctest: ``double backticks``,
``:role:`target``` cross-references, ``>>>`` examples and reST simple tables. Markdown
would misread these (``r["a"]["b"]`` looks like a reference link, ``>>>`` like a quote),
so before mkdocstrings renders a docstring this extension rewrites, outside code:

- ``>>>`` example blocks -> fenced ``pycon`` blocks;
- reST simple tables (``====  ====`` rules) -> fenced ``text`` blocks;
- ``:role:`~pkg.mod.name``` -> ```name``` (``pkg.mod.name`` without the tilde);
- ````code```` -> ```code```.

The docstrings in the code are not changed; only what the site shows.
"""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:py:)?[a-z]+:`(~?)([^`]+)`")
_DOUBLE = re.compile(r"``(.+?)``")
_TABLE_RULE = re.compile(r"^\s*=+(\s+=+)+\s*$")


def _inline(line: str) -> str:
    def role(m: re.Match) -> str:
        target = m.group(2)
        if m.group(1):
            target = target.rsplit(".", 1)[-1]
        return f"`{target}`"

    line = _ROLE.sub(role, line)
    return _DOUBLE.sub(lambda m: f"`{m.group(1)}`", line)


def convert(text: str) -> str:
    """Markdown for one docstring (see the module docstring)."""
    lines = text.splitlines()
    out: list[str] = []
    k = 0
    in_fence = False
    while k < len(lines):
        line = lines[k]
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("```"):
            in_fence = not in_fence
            out.append(line)
            k += 1
            continue
        if in_fence:
            out.append(line)
            k += 1
            continue
        if stripped.startswith(">>>"):
            block = []
            while k < len(lines) and lines[k].strip():
                block.append(lines[k][len(indent):] if lines[k].startswith(indent) else lines[k].lstrip())
                k += 1
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
            continue
        if _TABLE_RULE.match(line):
            block = []
            while k < len(lines) and lines[k].strip():
                block.append(lines[k])
                k += 1
            out += [f"{indent}```text", *block, f"{indent}```"]
            continue
        out.append(_inline(line))
        k += 1
    return "\n".join(out)


class ReSTDocstrings(griffe.Extension):
    """Rewrite each object's docstring with :func:`convert` when it is loaded."""

    def on_instance(self, *, node, obj, agent, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
