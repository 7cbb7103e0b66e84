"""Versions from git: the release history (tags, Conventional Commits since the last release),
and the current, next and snapshot SemVer versions it gives.

This sits below gobuild so that `goship build` stamps a binary with the same snapshot version
`goship version` prints for the same tree; release/ builds on it (changelog, tags, releases).
"""
