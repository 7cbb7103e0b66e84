"""The image rules that read the files of the image: setuid bits, secrets, version control
metadata, shells, package managers and their caches, a Go toolchain, the entrypoint.

They look at the merged file tree (whiteouts applied), so a file a later layer deleted is not
reported. On Windows, paths compare without case and mode bits mean nothing, so the setuid
rule is skipped there and executables are recognised by name.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from goship.policy.image_checks import Problem, human_size
from goship.policy.image_files import FileEntry, FileTree, normalise
from goship.policy.inspected_image import InspectedImage
from goship.policy.interface import PolicySettings

LINUX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish",
                          "busybox"})
WINDOWS_SHELLS = frozenset({"cmd.exe", "powershell.exe", "pwsh.exe"})
LINUX_PACKAGE_MANAGERS = frozenset({"apk", "apt", "apt-get", "dpkg", "dnf", "yum", "microdnf", "rpm",
                                    "zypper", "tdnf"})
WINDOWS_PACKAGE_MANAGERS = frozenset({"choco.exe", "winget.exe"})
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHOWN = 5  # paths listed in one finding before "and N more"

_SSH_KEY_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk",
                            "id_ed25519_sk", "identity"})
_SSH_HOST_KEY = re.compile(r"^ssh_host_[a-z0-9]+_key$")
_KEY_SUFFIXES = {".key": "a private key file", ".ppk": "a PuTTY private key",
                 ".p12": "a PKCS#12 key store", ".pfx": "a PKCS#12 key store",
                 ".jks": "a Java key store", ".keystore": "a Java key store"}
_CREDENTIAL_FILES = {
    "/.aws/credentials": "AWS credentials", "/.docker/config.json": "Docker registry credentials",
    "/.kube/config": "a Kubernetes config", "/.git-credentials": "git credentials",
    "/.netrc": "a .netrc with passwords", "/_netrc": "a .netrc with passwords",
    "/.pgpass": "PostgreSQL passwords", "/.pypirc": "PyPI credentials", "/.npmrc": "an npm config",
    "/.config/gcloud/application_default_credentials.json": "Google Cloud credentials",
    "/.config/gcloud/credentials.db": "Google Cloud credentials",
    "/.azure/accesstokens.json": "Azure tokens",
}
_EXAMPLE_SUFFIXES = ("example", "sample", "template", "dist", "defaults")
_VCS_DIRS = (".git", ".svn", ".hg")
_CACHES = (
    ("/var/cache/apt/", "apt's package cache"), ("/var/lib/apt/lists/", "apt's package lists"),
    ("/var/cache/apk/", "apk's package cache"), ("/var/cache/yum/", "yum's cache"),
    ("/var/cache/dnf/", "dnf's cache"), ("/var/cache/zypp/", "zypper's cache"),
    ("/root/.cache/", "root's cache directory"), ("/root/go/pkg/mod/", "the Go module cache"),
    ("/go/pkg/mod/", "the Go module cache"),
)
_HOME_CACHE = re.compile(r"^/home/[^/]+/\.cache/")
_GO_COMPILER = re.compile(r"/pkg/tool/[^/]+/compile(?:\.exe)?$")


def _listed(paths: Iterable[str]) -> str:
    items = sorted(paths)
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def secret_file_kind(entry: FileEntry, *, windows: bool) -> str | None:
    """What secret a file looks like it holds, by its PEM blocks, name or place; or None."""
    if not entry.has_content:
        return None
    path = entry.path.lower() if windows else entry.path
    name = posixpath.basename(path)
    if any("PRIVATE KEY" in label for label in entry.pem_labels):
        return "a PEM private key"
    if name in _SSH_KEY_NAMES:
        return "an SSH private key"
    if _SSH_HOST_KEY.match(name):
        return "an SSH host private key"
    for suffix, kind in _KEY_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    for ending, kind in _CREDENTIAL_FILES.items():
        if path.endswith(ending):
            return kind
    if name == ".env" or (name.startswith(".env.") and not name.endswith(_EXAMPLE_SUFFIXES)):
        return "an environment file"
    if "/.ssh/" in path and not name.startswith("known_hosts") and not name.endswith(".pub"):
        return "a file of an .ssh directory"
    return None


def _runs(tree: FileTree, entry: FileEntry) -> bool:
    """Whether a file named like a program could run: on Linux it (or what its symlink points
    at) must have an executable bit; Windows has none, so the name is enough there."""
    if tree.windows:
        return entry.kind != "dir"
    target = tree.resolve(entry.path) if entry.kind == "symlink" else entry
    return target is not None and target.has_content and target.is_executable


def check_tree(image: InspectedImage, settings: PolicySettings, tree: FileTree) -> list[Problem]:
    problems: list[Problem] = []
    shells_found: set[str] = set()
    managers_found: set[str] = set()
    go_found: set[str] = set()
    vcs_roots: Counter[str] = Counter()
    caches: dict[str, list[int]] = defaultdict(list)
    shells = WINDOWS_SHELLS if tree.windows else LINUX_SHELLS
    managers = WINDOWS_PACKAGE_MANAGERS if tree.windows else LINUX_PACKAGE_MANAGERS
    for entry in tree:
        name = entry.name.lower() if tree.windows else entry.name
        path = entry.path.lower() if tree.windows else entry.path
        if not tree.windows and entry.has_content and (entry.is_setuid or entry.is_setgid):
            bits = " and ".join(b for b, on in (("setuid", entry.is_setuid),
                                                ("setgid", entry.is_setgid)) if on)
            problems.append(Problem("GS606", f"{entry.path} is {bits} (mode {entry.mode:04o})",
                                    f"remove the bit in the build: chmod u-s,g-s {entry.path}"))
        kind = secret_file_kind(entry, windows=tree.windows)
        if kind is not None:
            problems.append(Problem("GS608", f"{entry.path} looks like {kind}",
                                    "keep secrets out of the build context (.dockerignore) and "
                                    "mount them at run time"))
        parts = path.split("/")
        for position, part in enumerate(parts):
            if part in _VCS_DIRS:
                vcs_roots["/".join(parts[: position + 1])] += 1
                break
        if name in shells and _runs(tree, entry):
            shells_found.add(entry.path)
        if name in managers and _runs(tree, entry):
            managers_found.add(entry.path)
        if ((name in ("go", "go.exe") and posixpath.basename(posixpath.dirname(path)) == "bin"
             and _runs(tree, entry)) or _GO_COMPILER.search(path)):
            go_found.add(entry.path)
        if entry.has_content:
            _note_cache(path, entry, caches)
    problems.extend(Problem("GS609", f"{root} holds version control metadata ({count} entries)",
                            "add it to .dockerignore, or copy only the built files")
                    for root, count in sorted(vcs_roots.items()))
    if shells_found and not settings.allow_shell:
        problems.append(Problem("GS610", f"has a shell: {_listed(shells_found)}",
                                "build on a base without a shell (goship's static base, distroless, "
                                "nanoserver has cmd.exe), or set allow_shell in [policy]"))
    if managers_found and not settings.allow_package_manager:
        problems.append(Problem("GS611", f"has a package manager: {_listed(managers_found)}",
                                "install packages in a build stage and copy only what runs, or "
                                "set allow_package_manager in [policy]"))
    for label, sizes in sorted(caches.items()):
        problems.append(Problem("GS612", f"{label} holds {len(sizes)} files ({human_size(sum(sizes))})",
                                "clean the cache in the same RUN step (apk add --no-cache; "
                                "apt-get clean && rm -rf /var/lib/apt/lists/*)"))
    if go_found or tree.get("/usr/local/go") is not None:
        evidence = go_found or {"/usr/local/go"}
        problems.append(Problem("GS613", f"holds a Go toolchain: {_listed(evidence)}",
                                "compile in a build stage (or with goship build) and ship only the "
                                "binary"))
    problems.extend(check_entrypoint(image, tree))
    if tree.skipped:
        problems.append(Problem("GS618", f"{len(tree.skipped)} layer(s) could not be read, so the file "
                                f"checks saw only part of the image: {'; '.join(tree.skipped)}"))
    return problems


def _note_cache(path: str, entry: FileEntry, caches: dict[str, list[int]]) -> None:
    if entry.name == "lock":
        return  # apt keeps an empty lock file in its lists even after a clean
    for prefix, label in _CACHES:
        if path.startswith(prefix):
            caches[f"{prefix.rstrip('/')} ({label})"].append(entry.size)
            return
    match = _HOME_CACHE.match(path)
    if match:
        caches[f"{match.group(0).rstrip('/')} (a user's cache directory)"].append(entry.size)


# --------------------------------------------------------------------- the entrypoint (GS614)


def _candidates(image: InspectedImage, program: str) -> list[str]:
    """Where ``program`` (the first word of Entrypoint, else of Cmd) is looked up, in order."""
    windows = image.windows
    separator = ";" if windows else ":"
    text = program.replace("\\", "/") if windows else program
    if windows:
        text = re.sub(r"^[A-Za-z]:", "", text)
    if text.startswith("/"):
        found = [text]
    elif "/" in text:
        found = [posixpath.join(_container_path(image.working_dir, windows) or "/", text)]
    else:
        search = image.env.get("PATH", "" if windows else DEFAULT_PATH)
        directories = [_container_path(item, windows) for item in search.split(separator) if item]
        if windows:
            directories.insert(0, _container_path(image.working_dir, windows) or "/")
        found = [posixpath.join(directory, text) for directory in directories if directory]
    if windows and not posixpath.splitext(text)[1]:
        found = [candidate for path in found for candidate in (path, path + ".exe")]
    return [normalise(path) for path in found]


def _container_path(path: str, windows: bool) -> str:
    if not windows:
        return path
    return re.sub(r"^[A-Za-z]:", "", path.replace("\\", "/"))


def check_entrypoint(image: InspectedImage, tree: FileTree) -> Iterator[Problem]:
    command = image.entrypoint or image.cmd
    if not command or not command[0].strip():
        yield Problem("GS614", "has neither Entrypoint nor Cmd, so it cannot start",
                      "set ENTRYPOINT to the binary (goship build sets /app/NAME)")
        return
    program = command[0]
    for candidate in _candidates(image, program):
        entry = tree.resolve(candidate)
        if entry is None:
            continue
        if entry.kind == "dir":
            yield Problem("GS614", f"its entrypoint {program} is a directory", "point it at the binary")
        elif not tree.windows and not entry.is_executable:
            yield Problem("GS614", f"its entrypoint {program} is not executable (mode {entry.mode:04o})",
                          f"chmod +x {candidate} in the build")
        return
    if tree.complete:
        yield Problem("GS614", f"its entrypoint {program} is not in the image",
                      "copy the binary to that path, or fix ENTRYPOINT")
