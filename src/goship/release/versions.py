"""The SemVer an image tag names.

Versions from git (tags, bumps, prereleases, snapshots) are goship.versioning.versions; image
tags differ from git tags in two ways handled here: the "v" is optional, and "+" (which a tag
cannot hold) is written "_".
"""

from __future__ import annotations

from semver import Version


def semver_of(tag: str) -> Version | None:
    """The SemVer an image tag names (``1.2.3``, ``v1.2.3-rc.1``; ``_`` stands for ``+``, which
    tags cannot hold), or None. Git tags, with their configured prefix, go through parse_tag."""
    text = tag[1:] if tag[:1] in ("v", "V") else tag
    try:
        return Version.parse(text.replace("_", "+", 1))
    except (ValueError, TypeError):
        return None
