"""SPDX 2.3 JSON from an ``Inventory``, written by hand.

Why by hand: the SPDX project's Python library (spdx-tools) brings rdflib, beartype, ply,
PyYAML, xmltodict, uritools, click and semantic-version with it, for what is here one JSON
object of a fixed shape; the SPDX 2.3 JSON schema (``schemas/spdx-schema.json`` of the
specification) fixes every field written below, and the tests check the documents against
its required fields, patterns and enumerations.

The mapping: the document DESCRIBES the image (or the binary); an image CONTAINS its
platform images and binaries; a binary DEPENDS_ON its modules and the standard library.
Every package is ``filesAnalyzed: false`` with NOASSERTION for download location, licences
and copyright (a binary does not record them). A module's SHA256 checksum is its go.sum h1:
hash, which the package comment says; a binary's is the file's. goship's properties
(``goship:build:GOOS`` ...) become annotations whose comment is ``name=value``. SPDX IDs are
the component's name and version reduced to the allowed characters, with 8 hex digits of a
hash of its ref so that two components never share one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from goship.supply.sbom.interface import MODULE_HASH_NOTE, Component, Inventory

SPDX_VERSION = "SPDX-2.3"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
NOASSERTION = "NOASSERTION"
_LABELS = {"container": "Image", "application": "Binary", "library": "Package"}
_PURPOSES = {"container": "CONTAINER", "application": "APPLICATION", "library": "LIBRARY"}
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9.-]+")


def spdx_id(component: Component) -> str:
    """``SPDXRef-Package-github.com-BurntSushi-toml-v1.2.1-1a2b3c4d``."""
    text = f"{component.name}-{component.version}" if component.version else component.name
    slug = _NOT_ALLOWED.sub("-", text).strip("-")[:100] or "component"
    suffix = hashlib.sha256(component.ref.encode()).hexdigest()[:8]
    return f"SPDXRef-{_LABELS[component.kind]}-{slug}-{suffix}"


def write_spdx(inventory: Inventory) -> bytes:
    """The inventory as SPDX 2.3 JSON (indented, ending in a newline)."""
    created = inventory.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    annotator = f"Tool: goship-{inventory.tool_version}"
    ids = {item.ref: spdx_id(item) for item in (inventory.root, *inventory.components)}
    kinds = {item.ref: item.kind for item in (inventory.root, *inventory.components)}
    root = inventory.root
    relationships = [_relationship(DOCUMENT_ID, "DESCRIBES", ids[root.ref])]
    edges = sorted((ids[source], "CONTAINS" if kinds[source] == "container" else "DEPENDS_ON",
                    ids[target])
                   for source, targets in inventory.dependencies for target in targets)
    relationships += [_relationship(*edge) for edge in edges]
    document: dict[str, Any] = {
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": f"{root.name}@{root.version}" if root.version else root.name,
        "documentNamespace": inventory.serial.urn,
        "creationInfo": {"created": created, "creators": [annotator]},
        "comment": MODULE_HASH_NOTE,
        "packages": [_package(item, ids[item.ref], created, annotator)
                     for item in (root, *inventory.components)],
        "relationships": relationships,
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"


def _package(item: Component, identifier: str, created: str, annotator: str) -> dict[str, Any]:
    package: dict[str, Any] = {"name": item.name, "SPDXID": identifier}
    if item.version:
        package["versionInfo"] = item.version
    package.update(downloadLocation=NOASSERTION, filesAnalyzed=False,
                   primaryPackagePurpose=_PURPOSES[item.kind])
    if item.sha256:
        package["checksums"] = [{"algorithm": "SHA256", "checksumValue": item.sha256}]
    package.update(licenseConcluded=NOASSERTION, licenseDeclared=NOASSERTION,
                   copyrightText=NOASSERTION)
    if item.purl:
        package["externalRefs"] = [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                    "referenceLocator": item.purl}]
    if item.module_hash:
        package["comment"] = MODULE_HASH_NOTE
    if item.properties:
        package["annotations"] = [{"annotationDate": created, "annotationType": "OTHER",
                                   "annotator": annotator, "comment": f"{name}={value}"}
                                  for name, value in item.properties]
    return package


def _relationship(source: str, kind: str, target: str) -> dict[str, str]:
    return {"spdxElementId": source, "relationshipType": kind, "relatedSpdxElement": target}
