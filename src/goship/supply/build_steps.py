"""The supply-chain steps of `goship build` and `goship release`, around publishing.

Before anything is published: the vulnerability gate. The Go binaries of the images just
built are matched against the Go vulnerability database (goship.supply.scan), and a finding
at or above the threshold that no waiver covers stops the run (``VulnerableBuildError``,
exit code 12) with nothing published. After publishing: a CycloneDX SBOM of every image
(goship.supply.sbom), attached to the pushed index and to each platform image as
`goship sbom --attach` does, or written to ``.goship/sbom/`` when no registry was pushed to;
and a cosign signature on every pushed digest (goship.supply.signing).

The binaries are read from the built images' own layers, as `goship scan REF` and
`goship sbom REF` read a pushed image (goship.gobinary.image_scan), under the name and with
the digests the published image has. The gate, the SBOM and those commands therefore report
the same thing, and nothing is read back from the registry. Base layers that stayed in the
base's registry are read from there: the container runs their files too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goship.config import DEFAULT_LAYOUT, Config
from goship.errors import ExitCode, OutputError
from goship.gobinary.subject import Subject
from goship.image.project import BuiltImage
from goship.oci.digest import Digest
from goship.oci.reference import Reference
from goship.progress import Reporter
from goship.publish.interface import Published
from goship.supply.scan.interface import ScanError, ScanResult, ScanSettings, describe_fail_on

if TYPE_CHECKING:
    from goship.registry.client import RegistryClient
    from goship.supply.sbom import AttachResult, Document, Format
    from goship.supply.scan.database import Database
    from goship.supply.signing import PrivateKey, SignatureResult

SBOM_DIRECTORY = Path(".goship") / "sbom"  # under the module root, for builds that push nowhere
SBOM_FORMAT: Format = "cyclonedx"
SBOM_SUFFIX = ".cdx.json"


class VulnerableBuildError(ScanError):
    """The images just built hold a vulnerability at or above the gate's threshold that no
    waiver covers; nothing was published."""

    exit_code = ExitCode.VULNERABLE

    def __init__(self, result: ScanResult, fail_on: str, what: str = "build") -> None:
        failing = result.failing(fail_on)
        ids = ", ".join(dict.fromkeys(finding.id for finding in failing))
        count = f"{len(failing)} vulnerabilit{'y' if len(failing) == 1 else 'ies'}"
        super().__init__(
            f"the {what} stopped before publishing: {count} {describe_fail_on(fail_on)} that no waiver "
            f"covers ({ids}); no blob, manifest or tag was pushed",
            "update the modules to the FIXED IN versions the report shows (go get MODULE@VERSION), "
            "or accept one with a [[scan.waiver]] in goship.toml (id, reason, expires)")
        self.result = result
        self.fail_on = fail_on


def image_sources(config: Config, tags: Sequence[str]) -> dict[str, str]:
    """What each image is called in scan reports, waiver ``image`` globs and SBOMs: what
    `goship scan` reads it as once published. ``REPOSITORY:TAG`` (the first tag) in a
    registry; else ``oci:DIR:NAME:TAG`` in the OCI layout; else ``tarball:FILE``."""
    from goship.publish.registry import repository_for

    first = tags[0] if tags else "latest"
    sources: dict[str, str] = {}
    for spec in config.images:
        if config.repository:
            target = repository_for(spec.repository or config.repository, spec.name,
                                    1 if spec.repository else len(config.images))
            sources[spec.name] = f"{target.name}:{first}"
        elif config.oci_layout or not config.tarball:
            layout = config.oci_layout or config.module_dir / DEFAULT_LAYOUT
            sources[spec.name] = f"oci:{layout}:{spec.name}:{first}"
        else:
            sources[spec.name] = f"tarball:{config.tarball}"
    return sources


def built_subjects(item: BuiltImage, source: str) -> list[Subject]:
    """The Go binaries of each platform image of ``item``, as ``find_go_binaries(source)``
    finds them once it is published: one Subject per platform image."""
    from goship.gobinary.image_scan import scan_layers
    from goship.oci.image import ImageIndex, images_of

    index = str(item.artifact.digest) if isinstance(item.artifact, ImageIndex) else None
    subjects = []
    for image in images_of(item.artifact):
        binaries, skipped = scan_layers(image.layers, windows=image.platform.is_windows,
                                        what=f"{source} ({image.platform})")
        subjects.append(Subject(source, str(image.platform), str(image.digest), index, binaries, skipped))
    return subjects


def require_no_failing(result: ScanResult, fail_on: str, what: str = "build") -> None:
    """VulnerableBuildError when ``result`` fails ``fail_on``."""
    if result.failed(fail_on):
        raise VulnerableBuildError(result, fail_on, what)


@dataclass(frozen=True)
class SbomRecord:
    """One SBOM document of a published image, and where it went."""

    image: str  # the image's name in goship.toml
    document: Document
    top: bool  # the document of what was published (the index, or the only image)
    file: Path | None = None  # written here (nothing was pushed to a registry)
    attached: AttachResult | None = None  # stored in the image's repository

    def to_json(self) -> dict[str, Any]:
        return {"image": self.image, "subject": self.document.subject_digest, "top": self.top,
                "platform": self.document.platform or None, "format": self.document.format,
                "media_type": self.document.media_type, "binaries": self.document.binaries,
                "modules": self.document.modules, "file": str(self.file) if self.file else None,
                "attached": self.attached.to_json() if self.attached else None}


@dataclass(frozen=True)
class ImageSignature:
    image: str
    result: SignatureResult


@dataclass(frozen=True)
class PublishedSupply:
    """What the steps after publishing made."""

    sboms: tuple[SbomRecord, ...] = ()
    signatures: tuple[ImageSignature, ...] = ()
    unsigned: tuple[str, ...] = ()  # images not signed: they went to no registry


@dataclass(frozen=True)
class SupplyRequest:
    """The steps asked for: ``scan`` None means no gate; ``sign_key`` None no signature."""

    module_dir: Path
    sources: Mapping[str, str]  # image name -> what it is called (``image_sources``)
    sbom: bool = False
    scan: ScanSettings | None = None
    sign_key: PrivateKey | None = None
    tool_version: str = ""
    created: datetime | None = None  # the SBOM's time (SOURCE_DATE_EPOCH); None: the commit time


class SupplySteps:
    """One build's supply-chain steps. The binaries of each image are read once, for the
    gate and the SBOM alike."""

    def __init__(self, request: SupplyRequest, reporter: Reporter) -> None:
        self.request = request
        self._reporter = reporter
        self._subjects: dict[tuple[str, Digest], list[Subject]] = {}

    def subjects(self, item: BuiltImage) -> list[Subject]:
        key = (item.spec.name, item.artifact.digest)
        if key not in self._subjects:
            self._subjects[key] = built_subjects(item, self.request.sources[item.spec.name])
        return self._subjects[key]

    def scan(self, built: Sequence[BuiltImage], database: Database, today: date) -> ScanResult:
        """The gate's scan of every image built (the caller reports it, then calls
        ``require_no_failing``)."""
        from goship.supply.scan.match import scan_subjects

        settings = self.request.scan
        if settings is None:
            raise ValueError("no scan was asked for")
        self._reporter.step(f"scanning the Go binaries of {_names(built)} for known vulnerabilities")
        subjects = [subject for item in built for subject in self.subjects(item)]
        return scan_subjects(subjects, database, settings, today)

    def after_publish(self, built: Sequence[BuiltImage], published: Sequence[Published],
                      client: Callable[[], RegistryClient]) -> PublishedSupply:
        """The SBOMs and signatures of the images just published (``client`` gives the
        registry client the push used)."""
        pushed = _pushed(published)
        sboms: list[SbomRecord] = []
        signatures: list[ImageSignature] = []
        unsigned: list[str] = []
        for item in built:
            target = pushed.get(item.spec.name)
            if self.request.sbom:
                documents = self._documents(item)
                if target is not None:
                    sboms += self._attach(item.spec.name, target[0], documents, client())
                else:
                    sboms += self._write(item.spec.name, documents)
            if self.request.sign_key is not None:
                if target is None:
                    unsigned.append(item.spec.name)
                    continue
                from goship.supply.signing import sign_image

                repository, digest = target
                self._reporter.step(f"signing {repository.name}@{digest}")
                signatures.append(ImageSignature(item.spec.name, sign_image(
                    client(), repository, digest, self.request.sign_key)))
        return PublishedSupply(tuple(sboms), tuple(signatures), tuple(unsigned))

    def _documents(self, item: BuiltImage) -> list[Document]:
        from goship.supply.sbom import make_documents

        return make_documents(self.subjects(item), SBOM_FORMAT, tool_version=self.request.tool_version,
                              created=self.request.created, per_platform=True)

    def _attach(self, image: str, repository: Reference, documents: Sequence[Document],
                client: RegistryClient) -> list[SbomRecord]:
        from goship.supply.sbom import attach_sbom

        self._reporter.step(f"attaching the SBOM of {image} to {repository.name}")
        records = []
        for number, document in enumerate(documents):
            assert document.subject_digest is not None  # an image, not a file: it has a digest
            attached = attach_sbom(client, repository, Digest.parse(document.subject_digest),
                                   document.content, document.media_type)
            records.append(SbomRecord(image, document, number == 0, attached=attached))
        return records

    def _write(self, image: str, documents: Sequence[Document]) -> list[SbomRecord]:
        from goship.oci.filelock import write_atomic

        directory = self.request.module_dir / SBOM_DIRECTORY
        records = []
        for number, document in enumerate(documents):
            assert document.subject_digest is not None
            path = directory / (document.subject_digest.replace(":", "-") + SBOM_SUFFIX)
            try:
                directory.mkdir(parents=True, exist_ok=True)
                write_atomic(path, document.content)
            except OSError as exc:
                raise OutputError(f"cannot write the SBOM of {image} to {path}: {exc.strerror}",
                                  "check that the module directory is writable") from exc
            records.append(SbomRecord(image, document, number == 0, file=path))
        self._reporter.step(f"wrote the SBOM of {image} to {directory}")
        return records


def _pushed(published: Sequence[Published]) -> dict[str, tuple[Reference, Digest]]:
    """Each image pushed to a registry: its repository and the digest pushed."""
    pushed: dict[str, tuple[Reference, Digest]] = {}
    for item in published:
        if item.destination == "registry" and item.image not in pushed:
            pushed[item.image] = (Reference.parse(item.reference).with_tag(""), item.digest)
    return pushed


def _names(built: Sequence[BuiltImage]) -> str:
    return ", ".join(item.spec.name for item in built)
