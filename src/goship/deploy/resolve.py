"""``goship://`` image references in YAML files, as ko resolves ``ko://``.

A YAML string whose whole value is ``goship://./cmd/api`` (a package of the module, relative
to its root) or ``goship://example.com/module/cmd/api`` (the package's import path) names the
image goship builds from that package; `goship resolve` builds and publishes each package
once and puts the image's digest reference in place of every mention.

The replacement is a text edit at the positions PyYAML's scanner reports for each such
scalar: everything else in the file (comments, indentation, quoting, key order, other
documents) stays byte for byte as it was. A round trip through a YAML library would rewrite
formatting; a plain search and replace would also change comments and keys. Only values are
replaced, never mapping keys, and the scalar keeps its quoting style.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from goship.errors import UsageError

PREFIX = "goship://"


@dataclass(frozen=True)
class Mention:
    """One ``goship://`` value in a file."""

    source: str  # the file as given ("-" for standard input)
    line: int  # 1-based
    column: int  # 1-based
    start: int  # character offsets of the scalar in the text, quotes included
    end: int
    style: str | None  # None (plain), "'" or '"'
    target: str  # what follows goship://

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


def find_mentions(text: str, source: str) -> list[Mention]:
    """Every ``goship://`` value in the YAML ``text``; a UsageError when it is not YAML."""
    mentions: list[Mention] = []
    previous: yaml.Token | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.ScalarToken) and token.value.startswith(PREFIX) \
                    and not isinstance(previous, yaml.KeyToken) and token.style in (None, "'", '"'):
                mark = token.start_mark
                mentions.append(Mention(source, mark.line + 1, mark.column + 1, mark.index,
                                        token.end_mark.index, token.style,
                                        token.value[len(PREFIX):]))
            previous = token
        for _event in yaml.parse(text, Loader=yaml.SafeLoader):  # the structure, not only tokens
            pass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"{where}: not valid YAML: {problem}",
                         "goship resolve reads Kubernetes YAML (one or more documents)") from None
    return mentions


def package_of(mention: Mention, module_path: str) -> str:
    """The package a mention names, as a path relative to the module root (``./cmd/api``)."""
    target = mention.target.rstrip("/")
    if target in (".", "") or target == module_path:
        return "."
    if target.startswith(("./", "../")):
        normalized = posixpath.normpath(target)
        if normalized == ".." or normalized.startswith("../"):
            raise UsageError(f"{mention.location}: goship://{mention.target} is outside the module",
                             "name a package inside this module, e.g. goship://./cmd/api")
        return "." if normalized == "." else f"./{normalized}"
    if target.startswith(module_path + "/"):
        return "./" + target[len(module_path) + 1:]
    raise UsageError(f"{mention.location}: goship://{mention.target} is not a package of the module "
                     f"{module_path}", f"write goship://./PATH or goship://{module_path}/PATH")


def replace_mentions(text: str, mentions: Sequence[Mention], images: Mapping[str, str],
                     module_path: str) -> str:
    """``text`` with each mention replaced by ``images[package_of(mention)]``, quoted as the
    mention was."""
    parts: list[str] = []
    position = 0
    for mention in sorted(mentions, key=lambda item: item.start):
        image = images[package_of(mention, module_path)]
        quote = mention.style or ""
        parts += [text[position:mention.start], f"{quote}{image}{quote}"]
        position = mention.end
    parts.append(text[position:])
    return "".join(parts)
