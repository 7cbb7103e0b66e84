"""Benchmark: `goship prune` planning (a dry run) over 10,000 tags in a local registry.

Run from the repository root:

    .venv/bin/python bench/bench_prune.py               # 10,000 tags, N=3 timed runs of each kind
    .venv/bin/python bench/bench_prune.py --quick       # N=1
    .venv/bin/python bench/bench_prune.py --tags 2000   # a smaller repository (no verdict)
    .venv/bin/python bench/bench_prune.py --write-docs  # also write the section of docs/benchmarks.md

What is timed is the whole command a user runs, `goship prune REPO` (start-up, listing, one
HEAD per tag, the manifests and configs behind them, planning, the audit record, printing the
plan of every tag), against a docker-registry (distribution 2.8, filesystem storage) on
127.0.0.1 seeded with 10,000 tags over 500 manifests. Target: under 5 s.

Two kinds of run are timed. A first run has no earlier audit record (a fresh --audit-dir):
every HEAD is a plain one. A repeat run finds the previous run's record, as a scheduled prune
does, and asks about each tag conditionally (If-None-Match: the digest that run saw), which
the registry answers with 304 without reading the manifest; the answers are still the
registry's, so a tag moved since is seen moved.

The distribution API has no call that lists tags with their digests: every tag costs one
HEAD, so much of the time is the registry's. Reference figures are measured in the same run,
against the same registry and its settings: the registry's own CPU time during goship's runs
(from /proc), and bare loops of HEADs (http.client, 8 connections, no auth, no checks) over
the same tags, plain and conditional. Distribution 2.8 answers all tags in one page (it
ignores `n`), so listing with pagination is timed separately, through a small proxy that
pages the registry's answer 1,000 at a time as the OCI spec and distribution 3 do.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from common import Registry, load_average, log, machine, publish_report

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))
GOSHIP = REPO_ROOT / ".venv" / "bin" / "goship"
TARGET = 5.0
DAY = 86_400
ACCEPT = ", ".join(["application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"])
POLICY = """\
[environments.dev]
tags = ["dev-{short_commit}", "latest-{env}"]

[[retention]]
repository = "*"
keep-newest = 50
keep-within = "7d"
keep-tags = ["stable"]
protect = ["v*.*.*"]
untagged-after = "1d"
max-deletions = 100
"""


def seed(host: str, repository: str, tags: int, manifests: int) -> dict[str, int]:
    """``tags`` tags over ``manifests`` manifests (50 ages among them), pushed with goship's
    client from 16 threads: SemVer releases, dev builds, a pointer, a stable tag."""
    from goship.oci import mediatypes
    from goship.oci.canonical import canonical_json
    from goship.oci.digest import Digest
    from goship.oci.manifest import Descriptor, Manifest
    from goship.oci.reference import Reference
    from goship.registry import AnonymousKeychain, RegistryClient, RegistryOptions
    from goship.timestamps import rfc3339

    now = time.time()
    reference = Reference(host, repository)
    with RegistryClient(RegistryOptions(), AnonymousKeychain()) as client:
        configs = []
        for number in range(50):
            raw = canonical_json({"architecture": "amd64", "os": "linux", "config": {},
                                  "created": rfc3339(int(now - number * DAY)),
                                  "rootfs": {"type": "layers", "diff_ids": []}})
            digest = Digest.of_bytes(raw)
            client.upload_blob(reference, digest, len(raw), lambda raw=raw: io.BytesIO(raw))
            configs.append(Descriptor(mediatypes.OCI_CONFIG, digest, len(raw)))
        bodies = [Manifest(configs[number % 50], (), annotations=(("seed", str(number)),)).to_bytes()
                  for number in range(manifests)]
        names = ["latest-dev", "stable"]
        names += [f"v1.{number // 100}.{number % 100}" for number in range(tags // 5)]
        names += [f"dev-{number:07x}" for number in range(tags - len(names))]

        def push(position: int) -> None:
            client.put_manifest(reference.with_tag(names[position]), bodies[position % manifests],
                                mediatypes.OCI_MANIFEST)

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(push, range(len(names))))
    return {"tags": len(names), "manifests": manifests, "semver": tags // 5}


def run_goship(host: str, repository: str, project: Path, env: dict[str, str],
               registry: Registry, audit: Path) -> dict[str, Any]:
    before_registry = registry.cpu_seconds()
    before_children = os.times()
    started = time.perf_counter()
    done = subprocess.run([str(GOSHIP), "prune", f"{host}/{repository}", "--audit-dir", str(audit)],
                          cwd=project, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after_children = os.times()
    if done.returncode != 0:
        raise SystemExit(f"goship prune failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"seconds": elapsed, "stdout": done.stdout,
            "registry_cpu": registry.cpu_seconds() - before_registry,
            "goship_cpu": (after_children.children_user + after_children.children_system)
            - (before_children.children_user + before_children.children_system)}


def bare_heads(host: str, repository: str, tags: list[str], expected: dict[str, str] | None = None,
               connections: int = 8) -> tuple[float, dict[str, str]]:
    """The floor: HEAD every tag over kept-alive connections, doing nothing with the answer
    but keep its digest; with ``expected``, conditionally (If-None-Match)."""
    address, port = host.split(":")
    local = threading.local()
    found: dict[str, str] = {}

    def head(tag: str) -> None:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(address, int(port))
        headers = {"Accept": ACCEPT}
        if expected is not None:
            headers["If-None-Match"] = f'"{expected[tag]}"'
        connection.request("HEAD", f"/v2/{repository}/manifests/{tag}", headers=headers)
        answer = connection.getresponse()
        answer.read()
        found[tag] = answer.getheader("Docker-Content-Digest") or (expected or {}).get(tag, "")

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(head, tags))
    return time.perf_counter() - started, found


def paging_proxy(upstream: str) -> tuple[ThreadingHTTPServer, str]:
    """Pages the registry's tags/list answer by `n`, with Link headers (only the listing)."""

    class Pager(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        pages = 0

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with urllib.request.urlopen(f"http://{upstream}{parts.path}") as answer:
                raw = answer.read()
            if not parts.path.endswith("/tags/list"):  # the /v2/ ping
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return
            data = json.loads(raw)
            query = parse_qs(parts.query)
            remaining = [tag for tag in sorted(data.get("tags") or []) if tag > query.get("last", [""])[0]]
            size = int(query.get("n", [str(len(remaining))])[0])
            page = remaining[:size]
            body = json.dumps({"name": data["name"], "tags": page}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if remaining[size:]:
                self.send_header("Link", f'<{parts.path}?n={size}&last={page[-1]}>; rel="next"')
            self.end_headers()
            self.wfile.write(body)
            Pager.pages += 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pager)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"127.0.0.1:{server.server_address[1]}"


def breakdown(host: str, repository: str) -> dict[str, Any]:
    """Each stage of planning, in this process, once."""
    from goship.oci.reference import Reference
    from goship.registry import AnonymousKeychain, RegistryClient, RegistryOptions
    from goship.release.inventory import RegistryRepository
    from goship.release.retention import plan_retention
    from goship.release.settings import RetentionPolicy

    stages: dict[str, Any] = {}
    with RegistryClient(RegistryOptions(), AnonymousKeychain()) as client:
        repo = RegistryRepository(client, Reference(host, repository))
        started = time.perf_counter()
        names = repo.list_tags()
        stages["list (one page)"] = time.perf_counter() - started
        server, proxy = paging_proxy(host)
        try:
            paged = RegistryRepository(client, Reference(proxy, repository), page_size=1000)
            started = time.perf_counter()
            assert len(paged.list_tags()) == len(names)
            stages["list (pages of 1000, via proxy)"] = time.perf_counter() - started
            stages["pages"] = server.RequestHandlerClass.pages  # type: ignore[attr-defined]
        finally:
            server.shutdown()
        started = time.perf_counter()
        resolved = repo.resolve_many(names)
        stages["resolve (a HEAD per tag)"] = time.perf_counter() - started
        started = time.perf_counter()
        repo.resolve_many(names)  # the digests of the first pass are expected now
        stages["resolve again (a conditional HEAD per tag)"] = time.perf_counter() - started
        started = time.perf_counter()
        state = RegistryRepository(client, Reference(host, repository)).read_state()
        stages["read state (list + resolve + manifests + configs)"] = time.perf_counter() - started
        started = time.perf_counter()
        expected = {tag: digest for tag, digest in resolved.items() if digest is not None}
        RegistryRepository(client, Reference(host, repository)).read_state(expected_tags=expected)
        stages["read state, digests expected"] = time.perf_counter() - started
        policy = RetentionPolicy(keep_newest=50, keep_within=7 * DAY, keep_tags=("stable",),
                                 protect=("v*.*.*",), untagged_after=DAY)
        started = time.perf_counter()
        plan = plan_retention(state, policy, now=time.time(), pointers=("latest-dev",))
        stages["plan (pure)"] = time.perf_counter() - started
        stages["kept tags"] = len(plan.kept_tags)
        stages["operations"] = len(plan.operations) + len(plan.deferred)
    return stages


def _row(label: str, values: list[float], tags: int) -> str:
    median = statistics.median(values)
    return (f"| {label} | {median:.2f} s | {min(values):.2f} s | {max(values):.2f} s | "
            f"{median / tags * 1000:.2f} s |")


def report(info: dict[str, str], seeded: dict[str, int], seed_seconds: float,
           runs: dict[str, list[dict[str, Any]]], floors: dict[str, list[float]], stages: dict[str, Any],
           registry: Registry, load: tuple[str, str]) -> str:
    tags = seeded["tags"]
    lines = ["## Prune: retention planning over 10,000 tags", "",
             "`bench/bench_prune.py` times `goship prune REPO` (a dry run: it lists, resolves and plans",
             "every tag, writes the audit record and prints the whole plan) against a local registry.", "",
             "### How to run it", "", "```sh",
             ".venv/bin/python bench/bench_prune.py               # about three minutes",
             ".venv/bin/python bench/bench_prune.py --write-docs  # and replace this section", "```", "",
             "### Machine and set-up", "",
             f"- Date: {info['date']}",
             f"- CPU: {info['cpu']}, {info['nproc']} vCPUs, {info['memory']} RAM; {info['os']}",
             f"- Load average (1 min) before and after the timed runs: {load[0]}, {load[1]}; the benchmark "
             "keeps about two busy itself, the rest is other work on the machine",
             f"- Registry: {registry.version}, filesystem storage, plain HTTP on 127.0.0.1, same machine; "
             f"settings: {registry.settings}. goship's runs and the bare loops below are "
             "measured against this same registry in the same run",
             f"- Repository: {tags} tags over {seeded['manifests']} manifests ({seeded['semver']} "
             "SemVer releases, dev builds, a pointer and a stable tag; 50 ages over 50 days), seeded with "
             f"goship's client from 16 threads in {seed_seconds:.0f} s",
             "- Policy: keep-newest 50, keep-within 7d, keep-tags stable, protect v*.*.*, "
             "untagged-after 1d",
             "- First run: no earlier audit record (a fresh `--audit-dir`), so every HEAD is a plain one. "
             "Repeat run: the previous run's record is there, as for a scheduled prune, so each tag is "
             "asked about conditionally (`If-None-Match` with the digest that run saw); the registry "
             "answers 304 without reading the manifest, and a tag moved since is answered as moved", "",
             f"### Whole command, N={len(runs['first'])} of each", "",
             "| | median | min | max | median per 1,000 tags |", "|---|---:|---:|---:|---:|"]
    for kind, title in (("first", "first run"), ("repeat", "repeat run")):
        for label, key in (("`goship prune` wall time", "seconds"), ("goship CPU (user+sys)", "goship_cpu"),
                           ("registry CPU during it", "registry_cpu")):
            lines.append(_row(f"{title}: {label}", [run[key] for run in runs[kind]], tags))
    lines.append(_row("bare HEAD loop over the same tags (8 connections)", floors["plain"], tags))
    lines.append(_row("bare conditional HEAD loop (If-None-Match, 8 connections)", floors["conditional"],
                      tags))
    first = statistics.median(run["seconds"] for run in runs["first"])
    repeat = statistics.median(run["seconds"] for run in runs["repeat"])
    registry_first = statistics.median(run["registry_cpu"] for run in runs["first"]) / tags * 1000
    registry_repeat = statistics.median(run["registry_cpu"] for run in runs["repeat"]) / tags * 1000
    lines += ["", f"Per tag: the registry spends {registry_first:.2f} ms of CPU in a first run and "
              f"{registry_repeat:.2f} ms in a repeat run; goship "
              f"{statistics.median(run['goship_cpu'] for run in runs['first']) / tags * 1000:.2f} ms and "
              f"{statistics.median(run['goship_cpu'] for run in runs['repeat']) / tags * 1000:.2f} ms. "
              f"A first run takes {first / statistics.median(floors['plain']):.2f}x the bare plain loop's "
              f"time, a repeat run {repeat / statistics.median(floors['conditional']):.2f}x the bare "
              "conditional loop's.", "",
              "### Stages, once, in one process", "", "| stage | time |", "|---|---:|"]
    for key, value in stages.items():
        if isinstance(value, float):
            lines.append(f"| {key} | {value:.2f} s |")
    lines += ["", f"The proxy served {stages['pages']} pages. The plan kept {stages['kept tags']} tags and "
              f"has {stages['operations']} deletions (100 now, the rest deferred by max-deletions).", ""]
    verdicts = []
    for title, median in (("first run", first), ("repeat run", repeat)):
        verdict = "met" if median < TARGET else "not met"
        if tags < 10_000:  # a --tags smoke run says nothing about the target
            verdict = f"no verdict, only {tags} tags seeded"
        verdicts.append(f"{title} {verdict} (median {median:.2f} s)")
    lines.append(f"**Target, under {TARGET:.0f} s for 10,000 tags: {'; '.join(verdicts)}.**")
    if max(first, repeat) >= TARGET:
        nproc = int(info["nproc"])
        lines += ["", "Distribution has no call that returns tags with their digests, so planning needs",
                  f"a HEAD per tag, and this registry spends about {registry_first:.2f} ms of CPU on a plain",
                  f"one and {registry_repeat:.2f} ms on a conditional one. With {nproc} vCPUs shared by the "
                  "registry and",
                  "goship, the registry's part alone takes at least "
                  f"{registry_first * tags / 1000 / nproc:.1f} s of a first run and "
                  f"{registry_repeat * tags / 1000 / nproc:.1f} s of a repeat run here."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=1")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--manifests", type=int, default=500)
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "prune-latest.md")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the report into docs/benchmarks.md, replacing its section")
    args = parser.parse_args()
    if not GOSHIP.exists():
        raise SystemExit(f"{GOSHIP} is missing: run scripts/setup.sh first")
    runs_wanted = 1 if args.quick else args.runs
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="goship-bench-prune-"))
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not Path(binary).exists():
        raise SystemExit("docker-registry is not installed (apt-get install docker-registry)")
    registry = Registry(work / "registry", binary, access_log=False)
    try:
        repository = "bench/prune"
        log(f"seeding {args.tags} tags over {args.manifests} manifests")
        started = time.perf_counter()
        seeded = seed(registry.host, repository, args.tags, args.manifests)
        seed_seconds = time.perf_counter() - started
        project = work / "project"
        project.mkdir()
        (project / "goship.toml").write_text(POLICY)
        env = {**os.environ, "GOSHIP_SERVER": "off", "GOSHIP_CACHE": str(work / "cache")}
        audit = work / "audit"
        # Bytecode and page cache; it also leaves the record the repeat runs find.
        warm = run_goship(registry.host, repository, project, env, registry, audit)
        if f"{seeded['tags']} tags:" not in warm["stdout"]:
            raise SystemExit(f"unexpected plan output: {warm['stdout'][:500]}")
        runs: dict[str, list[dict[str, Any]]] = {"first": [], "repeat": []}
        floors: dict[str, list[float]] = {"plain": [], "conditional": []}
        load_before = load_average()
        tags = json.loads(urllib.request.urlopen(f"http://{registry.host}/v2/{repository}/tags/list").read())["tags"]
        for number in range(runs_wanted):
            fresh = work / f"audit-first-{number}"
            runs["first"].append(run_goship(registry.host, repository, project, env, registry, fresh))
            runs["repeat"].append(run_goship(registry.host, repository, project, env, registry, audit))
            seconds, digests = bare_heads(registry.host, repository, tags)
            floors["plain"].append(seconds)
            seconds, again = bare_heads(registry.host, repository, tags, expected=digests)
            floors["conditional"].append(seconds)
            if again != digests:
                raise SystemExit("the bare conditional loop saw other digests than the plain one")
            log(f"run {number + 1}/{runs_wanted}: goship prune first {runs['first'][-1]['seconds']:.2f} s "
                f"(goship CPU {runs['first'][-1]['goship_cpu']:.2f} s, registry CPU "
                f"{runs['first'][-1]['registry_cpu']:.2f} s), repeat {runs['repeat'][-1]['seconds']:.2f} s "
                f"(goship CPU {runs['repeat'][-1]['goship_cpu']:.2f} s, registry CPU "
                f"{runs['repeat'][-1]['registry_cpu']:.2f} s); bare HEADs {floors['plain'][-1]:.2f} s, "
                f"conditional {floors['conditional'][-1]:.2f} s")
        load = (load_before, load_average())
        stages = breakdown(registry.host, repository)
        text = report(info, seeded, seed_seconds, runs, floors, stages, registry, load)
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    publish_report(text, args.output, write_docs=args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
