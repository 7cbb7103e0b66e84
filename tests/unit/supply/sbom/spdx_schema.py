"""What an SPDX 2.3 JSON document must hold, checked with jsonschema.

The official SPDX 2.3 JSON schema is not installed with any package here, so this is the
part of it that goship's documents use, written from the specification (clauses 6-11 and
the schema's required fields, patterns and enumerations): the document's required fields,
SPDX IDs of the allowed characters, UTC timestamps, checksum algorithms, external reference
categories, package purposes, annotation and relationship types, and no field the schema
does not define (``additionalProperties: false`` there too). ``spdx_problems`` adds what a
schema cannot say: IDs are unique and every relationship names an element of the document.
"""

from __future__ import annotations

from typing import Any

import jsonschema

_DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"
_ID = r"^SPDXRef-[a-zA-Z0-9.-]+$"
_ALGORITHMS = ["SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA3-256", "SHA3-384", "SHA3-512",
               "BLAKE2b-256", "BLAKE2b-384", "BLAKE2b-512", "BLAKE3", "MD2", "MD4", "MD5", "MD6",
               "ADLER32"]
_PURPOSES = ["APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER", "OPERATING-SYSTEM", "DEVICE",
             "FIRMWARE", "SOURCE", "ARCHIVE", "FILE", "INSTALL", "OTHER"]
_RELATIONSHIPS = ["DESCRIBES", "DESCRIBED_BY", "CONTAINS", "CONTAINED_BY", "DEPENDS_ON",
                  "DEPENDENCY_OF", "STATIC_LINK", "DYNAMIC_LINK", "GENERATED_FROM", "GENERATES",
                  "BUILD_DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "VARIANT_OF", "OTHER"]

_ANNOTATION = {
    "type": "object",
    "required": ["annotationDate", "annotationType", "annotator", "comment"],
    "additionalProperties": False,
    "properties": {
        "annotationDate": {"type": "string", "pattern": _DATE},
        "annotationType": {"enum": ["OTHER", "REVIEW"]},
        "annotator": {"type": "string", "pattern": r"^(Tool|Person|Organization): \S"},
        "comment": {"type": "string"},
    },
}
_PACKAGE = {
    "type": "object",
    "required": ["SPDXID", "downloadLocation", "name"],
    "additionalProperties": False,
    "properties": {
        "SPDXID": {"type": "string", "pattern": _ID},
        "name": {"type": "string", "minLength": 1},
        "versionInfo": {"type": "string", "minLength": 1},
        "downloadLocation": {"type": "string", "minLength": 1},
        "filesAnalyzed": {"type": "boolean"},
        "primaryPackagePurpose": {"enum": _PURPOSES},
        "checksums": {"type": "array", "items": {
            "type": "object", "required": ["algorithm", "checksumValue"], "additionalProperties": False,
            "properties": {"algorithm": {"enum": _ALGORITHMS},
                           "checksumValue": {"type": "string", "pattern": "^[0-9a-f]+$"}}}},
        "licenseConcluded": {"type": "string"},
        "licenseDeclared": {"type": "string"},
        "copyrightText": {"type": "string"},
        "comment": {"type": "string"},
        "externalRefs": {"type": "array", "items": {
            "type": "object", "required": ["referenceCategory", "referenceLocator", "referenceType"],
            "additionalProperties": False,
            "properties": {"referenceCategory": {"enum": ["SECURITY", "PACKAGE-MANAGER",
                                                          "PERSISTENT-ID", "OTHER"]},
                           "referenceType": {"type": "string"},
                           "referenceLocator": {"type": "string", "pattern": r"^\S+$"},
                           "comment": {"type": "string"}}}},
        "annotations": {"type": "array", "items": _ANNOTATION},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["SPDXID", "creationInfo", "dataLicense", "name", "spdxVersion", "documentNamespace"],
    "additionalProperties": False,
    "properties": {
        "spdxVersion": {"const": "SPDX-2.3"},
        "dataLicense": {"const": "CC0-1.0"},
        "SPDXID": {"const": "SPDXRef-DOCUMENT"},
        "name": {"type": "string", "minLength": 1},
        # An absolute URI without a fragment (clause 6.5).
        "documentNamespace": {"type": "string", "pattern": r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^#\s]+$"},
        "comment": {"type": "string"},
        "creationInfo": {
            "type": "object", "required": ["created", "creators"], "additionalProperties": False,
            "properties": {"created": {"type": "string", "pattern": _DATE},
                           "creators": {"type": "array", "minItems": 1, "items": {
                               "type": "string", "pattern": r"^(Tool|Person|Organization): \S"}},
                           "comment": {"type": "string"},
                           "licenseListVersion": {"type": "string"}}},
        "packages": {"type": "array", "items": _PACKAGE},
        "relationships": {"type": "array", "items": {
            "type": "object", "required": ["spdxElementId", "relatedSpdxElement", "relationshipType"],
            "additionalProperties": False,
            "properties": {"spdxElementId": {"type": "string"},
                           "relatedSpdxElement": {"type": "string"},
                           "relationshipType": {"enum": _RELATIONSHIPS},
                           "comment": {"type": "string"}}}},
    },
}


def spdx_problems(document: dict[str, Any]) -> list[str]:
    """Every way ``document`` breaks the rules above ([] for a valid one)."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(document)]
    ids = [package.get("SPDXID") for package in document.get("packages", [])]
    if len(ids) != len(set(ids)):
        problems.append("two packages share an SPDXID")
    known = {*ids, "SPDXRef-DOCUMENT"}
    for relationship in document.get("relationships", []):
        for key in ("spdxElementId", "relatedSpdxElement"):
            if relationship.get(key) not in known:
                problems.append(f"relationship names {relationship.get(key)}, which is not in the document")
    if not any(item.get("relationshipType") == "DESCRIBES" and item.get("spdxElementId") == "SPDXRef-DOCUMENT"
               for item in document.get("relationships", [])):
        problems.append("the document DESCRIBES nothing")
    return problems
