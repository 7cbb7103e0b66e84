"""Entry point: the argument parser, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence

from goship import __version__
from goship.cli.registry_options import add_registry_options
from goship.errors import ExitCode, GoshipError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"goship: error: {message}", file=sys.stderr)
        print("hint: run `goship --help` or `goship COMMAND --help`", file=sys.stderr)
        raise SystemExit(ExitCode.USAGE)


# Commands whose options live in their own module, loaded only when the command runs (or its
# help is asked for): importing all of them would add ~0.1 s to every goship call.
# tests/unit/cli checks that each summary is the one the module itself gives.
_COMMANDS = {
    "go": ("go", "install, switch and pin Go versions"),
    "lint": ("lint", "check Dockerfiles and images against the image standard"),
    "release": ("release", "release the next version: changelog, images, git tag"),
    "dockerfile": ("dockerfile", "write a Dockerfile and .dockerignore that meet the image standard"),
    "version": ("version", "print the current and next version from git"),
    "promote": ("promote", "copy an image by digest to an environment's repository"),
    "tags": ("tags", "list a repository's tags with digest, date, version and environment"),
    "verify": ("verify", "check that an image, its labels, git and its binary agree on a version"),
    "prune": ("prune", "delete old image tags and manifests by the retention policy"),
    "sbom": ("sbom", "write a CycloneDX or SPDX SBOM from the Go build info of an image or binary"),
    "scan": ("scan", "match an image's Go modules against the Go vulnerability database"),
    "keygen": ("keygen", "write a cosign-compatible signing key pair"),
    "sign": ("sign", "sign an image digest as cosign does"),
    "verify-signature": ("verify_signature", "check an image's signatures against a public key"),
    "deploy": ("deploy", "roll an image out to a Kubernetes environment by digest"),
    "rollback": ("rollback", "go back to the previous release of an environment"),
    "status": ("status", "show which digest, version and revision run in an environment"),
    "ci": ("ci", "write the CI/CD pipeline file for GitHub Actions, GitLab CI or Drone"),
    "manifests": ("manifests", "render Kubernetes manifests or a systemd unit from goship.toml"),
    "resolve": ("resolve", "replace goship:// image references in YAML with built digest references"),
    "pipeline": ("pipeline", "run the pipeline's stages: test, lint, build, sbom, scan, push, sign, deploy"),
}


def _command_in(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: the first word that is not an option (or -C's value)."""
    words = iter(argv)
    for word in words:
        if word in ("-C", "--directory"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(wanted: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``wanted``, only that command's options are loaded (all are listed)."""
    parser = _Parser(
        prog="goship",
        description="Build Go services into minimal, reproducible OCI images, with no Docker daemon.",
        epilog="Exit codes are listed in docs/exit-codes.md.",
    )
    parser.add_argument("--version", action="version", version=f"goship {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug output and tracebacks")
    parser.add_argument("-C", "--directory", default=None,
                        help="run as if started in this directory (the Go module root)")
    # -v works before or after the command; SUPPRESS keeps an absent one from resetting it.
    common = _Parser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="debug output and tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    build = commands.add_parser("build", parents=[common], help="build images from Go main packages",
                                description="Compile Go main packages and write their images to "
                                            "an OCI layout (default .goship/oci), a tarball, or a registry.")
    build.add_argument("packages", nargs="*", help="main packages to build (default: goship.toml images)")
    build.add_argument("--platform", dest="platforms", default=None,
                       help="comma-separated platforms, e.g. linux/amd64,linux/arm64,windows/amd64")
    build.add_argument("--push", nargs="?", const="", default=None, metavar="REGISTRY/REPO[:TAG]",
                       help="push to a registry (no value: `repository` from goship.toml)")
    build.add_argument("--tarball", default=None, metavar="FILE",
                       help="write a tarball that docker load and podman load accept")
    build.add_argument("--oci-layout", default=None, metavar="DIR",
                       help="write into this OCI layout directory (default .goship/oci)")
    build.add_argument("--base", default=None, help="base image reference, or 'static'")
    build.add_argument("--tag", dest="tags", action="append", default=None,
                       help="tag to publish (repeatable; default: `tags` in goship.toml or latest)")
    build.add_argument("--version-string", dest="version", default=None, metavar="VERSION",
                       help="version to stamp into the binary and labels (default: from git)")
    build.add_argument("--jobs", "-j", type=int, default=None, help="parallel builds")
    add_registry_options(build)
    build.add_argument("--offline", action="store_true",
                       help="never download: a pinned Go version must be installed already")
    build.add_argument("--policy", choices=["enforce", "warn", "off"], default="enforce",
                       help="check the images against the image standard before publishing: errors "
                            "stop the push (enforce, default), are only shown (warn), or no check (off)")
    if wanted == "build":  # they load the supply chain's modules, which no other command needs
        from goship.cli.supply import add_supply_options

        add_supply_options(build)
    build.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    build.add_argument("--quiet", "-q", action="store_true", help="print only the results")

    server = commands.add_parser(
        "server", parents=[common], help="keep goship loaded between builds (faster rebuilds)",
        description="A background process that runs `goship build` for you, so rebuilds skip "
                    "start-up. It serves this user only and stops after an idle hour.")
    server.add_argument("action", choices=["start", "stop", "status"])

    init = commands.add_parser("init", parents=[common], help="write a commented goship.toml for this module")
    init.add_argument("--force", action="store_true", help="overwrite an existing goship.toml")
    init.add_argument("--stdout", action="store_true", help="print instead of writing the file")

    for name, (module, summary) in _COMMANDS.items():
        if wanted == name:
            importlib.import_module(f"goship.cli.{module}").add_parser(commands, common)
        else:  # listed for `goship --help`; its options load only when it runs
            commands.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run one command; ``environ`` stands for the process environment (the build server
    passes its client's)."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(words))
    args = parser.parse_args(words)
    args.environ = dict(os.environ if environ is None else environ)
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    try:
        if args.directory:
            os.chdir(args.directory)
        if args.command == "build":
            from goship.cli.build import run_build

            return run_build(args)
        if args.command == "server":
            from goship.cli.server import run_server_command

            return run_server_command(args.action, args.environ)
        if args.command == "init":
            from goship.cli.init import run_init

            return run_init(args)
        if args.command in _COMMANDS:  # each command module has run_<module>(args)
            module = _COMMANDS[args.command][0]
            run: Callable[[argparse.Namespace], int] = getattr(
                importlib.import_module(f"goship.cli.{module}"), f"run_{module}")
            return run(args)
    except GoshipError as error:
        if args.verbose:
            import traceback

            traceback.print_exc()
        print(f"goship: error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("goship: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `goship tags REPO | head`: the reader has all it wanted
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitCode.OK
    except FileNotFoundError as error:
        if args.verbose:
            raise
        print(f"goship: error: {error.filename or error}: {error.strerror}", file=sys.stderr)
        return ExitCode.USAGE
    except Exception as error:  # a bug: say so, briefly, unless -v asks for the traceback
        if args.verbose:
            raise
        print(f"goship: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        print("hint: run again with -v for the traceback, and report it", file=sys.stderr)
        return ExitCode.INTERNAL
    return ExitCode.OK


if __name__ == "__main__":
    # `python -m goship.cli.main` tears down normally, so profilers and coverage can write.
    sys.exit(main())
