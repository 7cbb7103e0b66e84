"""`goship resolve FILE...`: replace ``goship://`` image references in YAML with the digest
references of the images goship builds and publishes from those packages, as `ko resolve`
does, and print the result.

Each package is built once (through the same pipeline as `goship build --push`, image
standard check included), however often the files mention it; nothing else in the files
changes (goship.deploy.resolve).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.cli.registry_options import add_registry_options
from goship.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from goship.deploy.resolve import Mention


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    resolve = commands.add_parser(
        "resolve", parents=[common],
        help="replace goship:// image references in YAML with built digest references",
        description="Read YAML files (\"-\" for standard input), build and push the image of every "
                    "package named as goship://./cmd/NAME (or goship://MODULE/cmd/NAME), and print "
                    "the files with each reference replaced by REPOSITORY@sha256:... Comments and "
                    "formatting stay as they are.",
        epilog="Exit code 2: a file that is not YAML, or a reference outside this module; 4: a "
               "package does not build; see docs/deploy.md.")
    resolve.add_argument("files", nargs="+", metavar="FILE", help="YAML files to resolve (\"-\": stdin)")
    resolve.add_argument("--push", default=None, metavar="REGISTRY/REPO",
                         help="where to push (default: `repository` in goship.toml or "
                              "GOSHIP_REPOSITORY); several packages go to REPO/NAME")
    resolve.add_argument("--platform", dest="platforms", default=None,
                         help="comma-separated platforms, e.g. linux/amd64,linux/arm64")
    resolve.add_argument("--tag", dest="tags", action="append", default=None,
                         help="tag to publish too (repeatable; default: `tags` in goship.toml or latest)")
    resolve.add_argument("--policy", choices=["enforce", "warn", "off"], default="enforce",
                         help="check the images against the image standard before publishing "
                              "(as goship build does)")
    resolve.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_registry_options(resolve)


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{source} does not exist", "give YAML files to resolve, or - for stdin") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {source}: {exc}", "give a readable UTF-8 YAML file") from exc


def _build(packages: list[str], args: argparse.Namespace, module_dir: Path) -> dict[str, str]:
    """Package -> REPOSITORY@sha256:... of its published image."""
    from goship.cli.build import check_policy
    from goship.cli.output import ConsoleReporter
    from goship.config import Options, load_config
    from goship.image.project import BuiltImage
    from goship.oci.reference import Reference
    from goship.publish.destinations import image_tags
    from goship.publish.pipeline import build_and_publish

    options = Options(packages=tuple(packages), platforms=args.platforms, push=args.push,
                      insecure_registries=tuple(args.insecure), ca_file=args.ca_file)
    config = load_config(module_dir, options, args.environ)
    if not config.repository:
        raise UsageError("goship resolve pushes the images it builds, and no repository is named",
                         "use --push REGISTRY/REPO, or set repository in goship.toml (or GOSHIP_REPOSITORY)")
    Reference.parse(config.repository, default_tag="")
    tags = image_tags(config, args.tags or [])
    reporter = ConsoleReporter(verbose=args.verbose, quiet=args.quiet)
    args.json = False  # what check_policy reads besides verbose and policy

    def check(built: list[BuiltImage]) -> None:
        if args.policy != "off":
            check_policy(config, built, tags, args, reporter)

    try:
        result = build_and_publish(config, tags, reporter=reporter, before_publish=check)
    finally:
        reporter.close()
    names = {spec.name: package for spec, package in zip(config.images, packages, strict=True)}
    images: dict[str, str] = {}
    for published in result.published:
        if published.destination == "registry" and published.image in names:
            repository = Reference.parse(published.reference, default_tag="")
            images[names[published.image]] = f"{repository.name}@{published.digest}"
    missing = [package for package in packages if package not in images]
    if missing:
        raise UsageError(f"{missing[0]} was built but not pushed to a registry",
                         "name a registry repository with --push")
    return images


def run_resolve(args: argparse.Namespace) -> int:
    from goship.deploy.resolve import find_mentions, package_of, replace_mentions
    from goship.gobuild.build import module_path
    from goship.image.project import module_root

    module_dir = module_root(Path.cwd())
    module = module_path(module_dir)
    texts = [(source, _read(source)) for source in args.files]
    mentions: dict[str, list[Mention]] = {source: find_mentions(text, source) for source, text in texts}
    packages = list(dict.fromkeys(package_of(mention, module)
                                  for found in mentions.values() for mention in found))
    images = _build(packages, args, module_dir) if packages else {}
    outputs = [replace_mentions(text, mentions[source], images, module) for source, text in texts]
    for number, output in enumerate(outputs):
        if number and not output.lstrip().startswith("---"):
            sys.stdout.write("---\n")
        sys.stdout.write(output if output.endswith("\n") or not output else output + "\n")
    sys.stdout.flush()
    if not args.quiet:
        for package, image in images.items():
            print(f"goship: goship://{package} -> {image}",
                  file=sys.stderr)
    return ExitCode.OK
