"""CycloneDX 1.6 JSON from an ``Inventory``, written by cyclonedx-python-lib (the CycloneDX
project's own library: its model keeps components, properties and dependencies in sorted
sets, and its outputter writes the 1.6 schema's JSON).

The described image or binary is ``metadata.component``; every other component is listed
once under ``components`` with its purl as bom-ref; ``dependencies`` say which binary uses
which modules. A module's SHA-256 hash is its go.sum h1: hash (see ``MODULE_HASH_NOTE``,
repeated as a metadata property), and each module keeps the h1: text as a property.

One correction to the library's output: it lists every component in ``dependencies``, an
empty ``dependsOn`` for those it was told nothing about, and the 1.6 specification reads an
empty entry as "has no dependencies". A Go binary records which modules it was built with,
not which module needs which, so a module's own dependencies are unknown and, as the
specification asks for unknown ones, it is left out of the graph.
"""

from __future__ import annotations

import json
import warnings

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CycloneComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from goship.supply.sbom.interface import Component, Inventory

_TYPES = {"container": ComponentType.CONTAINER, "application": ComponentType.APPLICATION,
          "library": ComponentType.LIBRARY}


def write_cyclonedx(inventory: Inventory) -> bytes:
    """The inventory as CycloneDX 1.6 JSON (indented, ending in a newline)."""
    components = {item.ref: _component(item) for item in inventory.components}
    root = _component(inventory.root)
    tool = CycloneComponent(type=ComponentType.APPLICATION, name="goship",
                            version=inventory.tool_version, bom_ref="tool:goship")
    bom = Bom(
        serial_number=inventory.serial,
        metadata=BomMetaData(
            timestamp=inventory.created, component=root,
            tools=ToolRepository(components=[tool]),
            properties=[Property(name=name, value=value) for name, value in inventory.properties]),
        components=list(components.values()),
    )
    every = {**components, inventory.root.ref: root}
    for ref, targets in inventory.dependencies:
        bom.register_dependency(every[ref], [every[target] for target in targets])
    with warnings.catch_warnings():
        # The library warns about a described component without dependencies (a binary
        # with no modules has none); that is what the document should say.
        warnings.simplefilter("ignore", UserWarning)
        text = JsonV1Dot6(bom).output_as_string()
    data = json.loads(text)
    data["dependencies"] = [item for item in data.get("dependencies", []) if item.get("dependsOn")]
    return json.dumps(data, indent=2, ensure_ascii=False).encode() + b"\n"


def _component(item: Component) -> CycloneComponent:
    hashes = [HashType(alg=HashAlgorithm.SHA_256, content=item.sha256)] if item.sha256 else []
    return CycloneComponent(
        type=_TYPES[item.kind], name=item.name, version=item.version or None, bom_ref=item.ref,
        purl=PackageURL.from_string(item.purl) if item.purl else None, hashes=hashes,
        properties=[Property(name=name, value=value) for name, value in item.properties])
