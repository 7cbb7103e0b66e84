"""Go's major-version rule for module paths, checked before a release is tagged.

From v2 on, a Go module's path must end in the major version: ``example.com/app/v2`` for
2.x.y, ``gopkg.in/yaml.v3`` for gopkg.in paths (which always carry ``.vN``, even for v0 and
v1). A tag v2.0.0 on a module whose go.mod says ``module example.com/app`` is one the go
command refuses to use, so goship refuses to release it, and says what to change.

The checks follow golang.org/x/mod/module (SplitPathVersion, CheckPathMajor); they are a few
lines, and no Python library implements them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from semver import Version

from goship.errors import ReleaseError

_MODULE_LINE = re.compile(r'^\s*module\s+(?:"(?P<quoted>[^"]+)"|(?P<bare>[^\s/]\S*))\s*(?://.*)?$')
_SKIPPED_DIRS = frozenset({"vendor", "testdata", ".git", "node_modules"})
_SHOWN_FILES = 5


@dataclass(frozen=True)
class ModulePath:
    """A module path split as the go command splits it."""

    path: str  # example.com/app/v2
    prefix: str  # example.com/app
    major_suffix: str  # "/v2", ".v3" (gopkg.in), or ""

    @property
    def major(self) -> int | None:
        """The major version the path names; None when it names none (fine for v0 and v1)."""
        digits = self.major_suffix[2:].removesuffix("-unstable")
        return int(digits) if digits else None

    def with_major(self, major: int) -> str:
        """This path as it must read for ``major``."""
        if self.path.startswith("gopkg.in/"):
            return f"{self.prefix}.v{major}"
        return self.prefix if major < 2 else f"{self.prefix}/v{major}"


def split_module_path(path: str) -> ModulePath | None:
    """``path`` split into prefix and major suffix; None for a path the go command rejects
    (``/v1``, ``/v0``, ``/v02``, a gopkg.in path without ``.vN``)."""
    if path.startswith("gopkg.in/"):
        match = re.fullmatch(r"(?P<prefix>.+)(?P<major>\.v(?:0|[1-9]\d*))(?P<unstable>-unstable)?", path)
        if not match or "/" not in match.group("prefix"):
            return None
        return ModulePath(path, match.group("prefix"), match.group("major") + (match.group("unstable") or ""))
    match = re.fullmatch(r"(?P<prefix>.+)/v(?P<digits>[0-9.]+)", path)
    if not match:
        return ModulePath(path, path, "")
    digits = match.group("digits")
    if "." in digits or digits.startswith("0") or digits == "1":
        return None
    return ModulePath(path, match.group("prefix"), f"/v{digits}")


def read_module_path(go_mod: Path) -> tuple[str, int]:
    """The module path go.mod declares, and its line number."""
    try:
        text = go_mod.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise ReleaseError(f"checking the module path: {go_mod} does not exist",
                           "run in the Go module's root directory (where go.mod is), or pass -C DIR"
                           ) from None
    except OSError as error:
        raise ReleaseError(f"checking the module path: cannot read {go_mod}: {error.strerror}",
                           "check the file's permissions") from None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MODULE_LINE.match(line)
        if match:
            return match.group("quoted") or match.group("bare"), number
    raise ReleaseError(f"checking the module path: {go_mod} has no module line",
                       "the first line of go.mod should read like `module example.com/app`")


def check_major_path(module_dir: Path, version: Version) -> None:
    """Raise ReleaseError unless go.mod's module path fits ``version``'s major version."""
    go_mod = module_dir / "go.mod"
    path, line = read_module_path(go_mod)
    where = f"{go_mod}:{line}"
    split = split_module_path(path)
    if split is None:
        hint = ("gopkg.in paths end in .vN (gopkg.in/user/name.v1)" if path.startswith("gopkg.in/")
                else "a major suffix starts at /v2; remove /v0 or /v1, and leading zeros (/v02)")
        raise ReleaseError(f"releasing {version}: {where} declares module {path}, which the go "
                           "command does not accept", hint)
    major = version.major
    # gopkg.in paths always name their major (.v0 is for v0 only, .v1 for v1 only); other
    # paths name it from v2 on and must not below.
    named = path.startswith("gopkg.in/") or major >= 2
    if (split.major == major) if named else (split.major is None):
        return
    wanted = split.with_major(major)
    raise ReleaseError(_mismatch(path, version, where), _fix(module_dir, path, wanted))


def _mismatch(path: str, version: Version, where: str) -> str:
    major = version.major
    if path.startswith("gopkg.in/"):
        rule = f"gopkg.in module paths end in .v{major} for v{major}"
    elif major >= 2:
        rule = f"from v2 on, the module path must end in /v{major} for version {version}"
    else:
        rule = f"a /vN suffix is for v2 and later, and {version} is v{major}"
    return f"releasing {version}: {where} declares module {path}, but {rule}"


def _fix(module_dir: Path, old: str, new: str) -> str:
    """The steps that make go.mod and the module's own imports fit, with the files to edit."""
    importing = _files_importing(module_dir, old)
    steps = (f"change the module line of go.mod to `module {new}` (go mod edit -module {new}), "
             f"then change the imports of the module's own packages from \"{old}/...\" to "
             f"\"{new}/...\"")
    if importing:
        shown = ", ".join(importing[:_SHOWN_FILES])
        more = f" and {len(importing) - _SHOWN_FILES} more" if len(importing) > _SHOWN_FILES else ""
        steps += f" in {len(importing)} file{'s' if len(importing) != 1 else ''}: {shown}{more}"
    return steps + "; or release a version whose major fits the path"


def _files_importing(module_dir: Path, module_path: str) -> list[str]:
    """The .go files of the module (not vendor/, testdata/ or nested modules) that import
    ``module_path`` or one of its packages."""
    pattern = re.compile(r'"' + re.escape(module_path) + r'(?:/[^"\s]*)?"')
    found: list[str] = []
    pending = [module_dir]
    while pending:
        directory = pending.pop()
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                nested_module = (entry / "go.mod").exists()
                if entry.name not in _SKIPPED_DIRS and not entry.name.startswith(".") and not nested_module:
                    pending.append(entry)
            elif entry.suffix == ".go" and entry.is_file():
                try:
                    text = entry.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                if pattern.search(_import_block(text)):
                    found.append(entry.relative_to(module_dir).as_posix())
    return sorted(found)


def _import_block(source: str) -> str:
    """The import declarations of a Go file (they come before any other declaration)."""
    end = re.search(r"^(?:func|type|var|const)\b", source, re.MULTILINE)
    return source[:end.start()] if end else source
