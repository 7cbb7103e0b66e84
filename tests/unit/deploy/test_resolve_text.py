"""Finding and replacing goship:// references in YAML text (goship.deploy.resolve)."""

from __future__ import annotations

import pytest

from goship.deploy.resolve import find_mentions, package_of, replace_mentions
from goship.errors import UsageError

MODULE = "example.com/shop"
TEXT = """\
# goship://./cmd/api in a comment stays as it is
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api   # trailing comment
spec:
  template:
    spec:
      containers:
      - name: api
        image: goship://./cmd/api
      - name: worker
        image: "goship://example.com/shop/cmd/worker"   # quoted
      initContainers:
      - {name: migrate, image: 'goship://./cmd/api'}
      args: ["--image=goship://./cmd/api"]
---
goship://./cmd/api: a key is never replaced
"""
IMAGES = {"./cmd/api": "registry.example.com/shop/api@sha256:" + "1" * 64,
          "./cmd/worker": "registry.example.com/shop/worker@sha256:" + "2" * 64}


def test_values_are_found_with_their_location_and_style() -> None:
    mentions = find_mentions(TEXT, "deploy.yaml")
    assert [(m.location, m.style, m.target) for m in mentions] == [
        ("deploy.yaml:11:16", None, "./cmd/api"),
        ("deploy.yaml:13:16", '"', "example.com/shop/cmd/worker"),
        ("deploy.yaml:15:32", "'", "./cmd/api"),
    ]


def test_only_the_values_change_and_everything_else_stays_byte_for_byte() -> None:
    resolved = replace_mentions(TEXT, find_mentions(TEXT, "deploy.yaml"), IMAGES, MODULE)
    expected = (TEXT.replace("image: goship://./cmd/api", f"image: {IMAGES['./cmd/api']}")
                .replace('"goship://example.com/shop/cmd/worker"', f'"{IMAGES["./cmd/worker"]}"')
                .replace("'goship://./cmd/api'", f"'{IMAGES['./cmd/api']}'"))
    assert resolved == expected
    assert "# goship://./cmd/api in a comment" in resolved
    assert "--image=goship://./cmd/api" in resolved and "goship://./cmd/api: a key" in resolved


@pytest.mark.parametrize(("target", "package"), [
    ("./cmd/api", "./cmd/api"), ("./cmd/api/", "./cmd/api"), (".", "."), ("./cmd/../cmd/x", "./cmd/x"),
    ("example.com/shop", "."), ("example.com/shop/cmd/api", "./cmd/api"),
])
def test_references_name_packages_of_the_module(target: str, package: str) -> None:
    mention = find_mentions(f"image: goship://{target}\n", "f.yaml")[0]
    assert package_of(mention, MODULE) == package


@pytest.mark.parametrize("target", ["example.com/other/cmd/api", "../elsewhere", "cmd/api"])
def test_references_outside_the_module_are_refused_with_their_location(target: str) -> None:
    mention = find_mentions(f"a: 1\nimage: goship://{target}\n", "f.yaml")[0]
    with pytest.raises(UsageError, match=r"^f\.yaml:2:8: goship://"):
        package_of(mention, MODULE)


def test_text_that_is_not_yaml_is_refused_with_its_line() -> None:
    with pytest.raises(UsageError, match=r"^bad\.yaml:2: not valid YAML"):
        find_mentions("a: [1, 2\nb: goship://./x\n", "bad.yaml")
