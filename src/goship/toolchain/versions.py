"""Go release names, their order, and the specs users write to pick one.

A release is named ``go1.22.10``, ``go1.22rc1``, ``go1.9.2rc2`` or, before Go 1.21, ``go1.20``
for the first release of a line (the later ones are ``go1.20.1``...). Order follows Go's own
(cmd/go/internal/gover): within one patch level, beta < rc < release, and ``go1.20`` is the
same point as ``go1.20.0``.

A spec is what a user, a ``.go-version`` file or a go.mod line asks for:

- ``latest``: the newest stable release;
- ``1.22`` (or ``go1.22``): the newest stable 1.22.x;
- ``1.22.10``, ``go1.22rc1``: exactly that release;
- at least a version, within its minor line: how a go.mod ``go`` line is read, since it names
  a minimum (``go 1.22.0`` is satisfied by 1.22.10), never made from user text.

Written by hand: the version grammar is Go's own, not PEP 440 or SemVer, so neither
``packaging`` nor a SemVer library orders it correctly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from goship.toolchain.errors import VersionSyntaxError

_NAME = re.compile(
    r"^(?:go)?(?P<major>\d+)(?:\.(?P<minor>\d+))?(?:\.(?P<patch>\d+))?"
    r"(?:(?P<kind>beta|rc)(?P<number>\d+))?$"
)
_PRERELEASE_RANK = {"beta": 0, "rc": 1, "": 2}
_SPEC_HINT = "write a Go version such as 1.22.10, 1.22 (newest 1.22.x), 1.23rc1 or latest"


@dataclass(frozen=True)
class GoVersion:
    """One Go release name. ``patch`` is None when the name has none (``go1.20``, ``go1.21rc1``)."""

    major: int
    minor: int
    patch: int | None = None
    prerelease: str = ""  # "", "beta" or "rc"
    prerelease_number: int = 0

    @classmethod
    def from_name(cls, text: str) -> GoVersion:
        """``go1.22.10``, ``1.22.10``, ``1.22rc1``, ``go1.20`` -> a GoVersion."""
        match = _NAME.match(text.strip())
        if not match:
            raise VersionSyntaxError(f"'{text}' is not a Go version", _SPEC_HINT)
        return cls(
            major=int(match["major"]),
            minor=int(match["minor"] or 0),
            patch=int(match["patch"]) if match["patch"] is not None else None,
            prerelease=match["kind"] or "",
            prerelease_number=int(match["number"] or 0),
        )

    @property
    def number(self) -> str:
        """The version without the ``go`` prefix: ``1.22.10``, ``1.22rc1``."""
        text = f"{self.major}.{self.minor}"
        if self.patch is not None:
            text += f".{self.patch}"
        if self.prerelease:
            text += f"{self.prerelease}{self.prerelease_number}"
        return text

    @property
    def name(self) -> str:
        """The release (and toolchain, and directory) name: ``go1.22.10``."""
        return "go" + self.number

    @property
    def is_stable(self) -> bool:
        return not self.prerelease

    @property
    def line(self) -> tuple[int, int]:
        """The minor line the release belongs to: (1, 22) for go1.22.10 and go1.22rc1."""
        return (self.major, self.minor)

    @property
    def sort_key(self) -> tuple[int, int, int, int, int]:
        return (self.major, self.minor, self.patch or 0,
                _PRERELEASE_RANK[self.prerelease], self.prerelease_number)

    def same_release(self, other: GoVersion) -> bool:
        """Whether both name the same point (``go1.20`` and ``go1.20.0`` do)."""
        return self.sort_key == other.sort_key

    def __lt__(self, other: GoVersion) -> bool:
        return self.sort_key < other.sort_key

    def __le__(self, other: GoVersion) -> bool:
        return self.sort_key <= other.sort_key

    def __gt__(self, other: GoVersion) -> bool:
        return self.sort_key > other.sort_key

    def __ge__(self, other: GoVersion) -> bool:
        return self.sort_key >= other.sort_key

    def __str__(self) -> str:
        return self.name


def newest_first(versions: Iterable[GoVersion]) -> list[GoVersion]:
    return sorted(versions, key=lambda version: version.sort_key, reverse=True)


class SpecKind(Enum):
    LATEST = "latest"
    MINOR = "minor"
    EXACT = "exact"
    MINIMUM = "minimum"


@dataclass(frozen=True)
class VersionSpec:
    """What is asked for; ``version`` is None only for LATEST."""

    kind: SpecKind
    version: GoVersion | None = None

    @classmethod
    def parse(cls, text: str) -> VersionSpec:
        """``latest``, ``1.22``, ``go1.22``, ``1.22.10``, ``go1.22rc1`` -> a spec."""
        cleaned = text.strip()
        if cleaned.lower() == "latest":
            return cls(SpecKind.LATEST)
        match = _NAME.match(cleaned)
        if not match or match["minor"] is None:
            raise VersionSyntaxError(f"'{text}' is not a Go version", _SPEC_HINT)
        version = GoVersion.from_name(cleaned)
        if version.patch is None and not version.prerelease:
            return cls(SpecKind.MINOR, version)
        return cls(SpecKind.EXACT, version)

    @classmethod
    def at_least(cls, version: GoVersion) -> VersionSpec:
        """The newest stable release of ``version``'s minor line that is not older than it."""
        return cls(SpecKind.MINIMUM, version)

    def matches(self, candidate: GoVersion) -> bool:
        if self.kind is SpecKind.LATEST:
            return candidate.is_stable
        assert self.version is not None
        if self.kind is SpecKind.EXACT:
            return candidate.same_release(self.version)
        if not candidate.is_stable or candidate.line != self.version.line:
            return False
        return self.kind is SpecKind.MINOR or candidate >= self.version

    def pick(self, candidates: Iterable[GoVersion], *, include_unstable: bool = False) -> GoVersion | None:
        """The newest candidate that matches (``latest`` may include betas and rcs on request)."""
        matching = [
            candidate for candidate in candidates
            if self.matches(candidate)
            or (include_unstable and self.kind is SpecKind.LATEST and not candidate.is_stable)
        ]
        return max(matching, key=lambda version: version.sort_key) if matching else None

    @property
    def lowest(self) -> GoVersion | None:
        """The oldest release the spec can select, when the spec alone tells (not for latest)."""
        if self.version is None:
            return None
        if self.kind is SpecKind.MINOR:
            return GoVersion(self.version.major, self.version.minor, 0)
        return self.version

    def __str__(self) -> str:
        if self.kind is SpecKind.LATEST:
            return "latest"
        assert self.version is not None
        if self.kind is SpecKind.MINIMUM:
            return f"{self.version.number} or a newer {self.version.major}.{self.version.minor}.x"
        return self.version.number
