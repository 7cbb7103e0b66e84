"""Which image an environment runs when --image is not given (goship.deploy.pinning); pinning
through a real registry is in tests/integration/deploy/test_manifests_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.config import Options, load_config
from goship.config_deploy import deploy_settings
from goship.deploy.pinning import environment_reference
from goship.errors import UsageError

IMAGES = '[[images]]\nname = "api"\npackage = "./cmd/api"\n'
ENVIRONMENTS = '''
[environments.dev]
repository = "registry.example.com/team/dev"
tags = ["dev-{short_commit}", "latest-{env}"]

[environments.prod]
tags = ["{version}", "stable-{env}"]

[environments.qa]
tags = ["{version}"]
'''


def reference(tmp_path: Path, text: str, environment: str | None, env: dict[str, str] | None = None) -> str:
    (tmp_path / "goship.toml").write_text(text)
    config = load_config(tmp_path, Options(), env or {})
    return str(environment_reference(config, deploy_settings(config, environment)))


def test_the_environment_repository_and_its_moving_tag(tmp_path: Path) -> None:
    text = 'repository = "registry.example.com/team/api"\n' + IMAGES + ENVIRONMENTS
    assert reference(tmp_path, text, "dev") == "registry.example.com/team/dev:latest-dev"
    assert reference(tmp_path, text, "prod") == "registry.example.com/team/api:stable-prod"
    assert reference(tmp_path, text, None) == "registry.example.com/team/api:latest"
    assert reference(tmp_path, text, "prod", {"GOSHIP_REPOSITORY": "registry.example.com/other/api"}) == \
        "registry.example.com/other/api:stable-prod"


def test_several_images_share_the_repository_as_repository_slash_name(tmp_path: Path) -> None:
    text = ('repository = "registry.example.com/team"\ntags = ["edge"]\n' + IMAGES +
            '[[images]]\nname = "worker"\npackage = "./cmd/worker"\n'
            '[[images]]\nname = "cron"\npackage = "./cmd/cron"\n'
            'repository = "registry.example.com/jobs/cron"\n'
            '\n[deploy]\nimage = "worker"\n\n[environments.prod.deploy]\nimage = "cron"\n'
            '[environments.prod]\ntags = ["latest-{env}"]\n')
    assert reference(tmp_path, text, None) == "registry.example.com/team/worker:edge"
    assert reference(tmp_path, text, "prod") == "registry.example.com/jobs/cron:latest-prod"


def test_an_environment_without_a_moving_tag_needs_image(tmp_path: Path) -> None:
    text = 'repository = "registry.example.com/team/api"\n' + IMAGES + ENVIRONMENTS
    with pytest.raises(UsageError, match="environment 'qa' has no moving tag") as caught:
        reference(tmp_path, text, "qa")
    assert "--image" in caught.value.hint and "latest-{env}" in caught.value.hint


def test_no_repository_at_all_needs_image(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no repository is configured for api") as caught:
        reference(tmp_path, IMAGES, None)
    assert "--image" in caught.value.hint
