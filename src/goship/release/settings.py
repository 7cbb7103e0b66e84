"""The release settings every release module shares, as goship.toml resolves them.

```toml
[release]
tag-prefix = "v"                      # git tags are v1.2.3
initial-version = "0.1.0"             # the first release when there is no tag yet
zero-major-breaking = "minor"         # below 1.0.0 a breaking change bumps: "minor" or "major"
changelog = "CHANGELOG.md"
changelog-sections = [                # the order of the sections; types not listed stay out
  { type = "feat", title = "Features" },
  { type = "fix", title = "Bug Fixes" },
]
immutable-tags = ["v*.*.*", "*.*.*"]  # never moved once pushed (unless --force)
allow-dirty = false

[environments.dev]
repository = "registry.example.com/team/app-dev"   # default: the top-level repository
branches = ["feature/*", "fix/*"]
tags = ["dev-{short_commit}", "latest-{env}"]

[environments.prod]
branches = ["main", "release/*"]
tags = ["{version}", "{major}.{minor}", "{version}-{env}-{short_commit}", "latest-{env}"]

[[retention]]
repository = "*/app-dev"              # glob over registry/repository
keep-newest = 10                      # by SemVer, else by push time
keep-within = "3d"
keep-tags = ["latest-*"]              # globs; "re:..." for a regular expression
protect = ["v*.*.*"]                  # always kept, whatever else says
untagged-after = "1d"
max-deletions = 100
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_IMMUTABLE = ("v[0-9]*.[0-9]*.[0-9]*", "[0-9]*.[0-9]*.[0-9]*")


@dataclass(frozen=True)
class ChangelogSection:
    type: str  # the conventional commit type it gathers, in lower case
    title: str
    hidden: bool = False


# Breaking changes come before all of these, whatever their type.
CHANGELOG_SECTIONS: tuple[ChangelogSection, ...] = (
    ChangelogSection("feat", "Features"),
    ChangelogSection("fix", "Bug Fixes"),
    ChangelogSection("perf", "Performance"),
    ChangelogSection("revert", "Reverts"),
    ChangelogSection("docs", "Documentation", hidden=True),
    ChangelogSection("refactor", "Refactoring", hidden=True),
    ChangelogSection("test", "Tests", hidden=True),
    ChangelogSection("build", "Build System", hidden=True),
    ChangelogSection("ci", "Continuous Integration", hidden=True),
    ChangelogSection("chore", "Chores", hidden=True),
    ChangelogSection("style", "Style", hidden=True),
)


@dataclass(frozen=True)
class Environment:
    name: str  # "dev", "staging", "prod"
    repository: str = ""  # registry/repository images of this environment go to; "" = the default
    branches: tuple[str, ...] = ()  # git branch globs that select this environment
    tags: tuple[str, ...] = ("{version}",)  # tag templates (see release/tagscheme.py)
    # Pushed only for a final release, never for a prerelease or snapshot: the moving tags a
    # release candidate must not take ("{major}.{minor}", "latest").
    final_tags: tuple[str, ...] = ()
    # True: `goship release` here publishes the tree's snapshot version, as --snapshot does
    # (a develop branch's builds); no git tag, no changelog.
    snapshot: bool = False

    @property
    def all_templates(self) -> tuple[str, ...]:
        return self.tags + self.final_tags

    def templates_for(self, version: str) -> tuple[str, ...]:
        """The tag templates a release of ``version`` is pushed with: ``final_tags`` too when
        it is a final version (no ``-prerelease`` part)."""
        final = "-" not in version.split("+", 1)[0]
        return self.all_templates if final else self.tags


@dataclass(frozen=True)
class RetentionPolicy:
    """Keep rules are OR'd: a tag is kept when any rule keeps it; ``protect`` always wins."""

    repository: str = "*"  # glob over "registry/repository"
    keep_newest: int | None = None  # the N newest tags by SemVer (else by push time)
    keep_within: float | None = None  # seconds: tags pushed within this long ago
    keep_tags: tuple[str, ...] = ()  # globs, or "re:REGEX"
    protect: tuple[str, ...] = ()  # globs, or "re:REGEX": never deleted, nor their digests
    keep_environment_pointers: bool = True  # digests behind every environment's pointer tags
    untagged_after: float | None = None  # seconds: untagged manifests older than this go
    max_deletions: int = 100  # per run; the rest waits for the next run (--max-deletions overrides)


@dataclass(frozen=True)
class ReleaseSettings:
    tag_prefix: str = "v"
    initial_version: str = "0.1.0"
    zero_major_breaking: str = "minor"  # "minor" or "major"
    changelog: str = "CHANGELOG.md"
    changelog_sections: tuple[ChangelogSection, ...] = CHANGELOG_SECTIONS
    immutable_tags: tuple[str, ...] = DEFAULT_IMMUTABLE
    allow_dirty: bool = False
    environments: Mapping[str, Environment] = field(default_factory=dict)
    retention: tuple[RetentionPolicy, ...] = ()
    source: str = ""  # the file they came from, for messages

    def environment(self, name: str) -> Environment:
        """The environment called ``name``; KeyError when there is none (callers turn it into
        a UsageError listing the configured ones)."""
        return self.environments[name]
