"""``WWW-Authenticate`` challenges (RFC 7235) and token scopes (Docker token spec).

A scope is ``type:name:actions``, e.g. ``repository:team/api:pull,push``. Scopes on the
same resource are merged so a token request names each resource once with every action
needed, which is what lets a push that mounts from another repository get one token
covering both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_ACTION_ORDER = {"pull": 0, "push": 1, "delete": 2, "*": 3}
_SEPARATORS = " \t,"


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lowercase: "bearer", "basic", ...
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str:
        return dict(self.params).get(name.lower(), "")

    @property
    def realm(self) -> str:
        return self.param("realm")

    @property
    def service(self) -> str:
        return self.param("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.param("scope").split())

    @property
    def error(self) -> str:
        return self.param("error")


def _skip(text: str, index: int, characters: str) -> int:
    while index < len(text) and text[index] in characters:
        index += 1
    return index


def _token(text: str, index: int) -> tuple[str, int]:
    start = index
    while index < len(text) and text[index] not in _SEPARATORS + "=\"":
        index += 1
    return text[start:index], index


def _quoted(text: str, index: int) -> tuple[str, int]:
    # index is just past the opening quote
    out: list[str] = []
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(out), index + 1
        out.append(char)
        index += 1
    return "".join(out), index


def parse_challenges(header_values: Iterable[str]) -> list[Challenge]:
    """Every challenge in the given ``WWW-Authenticate`` header values, in order.

    A bare word starts a challenge (its scheme); ``key=value`` pairs (quoted or not) are
    its parameters. token68 credentials are not used by registries and parse as noise.
    """
    challenges: list[Challenge] = []
    for text in header_values:
        scheme = ""
        params: list[tuple[str, str]] = []
        index = 0
        while True:
            index = _skip(text, index, _SEPARATORS)
            if index >= len(text):
                break
            word, after = _token(text, index)
            if not word:  # a stray '=' or quoted string: step over it
                index = _quoted(text, index + 1)[1] if text[index] == '"' else index + 1
                continue
            probe = _skip(text, after, " \t")
            if probe < len(text) and text[probe] == "=":
                start = _skip(text, probe + 1, " \t")
                if start < len(text) and text[start] == '"':
                    value, index = _quoted(text, start + 1)
                else:
                    end = start
                    while end < len(text) and text[end] not in _SEPARATORS:
                        end += 1
                    value, index = text[start:end], end
                if scheme:
                    params.append((word.lower(), value))
            else:
                if scheme:
                    challenges.append(Challenge(scheme, tuple(params)))
                scheme, params, index = word.lower(), [], after
        if scheme:
            challenges.append(Challenge(scheme, tuple(params)))
    return challenges


def preferred_challenge(challenges: Iterable[Challenge]) -> Challenge | None:
    """Bearer if offered (it scopes access), else Basic, else None."""
    found = {challenge.scheme: challenge for challenge in reversed(list(challenges))}
    return found.get("bearer") or found.get("basic")


def pull_scope(repository: str) -> str:
    return f"repository:{repository}:pull"


def push_scope(repository: str) -> str:
    return f"repository:{repository}:pull,push"


def delete_scope(repository: str) -> str:
    return f"repository:{repository}:delete"


def merge_scopes(*groups: Iterable[str]) -> tuple[str, ...]:
    """Merge scopes on the same resource; the result is sorted and deduplicated."""
    actions: dict[tuple[str, str], set[str]] = {}
    for group in groups:
        for scope in group:
            resource, colon, wanted = scope.rpartition(":")
            kind, sep, name = resource.partition(":")
            if not colon or not sep or not kind or not name:
                continue  # not a type:name:actions scope; registries would reject it
            actions.setdefault((kind, name), set()).update(a for a in wanted.split(",") if a)
    merged = []
    for (kind, name), names in sorted(actions.items()):
        ordered = sorted(names, key=lambda action: (_ACTION_ORDER.get(action, 9), action))
        merged.append(f"{kind}:{name}:{','.join(ordered)}")
    return tuple(merged)


def covers(granted: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether a token asked for ``granted`` scopes was asked for everything in ``wanted``."""
    granted = tuple(granted)
    return merge_scopes(granted, wanted) == merge_scopes(granted)
