"""Benchmark: `goship lint` against hadolint on a corpus of Dockerfiles, in one run.

Run from the repository root:

    .venv/bin/python bench/bench_lint.py                # 500 files, N=5 timed runs per tool
    .venv/bin/python bench/bench_lint.py --quick        # N=2
    .venv/bin/python bench/bench_lint.py --write-docs   # also write the section of docs/benchmarks.md

Two claims are measured:

- speed: both tools lint the same 500 files in one process each (`goship lint --format json
  FILE...` and `hadolint -f json FILE...`), timed as whole commands, start-up included;
- agreement: on the hand-written corpus (tests/data/dockerfiles), for every goship rule that
  names hadolint rules (RuleInfo.hadolint), each tool's decision "this file breaks the rule"
  is compared, and so are the lines each flags. Every disagreement is listed with the reason
  recorded in EXPLANATIONS; a disagreement with no recorded reason is printed as UNEXPLAINED.

The 500 files are the corpus repeated, each copy made unique by a comment line at the end (so
no tool can reuse a result), in a temp dir that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from common import log, machine, publish_report

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
GOSHIP = VENV_BIN / "goship"
HADOLINT = VENV_BIN / "hadolint"
CORPUS = REPO_ROOT / "tests" / "data" / "dockerfiles"
SPEED_TARGET = 1.0  # goship's time / hadolint's time on 500 files: below 1 means goship is faster
AGREEMENT_TARGET = 0.95

# Why the tools differ, by (goship rule, direction): "goship" when only goship flags the
# file, "hadolint" when only hadolint does. Filled in from the differences the corpus shows.
EXPLANATIONS: dict[tuple[str, str], str] = {
    ("GS307", "hadolint"):
        "by design: hadolint asks every stage for a HEALTHCHECK, builder stages included, and "
        "scratch or distroless final stages too; goship asks only the final stage, and not on "
        "scratch or distroless, which have no shell or tool to run a check (Kubernetes probes do it)",
    ("GS307", "goship"):
        "hadolint 2.15.1 cannot parse this valid heredoc file (DL1000), so it reports nothing else",
    ("GS001", "hadolint"):
        "hadolint 2.15.1 fails to parse a heredoc that BuildKit accepts; the file builds",
    ("GS001", "goship"):
        "BuildKit refuses `CMD --verbose` (an unknown flag to CMD), so the file does not build; "
        "hadolint reads it as a command",
    ("GS405", "hadolint"):
        "by design: the package is installed in a builder stage, which never ships, or the line "
        "carries a `# goship ignore` that hadolint does not read; goship checks the final image's stages",
    ("GS303", "hadolint"):
        "by design: hadolint's DL3066 also fires on `USER root` (goship reports that once, as GS302), "
        "on builder stages and on Windows user names such as ContainerUser, which have no numeric form",
    ("GS302", "hadolint"):
        "by design: the root USER is in a builder stage; goship checks the final stage, which is what runs",
    ("GS302", "goship"):
        "ContainerAdministrator is root on Windows; hadolint knows only the Linux names root and 0",
    ("GS305", "hadolint"):
        "hadolint also asks HEALTHCHECK CMD for the JSON form; goship does not, as a health check in "
        "shell form runs in the image's own shell and needs no signal handling",
}


@dataclass
class Outcome:
    """One tool's findings: (file name, code) -> flagged lines."""

    lines: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))


def corpus_files(corpus: Path) -> list[Path]:
    files = sorted(path for path in corpus.rglob("*") if path.is_file()
                   and (path.name.startswith("Dockerfile") or path.suffix == ".Dockerfile"
                        or path.name.endswith(".dockerfile")))
    if not files:
        raise SystemExit(f"no Dockerfiles in {corpus}")
    return files


def run_goship(files: list[Path], cwd: Path) -> tuple[float, Outcome]:
    started = time.perf_counter()
    done = subprocess.run([str(GOSHIP), "lint", "--format", "json", "--fail-on", "never",
                           *(str(path) for path in files)], cwd=cwd, capture_output=True, text=True,
                          check=False, env=bench_env())
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"goship lint failed ({done.returncode}): {done.stderr[-2000:]}")
    outcome = Outcome()
    for finding in json.loads(done.stdout):
        outcome.lines[(Path(finding["file"]).name, finding["rule"])].add(int(finding.get("line") or 0))
    return elapsed, outcome


def run_hadolint(files: list[Path], cwd: Path) -> tuple[float, Outcome]:
    started = time.perf_counter()
    # DL3057 (HEALTHCHECK missing) is off in hadolint by default; goship has it on, as info.
    done = subprocess.run([str(HADOLINT), "--no-fail", "--info", "DL3057", "-f", "json",
                           *(str(path) for path in files)],
                          cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"hadolint failed ({done.returncode}): {done.stderr[-2000:]}")
    outcome = Outcome()
    for finding in json.loads(done.stdout or "[]"):
        outcome.lines[(Path(finding["file"]).name, finding["code"])].add(int(finding.get("line") or 0))
    return elapsed, outcome


def bench_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.pop("GOSHIP_SERVER", None)
    env["GOSHIP_SERVER"] = "off"  # lint never uses the build server; be explicit all the same
    return env


def replicate(files: list[Path], count: int, into: Path) -> list[Path]:
    into.mkdir(parents=True)
    copies = []
    for number in range(count):
        source = files[number % len(files)]
        target = into / f"{number:03d}-{source.name}"
        target.write_bytes(source.read_bytes().rstrip(b"\n") + f"\n# copy {number}\n".encode())
        copies.append(target)
    return copies


def shared_rules() -> dict[str, tuple[str, ...]]:
    sys.path.insert(0, str(REPO_ROOT / "src"))
    from goship.policy.catalog import all_rules

    return {rule.id: rule.hadolint for rule in all_rules().values()
            if rule.hadolint and rule.target == "dockerfile"}


@dataclass
class Comparison:
    decisions: int = 0
    agreed: int = 0
    line_union: int = 0
    line_both: int = 0
    differences: list[tuple[str, str, str, list[int], list[int]]] = field(default_factory=list)
    per_rule: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    lines_one_side: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def compare(names: list[str], rules: dict[str, tuple[str, ...]], goship: Outcome,
            hadolint: Outcome) -> Comparison:
    result = Comparison()
    for name in names:
        for rule, codes in rules.items():
            ours = goship.lines.get((name, rule), set())
            theirs: set[int] = set()
            for code in codes:
                theirs |= hadolint.lines.get((name, code), set())
            result.decisions += 1
            result.per_rule[rule][0] += 1
            result.line_union += len(ours | theirs)
            result.line_both += len(ours & theirs)
            if ours ^ theirs:
                result.lines_one_side[rule] += len(ours ^ theirs)
            if bool(ours) == bool(theirs):
                result.agreed += 1
                result.per_rule[rule][1] += 1
            else:
                side = "goship" if ours else "hadolint"
                result.differences.append((name, rule, side, sorted(ours), sorted(theirs)))
    return result


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(args: argparse.Namespace, info: dict[str, str], names: list[str],
           rules: dict[str, tuple[str, ...]], comparison: Comparison, goship_times: list[float],
           hadolint_times: list[float],
           single: tuple[float, float], count: int) -> str:
    lines: list[str] = []
    add = lines.append
    add("## Lint: goship against hadolint")
    add("")
    add("`bench/bench_lint.py` lints the same Dockerfiles with `goship lint` and with hadolint in one")
    add("run on one machine, and compares their decisions on the rules both tools have.")
    add("")
    add("### How to run it")
    add("")
    add("```sh")
    add(".venv/bin/python bench/bench_lint.py               # about a minute")
    add(".venv/bin/python bench/bench_lint.py --write-docs  # and replace this section")
    add("```")
    add("")
    add("### Machine and versions")
    add("")
    add(f"- Date: {info['date']}")
    add(f"- CPU: {info['cpu']}, {info['nproc']} vCPUs, {info['memory']} RAM; {info['os']}")
    add(f"- goship: {version([str(GOSHIP), '--version'])}; hadolint: {version([str(HADOLINT), '--version'])}")
    add(f"- Corpus: {len(names)} hand-written Dockerfiles in `tests/data/dockerfiles` "
        f"(Go services and others, good and bad, Linux and Windows)")
    add("")
    add(f"### Speed: {count} files in one process each")
    add("")
    add(f"Each tool gets all {count} files on one command line (the corpus repeated, each copy made")
    add(f"unique by a trailing comment), N={len(goship_times)} runs each, alternating which goes first.")
    add("Start-up is included, as a user or a CI job pays it.")
    add("")
    ratio = median(goship_times) / median(hadolint_times)
    add("| tool | median | min | max | per file |")
    add("|---|---:|---:|---:|---:|")
    for label, values in (("goship lint", goship_times), ("hadolint", hadolint_times)):
        add(f"| {label} | {median(values):.2f} s | {min(values):.2f} s | {max(values):.2f} s | "
            f"{median(values) / count * 1000:.2f} ms |")
    add("")
    add(f"One file, start-up included (median of {args.single_runs}): goship {single[0] * 1000:.0f} ms, "
        f"hadolint {single[1] * 1000:.0f} ms.")
    add("")
    verdict = "met" if ratio < SPEED_TARGET else "not met"
    add(f"**Target, goship faster on {count} files: {verdict}** (goship takes {ratio:.2f}x hadolint's time).")
    add("")
    add("### Agreement on the rules both tools have")
    add("")
    add("A decision is one (file, rule) pair: does the file break the rule? goship's rule is compared")
    add("with the hadolint rules its description names (`RuleInfo.hadolint`, listed in docs/rules.md);")
    add("hadolint counts as flagging the file when any of them fires.")
    add("")
    agreement = comparison.agreed / comparison.decisions if comparison.decisions else 0.0
    lines_agree = comparison.line_both / comparison.line_union if comparison.line_union else 1.0
    add("| goship rule | hadolint | decisions | agreed |")
    add("|---|---|---:|---:|")
    for rule, (total, agreed) in sorted(comparison.per_rule.items()):
        add(f"| {rule} | {', '.join(rules[rule])} | {total} | {agreed / total * 100:.0f}% |")
    add("")
    verdict = "met" if agreement >= AGREEMENT_TARGET else "not met"
    add(f"**Target, agreement at least 95% on shared rules: {verdict}** ({comparison.agreed} of "
        f"{comparison.decisions} decisions, {agreement * 100:.1f}%). Of the lines either tool flagged "
        f"for a shared rule, {lines_agree * 100:.1f}% were flagged by both.")
    if comparison.lines_one_side:
        ranked = sorted(comparison.lines_one_side.items(), key=lambda item: -item[1])
        add("Lines flagged by one tool only, by goship rule: "
            + ", ".join(f"{rule} {count}" for rule, count in ranked) + ". A line can differ while the")
        add("decision agrees: for GS307 hadolint names every stage without a HEALTHCHECK, goship only the")
        add("final one; for GS001 the tools stop at different lines of a broken instruction.")
    add("")
    if comparison.differences:
        add("Every difference, and why:")
        add("")
        add("| file | goship rule | only flagged by | goship lines | hadolint lines | why |")
        add("|---|---|---|---|---|---|")
        for name, rule, side, ours, theirs in comparison.differences:
            why = EXPLANATIONS.get((rule, side), "UNEXPLAINED")
            add(f"| {name} | {rule} | {side} | {', '.join(map(str, ours)) or '-'} | "
                f"{', '.join(map(str, theirs)) or '-'} | {why} |")
        add("")
    return "\n".join(lines) + "\n"


def version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=2 timed runs")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--single-runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "lint-latest.md")
    parser.add_argument("--write-docs", action="store_true",
                        help="write the report into docs/benchmarks.md, replacing its section")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    for tool in (GOSHIP, HADOLINT):
        if not tool.exists():
            raise SystemExit(f"{tool} is missing: run scripts/setup.sh first")
    files = corpus_files(args.corpus)
    names = [path.name for path in files]
    if len(set(names)) != len(names):
        raise SystemExit("corpus file names must be unique")
    rules = shared_rules()
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="goship-bench-lint-"))
    try:
        corpus_copy = work / "corpus"
        corpus_copy.mkdir()
        for path in files:  # outside the repository: no .dockerignore or policy file of ours applies
            shutil.copy2(path, corpus_copy / path.name)
        copied = [corpus_copy / name for name in names]
        log("comparing decisions on the corpus")
        _, ours = run_goship(copied, work)
        _, theirs = run_hadolint(copied, work)
        comparison = compare(names, rules, ours, theirs)
        many = replicate(files, args.files, work / "many")
        goship_times: list[float] = []
        hadolint_times: list[float] = []
        run_goship(many, work)  # warm the page cache and goship's bytecode once
        run_hadolint(many, work)
        for number in range(runs):
            order = [("g", run_goship), ("h", run_hadolint)]
            if number % 2:
                order.reverse()
            for key, runner in order:
                elapsed, _ = runner(many, work)
                (goship_times if key == "g" else hadolint_times).append(elapsed)
            log(f"run {number + 1}/{runs}: goship {goship_times[-1]:.2f} s,"
                f" hadolint {hadolint_times[-1]:.2f} s")
        one = [copied[0]]
        single = (median([run_goship(one, work)[0] for _ in range(args.single_runs)]),
                  median([run_hadolint(one, work)[0] for _ in range(args.single_runs)]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(args, info, names, rules, comparison, goship_times, hadolint_times, single, args.files)
    publish_report(text, args.output, write_docs=args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
