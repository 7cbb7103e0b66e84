"""The supply-chain options of `goship build` and `goship release` (--sbom, --scan, --sign)
and the command line's part around goship.supply.build_steps: the signing key's password is
read before anything is built, the vulnerability database is opened with the build's
settings, the gate's report goes to stderr, and what was attached and signed is printed.

This module is imported while the parser is built, so it imports only what the options need;
everything else is imported where used.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from goship.supply.scan.interface import FAIL_ON

if TYPE_CHECKING:
    from goship.cli.output import ConsoleReporter
    from goship.config import Config
    from goship.image.project import BuiltImage
    from goship.publish.interface import Published
    from goship.registry.client import RegistryClient
    from goship.supply.build_steps import PublishedSupply, SupplySteps
    from goship.supply.scan.interface import ScanResult
    from goship.supply.signing import PrivateKey


def _fail_on(text: str) -> str:
    if text and text not in FAIL_ON:  # "": --scan alone (argparse passes const through type too)
        raise argparse.ArgumentTypeError(f"'{text}' is not one of {', '.join(FAIL_ON)}")
    return text


def add_supply_options(parser: argparse.ArgumentParser, what: str = "build") -> None:
    parser.add_argument("--sbom", action=argparse.BooleanOptionalAction, default=None,
                        help="after pushing, attach a CycloneDX SBOM to each image and platform "
                             "image (cosign's .sbom tag and an OCI 1.1 referrer); without a "
                             "registry, write it to .goship/sbom/ (also [build] sbom = true; "
                             "--no-sbom overrides it)")
    scan = parser.add_mutually_exclusive_group()
    scan.add_argument("--scan", nargs="?", const="", default=None, type=_fail_on, metavar="FAIL_ON",
                        help=f"scan the Go binaries built against the Go vulnerability database "
                             f"before anything is pushed; a finding at or above FAIL_ON "
                             f"({', '.join(FAIL_ON)}; default: [scan] fail-on) that no waiver covers "
                             f"stops the {what} with exit code 12 (also [build] scan = true); "
                             "write --scan=high")
    scan.add_argument("--no-scan", action="store_true",
                      help=f"no vulnerability gate for this {what}, whatever [build] scan says")
    sign = parser.add_mutually_exclusive_group()
    sign.add_argument("--sign", dest="sign_key", default=None, metavar="KEY",
                        help="after pushing, sign each pushed digest with this cosign private key "
                             "(password: GOSHIP_PASSWORD, COSIGN_PASSWORD or a prompt; also "
                             "[build] sign-key)")
    sign.add_argument("--no-sign", action="store_true",
                      help=f"sign nothing in this {what}, whatever [build] sign-key says")


@dataclass
class SupplyRun:
    """The supply-chain steps of one build or release, and what they gave."""

    steps: SupplySteps
    config: Config  # the Config the images are built and published with
    scan_result: ScanResult | None = None
    published: PublishedSupply | None = None

    @property
    def fail_on(self) -> str:
        settings = self.steps.request.scan
        return settings.fail_on if settings is not None else ""


def start_supply(config: Config, tags: Sequence[str], *, sign_flag: str | None,
                 reporter: ConsoleReporter) -> SupplyRun | None:
    """The steps ``config`` asks for, or None. The signing key is decrypted here, before
    anything is built, so that a wrong password costs no build and pushes nothing."""
    if not (config.sbom or config.scan_gate or config.sign_key is not None):
        return None
    from datetime import datetime

    from goship import __version__
    from goship.supply.build_steps import SupplyRequest, SupplySteps, image_sources

    key = None
    if config.sign_key is not None:
        if config.repository:
            key = _private_key(config)
        elif sign_flag is not None:
            from goship.errors import UsageError

            raise UsageError(f"--sign {sign_flag}: signatures are stored in the image's registry, "
                             "and this build pushes to none",
                             "add --push REGISTRY/REPO (or set repository in goship.toml)")
        else:
            reporter.step(f"not signing: [build] sign-key is {config.sign_key}, but this build "
                          "pushes to no registry")
    created = (datetime.fromtimestamp(config.source_date_epoch, tz=UTC)
               if config.source_date_epoch is not None else None)
    request = SupplyRequest(module_dir=config.module_dir, sources=image_sources(config, tags),
                            sbom=config.sbom, scan=config.scan if config.scan_gate else None,
                            sign_key=key, tool_version=__version__, created=created)
    return SupplyRun(SupplySteps(request, reporter), config)


def _private_key(config: Config) -> PrivateKey:
    from goship.cli.keygen import PASSWORD_VARIABLES, read_password
    from goship.supply.signing.interface import SigningError
    from goship.supply.signing.keys import read_private_key_file

    assert config.sign_key is not None
    key_file = read_private_key_file(config.sign_key)  # a bad file is named before a password is asked
    env = config.env
    if not any(name in env for name in PASSWORD_VARIABLES) and not (sys.stdin and sys.stdin.isatty()):
        raise SigningError(f"no password for {config.sign_key}: GOSHIP_PASSWORD and COSIGN_PASSWORD "
                           "are not set, and there is no terminal to ask on",
                           "set GOSHIP_PASSWORD (an empty value means an empty password); a build "
                           "run by the build server cannot ask, GOSHIP_SERVER=off builds here")
    return key_file.decrypt(read_password(env, str(config.sign_key)))


def check_vulnerabilities(run: SupplyRun, built: list[BuiltImage], reporter: ConsoleReporter, *,
                          quiet: bool, what: str = "build") -> None:
    """The gate, before anything is published: scan, show the report on stderr (always when
    it fails), and stop with exit code 12 on a failing finding."""
    request = run.steps.request
    if request.scan is None:
        return
    from datetime import date

    from goship import __version__
    from goship.config_scan import download_options
    from goship.supply.build_steps import require_no_failing
    from goship.supply.scan.database import open_database
    from goship.supply.scan.report import ReportOptions, render

    config = run.config
    database = open_database(request.scan, cache_dir=config.cache_dir,
                             download=download_options(config.env, config.ca_file), reporter=reporter)
    result = run.steps.scan(built, database, date.today())
    run.scan_result = result
    failed = result.failed(run.fail_on)
    if failed or not quiet:
        reporter.close()  # the report goes below the progress lines, not between them
        options = ReportOptions(fail_on=run.fail_on, tool_version=__version__)
        sys.stderr.write(render("table", result, options))
        for warning in result.warnings():
            sys.stderr.write(f"goship: warning: {warning}\n")
        sys.stderr.flush()
    require_no_failing(result, run.fail_on, what)


def publish_hook(run: SupplyRun, what: str = "build") -> Callable[[list[BuiltImage], list[Published],
                                                                  Callable[[], RegistryClient]], None]:
    """What runs after publishing: the SBOMs and signatures, kept in ``run``. A failure says
    that the images are out, and that running again finishes the job."""
    from goship.errors import GoshipError

    def after(built: list[BuiltImage], published: list[Published],
              client: Callable[[], RegistryClient]) -> None:
        try:
            run.published = run.steps.after_publish(built, published, client)
        except GoshipError as exc:
            exc.message = f"the images are pushed, but {exc.message}"
            again = (f"run goship {what} again: it builds the same digests, and an SBOM or "
                     "signature already there is not added twice")
            exc.hint = f"{exc.hint}; then {again}" if exc.hint else again
            raise
    return after


def result_lines(run: SupplyRun | None, image: str) -> list[str]:
    """For the human summary on stdout: the SBOM (the document of what was pushed, under its
    cosign tag, or the file written) and the signature of ``image``."""
    if run is None or run.published is None:
        return []
    lines = []
    for record in run.published.sboms:
        if record.image != image or not record.top:
            continue  # the platform images' documents are in --json
        if record.attached is not None:
            lines.append(f"{record.attached.repository}:{record.attached.cosign_tag}@"
                         f"{record.attached.cosign_manifest}")
        elif record.file is not None:
            lines.append(str(record.file))
    for signed in run.published.signatures:
        if signed.image == image:
            result = signed.result
            lines.append(f"{result.repository.name}:{result.tag}@{result.signature_manifest}")
    return lines


def report_published(run: SupplyRun | None) -> None:
    """One line on stderr per kind of thing made after publishing."""
    if run is None or run.published is None:
        return
    published = run.published
    attached = [record for record in published.sboms if record.attached is not None]
    written = [record for record in published.sboms if record.file is not None]
    if attached:
        apis = {record.attached.referrers_api for record in attached if record.attached is not None}
        how = "the referrers API lists them" if apis == {True} else "listed under the fallback tags"
        print(f"goship: attached {len(attached)} SBOM(s) under cosign's .sbom tags and as OCI 1.1 "
              f"referrers ({how})", file=sys.stderr)
    if written:
        print(f"goship: wrote {len(written)} SBOM(s) to {written[0].file.parent if written[0].file else ''}",
              file=sys.stderr)
    for signed in published.signatures:
        result = signed.result
        done = "signed" if result.added else "already signed with this key:"
        print(f"goship: {done} {result.repository.name}@{result.digest} ({result.key})", file=sys.stderr)
    for image in published.unsigned:
        print(f"goship: {image} was not signed: it was pushed to no registry", file=sys.stderr)
    sys.stderr.flush()


def image_json(run: SupplyRun | None, image: str) -> dict[str, Any]:
    """The ``sbom`` and ``signature`` keys of one image in --json output."""
    if run is None or run.published is None:
        return {"sbom": [], "signature": None}
    signature = next((signed.result.to_json() for signed in run.published.signatures
                      if signed.image == image), None)
    return {"sbom": [record.to_json() for record in run.published.sboms if record.image == image],
            "signature": signature}


def scan_json(run: SupplyRun | None) -> Any:
    """The gate's report (as `goship scan --json` writes it), or None without a gate."""
    if run is None or run.scan_result is None:
        return None
    from goship import __version__
    from goship.supply.scan.report import ReportOptions, render

    return json.loads(render("json", run.scan_result,
                             ReportOptions(fail_on=run.fail_on, tool_version=__version__)))
