"""The image standard checked on BUILT images (``goship lint --image``, and ``goship build``
on its own images before it publishes them): rules GS601 to GS618.

``lint_image`` opens a source (``oci:DIR``, ``tarball:FILE`` or a registry reference; see
``image_source``) and checks each of its platform images; ``check_image`` checks one
``InspectedImage``. The checks live in ``image_checks`` (config and manifest) and
``image_file_checks`` (the files of the layers, read as streams only when a file rule is on).
"""

from __future__ import annotations

from collections.abc import Callable

from goship.policy.image_checks import Problem, config_problems
from goship.policy.image_file_checks import check_tree
from goship.policy.image_source import RegistryAccess, open_source
from goship.policy.inspected_image import InspectedImage
from goship.policy.interface import Finding, Location, PolicySettings, RuleInfo, Severity, apply
from goship.progress import Reporter, SilentReporter

__all__ = ["RULES", "InspectedImage", "RegistryAccess", "check_image", "lint_image"]

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _rule(rule_id: str, severity: Severity, title: str, explanation: str,
          dockle: tuple[str, ...] = ()) -> RuleInfo:
    return RuleInfo(rule_id, severity, title, explanation, "image", dockle=dockle)


RULES: tuple[RuleInfo, ...] = (
    _rule("GS601", ERROR, "The image runs as root",
          "A process running as root (uid 0, an empty User, or ContainerAdministrator on Windows) "
          "turns any flaw in the service into control of the container and a step towards the "
          "host. Set a non-root user: goship build sets 65532:65532 on Linux and ContainerUser "
          "on Windows; in a Dockerfile write USER 65532:65532 in the final stage.",
          ("CIS-DI-0001",)),
    _rule("GS602", ERROR, "A required OCI label is missing",
          "The standard requires the labels named by required_labels in [policy] (by default "
          "org.opencontainers.image.created, version, source and revision) so that every running "
          "image can be traced to its commit and build. A manifest annotation of the same name "
          "counts. goship build writes them from git; other builders need LABEL lines or "
          "--label flags."),
    _rule("GS603", ERROR, "An OCI label has a malformed value",
          "Tools read the standard labels by their format: created is an RFC 3339 time, revision "
          "a full commit id (40 or 64 hex digits), version a semantic version (a leading v is "
          "allowed), source, url and documentation URLs with a host, licenses an SPDX license "
          "expression such as Apache-2.0 OR MIT. Fix the value where the build sets it."),
    _rule("GS604", WARNING, "The tag does not match the version label",
          "An image pushed as v1.2.3 whose org.opencontainers.image.version says 1.2.2 was built "
          "from another commit than the tag names. Version-like tags must equal the version "
          "(modulo a leading v), be a moving prefix of it (1.2 for 1.2.3), or decorate it with an "
          "environment or a commit (1.2.3-prod-abc123d, but not a prerelease such as 1.2.3-rc.1). "
          "Build from the "
          "tagged commit, or publish under the version the image carries."),
    _rule("GS605", WARNING, "The image is tagged latest",
          "The latest tag moves with every push, so what runs cannot be told from what is "
          "deployed and a rollback has nothing to go back to. Publish version tags (v1.2.3) and "
          "deploy by tag or digest.",
          ("DKL-DI-0006",)),
    _rule("GS606", ERROR, "A file is setuid or setgid",
          "A setuid or setgid executable runs with its owner's or group's rights whoever starts "
          "it, the usual way from a compromised service to root. A Go service needs none: remove "
          "the bits (chmod u-s,g-s) or the files in the build, or use a base without them.",
          ("CIS-DI-0008",)),
    _rule("GS607", ERROR, "A secret is in the environment",
          "Environment variables set in the image (ENV) are readable by anyone who can pull it: "
          "a variable whose name says password, secret, token or key and that has a value, or a "
          "value that looks like a private key, a cloud or API token or a URL with a password. "
          "Pass secrets at run time from a mounted file or the orchestrator's secrets; a "
          "variable naming the file (DB_PASSWORD_FILE) is fine.",
          ("CIS-DI-0010",)),
    _rule("GS608", ERROR, "A secret file is in the image",
          "Private keys (found by name and by their PEM header), .env files, SSH directories and "
          "credential files (.aws/credentials, .docker/config.json, .netrc, .git-credentials, "
          "...) in a layer stay readable by anyone who pulls the image, even if a later layer "
          "deletes them. Keep them out of the build context (.dockerignore) and mount them at "
          "run time.",
          ("CIS-DI-0010",)),
    _rule("GS609", WARNING, "Version control metadata is in the image",
          "A .git (or .svn, .hg) directory carries the whole history of the source, often "
          "with secrets that were once committed, and makes the image bigger. Exclude it from "
          "the build context or copy only the built files.",
          ("DKL-LI-0003",)),
    _rule("GS610", WARNING, "The image has a shell",
          "A shell (sh, bash, ash, busybox; cmd.exe or powershell.exe on Windows) is what an "
          "attacker uses first inside a compromised container, and a Go service does not need "
          "one. Build on a base without a shell (goship's static base, distroless), or set "
          "allow_shell = true in [policy] if the image really needs one."),
    _rule("GS611", WARNING, "The image has a package manager",
          "A package manager (apk, apt, dpkg, dnf, yum, microdnf, rpm) in the final image lets "
          "anyone inside install tools and means the image was not built in stages. Install "
          "packages in a build stage and copy what runs, or set allow_package_manager = true "
          "in [policy]."),
    _rule("GS612", WARNING, "Package manager caches are left in the image",
          "Package indexes and downloaded packages (/var/lib/apt/lists, /var/cache/apt, "
          "/var/cache/apk, yum and dnf caches, ~/.cache, the Go module cache) make the image "
          "bigger and serve no purpose at run time. Clean them in the same RUN step that "
          "fills them (apk add --no-cache; apt-get clean && rm -rf /var/lib/apt/lists/*).",
          ("DKL-DI-0004", "DKL-DI-0005", "DKL-LI-0003")),
    _rule("GS613", ERROR, "A Go toolchain is in the final image",
          "A go binary or a GOROOT (/usr/local/go) in the final image means the service was "
          "built in the image it ships in: hundreds of megabytes, a compiler for an attacker, "
          "and vulnerabilities to patch that the service does not use. Compile in a build stage "
          "(or with goship build) and copy only the binary."),
    _rule("GS614", ERROR, "The entrypoint is not in the image",
          "The first word of Entrypoint (or of Cmd when there is no Entrypoint) must be an "
          "executable file of the image, looked up like the runtime does (WorkingDir, PATH); "
          "otherwise every container fails at start. Copy the binary to that path or fix "
          "ENTRYPOINT."),
    _rule("GS615", ERROR, "A required platform is missing",
          "The platforms listed in required_platforms in [policy] (linux/amd64, linux/arm64, "
          "windows/amd64, ...) must each have an image in the index, or nodes of that kind "
          "cannot run the service. Build for all of them: --platform linux/amd64,linux/arm64."),
    _rule("GS616", ERROR, "The image is over its size budget",
          "The compressed layers of each platform image must fit in size_budget bytes (set in "
          "[policy]): pull time and the attack surface grow with the size. Use a smaller base, "
          "build with -trimpath and -ldflags=-s -w, and leave out what does not run."),
    _rule("GS617", INFO, "The image has no health check",
          "Without HEALTHCHECK a runtime that reads it (Docker, Podman) cannot tell a hung "
          "service from a healthy one. On Kubernetes, liveness and readiness probes do this job "
          "and HEALTHCHECK is ignored, so this is information only.",
          ("CIS-DI-0006",)),
    _rule("GS618", INFO, "Part of the image could not be checked",
          "Some layers could not be read: foreign Windows base layers live at their vendor's "
          "URLs and are not fetched, and zstd-compressed layers need a decompressor goship does "
          "not ship. The file rules saw only the other layers."),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
# The rules that need the files of the layers: when all are disabled no layer is read.
FILE_RULES = frozenset({"GS606", "GS608", "GS609", "GS610", "GS611", "GS612", "GS613", "GS614",
                        "GS618"})


def check_image(image: InspectedImage, settings: PolicySettings) -> list[Finding]:
    """The findings of one platform image, with the settings applied. Reads the image's layers
    (once, streamed) unless every file rule is disabled."""
    problems = config_problems(image, settings)
    if any(settings.enabled(rule) for rule in FILE_RULES):
        problems.extend(check_tree(image, settings, image.files()))
    return apply((_finding(image, problem) for problem in problems), settings)


def _finding(image: InspectedImage, problem: Problem) -> Finding:
    rule = RULES_BY_ID[problem.rule]
    message = problem.message if problem.whole_source else f"{image.title}: {problem.message}"
    if problem.whole_source and image.name:
        message = f"{image.name}: {message}"
    return Finding(rule.id, rule.severity, message, Location(image.source), problem.fix)


def lint_image(
    source: str,
    settings: PolicySettings,
    *,
    access: RegistryAccess | None = None,
    reporter: Reporter | None = None,
) -> list[Finding]:
    """Open ``source`` (``oci:DIR[:NAME|@DIGEST]``, ``tarball:FILE[:TAG]`` or a registry
    reference), check every platform image in it and return the findings, each once, with
    the settings applied. Raises UsageError, ImageError or RegistryError (with a hint) when
    the source cannot be read as an image."""
    reporter = reporter or SilentReporter()
    findings: list[Finding] = []
    reads_files = any(settings.enabled(rule) for rule in FILE_RULES)
    with open_source(source, access=access) as images:
        reporter.debug(f"{source}: {len(images)} platform image(s)")
        for image in images:
            if reads_files:
                reporter.step(f"reading the files of {source} ({image.title})")
                image.files(on_layer=_layer_progress(reporter, f"layers of {image.title}"))
            findings.extend(check_image(image, settings))
    return apply(dict.fromkeys(findings), settings)


def _layer_progress(reporter: Reporter, task: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        reporter.count(task, done, total)

    return report
