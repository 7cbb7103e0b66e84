"""Projects for `goship pipeline` tests: the example service with a Go test, committed to git,
and ways to look at a registry the way a user would (is there a tag? what digest?)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import Result, copy_example, git
from tests.fixtures.registry import RunningRegistry

TESTDB = Path(__file__).resolve().parents[2] / "unit" / "supply" / "scan" / "govulndb"
COMMIT_DATE = "2024-10-01T12:00:00Z"

PASSING_TEST = """package main

import "testing"

func TestVersionDefault(t *testing.T) {
	if version != "dev" {
		t.Fatalf("version is %q before ldflags, want dev", version)
	}
}

func TestCommitDefault(t *testing.T) {
	if commit != "none" {
		t.Fatalf("commit is %q", commit)
	}
}
"""

FAILING_TEST = """package main

import "testing"

func TestVersionDefault(t *testing.T) {
	if version != "dev" {
		t.Fatalf("version is %q", version)
	}
}

func TestReleaseVersion(t *testing.T) {
	t.Errorf("version = %q, want %q", version, "1.0.0")
}
"""


def project(directory: Path, tables: str = "", *, top: str = "", test_source: str = PASSING_TEST) -> Path:
    """examples/hello with a test file, committed; goship.toml gets ``top`` (top-level keys)
    before its [[images]] table and ``tables`` after it."""
    root = copy_example(directory, commit=False)
    (root / "cmd" / "hello" / "main_test.go").write_text(test_source)
    (root / "goship.toml").write_text(top + "\n" + (root / "goship.toml").read_text() + tables)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "example", env={"GIT_AUTHOR_DATE": COMMIT_DATE,
                                                      "GIT_COMMITTER_DATE": COMMIT_DATE})
    git(root, "remote", "add", "origin", "git@github.com:example/hello.git")
    return root


def report(result: Result) -> dict[str, Any]:
    """The --json report on stdout."""
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def stage_results(document: dict[str, Any]) -> dict[str, str]:
    return {stage["name"]: stage["result"] for stage in document["stages"]}


def tags_in(registry: RunningRegistry, repository: str) -> list[str] | None:
    """The repository's tags as the registry lists them; None when it has none at all."""
    response = httpx.get(f"{registry.url}/v2/{repository}/tags/list", timeout=10)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    tags: list[str] | None = response.json().get("tags")
    return tags


def digest_of(registry: RunningRegistry, repository: str, tag: str) -> str:
    accept = ", ".join(["application/vnd.oci.image.index.v1+json",
                        "application/vnd.oci.image.manifest.v1+json",
                        "application/vnd.docker.distribution.manifest.v2+json"])
    response = httpx.head(f"{registry.url}/v2/{repository}/manifests/{tag}", headers={"Accept": accept},
                          timeout=10)
    response.raise_for_status()
    return response.headers["Docker-Content-Digest"]


def junit_cases(path: Path) -> dict[str, str]:
    """testcase name -> "passed", "failed", "error" or "skipped" from a JUnit file (which must parse)."""
    root = ElementTree.parse(path).getroot()
    found = {}
    for case in root.iter("testcase"):
        status = "passed"
        for kind in ("failure", "error", "skipped"):
            if case.find(kind) is not None:
                status = {"failure": "failed"}.get(kind, kind)
        found[case.get("name", "")] = status
    return found
