"""`goship go …` as a user runs it, against a local mirror of real Go archives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures.gomirror import GoMirror
from tests.fixtures.httpproxy import forward_proxy

pytestmark = pytest.mark.integration


def goship_go(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "goship.cli.main", "go", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_install_list_use_which_and_pin(go_mirror: GoMirror, tmp_path: Path, base_env) -> None:
    home = tmp_path / "home"
    env = {**base_env, "GOSHIP_HOME": str(home), "GOSHIP_CACHE": str(tmp_path / "cache"),
           "GOSHIP_GO_INDEX": go_mirror.index_url, "GOSHIP_GO_MIRRORS": go_mirror.base_url}
    project = tmp_path / "service"
    project.mkdir()
    (project / "go.mod").write_text("module example.com/service\n\ngo 1.22\n")

    remote = goship_go(env, "list-remote", "--json", cwd=project)
    assert remote.returncode == 0, remote.stderr
    versions = [row["version"] for row in json.loads(remote.stdout)]
    assert versions[0] == "go1.22.10" and "go1.21.13" in versions
    assert versions == sorted(versions, key=lambda v: [int(p) for p in v[2:].split(".")], reverse=True)

    which = goship_go(env, "which", cwd=project)
    assert which.returncode == 4 and "goship go install 1.22" in which.stderr

    installed = goship_go(env, "install", "1.22", cwd=project)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith("go1.22.10 installed in ")
    again = goship_go(env, "install", "go1.22.10", cwd=project)
    assert "already installed" in again.stdout

    assert goship_go(env, "which", cwd=project).stdout.strip() == "go1.22.10"
    explained = goship_go(env, "explain", cwd=project).stdout
    assert "go.mod go line" in explained and "go1.22.10" in explained

    used = goship_go(env, "use", "1.22.10", cwd=project)
    assert used.returncode == 0, used.stderr
    go = home / "go" / "current" / "bin" / "go"
    version = subprocess.run([str(go), "version"], capture_output=True, text=True, check=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GOTOOLCHAIN": "local"})
    assert "go1.22.10" in version.stdout
    listing = goship_go(env, "list", cwd=project).stdout
    assert listing.startswith("* go1.22.10")

    env["GOENV"] = str(tmp_path / "go.env")  # `go env -w` writes here, not to the real home
    env.pop("GOPROXY", None)  # an environment variable would hide what `go env -w` wrote
    shown = goship_go(env, "env", "--set", "GOPROXY=https://goproxy.example.com,direct", "--json",
                      cwd=project)
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout)
    assert values["version"] == "go1.22.10"
    assert values["GOROOT"] == str(home / "go" / "versions" / "go1.22.10")
    assert values["GOPROXY"] == "https://goproxy.example.com,direct"
    assert "GOPROXY=https://goproxy.example.com,direct" in (tmp_path / "go.env").read_text()
    bad_key = goship_go(env, "env", "--set", "GOROOT=/elsewhere", cwd=project)
    assert bad_key.returncode == 2 and "cannot set" in bad_key.stderr

    shell = goship_go(env, "use", "1.22", "--shell", "bash", cwd=project).stdout
    assert "export GOROOT=" in shell and "go1.22.10" in shell

    assert goship_go(env, "use", "1.21.13", "--project", cwd=project).returncode == 0
    assert (project / ".go-version").read_text().strip() in ("1.21.13", "go1.21.13")
    pinned = goship_go(env, "which", cwd=project)
    assert pinned.returncode == 4 and "1.21.13" in pinned.stderr  # pinned, not installed yet

    refused = goship_go(env, "uninstall", "1.22.10", cwd=project)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr

    bad = goship_go(env, "install", "1.99.1", cwd=project)
    assert bad.returncode == 4 and "Traceback" not in bad.stderr and "hint:" in bad.stderr


def test_per_version_gopath(go_mirror: GoMirror, tmp_path: Path, base_env) -> None:
    home = tmp_path / "home"
    env = {**base_env, "GOSHIP_HOME": str(home), "GOSHIP_CACHE": str(tmp_path / "cache"),
           "GOSHIP_GO_INDEX": go_mirror.index_url, "GOSHIP_GO_MIRRORS": go_mirror.base_url,
           "GOENV": str(tmp_path / "user-go.env")}
    env.pop("GOPATH", None)
    assert goship_go(env, "install", "1.21.13", cwd=tmp_path).returncode == 0

    assert goship_go(env, "use", "1.21.13", cwd=tmp_path).returncode == 0
    turned_on = goship_go(env, "env", "--gopath", "per-version", "--json", cwd=tmp_path)
    assert turned_on.returncode == 0, turned_on.stderr
    root = home / "go"
    assert json.loads(turned_on.stdout)["GOPATH"] == str(root / "gopath" / "go1.21.13")
    # An install made afterwards follows the setting.
    assert goship_go(env, "install", "1.22.10", cwd=tmp_path).returncode == 0

    def gopath_of(version: str) -> str:
        go = root / "versions" / version / "bin" / "go"  # the real binary: no goship code runs
        return subprocess.run([str(go), "env", "GOPATH"], capture_output=True, text=True, check=True,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GOTOOLCHAIN": "local",
                                   "GOENV": env["GOENV"]}).stdout.strip()

    assert gopath_of("go1.21.13") == str(root / "gopath" / "go1.21.13")
    assert gopath_of("go1.22.10") == str(root / "gopath" / "go1.22.10")
    shell = goship_go(env, "use", "1.22.10", "--shell", "fish", cwd=tmp_path).stdout
    assert f"set -gx GOPATH '{root / 'gopath' / 'go1.22.10'}'" in shell

    # `go env -w GOPATH` wins over the per-version one, and goship says so.
    assert goship_go(env, "use", "1.22.10", cwd=tmp_path).returncode == 0
    overridden = goship_go(env, "env", "--set", f"GOPATH={tmp_path / 'mine'}", cwd=tmp_path)
    assert overridden.returncode == 0 and f"GOPATH={tmp_path / 'mine'}" in overridden.stdout
    warned = goship_go(env, "env", cwd=tmp_path)
    assert "not the per-version" in warned.stderr

    shared = goship_go(env, "env", "--gopath", "shared", cwd=tmp_path)
    assert shared.returncode == 0, shared.stderr
    (tmp_path / "user-go.env").unlink()
    assert gopath_of("go1.22.10") == str(tmp_path / "go")  # Go's default again: $HOME/go
    assert "GOPATH" not in goship_go(env, "use", "1.22.10", "--shell", cwd=tmp_path).stdout


def test_install_through_the_proxy_in_http_proxy(go_mirror: GoMirror, tmp_path: Path, base_env) -> None:
    # The mirror's name resolves nowhere but in the proxy: the install can only succeed through it.
    port = go_mirror.address.rsplit(":", 1)[1]
    with forward_proxy({"go-mirror.invalid": go_mirror.address}) as proxy:
        env = {**base_env, "GOSHIP_HOME": str(tmp_path / "home"), "GOSHIP_CACHE": str(tmp_path / "cache"),
               "GOSHIP_GO_INDEX": f"http://go-mirror.invalid:{port}/dl/?mode=json&include=all",
               "GOSHIP_GO_MIRRORS": f"http://go-mirror.invalid:{port}/dl/", "HTTP_PROXY": proxy.url}
        for name in ("NO_PROXY", "no_proxy", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            env.pop(name, None)
        installed = goship_go(env, "install", "1.21.13", cwd=tmp_path)
        assert installed.returncode == 0, installed.stderr
        assert f"http://go-mirror.invalid:{port}/dl/go1.21.13.linux-amd64.tar.gz" in proxy.requests
        assert any("mode=json" in url for url in proxy.requests)

        env["NO_PROXY"] = "go-mirror.invalid"  # now the name must be resolved directly, and fails
        refused = goship_go(env, "install", "1.22.10", "--refresh", cwd=tmp_path)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr and "hint:" in refused.stderr
