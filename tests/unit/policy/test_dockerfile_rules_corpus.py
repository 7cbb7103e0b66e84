"""The hand-written corpus in tests/data/dockerfiles (also the input of bench/bench_lint.py):
what goship reports on each file, and that no file, cut short or mangled, makes it raise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from goship.policy.dockerfile_rules import lint_text
from goship.policy.interface import PolicySettings, Severity

CORPUS = Path(__file__).resolve().parents[2] / "data" / "dockerfiles"
FILES = sorted(path for path in CORPUS.iterdir() if path.is_file())


def rules(ids: str) -> set[str]:
    return set(ids.split())


LABELS = {"GS312", "GS313"}  # the standard's labels: most real-world files lack them
METADATA = LABELS | {"GS307"}  # and HEALTHCHECK (info)

# The rules each file breaks (GS104, "not pinned by digest", left out: it is nearly everywhere).
# Files named *-good meet the standard. A change here is a change users see: review it.
EXPECTED: dict[str, set[str]] = {
    "Dockerfile.rust-service": LABELS,
    "dotnet-windows-servercore.Dockerfile": rules("GS106 GS301") | METADATA,
    "go-add-url.Dockerfile": rules("GS207 GS503 GS504") | LABELS,
    "go-alpine-runtime-good.Dockerfile": set(),
    "go-builder-floating-tag.Dockerfile": rules("GS110 GS206") | LABELS,
    "go-cgo-distroless-base-good.Dockerfile": set(),
    "go-copy-from-typo.Dockerfile": rules("GS108") | LABELS,
    "go-copy-secrets.Dockerfile": rules("GS506") | LABELS,
    "go-cross-compile-good.Dockerfile": set(),
    "go-curl-pipe-sh.Dockerfile": rules("GS408 GS505") | LABELS,
    "go-debian-runtime-apt.Dockerfile": rules("GS106 GS402 GS404 GS405 GS407") | METADATA,
    "go-distroless-good.Dockerfile": set(),
    "go-dnf-toolbox-runtime.Dockerfile": rules("GS207 GS405 GS406 GS407") | METADATA,
    "go-duplicate-stage-names.Dockerfile": rules("GS107 GS207") | LABELS,
    "go-final-from-builder-stage.Dockerfile": rules("GS205 GS207 GS301") | METADATA,
    "go-hadolint-pragmas.Dockerfile": rules("GS106") | METADATA,
    "go-heredoc-build-good.Dockerfile": set(),
    "go-inline-ignores.Dockerfile": rules("GS002 GS003") | rules("GS307 GS312"),
    "go-install-go-in-final.Dockerfile": rules("GS205") | METADATA,
    "go-labels-from-global-arg.Dockerfile": rules("GS312"),
    "go-latest-tags.Dockerfile": rules("GS103 GS301 GS405") | METADATA,
    "go-maintainer-deprecated.Dockerfile": rules("GS207 GS311") | METADATA,
    "go-missing-build-flags.Dockerfile": rules("GS201 GS202 GS203 GS204 GS207") | LABELS,
    "go-multi-binary-good.Dockerfile": set(),
    "go-multiple-cmd.Dockerfile": rules("GS207 GS306") | METADATA,
    "go-named-user.Dockerfile": rules("GS303 GS405") | METADATA,
    "go-parse-errors.Dockerfile": rules("GS001 GS207") | LABELS,
    "go-pipe-without-pipefail.Dockerfile": rules("GS408") | LABELS,
    "go-platform-pinned.Dockerfile": rules("GS109") | LABELS,
    "go-relative-workdir.Dockerfile": rules("GS207 GS310 GS409") | LABELS,
    "go-root-user.Dockerfile": rules("GS302 GS405") | rules("GS307 GS312"),
    "go-scratch-good.Dockerfile": set(),
    "go-secrets-env.Dockerfile": rules("GS501 GS502") | LABELS,
    "go-shell-form-cmd.Dockerfile": rules("GS001 GS305") | METADATA,
    "go-single-stage-golang.Dockerfile": rules("GS201 GS202 GS203 GS204 GS205 GS207 GS301") | METADATA,
    "go-ssh-expose.Dockerfile": rules("GS106 GS207 GS301 GS308 GS405") | METADATA,
    "go-sudo-in-run.Dockerfile": rules("GS201 GS203 GS204 GS207 GS410") | LABELS,
    "go-ubi-minimal-good.Dockerfile": set(),
    "go-unresolved-arg.Dockerfile": rules("GS111 GS207") | METADATA,
    "go-untagged-bases.Dockerfile": rules("GS102 GS106 GS201 GS203 GS204 GS207") | METADATA,
    "go-unterminated-heredoc.Dockerfile": rules("GS001 GS207"),
    "go-windows-nanoserver-good.Dockerfile": rules("GS307"),
    "go-windows-sac-tag.Dockerfile": rules("GS106 GS207") | rules("GS307 GS312"),
    "go-windows-servercore-bad.Dockerfile":
        rules("GS201 GS202 GS203 GS204 GS205 GS207 GS301 GS305 GS314 GS503") | METADATA,
    "go-yum-centos-runtime.Dockerfile": rules("GS106 GS207 GS403 GS405 GS406") | METADATA,
    "java-maven-app.Dockerfile": rules("GS106") | METADATA,
    "nginx-custom-build.Dockerfile": rules("GS106 GS301 GS404 GS405 GS409") | METADATA,
    "nginx-static-site.Dockerfile": rules("GS106 GS301") | METADATA,
    "node-express-api.Dockerfile": rules("GS106 GS303") | LABELS,
    "node-legacy-single-stage.Dockerfile":
        rules("GS103 GS106 GS301 GS305 GS311 GS402 GS404 GS405 GS502") | METADATA,
    "node-react-nginx.Dockerfile": rules("GS106 GS301") | METADATA,
    "php-apache-app.dockerfile": rules("GS106 GS303 GS405") | METADATA,
    "powershell-windows-tools.Dockerfile": rules("GS302 GS310 GS505") | METADATA,
    "python-flask-app.Dockerfile": rules("GS106") | METADATA,
    "python-ml-worker-heredoc.Dockerfile": rules("GS106") | METADATA,
    "python-poetry-app.Dockerfile": rules("GS106 GS301 GS305 GS402 GS404 GS405 GS408 GS501 GS505") | METADATA,
    "redis-sidecar-alpine.Dockerfile": rules("GS303 GS305 GS309 GS401 GS405") | METADATA,
    "ubuntu-legacy-tools.Dockerfile":
        rules("GS102 GS106 GS301 GS308 GS402 GS404 GS405 GS408 GS410 GS411 GS505") | METADATA,
}


def lint(text: str, name: str = "Dockerfile") -> set[str]:
    return {finding.rule for finding in lint_text(text, PolicySettings(), display=name)}


def test_corpus_is_varied_and_named_for_the_benchmark() -> None:
    names = [path.name for path in FILES]
    texts = [path.read_text(encoding="utf-8") for path in FILES]

    assert len(FILES) >= 40
    assert len(set(names)) == len(names)
    assert all(name.startswith("Dockerfile") or name.endswith((".Dockerfile", ".dockerfile"))
               for name in names)  # what bench_lint.py picks up
    assert sum("# escape=`" in text for text in texts) >= 4  # Windows
    assert sum(not name.startswith("go-") for name in names) >= 10  # not Go
    assert sum(name.endswith("-good.Dockerfile") for name in names) >= 8
    assert sorted(EXPECTED) == names


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_corpus_file_breaks_exactly_the_expected_rules(path: Path) -> None:
    assert lint(path.read_text(encoding="utf-8"), path.name) - {"GS104"} == EXPECTED[path.name]


@pytest.mark.parametrize("path", [path for path in FILES if "-good" in path.name],
                         ids=lambda path: path.name)
def test_good_files_have_nothing_worse_than_info(path: Path) -> None:
    findings = lint_text(path.read_text(encoding="utf-8"), PolicySettings(), display=path.name)
    assert [(finding.rule, finding.location.line) for finding in findings
            if finding.severity > Severity.INFO] == []


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_truncated_and_mangled_files_never_raise(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    randomness = random.Random(path.name)  # the same mutations on every run
    variants = ["".join(lines[:count]) for count in range(len(lines))]
    variants += [text[:cut] for cut in randomness.sample(range(len(text)), min(20, len(text)))]
    for _ in range(20):
        position = randomness.randrange(len(text))
        variants.append(text[:position] + randomness.choice('"[]\\`<$#\n\x00{') + text[position + 1:])
    for variant in variants:
        findings = lint_text(variant, PolicySettings(), display=path.name)
        assert all(finding.location.line and finding.location.line >= 1 for finding in findings)
