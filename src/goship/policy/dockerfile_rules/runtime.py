"""GS3xx: how the final stage runs - user, entrypoint, health, ports, paths, metadata.

Only the final stage and the stages it is built FROM matter here (an earlier stage's USER or
CMD never reaches the image), except for mistakes that are wrong anywhere (relative WORKDIR,
invalid ports, MAINTAINER, a second CMD in one stage).

HEALTHCHECK is not asked of scratch and distroless images: they hold no shell or curl to run
a check, and the orchestrators they are meant for (Kubernetes) ignore HEALTHCHECK and use
their own probes. Every other final stage gets an info finding without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from goship.policy.dockerfile import Instruction, Stage, variables
from goship.policy.dockerfile_rules import images
from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.dockerfile_words import expand, references
from goship.policy.interface import Finding, Severity

_ROOT_USERS = frozenset({"root", "0", "containeradministrator"})
_PORT = re.compile(r"^([0-9]+)(?:-([0-9]+))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)
_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:)?[\\/]")
_LOG_DIRECTORY = re.compile(r"(?i)(?:[a-z]:)?(?:[\\/][\w.-]+)*[\\/]logs?(?=$|[\\/\s\"';&|])")
_DRIVE = re.compile(r"^[a-z]:")
_MAINTAINER_LABELS = ("maintainer", "org.opencontainers.image.authors")

NO_USER = rule(
    "GS301", Severity.ERROR, "final stage sets no USER",
    """Without USER the service runs as root (uid 0) in the container: a bug in it, or in a
    library, gets root on the container's filesystem and a wider path out of it. Add a numeric
    non-root USER to the final stage, e.g. `USER 65532:65532` (distroless `nonroot`).""",
)
ROOT_USER = rule(
    "GS302", Severity.ERROR, "final stage runs as root",
    """The last USER of the final stage is root (or 0, or ContainerAdministrator on Windows),
    so the service runs with full privileges. Switch back to a non-root user at the end:
    `USER 65532:65532` (Linux) or `USER ContainerUser` (Windows).""",
    ("DL3002",),
)
NAMED_USER = rule(
    "GS303", Severity.WARNING, "USER is a name, not a numeric ID",
    """Kubernetes can enforce runAsNonRoot only for a numeric user: with `USER app` it cannot
    tell that app is not root and refuses to start the pod (and scratch has no /etc/passwd to
    look the name up). Write the IDs: `USER 10001:10001`.""",
    ("DL3066",),
)
NO_COMMAND = rule(
    "GS304", Severity.WARNING, "final stage has no ENTRYPOINT or CMD",
    """A runtime base such as scratch, distroless or alpine brings no command for the service
    (alpine starts a shell), so the image does nothing useful when started without arguments.
    Add `ENTRYPOINT ["/app"]` to the final stage.""",
)
SHELL_FORM = rule(
    "GS305", Severity.WARNING, "CMD or ENTRYPOINT in shell form",
    """Shell form (`CMD /app --port 80`) runs the service under `/bin/sh -c`: the shell is PID 1,
    SIGTERM never reaches the service, so it is killed without a graceful shutdown, and the
    image needs a shell at all. Use exec (JSON) form: `ENTRYPOINT ["/app", "--port", "80"]`.""",
    ("DL3025",),
)
REPEATED_COMMAND = rule(
    "GS306", Severity.WARNING, "more than one CMD or ENTRYPOINT in a stage",
    """Only the last CMD and the last ENTRYPOINT of a stage take effect; the earlier ones are
    dead code that misleads readers. Keep one of each.""",
    ("DL4003", "DL4004"),
)
NO_HEALTHCHECK = rule(
    "GS307", Severity.INFO, "final stage has no HEALTHCHECK",
    """Docker and Compose restart or route around an unhealthy container only when the image
    says how to check it. Add `HEALTHCHECK CMD ["/app", "healthcheck"]` (a subcommand of the
    service itself, no curl needed), or `HEALTHCHECK NONE` to say it is left to the
    orchestrator. Not asked of scratch and distroless images, which Kubernetes probes.""",
    ("DL3057",),
)
SSH_PORT = rule(
    "GS308", Severity.ERROR, "EXPOSE 22",
    """Exposing port 22 means the image runs an SSH server: one more service to patch and a
    way in that bypasses the orchestrator's access control. Use `kubectl exec` or `docker exec`
    for debugging and remove the SSH server and EXPOSE 22.""",
)
BAD_PORT = rule(
    "GS309", Severity.ERROR, "EXPOSE names an invalid port",
    """A port is a number from 1 to 65535, optionally a range and /tcp, /udp or /sctp
    (`EXPOSE 8080/tcp`). Docker refuses anything else when it builds or runs the image.""",
    ("DL3011",),
)
RELATIVE_WORKDIR = rule(
    "GS310", Severity.WARNING, "WORKDIR is a relative path",
    """A relative WORKDIR is resolved against the previous WORKDIR (or the base image's),
    which a base update can change. Use an absolute path: `WORKDIR /app`, or `WORKDIR C:\\app`
    on Windows.""",
    ("DL3000",),
)
MAINTAINER = rule(
    "GS311", Severity.WARNING, "MAINTAINER is deprecated",
    """MAINTAINER is deprecated and not visible as a label. Write `LABEL
    maintainer="team@example.com"` (or org.opencontainers.image.authors).""",
    ("DL4000",),
)
REQUIRED_LABELS = rule(
    "GS312", Severity.WARNING, "required label missing",
    """The image standard asks every image to carry build metadata labels (policy
    `required_labels`; by default org.opencontainers.image.created, version, source and
    revision) so that a running image can be traced to its source. Set them in the final
    stage from build arguments: `ARG VERSION` then `LABEL
    org.opencontainers.image.version=$VERSION`. An ARG used in a LABEL must be declared in the
    same stage, or the label is empty.""",
)
MAINTAINER_LABEL = rule(
    "GS313", Severity.WARNING, "no maintainer label",
    """The company image standard asks every image to name who maintains it, so that an
    image found running anywhere leads to a team. Add `LABEL maintainer="team@example.com"`
    (or org.opencontainers.image.authors) to the final stage.""",
)
LOG_VOLUME = rule(
    "GS314", Severity.WARNING, "log directory is not a volume",
    """On Windows the image standard keeps logs in C:\\app\\logs, mounted as a volume, so that
    they outlive the container and do not grow its writable layer. The final stage uses a log
    directory without declaring it: add `VOLUME C:\\app\\logs`, or log to stdout.""",
)


def _last_user(context: LintContext) -> tuple[Stage, Instruction] | None:
    found = None
    for stage in context.final_lineage:
        for instruction in stage.having("USER"):
            found = (stage, instruction)
    return found


def _user_name(context: LintContext, stage: Stage, instruction: Instruction) -> str:
    values = context.dockerfile.values_at(stage, instruction.start_line)
    text = expand(instruction.arguments[0] if instruction.arguments else "", values).text
    return text.partition(":")[0]


def check_no_user(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None or _last_user(context) is not None:
        return
    image = context.image(final)
    if image is not None and ("nonroot" in image.tag or "nonroot" in image.repository
                              or (images.is_windows(image) and "nanoserver" in image.repository)):
        return  # the base already runs as a non-root user
    yield context.finding(NO_USER, final.line,
                          "the final stage sets no USER, so the service runs as root",
                          "add USER 65532:65532 (a numeric non-root user)")


def check_root_user(context: LintContext) -> Iterator[Finding]:
    last = _last_user(context)
    if last is not None and _user_name(context, *last).lower() in _ROOT_USERS:
        yield context.finding(ROOT_USER, last[1].start_line,
                              f"the final stage ends with USER {last[1].text}, so the service runs "
                              "as root", "end with USER 65532:65532")


def check_named_user(context: LintContext) -> Iterator[Finding]:
    last = _last_user(context)
    final = context.dockerfile.final_stage
    if last is None or final is None or context.is_windows(final):
        return  # Windows users are names (ContainerUser)
    name = _user_name(context, *last)
    if name and not name.isdigit() and name.lower() not in _ROOT_USERS and "$" not in name:
        yield context.finding(NAMED_USER, last[1].start_line,
                              f"USER {last[1].text} names the user instead of giving its numeric ID",
                              "write USER <uid>:<gid>, e.g. USER 10001:10001")


def check_no_command(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None or any(stage.having("CMD", "ENTRYPOINT") for stage in context.final_lineage):
        return
    root = context.dockerfile.root(final)
    image = context.image(final)
    runtime = root.is_scratch or (image is not None
                                  and images.matches(image, context.settings.allowed_bases))
    if runtime:
        yield context.finding(NO_COMMAND, final.line,
                              "the final stage sets neither ENTRYPOINT nor CMD",
                              'add ENTRYPOINT ["/path/to/binary"]')


def check_shell_form(context: LintContext) -> Iterator[Finding]:
    for stage in context.final_lineage:
        for instruction in stage.having("CMD", "ENTRYPOINT"):
            # Broken JSON form ("CMD ["a",") is shell form too, but GS001 already says why.
            if not instruction.exec_form and instruction.arguments \
                    and not instruction.text.startswith("["):
                yield context.finding(SHELL_FORM, instruction.start_line,
                                      f"{instruction.keyword} is in shell form, so a shell is PID 1 "
                                      "and signals do not reach the service",
                                      f'{instruction.keyword} ["{instruction.text.split()[0]}", ...]')


def check_repeated_command(context: LintContext) -> Iterator[Finding]:
    for stage in context.dockerfile.stages:
        for keyword in ("CMD", "ENTRYPOINT"):
            found = stage.having(keyword)
            for instruction in found[1:]:
                yield context.finding(REPEATED_COMMAND, instruction.start_line,
                                      f"{stage.label()} has {len(found)} {keyword} instructions; "
                                      f"only the last one takes effect (first on line "
                                      f"{found[0].start_line})")


def check_healthcheck(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None or any(stage.having("HEALTHCHECK") for stage in context.final_lineage):
        return
    image = context.image(final)
    if context.dockerfile.root(final).is_scratch or (image and "distroless" in image.repository):
        return
    yield context.finding(NO_HEALTHCHECK, final.line, "the final stage has no HEALTHCHECK",
                          'HEALTHCHECK CMD ["/app", "healthcheck"] or HEALTHCHECK NONE')


def _ports(context: LintContext) -> Iterator[tuple[Stage, Instruction, str, re.Match[str] | None]]:
    """Every resolved EXPOSE word, with its parts when it is a valid port (range)."""
    for stage in context.dockerfile.stages:
        for instruction in stage.having("EXPOSE"):
            values = context.dockerfile.values_at(stage, instruction.start_line)
            for word in instruction.arguments:
                expansion = expand(word, values)
                if expansion.resolved:
                    match = _PORT.match(expansion.text)
                    valid = match and all(1 <= int(part) <= 65535
                                          for part in match.groups()[:2] if part is not None)
                    yield stage, instruction, word, match if valid else None


def check_bad_port(context: LintContext) -> Iterator[Finding]:
    for _, instruction, word, match in _ports(context):
        if match is None:
            yield context.finding(BAD_PORT, instruction.start_line,
                                  f"EXPOSE {word}: not a port (1-65535[/tcp|udp|sctp])")


def check_ssh_port(context: LintContext) -> Iterator[Finding]:
    final = context.final_lineage
    for stage, instruction, word, match in _ports(context):
        if match is not None and stage in final \
                and int(match.group(1)) <= 22 <= int(match.group(2) or match.group(1)):
            yield context.finding(SSH_PORT, instruction.start_line,
                                  f"EXPOSE {word} exposes SSH (port 22)",
                                  "remove the SSH server and EXPOSE 22")


def check_workdir(context: LintContext) -> Iterator[Finding]:
    for stage in context.dockerfile.stages:
        for instruction in stage.having("WORKDIR"):
            path = instruction.text
            if "$" in path:
                expansion = expand(path, context.dockerfile.values_at(stage, instruction.start_line))
                if not expansion.resolved:
                    continue
                path = expansion.text
            if path and not _WINDOWS_ABSOLUTE.match(path.strip("\"'")):
                yield context.finding(RELATIVE_WORKDIR, instruction.start_line,
                                      f"WORKDIR {instruction.text} is relative",
                                      "use an absolute path, e.g. WORKDIR /app")


def check_maintainer(context: LintContext) -> Iterator[Finding]:
    for instruction in context.dockerfile.instructions:
        if instruction.keyword == "MAINTAINER":
            yield context.finding(MAINTAINER, instruction.start_line,
                                  "MAINTAINER is deprecated",
                                  f'LABEL maintainer="{instruction.text}"')


def _labels(context: LintContext) -> dict[str, tuple[Stage, Instruction, str]]:
    found: dict[str, tuple[Stage, Instruction, str]] = {}
    for stage in context.final_lineage:
        for instruction in stage.having("LABEL"):
            for variable in variables(instruction, context.dockerfile.escape):
                found[variable.name] = (stage, instruction, variable.value or "")
    return found


def check_required_labels(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None:
        return
    labels = _labels(context)
    missing = [name for name in context.settings.required_labels if name not in labels]
    if missing:
        yield context.finding(REQUIRED_LABELS, final.line,
                              f"the final stage does not set {', '.join(missing)}",
                              f"ARG and LABEL {missing[0]}=$...")
    for name in context.settings.required_labels:
        if name not in labels:
            continue
        stage, instruction, value = labels[name]
        values = context.dockerfile.values_at(stage, instruction.start_line)
        declared = set(values) | {variable.name for earlier in stage.having("ARG")
                                  if earlier.start_line < instruction.start_line
                                  for variable in variables(earlier)}
        undeclared = [ref for ref in references(value) if ref not in declared]
        if not value.strip():
            yield context.finding(REQUIRED_LABELS, instruction.start_line, f"label {name} is empty")
        elif undeclared and not expand(value, values).text.strip():
            yield context.finding(REQUIRED_LABELS, instruction.start_line,
                                  f"label {name} uses ${undeclared[0]}, which has no value in "
                                  f"{stage.label()}, so the label is empty",
                                  f"declare ARG {undeclared[0]} in this stage (after its FROM)")


def check_maintainer_label(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None or any(name in context.settings.required_labels for name in _MAINTAINER_LABELS):
        return  # GS312 asks for it already
    labels = _labels(context)
    if not any(labels.get(name, (None, None, ""))[2].strip() for name in _MAINTAINER_LABELS):
        yield context.finding(MAINTAINER_LABEL, final.line,
                              "the final stage names no maintainer",
                              'LABEL maintainer="team@example.com"')


def check_log_volume(context: LintContext) -> Iterator[Finding]:
    final = context.dockerfile.final_stage
    if final is None or not context.is_windows(final):
        return
    volumes = {_normalised(path) for stage in context.final_lineage
               for instruction in stage.having("VOLUME") for path in instruction.arguments}
    for stage in context.final_lineage:
        for instruction in stage.having("WORKDIR", "ENV", "RUN", "COPY", "ADD"):
            for match in _LOG_DIRECTORY.finditer(instruction.original):
                path = _normalised(match.group(0))
                if path not in volumes:
                    yield context.finding(LOG_VOLUME, instruction.start_line,
                                          f"{instruction.keyword} uses the log directory "
                                          f"{match.group(0)}, which is not declared as a VOLUME",
                                          f"VOLUME {match.group(0)}")
                    return


def _normalised(path: str) -> str:
    path = path.strip("\"'").replace("/", "\\").rstrip("\\").lower()
    return path if _DRIVE.match(path) else "c:" + path


CHECKS = (
    Check(NO_USER, check_no_user, needs_complete=True),
    Check(ROOT_USER, check_root_user),
    Check(NAMED_USER, check_named_user),
    Check(NO_COMMAND, check_no_command, needs_complete=True),
    Check(SHELL_FORM, check_shell_form),
    Check(REPEATED_COMMAND, check_repeated_command),
    Check(NO_HEALTHCHECK, check_healthcheck, needs_complete=True),
    Check(SSH_PORT, check_ssh_port),
    Check(BAD_PORT, check_bad_port),
    Check(RELATIVE_WORKDIR, check_workdir),
    Check(MAINTAINER, check_maintainer),
    Check(REQUIRED_LABELS, check_required_labels, needs_complete=True),
    Check(MAINTAINER_LABEL, check_maintainer_label, needs_complete=True),
    Check(LOG_VOLUME, check_log_volume),
)
