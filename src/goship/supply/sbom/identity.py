"""How a Go module, the standard library and an image are named in an SBOM: package URLs
(packageurl-python writes them), versions, and the SHA-256 inside an ``h1:`` sum.

Choices, and why:

- ``pkg:golang/<module path>@<version>``, the path split at its last "/" into namespace and
  name and percent-encoded by packageurl-python (``+incompatible`` becomes ``%2Bincompatible``).
  The case of the path is kept: Go module paths are case-sensitive
  (``github.com/BurntSushi/toml``), vulnerability databases key on the exact path, and Go's
  own tooling, syft and trivy keep it, although the purl type definition asks for lower case.
- The standard library is ``stdlib`` at ``go1.25.5`` (what ``go version`` prints) with the
  purl ``pkg:golang/stdlib@1.25.5``: the ``go`` prefix dropped, as Go's tooling writes it.
- ``(devel)`` is not a version: a main module built from a work tree, or a module replaced
  by a directory, gets no version and a purl without one.
- ``h1:`` is base64 of a SHA-256 (Go's dirhash over the sorted "hash  file" lines of the
  module), so its SHA-256 hex is exact; a sum of another form gives no hash.
"""

from __future__ import annotations

import base64
import binascii
import re

from packageurl import PackageURL

from goship.gobinary.moduleinfo import Module

DEVEL = "(devel)"
STDLIB = "stdlib"
_GO_RELEASE = re.compile(r"^go(\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?)$")


def module_purl(path: str, version: str = "", subpath: str = "") -> str:
    """``pkg:golang/github.com/BurntSushi/toml@v1.2.1`` ("" for a path that is not one)."""
    namespace, _, name = path.rpartition("/")
    if not name or path.startswith(("/", ".")) or "\\" in path:
        return ""
    return PackageURL(type="golang", namespace=namespace or None, name=name,
                      version=version if version and version != DEVEL else None,
                      subpath=subpath or None).to_string()


def h1_sha256(go_sum: str) -> str:
    """The hex SHA-256 inside a go.sum hash ``h1:<base64>``; "" for anything else."""
    if not go_sum.startswith("h1:"):
        return ""
    try:
        raw = base64.b64decode(go_sum[3:], validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.hex() if len(raw) == 32 else ""


def is_directory(path: str) -> bool:
    """Whether a replacement path names a directory (cmd/go's modfile.IsDirectoryPath)."""
    return (path in (".", "..") or path.startswith(("./", "../", "/", ".\\", "..\\", "\\"))
            or bool(re.match(r"^[A-Za-z]:[\\/]", path)))


def effective(module: Module) -> tuple[Module, Module | None]:
    """The module as built (its replacement, if any) and the one it replaced."""
    if module.replace is None:
        return module, None
    return module.replace, module


def go_release(go_version: str) -> tuple[str, str]:
    """``("go1.25.5", "1.25.5")``: the standard library's version and purl version from the
    binary's Go version ("go1.25.5 X:boringcrypto" too); no purl version for a devel build."""
    word = go_version.split(" ", 1)[0] if go_version else ""
    match = _GO_RELEASE.match(word)
    return word, match.group(1) if match else ""


def stdlib_purl(go_version: str) -> str:
    return PackageURL(type="golang", name=STDLIB, version=go_release(go_version)[1] or None).to_string()


def subpath_in(module_path: str, package_path: str) -> str:
    """``cmd/hello`` for the package example.com/app/cmd/hello of module example.com/app."""
    if module_path and package_path.startswith(module_path + "/"):
        return package_path[len(module_path) + 1:]
    return ""
