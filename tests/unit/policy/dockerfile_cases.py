"""Shared helpers for the Dockerfile rule tests: a Dockerfile that meets the whole standard,
and ways to lint text and see which lines a rule flags."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goship.policy.dockerfile_rules import lint_dockerfile, lint_text
from goship.policy.interface import Finding, PolicySettings

DIGEST = "sha256:" + "0123456789abcdef" * 4
BUILDER = f"golang:1.22.5-alpine@{DIGEST}"
RUNTIME = f"gcr.io/distroless/static-debian12:nonroot@{DIGEST}"
LABELS = ('LABEL maintainer="team@example.com" org.opencontainers.image.version=$VERSION '
          "org.opencontainers.image.revision=$REVISION org.opencontainers.image.created=$CREATED "
          "org.opencontainers.image.source=https://git.example.com/app")

# Meets every rule: lint_text reports nothing at all on it.
GOOD = f"""\
FROM {BUILDER} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${{VERSION}}" -o /out/app .

FROM {RUNTIME}
ARG VERSION=dev
ARG REVISION
ARG CREATED
{LABELS}
COPY --from=build /out/app /app
USER 65532:65532
ENTRYPOINT ["/app"]
"""
GOOD_FINAL_LINE = 9


def dockerfile(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def final(*body: str, base: str = RUNTIME, labels: bool = True) -> str:
    """A two-stage Dockerfile: the builder of GOOD, then a final stage on ``base`` (line 9) with
    ``body`` as its instructions (the first one on line 14 when ``labels``, else line 10)."""
    head = GOOD.split("\n\n")[0]
    lines = [head, "", f"FROM {base}"]
    if labels:
        lines += ["ARG VERSION=dev", "ARG REVISION", "ARG CREATED", LABELS]
    return "\n".join([*lines, *body]) + "\n"


def builder(*run: str) -> str:
    """GOOD with the build RUN (line 7) replaced by ``run``."""
    lines = GOOD.splitlines()
    return "\n".join([*lines[:6], *run, *lines[7:]]) + "\n"


def lint(text: str, settings: PolicySettings | None = None, *,
         build_args: Mapping[str, str] | None = None) -> list[Finding]:
    return lint_text(text, settings or PolicySettings(), display="Dockerfile", build_args=build_args)


def lines_of(findings: list[Finding], rule: str) -> list[int]:
    return [finding.location.line or 0 for finding in findings if finding.rule == rule]


@dataclass(frozen=True)
class Case:
    """One example for one rule: ``lines`` are the lines it must flag (empty: must not flag)."""

    rule: str
    name: str  # what the example shows, for the test ID
    text: str
    lines: tuple[int, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    build_args: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # written next to the Dockerfile

    @property
    def id(self) -> str:
        return f"{self.rule}-{'fails' if self.lines else 'passes'}-{self.name}"

    def flagged(self, directory: Path) -> list[int]:
        """The lines the rule flags: in ``text`` alone, or, when the case has files, in a
        Dockerfile written into ``directory`` with them."""
        settings = PolicySettings(**self.settings)
        if not self.files:
            return lines_of(lint(self.text, settings, build_args=self.build_args), self.rule)
        path = directory / "Dockerfile"
        path.write_text(self.text)
        for name, content in self.files.items():
            (directory / name).write_text(content)
        return lines_of(lint_dockerfile(path, settings, build_args=self.build_args), self.rule)
