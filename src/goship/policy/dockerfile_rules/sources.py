"""GS503-GS505, GS507: what goes into the build - ADD, scripts from the network, and the
build context that COPY sends.

The .dockerignore check reads the file BuildKit would use: ``<Dockerfile>.dockerignore`` next
to the Dockerfile first, then ``.dockerignore`` at the root of the build context. Its patterns
are matched by hand (Go's filepath.Match plus ``**`` and ``!``) because fnmatch lets ``*``
cross ``/`` and knows no exceptions; only whether ``.git`` is excluded is asked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from goship.policy.dockerfile import Instruction
from goship.policy.dockerfile_rules.context import Check, LintContext, rule
from goship.policy.dockerfile_rules.shell import SHELLS
from goship.policy.interface import Finding, Severity

_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz",
             ".tar.zst", ".tzst", ".tar.lz", ".tar.lzma")
_REMOTE = re.compile(r"^(?:https?|ftp)://|^git@", re.IGNORECASE)
_GIT_COMMIT = re.compile(r"#[0-9a-f]{40}(?::|$)")
_DOWNLOADERS = frozenset({"curl", "wget", "fetch"})
_INTERPRETERS = SHELLS | {"python", "python3", "perl", "ruby", "node", "php", "pwsh", "iex"}
_FETCH_AND_RUN = re.compile(
    r"(?:\b(?:ba|z|da|a)?sh\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"  # sh -c "$(curl ...)"
    r"|<\(\s*(?:curl|wget)\b"  # bash <(curl ...)
    r"|\b(?:iwr|Invoke-WebRequest|irm|Invoke-RestMethod)\b[^|;\n]*\|\s*(?:iex|Invoke-Expression)\b)",
    re.IGNORECASE,
)

ADD_REMOTE = rule(
    "GS503", Severity.ERROR, "ADD downloads without a checksum",
    """`ADD https://...` trusts whatever the server sends that day: a changed or compromised
    file goes into the image unnoticed. Pin it with `ADD --checksum=sha256:<hash> <url>
    <dest>` (for a git repository, name the commit: `ADD <repo>.git#<40-hex commit>`), or
    download in RUN and verify with sha256sum.""",
)
ADD_LOCAL = rule(
    "GS504", Severity.WARNING, "ADD of a local file that is not a tar archive",
    """ADD has magic COPY lacks: it unpacks tar archives and downloads URLs, so a reader cannot
    tell what `ADD app.conf /etc/` will do. For plain files and directories (zip files
    included: ADD does not unpack them) use COPY.""",
    ("DL3020",),
)
FETCH_AND_RUN = rule(
    "GS505", Severity.WARNING, "script from the network piped into a shell",
    """`curl ... | sh` runs whatever the server returns, unverified and different from one
    build to the next. Download to a file, check its sha256 against a pinned value, then run
    it; better, install a pinned package or copy a pinned release.""",
)
DOCKERIGNORE = rule(
    "GS507", Severity.WARNING, "build context not filtered by .dockerignore",
    """COPY and ADD read from the build context, which is sent in full: without a
    .dockerignore that excludes .git (and local secrets, build output), the history of the
    repository and anything lying around can end up in a layer, and every change busts the
    cache. Add .dockerignore next to the Dockerfile (or at the context root) with at least
    `.git`.""",
)


def _sources(instruction: Instruction) -> tuple[str, ...]:
    if instruction.heredocs:
        return ()
    return instruction.arguments[:-1]


def check_add_remote(context: LintContext) -> Iterator[Finding]:
    for instruction in context.dockerfile.instructions:
        if instruction.keyword != "ADD" or instruction.flag("checksum"):
            continue
        for source in _sources(instruction):
            if not _REMOTE.match(source):
                continue
            git = source.startswith("git@") or ".git" in source.split("#")[0][-5:]
            if git and _GIT_COMMIT.search(source):
                continue
            what = "a git repository without naming a commit" if git else source
            yield context.finding(ADD_REMOTE, instruction.start_line,
                                  f"ADD downloads {what} without --checksum",
                                  "add --checksum=sha256:<hash>" if not git else "append #<commit>")
            break


def check_add_local(context: LintContext) -> Iterator[Finding]:
    for instruction in context.dockerfile.instructions:
        if instruction.keyword != "ADD":
            continue
        local = [source for source in _sources(instruction)
                 if not _REMOTE.match(source) and not source.startswith("$")]
        plain = [source for source in local if not source.lower().endswith(_ARCHIVES)]
        if plain:
            yield context.finding(ADD_LOCAL, instruction.start_line,
                                  f"ADD {plain[0]}: not a tar archive, so ADD only copies it",
                                  "use COPY")


def check_fetch_and_run(context: LintContext) -> Iterator[Finding]:
    for _, instruction, commands in context.runs(context.dockerfile.stages):
        downloading = False
        found = False
        for command in commands:
            program = command.effective().program.lower()
            if command.piped and downloading and program in _INTERPRETERS:
                found = True
                break
            downloading = program in _DOWNLOADERS or (command.piped and downloading)
        if found or _FETCH_AND_RUN.search(instruction.original):
            yield context.finding(FETCH_AND_RUN, instruction.start_line,
                                  "RUN pipes a download straight into an interpreter",
                                  "download, verify the sha256, then run")


def check_dockerignore(context: LintContext) -> Iterator[Finding]:
    if context.dockerfile_path is None and context.context_dir is None:
        return  # text without a place on disk: nothing to look at
    if not _copies_from_context(context):
        return
    candidates = []
    if context.dockerfile_path is not None:
        candidates.append(context.dockerfile_path.with_name(context.dockerfile_path.name
                                                            + ".dockerignore"))
    directory = context.context_dir or (context.dockerfile_path.parent
                                        if context.dockerfile_path else None)
    if directory is not None:
        candidates.append(directory / ".dockerignore")
    for candidate in candidates:
        try:
            text = candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not excludes(text, ".git"):
            yield context.finding(DOCKERIGNORE, 1, f"{candidate.name} does not exclude .git",
                                  "add a line '.git'")
        return
    dockerfile_path = context.dockerfile_path
    if dockerfile_path is not None and directory is not None and dockerfile_path.parent != directory \
            and (dockerfile_path.parent / ".dockerignore").is_file():
        yield context.finding(DOCKERIGNORE, 1,
                              f"{dockerfile_path.parent / '.dockerignore'} is not used: Docker reads "
                              f".dockerignore from the root of the build context, {directory}",
                              f"move it there, or name it {dockerfile_path.name}.dockerignore")
        return
    yield context.finding(DOCKERIGNORE, 1,
                          f"no .dockerignore in {directory}: COPY sends the whole context, .git included",
                          "create .dockerignore with at least '.git'")


def _copies_from_context(context: LintContext) -> bool:
    return any(instruction.keyword in ("COPY", "ADD") and instruction.flag("from") is None
               and any(not _REMOTE.match(source) for source in _sources(instruction))
               for instruction in context.dockerfile.instructions)


def excludes(dockerignore: str, path: str) -> bool:
    """Whether ``path`` (relative to the context root) is excluded; the last match wins."""
    excluded = False
    for raw in dockerignore.splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip().lstrip("/").rstrip("/")
        if pattern and _pattern(pattern).match(path):
            excluded = not negated
    return excluded


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex: ``*`` and ``?`` stay within one path element, ``**``
    crosses any number; a match on a directory excludes what is inside it."""
    parts = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        parts.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(parts) + "(?:/.*)?$")


CHECKS = (
    Check(ADD_REMOTE, check_add_remote),
    Check(ADD_LOCAL, check_add_local),
    Check(FETCH_AND_RUN, check_fetch_and_run),
    Check(DOCKERIGNORE, check_dockerignore),
)
