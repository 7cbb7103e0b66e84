"""Benchmark: `goship promote` against `skopeo copy --all`, within one registry, in one run.

Run from the repository root:

    .venv/bin/python bench/bench_promote.py               # N=10 timed runs per tool
    .venv/bin/python bench/bench_promote.py --quick       # N=3
    .venv/bin/python bench/bench_promote.py --write-docs  # also write the section of docs/benchmarks.md

What it does (in a temp dir that is removed at the end):
- starts one docker-registry on a free 127.0.0.1 port (plain HTTP) with its access log;
- builds examples/hello (git tag v1.2.3) for linux/amd64, linux/arm64 and linux/arm/v7 with
  `goship build --push REGISTRY/bench/staging:v1.2.3`: an index, three images, shared base;
- times, N times each and alternating which goes first, promoting that index into a new
  repository of the same registry: `goship promote REF --to prod` (the environment's tag
  template is `{version}`, so both tools write one tag) and `skopeo copy --all
  --src-tls-verify=false --dest-tls-verify=false docker://REF docker://TARGET:1.2.3`. Both are
  whole commands, start-up included, as a CI job runs them; every run gets a fresh target
  repository, so neither finds the image there already;
- counts from the registry's access log what each run sent: upload sessions opened without a
  mount, mounts, and PATCH/PUT requests carrying blob bytes; and checks each copy's digest.

Also reported: the median of `goship.release.promote.promote()` called in one warm process,
which is the part of goship's time not spent starting Python and importing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from common import VENV_BIN, Registry, first_line, log, machine, publish_report, real_go, run, tool_env

REPO_ROOT = Path(__file__).resolve().parent.parent
GOSHIP = VENV_BIN / "goship"
EXAMPLE = REPO_ROOT / "examples" / "hello"
PLATFORMS = "linux/amd64,linux/arm64,linux/arm/v7"
TARGET_SECONDS = 0.5
FIXED_DATE = "2024-10-01T12:00:00Z"
ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"


def make_project(work: Path, env: dict[str, str]) -> Path:
    project = work / "hello"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".goship"))
    config = project / "goship.toml"
    config.write_text(config.read_text() + '\n[environments.prod]\ntags = ["{version}"]\n')
    git_env = {**env, "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"],
                 ["remote", "add", "origin", "git@github.com:example/hello.git"], ["tag", "v1.2.3"]):
        run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
            cwd=project, env=git_env)
    return project


@dataclass
class Runs:
    times: list[float] = field(default_factory=list)
    upload_sessions: list[int] = field(default_factory=list)
    byte_requests: list[int] = field(default_factory=list)
    mounts: list[int] = field(default_factory=list)
    digests_kept: list[bool] = field(default_factory=list)


def manifest(host: str, repository: str, reference: str) -> bytes:
    request = urllib.request.Request(f"http://{host}/v2/{repository}/manifests/{reference}",
                                     headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return bytes(answer.read())


def digest_of(host: str, repository: str, tag: str) -> str:
    return "sha256:" + hashlib.sha256(manifest(host, repository, tag)).hexdigest()


def image_blobs(host: str, repository: str, tag: str) -> tuple[int, int]:
    """(distinct blobs, their bytes) of the index: configs and layers of every platform."""
    sizes: dict[str, int] = {}
    for item in json.loads(manifest(host, repository, tag))["manifests"]:
        child = json.loads(manifest(host, repository, item["digest"]))
        for blob in [child["config"], *child["layers"]]:
            sizes[blob["digest"]] = blob["size"]
    return len(sizes), sum(sizes.values())


def count_requests(registry: Registry, offset: int, repository: str) -> tuple[int, int, int]:
    """(upload sessions opened without a mount, PATCH/PUT requests with blob bytes, mounts)."""
    time.sleep(0.15)  # the access log line is written just after the response
    with registry.log_path.open("rb") as stream:
        stream.seek(offset)
        lines = stream.read().decode(errors="replace").splitlines()
    prefix = f"/v2/{repository}/blobs/uploads/"
    sessions = byte_requests = mounts = 0
    for line in lines:
        if prefix not in line:
            continue
        if '"POST ' in line:
            if "mount=" in line and '" 201 ' in line:
                mounts += 1
            else:
                sessions += 1
        elif '"PATCH ' in line or ('"PUT ' in line and "digest=" in line):
            byte_requests += 1
    return sessions, byte_requests, mounts


def measure(name: str, command: list[str], registry: Registry, repository: str, runs: Runs,
            source_digest: str, cwd: Path, env: dict[str, str]) -> None:
    offset = registry.log_offset()
    started = time.perf_counter()
    run(command, cwd=cwd, env=env)
    runs.times.append(time.perf_counter() - started)
    sessions, byte_requests, mounts = count_requests(registry, offset, repository)
    runs.upload_sessions.append(sessions)
    runs.byte_requests.append(byte_requests)
    runs.mounts.append(mounts)
    runs.digests_kept.append(digest_of(registry.host, repository, "1.2.3") == source_digest)
    log(f"{name}: {runs.times[-1] * 1000:.0f} ms, {mounts} mounts, {sessions} upload sessions")


def library_median(host: str, source: str, count: int) -> float:
    sys.path.insert(0, str(REPO_ROOT / "src"))
    from goship.oci.reference import Reference
    from goship.registry import AnonymousKeychain, RegistryClient, RegistryOptions
    from goship.release.promote import promote

    times = []
    with RegistryClient(RegistryOptions(), AnonymousKeychain()) as client:
        for number in range(count + 1):
            target = Reference.parse(f"{host}/bench/library-{number}", default_tag="")
            started = time.perf_counter()
            promote(client, Reference.parse(source), target, tags=["1.2.3"])
            if number:  # the first call connects and warms up
                times.append(time.perf_counter() - started)
    return statistics.median(times)


def per_run(values: list[int]) -> str:
    return "/".join(str(value) for value in values)


def report(info: dict[str, str], goship: Runs, skopeo: Runs, library: float, blobs: int,
           size: int) -> str:
    lines: list[str] = []
    add = lines.append
    goship_median, skopeo_median = statistics.median(goship.times), statistics.median(skopeo.times)
    add("## Promotion: goship against skopeo copy")
    add("")
    add("`bench/bench_promote.py` promotes one three-platform image (an index of linux/amd64,")
    add("linux/arm64 and linux/arm/v7 images built by `goship build`) into a new repository of the same")
    add("registry, with `goship promote` and with `skopeo copy --all`, in one run on one machine.")
    add("")
    add("### How to run it")
    add("")
    add("```sh")
    add(".venv/bin/python bench/bench_promote.py               # about a minute")
    add(".venv/bin/python bench/bench_promote.py --write-docs  # and replace this section")
    add("```")
    add("")
    add("### Machine and versions")
    add("")
    add(f"- Date: {info['date']}")
    add(f"- CPU: {info['cpu']}, {info['nproc']} vCPUs, {info['memory']} RAM; {info['os']}")
    add(f"- goship: {first_line([str(GOSHIP), '--version'])}; skopeo: {first_line(['skopeo', '--version'])}; "
        f"registry: {first_line(['docker-registry', '--version'])}")
    add(f"- The image: {blobs} distinct blobs, {size / 1e6:.1f} MB compressed; docker-registry on "
        "127.0.0.1 over plain HTTP, its storage on local disk")
    add("")
    add(f"### Within one registry, N={len(goship.times)} runs each")
    add("")
    add("Whole commands, Python's and skopeo's start-up included, alternating which goes first; each")
    add("run copies into a repository of its own. Counts are per run, from the registry's access log.")
    add("")
    add("| tool | median | min | max | mounts | upload sessions | requests with blob bytes | digest kept |")
    add("|---|---:|---:|---:|---|---|---|---|")
    for label, runs in (("goship promote", goship), ("skopeo copy --all", skopeo)):
        add(f"| {label} | {statistics.median(runs.times) * 1000:.0f} ms | {min(runs.times) * 1000:.0f} ms | "
            f"{max(runs.times) * 1000:.0f} ms | {per_run(runs.mounts)} | {per_run(runs.upload_sessions)} | "
            f"{per_run(runs.byte_requests)} | {'yes' if all(runs.digests_kept) else 'NO'} |")
    add("")
    add(f"goship takes {goship_median / skopeo_median:.2f}x skopeo's time. The promotion itself, "
        f"`promote()` called in a warm process (no start-up, connection open), takes {library * 1000:.0f} ms "
        "(median): the rest of goship's time is starting Python, importing goship and its HTTP "
        "client, and connecting.")
    skopeo_mounts = statistics.median(skopeo.mounts)
    skopeo_sessions = statistics.median(skopeo.upload_sessions)
    add(f"Of the {blobs} blobs, skopeo mounted {skopeo_mounts:.0f} and sent {skopeo_sessions:.0f} again "
        "through upload sessions (median per run); goship mounted every one.")
    add("")
    verdict = "met" if goship_median < TARGET_SECONDS else "not met"
    zero = all(count == 0 for count in goship.upload_sessions + goship.byte_requests)
    add(f"**Target, a three-platform promotion within a registry under {TARGET_SECONDS} s: {verdict}** "
        f"(median {goship_median:.3f} s). **No blob byte uploaded: {'met' if zero else 'not met'}** "
        "(every blob mounted from the source repository).")
    add("")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=3 timed runs")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "promote-latest.md")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the report into docs/benchmarks.md, replacing its section")
    args = parser.parse_args()
    count = 3 if args.quick else args.runs
    for tool in ("skopeo", "docker-registry", "git"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed")
    if not GOSHIP.exists():
        raise SystemExit(f"{GOSHIP} is missing: run scripts/setup.sh first")
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="goship-bench-promote-"))
    registry = Registry(work / "registry", shutil.which("docker-registry") or "docker-registry")
    try:
        env = tool_env(work, real_go())
        project = make_project(work, env)
        source = f"{registry.host}/bench/staging:v1.2.3"
        log("building the three-platform image")
        built = run([str(GOSHIP), "build", "--platform", PLATFORMS, "--push", source.rsplit(":", 1)[0],
                     "--tag", "v1.2.3", "--json"], cwd=project, env=env)
        source_digest = json.loads(built.stdout)["images"][0]["digest"]
        blobs, size = image_blobs(registry.host, "bench/staging", "v1.2.3")
        goship, skopeo = Runs(), Runs()
        for tool_name in ("goship", "skopeo"):  # warm the page cache and skopeo's blob cache, not timed
            repository = f"bench/warm-{tool_name}"
            run(command_of(tool_name, source, registry.host, repository), cwd=project,
                env={**env, "GOSHIP_REPOSITORY": f"{registry.host}/{repository}"})
        for number in range(count):
            order = [("goship", goship), ("skopeo", skopeo)]
            if number % 2:
                order.reverse()
            for tool_name, runs in order:
                repository = f"bench/{tool_name}-{number}"
                measure(tool_name, command_of(tool_name, source, registry.host, repository), registry,
                        repository, runs, source_digest, project,
                        {**env, "GOSHIP_REPOSITORY": f"{registry.host}/{repository}"})
        library = library_median(registry.host, source, count)
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    text = report(info, goship, skopeo, library, blobs, size)
    publish_report(text, args.output, write_docs=args.write_docs)
    return 0


def command_of(tool: str, source: str, host: str, repository: str) -> list[str]:
    if tool == "goship":
        # The environment `prod` names no repository: GOSHIP_REPOSITORY (set per run) is its target.
        return [str(GOSHIP), "promote", source, "--to", "prod"]
    return ["skopeo", "copy", "--all", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
            f"docker://{source}", f"docker://{host}/{repository}:1.2.3"]


if __name__ == "__main__":
    sys.exit(main())
