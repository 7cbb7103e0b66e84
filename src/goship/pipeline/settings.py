"""The resolved ``[pipeline]`` tables of goship.toml (goship.config_pipeline reads them).

::

    [pipeline]
    stages = ["test", "lint", "build", "sbom", "scan", "push", "sign"]

    [pipeline.test]
    packages = ["./..."]       # what `go test` runs
    race = true                # -race wherever cgo and a C compiler allow it
    coverage-min = 70          # percent of statements; less fails the test stage
    flags = ["-short"]         # more `go test` flags

    [pipeline.lint]
    dockerfiles = ["Dockerfile"]   # default: ./Dockerfile when there is one
    fail-on = "error"              # error, warning, info or never

    [pipeline.sign]
    key = "cosign.key"             # relative to goship.toml; its password from GOSHIP_PASSWORD
    annotations = { team = "payments" }

The stages always run in the order of ``STAGES``, whatever the order of the list: sign
comes after push, as a cosign signature is stored in the registry under the digest it
signs, so the image has to be there first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STAGES = ("test", "lint", "build", "sbom", "scan", "push", "sign", "deploy")
# Without `stages`: everything that needs nothing but the build settings. Pushing, signing
# and deploying are asked for by name, as `goship build` pushes only with --push.
DEFAULT_STAGES = ("test", "lint", "build", "sbom", "scan")
# stage -> the stage it takes its input from
NEEDS = {"sbom": "build", "scan": "build", "push": "build", "sign": "push", "deploy": "push"}
LINT_FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class GoTestSettings:
    packages: tuple[str, ...] = ("./...",)
    race: bool = True  # -race where cgo, a C compiler and the platform allow it
    coverage_min: float | None = None  # percent; None: no gate
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class LintSettings:
    dockerfiles: tuple[str, ...] | None = None  # None: ./Dockerfile when it exists
    fail_on: str = "error"


@dataclass(frozen=True)
class SignSettings:
    key: str | None = None  # the private key file, absolute (resolved against goship.toml)
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PipelineSettings:
    stages: tuple[str, ...] = DEFAULT_STAGES  # in the order of STAGES
    test: GoTestSettings = field(default_factory=GoTestSettings)
    lint: LintSettings = field(default_factory=LintSettings)
    sign: SignSettings = field(default_factory=SignSettings)
    source: str = ""  # "goship.toml:12" where `stages` is set, for messages; "" for the default
