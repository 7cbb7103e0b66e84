"""`goship dockerfile`: a Dockerfile and a .dockerignore that meet the image standard, for
teams that build with docker buildx, buildah or podman."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from goship.config import Config, ImageSpec, Options, load_config
from goship.errors import BuildError, OutputError, UsageError
from goship.image.project import module_root

DOCKERFILE = "Dockerfile"
DOCKERIGNORE = ".dockerignore"


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "dockerfile", parents=[common],
        help="write a Dockerfile and .dockerignore that meet the image standard",
        description="Write a multi-stage Dockerfile and a .dockerignore for a main package of "
                    "this Go module, for builds with docker buildx, buildah or podman. Images "
                    "are pinned, the program runs as 65532 in a distroless (or nanoserver) "
                    "image, and the OCI labels come from build args.")
    parser.add_argument("package", nargs="?", default=None, metavar="PACKAGE",
                        help="the main package (default: the one in goship.toml or the module)")
    parser.add_argument("--windows", action="store_true",
                        help="a Windows image: servercore builder, nanoserver base, C:\\app")
    parser.add_argument("--base", default=None, metavar="REF",
                        help="final base image (a REF@sha256:... digest is kept), or scratch")
    parser.add_argument("--builder", default=None, metavar="REF",
                        help="builder image, or bookworm/alpine for golang:<go version>-<that>")
    parser.add_argument("--output", "-o", default=None, metavar="FILE",
                        help=f"where the Dockerfile goes (default {DOCKERFILE} in the module root)")
    parser.add_argument("--stdout", action="store_true",
                        help="print the Dockerfile instead of writing files")
    parser.add_argument("--force", action="store_true",
                        help="overwrite a Dockerfile or .dockerignore that says something else")


def run_dockerfile(args: argparse.Namespace) -> int:
    from goship.gobuild.vcs import read_source_facts
    from goship.policy.facts import GoChoice, ModuleFacts, choose_go_version
    from goship.policy.generate import (
        BUILDER_FLAVOURS,
        DockerfileRequest,
        render_dockerfile,
        render_dockerignore,
    )

    module_dir = module_root(Path.cwd())
    if not (module_dir / "go.mod").is_file():
        raise BuildError(f"no go.mod in {Path.cwd()} or above",
                         "run goship dockerfile in a Go module (create one with `go mod init`)")
    _check_images(args)
    env = dict(args.environ)
    config = load_config(module_dir, Options(packages=(args.package,) if args.package else ()), env)
    image = _choose_image(config, module_dir, named=bool(args.package))
    facts = ModuleFacts.from_directory(module_dir, image.package)
    # The Go version only names the default builder image: not needed with one given.
    explicit_builder = bool(args.builder) and args.builder not in BUILDER_FLAVOURS
    go = GoChoice("", "") if explicit_builder else choose_go_version(config)
    source_url = "" if config.source_url else read_source_facts(module_dir, env).remote_url
    request = DockerfileRequest.from_config(
        config, image, module_path=facts.module_path, go_version=go.version,
        go_version_reason=go.reason, windows=args.windows, builder=args.builder or "",
        base=args.base or "", vendored=facts.vendored, health_flag=facts.health_flag,
        source_url=source_url,
    )
    dockerfile = render_dockerfile(request)
    if args.stdout:
        sys.stdout.write(dockerfile)
        return 0
    ignore = render_dockerignore(source_dirs=facts.source_dirs, keep_markdown=facts.embeds)
    target = Path(args.output) if args.output else module_dir / DOCKERFILE
    _write_all([(target, dockerfile), (module_dir / DOCKERIGNORE, ignore)], force=args.force)
    print(f"image {image.name} from {image.package}: builder {request.builder_image}, "
          f"base {request.base_image}", file=sys.stderr)
    if not config.maintainer:
        said = (f"the maintainer label names the source repository, {request.maintainer}"
                if request.maintainer else "the Dockerfile has no maintainer label (GS313)")
        print(f"note: goship.toml names no maintainer, so {said}; set maintainer = "
              '"team@example.com" there and run again with --force', file=sys.stderr)
    flag = "" if target == module_dir / DOCKERFILE else f" -f {target}"
    print(f"next: docker buildx build{flag} -t {image.name} {module_dir}", file=sys.stderr)
    return 0


def _check_images(args: argparse.Namespace) -> None:
    """Refuse malformed --base/--builder values before anything is read or written."""
    from goship.oci.reference import Reference
    from goship.policy.generate import BUILDER_FLAVOURS

    if args.windows and args.base == "scratch":
        raise UsageError("--base scratch has no Windows variant",
                         "Windows images need nanoserver or servercore as their base")
    if args.windows and args.builder in BUILDER_FLAVOURS:
        raise UsageError(f"--builder {args.builder} is a Linux builder",
                         "give a Windows golang image, e.g. golang:1.25-windowsservercore-ltsc2022")
    for flag, value in (("--base", args.base), ("--builder", args.builder)):
        if value and value != "scratch" and value not in BUILDER_FLAVOURS:
            try:
                Reference.parse(value)
            except UsageError as exc:
                raise UsageError(f"{flag}: {exc.message}", exc.hint) from exc


def _choose_image(config: Config, module_dir: Path, *, named: bool) -> ImageSpec:
    """The image to write a Dockerfile for: the named package, the one image goship.toml
    lists, or the module's one main package."""
    from goship.cli.init import find_main_packages

    images = config.images
    if len(images) > 1:
        listed = ", ".join(spec.package for spec in images)
        raise UsageError(f"goship.toml lists {len(images)} images ({listed})",
                         "name one: goship dockerfile PACKAGE (with -o Dockerfile.NAME for each)")
    image = images[0]
    if named or image != ImageSpec(image.name, "."):
        return image  # named on the command line or configured in goship.toml
    mains = find_main_packages(module_dir)
    if "." in mains or not mains:
        return image  # the module root is the program, or go build will say what is wrong
    if len(mains) > 1:
        raise UsageError(f"this module has {len(mains)} main packages ({', '.join(mains)})",
                         "name one: goship dockerfile PACKAGE (with -o Dockerfile.NAME for each)")
    return load_config(module_dir, Options(packages=(mains[0],)), config.env).images[0]


def _write_all(files: list[tuple[Path, str]], *, force: bool) -> None:
    """Write every file or none: existing files that differ need --force, checked first."""
    from goship.oci.filelock import write_atomic

    changed = []
    for path, text in files:
        try:
            current = path.read_text(encoding="utf-8") if path.exists() else None
        except (OSError, UnicodeDecodeError):
            current = ""
        if current == text:
            print(f"unchanged {path}", file=sys.stderr)
            continue
        if current is not None and not force:
            raise UsageError(f"{path} exists already and says something else",
                             "use --force to overwrite it, or --stdout to print the Dockerfile")
        changed.append((path, text))
    for path, text in changed:
        try:
            write_atomic(path, text.encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror}",
                              "check the directory is writable") from exc
        print(f"wrote {path}", file=sys.stderr)
