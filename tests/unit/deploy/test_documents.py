"""YAML output in a stable form, checked against golden files in tests/data/deploy.

Set GOSHIP_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change (and read the
diff before committing it).
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from pathlib import Path

import pytest

from goship import __version__
from goship.deploy.output.documents import dump_documents, dump_object, load_documents
from goship.deploy.render import render_objects
from goship.deploy.settings import Autoscale, Canary, DeploySettings, SecretValue, Systemd
from goship.deploy.systemd import unit

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "deploy"
IMAGE = "registry.example.com/team/hello:1.4.2@sha256:" + "0123456789abcdef" * 4
SETTINGS = DeploySettings(
    name="hello", environment="prod", namespace="shop", replicas=3,
    config={"LOG_LEVEL": "info", "GREETING": "line one\nline two", "FLAG": "true", "EMPTY": ""},
    secrets=(SecretValue("DB_PASSWORD", from_env="DB_PASSWORD"),),
    autoscale=Autoscale(min_replicas=3, max_replicas=9), min_available=2, labels={"team": "payments"},
    systemd=Systemd(sysctl=True))


def check_golden(name: str, text: str) -> None:
    text = text.replace(f"goship.dev/goship-version: {__version__}", "goship.dev/goship-version: GOSHIP")
    path = GOLDEN / name
    if os.environ.get("GOSHIP_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.read_text() == text, f"{name} changed; GOSHIP_UPDATE_GOLDEN=1 rewrites it"


def test_rolling_environment_matches_its_golden_file() -> None:
    check_golden("hello-prod.yaml", dump_documents(render_objects(SETTINGS, IMAGE)))


def test_canary_with_istio_matches_its_golden_file() -> None:
    settings = replace(SETTINGS, strategy="canary", canary=Canary(istio=True), autoscale=None,
                       min_available=None)
    check_golden("hello-prod-canary-istio.yaml", dump_documents(render_objects(settings, IMAGE)))


def test_the_systemd_unit_matches_its_golden_file() -> None:
    check_golden("hello.service", unit(SETTINGS))


def test_key_order_does_not_depend_on_how_the_object_was_built() -> None:
    obj = render_objects(SETTINGS, IMAGE)[2]

    def shuffled(value: object, rng: random.Random) -> object:
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return {key: shuffled(item, rng) for key, item in items}
        if isinstance(value, list):
            return [shuffled(item, rng) for item in value]
        return value

    text = dump_object(obj)
    for seed in range(5):
        assert dump_object(shuffled(obj, random.Random(seed))) == text  # type: ignore[arg-type]
    lines = text.splitlines()
    assert lines[:3] == ["apiVersion: apps/v1", "kind: Deployment", "metadata:"]
    assert lines[3] == "  name: hello"


@pytest.mark.parametrize("value", ["true", "0755", "1.10", "", "yes", "null", "a: b", "- x", "#x", "~"])
def test_strings_that_look_like_other_types_stay_strings(value: str) -> None:
    settings = replace(SETTINGS, config={"V": value})
    text = dump_documents(render_objects(settings, IMAGE))
    assert load_documents(text)[0]["data"] == {"V": value}


def test_documents_parse_back_to_the_objects() -> None:
    objects = render_objects(SETTINGS, IMAGE)
    assert load_documents(dump_documents(objects)) == objects
