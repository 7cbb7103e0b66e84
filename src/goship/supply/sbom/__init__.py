"""SBOMs from the build information Go writes into its binaries: CycloneDX 1.6 and SPDX 2.3
JSON, deterministic for the same image, and attached to the image in its registry.

interface.py holds the neutral inventory and the errors; identity.py the purls, versions
and h1: hashes; model.py maps the Go binaries found in a source to an inventory;
cyclonedx.py and spdx.py write it; documents.py picks the documents a source gives;
attach.py stores one in a registry (cosign's ``.sbom`` tag and an OCI 1.1 referrer).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goship.supply.sbom.attach import AttachResult, attach_sbom
    from goship.supply.sbom.documents import make_document, make_documents
    from goship.supply.sbom.interface import (
        FORMATS,
        LAYER_MEDIA_TYPES,
        Document,
        Format,
        Inventory,
        NoGoBinaryError,
        PlatformNotFoundError,
    )

# Loaded on first use: writing an SBOM to a file never needs the registry code attaching does.
_WHERE = {
    "AttachResult": "attach", "attach_sbom": "attach",
    "make_document": "documents", "make_documents": "documents",
    "FORMATS": "interface", "LAYER_MEDIA_TYPES": "interface", "Document": "interface",
    "Format": "interface", "Inventory": "interface", "NoGoBinaryError": "interface",
    "PlatformNotFoundError": "interface",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"goship.supply.sbom.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'goship.supply.sbom' has no attribute {name!r}")


__all__ = ["FORMATS", "LAYER_MEDIA_TYPES", "AttachResult", "Document", "Format", "Inventory",
           "NoGoBinaryError", "PlatformNotFoundError", "attach_sbom", "make_document",
           "make_documents"]
