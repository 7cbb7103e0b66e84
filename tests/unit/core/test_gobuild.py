"""ldflags templates, git remote URLs, and the Go environment of a platform (versions from
git: tests/unit/gobuild/test_vcs.py)."""

from __future__ import annotations

import pytest

from goship.errors import ConfigError
from goship.gobuild.ldflags import render
from goship.gobuild.platforms import go_environment
from goship.gobuild.vcs import source_url
from goship.oci.platform import Platform


def test_ldflags_fields_and_env() -> None:
    values = {"Version": "1.2.3", "Commit": "abc", "Date": "2024-10-01T00:00:00Z"}
    assert render("-X main.version={{.Version}} -X m.c={{ .Commit }}", values, {}) == \
        "-X main.version=1.2.3 -X m.c=abc"
    assert render("-X main.team={{.Env.TEAM}}", values, {"TEAM": "payments"}) == "-X main.team=payments"


def test_ldflags_unknown_field_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(ConfigError, match=r"\{\{.Verison\}\}"):
        render("-X main.version={{.Verison}}", {"Version": "1"}, {})


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:org/repo.git", "https://github.com/org/repo"),
        ("https://user:secret@gitlab.example.com/group/repo.git", "https://gitlab.example.com/group/repo"),
        ("ssh://git@git.example.com:2222/team/repo.git", "https://git.example.com/team/repo"),
        ("", ""),
    ],
)
def test_source_url_never_keeps_credentials(remote: str, url: str) -> None:
    assert source_url(remote) == url


def test_go_environment_of_platforms() -> None:
    assert go_environment(Platform("linux", "arm", "v6")) == {"GOOS": "linux", "GOARCH": "arm", "GOARM": "6"}
    assert go_environment(Platform("linux", "amd64", "v3"))["GOAMD64"] == "v3"
    assert go_environment(Platform("windows", "amd64")) == {"GOOS": "windows", "GOARCH": "amd64"}
