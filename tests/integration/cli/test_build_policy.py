"""`goship build` checks its own images against the image standard before publishing them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from tests.conftest import Goship

pytestmark = pytest.mark.integration

LICENSES = "org.opencontainers.image.licenses"
ACCEPT = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"


def require_licenses(example: Path) -> None:
    """A team standard goship's defaults do not meet: every image names its licence."""
    config = example / "goship.toml"
    config.write_text(config.read_text() + f'\n[policy]\nrequired-labels = ["{LICENSES}"]\n')


def layout_names(example: Path) -> list[str]:
    index = example / ".goship" / "oci" / "index.json"
    if not index.exists():
        return []
    return [item.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
            for item in json.loads(index.read_text())["manifests"]]


def test_an_error_stops_publishing_and_warn_lets_it_through(goship: Goship, example: Path) -> None:
    require_licenses(example)

    refused = goship("build", cwd=example)
    assert refused.code == 9, refused.output
    assert "GS602" in refused.stderr and LICENSES in refused.stderr
    assert "no manifest or tag was published" in refused.stderr and "Traceback" not in refused.output
    assert refused.stdout == "" and layout_names(example) == []

    warned = goship("build", "--policy", "warn", cwd=example)
    assert warned.code == 0, warned.output
    assert "GS602" in warned.stderr and layout_names(example)

    # Meeting the standard: the label is set, and nothing is reported any more.
    config = example / "goship.toml"
    config.write_text(config.read_text().replace(
        "[policy]", f'[labels]\n"{LICENSES}" = "Apache-2.0"\n\n[policy]', 1))
    clean = goship("build", cwd=example)
    assert clean.code == 0, clean.output
    assert "GS6" not in clean.stderr


def test_a_refused_image_leaves_no_tag_in_the_registry(goship: Goship, example: Path, registry_plain) -> None:
    require_licenses(example)
    repository = f"{registry_plain.host}/policy/hello"
    refused = goship("build", "--push", repository, "--tag", "v1", cwd=example)
    assert refused.code == 9, refused.output
    answer = httpx.get(f"http://{registry_plain.host}/v2/policy/hello/manifests/v1",
                       headers={"Accept": ACCEPT})
    assert answer.status_code == 404

    pushed = goship("build", "--push", repository, "--tag", "v1", "--policy", "off", cwd=example)
    assert pushed.code == 0, pushed.output
    assert "GS602" not in pushed.stderr
    answer = httpx.get(f"http://{registry_plain.host}/v2/policy/hello/manifests/v1",
                       headers={"Accept": ACCEPT})
    assert answer.status_code == 200
