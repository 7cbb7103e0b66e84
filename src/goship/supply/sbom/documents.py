"""Which SBOM documents a source gives, in which format.

Without a platform the document describes what the user's reference resolves to: an index
gives one document covering every platform image (the index is the described component,
each platform image a component of it, and a module shared by the platforms is listed
once); a single image or a binary gives its own. A platform selects that platform image.
For attaching, ``per_platform`` adds one document per platform image, so every manifest a
reader may resolve (the index, or the image for its platform) carries an SBOM describing
exactly it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from goship.gobinary.subject import Subject
from goship.supply.sbom.cyclonedx import write_cyclonedx
from goship.supply.sbom.identity import STDLIB
from goship.supply.sbom.interface import (
    LAYER_MEDIA_TYPES,
    Document,
    DocumentWriter,
    Format,
    Inventory,
)
from goship.supply.sbom.model import inventory_of, require_go_binaries, select_platform
from goship.supply.sbom.spdx import write_spdx

WRITERS: dict[Format, DocumentWriter] = {"cyclonedx": write_cyclonedx, "spdx": write_spdx}


def make_documents(subjects: Sequence[Subject], format: Format, *, tool_version: str,
                   created: datetime | None = None, platform: str | None = None,
                   per_platform: bool = False) -> list[Document]:
    """The documents for ``subjects`` (what ``find_go_binaries`` found in one source): the
    one describing the source (or ``platform``'s image) first, then, with ``per_platform``
    and an index, one per platform image."""
    chosen = select_platform(subjects, platform)
    require_go_binaries(chosen)
    whole = platform is None and chosen[0].index_digest is not None
    documents = [make_document(chosen if whole else chosen[:1], format, tool_version=tool_version,
                               created=created, whole_index=whole)]
    if whole and per_platform:
        documents += [make_document([subject], format, tool_version=tool_version, created=created)
                      for subject in chosen]
    return documents


def make_document(subjects: Sequence[Subject], format: Format, *, tool_version: str,
                  created: datetime | None = None, whole_index: bool = False) -> Document:
    """One document: of the single subject, or (``whole_index``) of the index they share."""
    inventory = inventory_of(subjects, format, tool_version=tool_version, created=created,
                             whole_index=whole_index)
    return Document(format=format, content=WRITERS[format](inventory),
                    media_type=LAYER_MEDIA_TYPES[format],
                    subject_digest=subjects[0].index_digest if whole_index else subjects[0].digest,
                    platform="" if whole_index else subjects[0].platform,
                    binaries=sum(len(subject.binaries) for subject in subjects),
                    modules=module_count(inventory))


def module_count(inventory: Inventory) -> int:
    """The distinct Go modules listed (the standard library not counted)."""
    return sum(1 for item in (inventory.root, *inventory.components)
               if item.kind == "library" and item.name != STDLIB)
