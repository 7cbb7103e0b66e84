"""What version planning reads of the release settings.

goship.release.settings.ReleaseSettings (what goship.toml's ``[release]`` table resolves to)
has these attributes; ``VersionDefaults`` has them with the defaults of a project that
configures nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class VersionSettings(Protocol):
    @property
    def tag_prefix(self) -> str: ...  # "v": release tags are v1.2.3

    @property
    def initial_version(self) -> str: ...  # the first release when no release tag exists

    @property
    def zero_major_breaking(self) -> str: ...  # below 1.0.0 a breaking change bumps "minor" or "major"

    @property
    def source(self) -> str: ...  # the file the settings came from, for messages ("" for none)


@dataclass(frozen=True)
class VersionDefaults:
    tag_prefix: str = "v"
    initial_version: str = "0.1.0"
    zero_major_breaking: str = "minor"
    source: str = ""
