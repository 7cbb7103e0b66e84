"""A copy of examples/hello with [deploy] tables and three environments, for the deploy tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import copy_example

DIGEST = "sha256:" + "5e" * 32
IMAGE = f"registry.example.com/team/hello:1.4.2@{DIGEST}"
ENVIRONMENTS = ("dev", "staging", "prod")

DEPLOY = '''
[deploy]
port = 8080
kubernetes-version = "1.30"
labels = { team = "payments" }
min-available = 1

[deploy.config]
LOG_LEVEL = "info"
GREETING = "say \\"hi\\""
QUOTED = "'single'"
MULTI = """line one
line two"""
HTML = "<a href='x'>&</a>"

[deploy.secrets]
DB_PASSWORD = { from-env = "HELLO_DB_PASSWORD" }
TLS_KEY = { secret = "shared-tls", key = "tls.key" }

[environments.dev]
tags = ["latest-{env}"]

[environments.dev.deploy]
namespace = "hello-dev"
replicas = 1
min-available = false

[environments.staging]
tags = ["latest-{env}"]

[environments.staging.deploy]
namespace = "hello-staging"
strategy = "blue-green"
config = { LOG_LEVEL = "debug", EXTRA = "1" }

[environments.prod]
tags = ["{version}", "latest-{env}"]

[environments.prod.deploy]
namespace = "shop"
strategy = "canary"
canary = { istio = true }
autoscale = { min-replicas = 3, max-replicas = 9 }
resources = { cpu-limit = "1", memory-limit = "512Mi" }
labels = { tier = "frontend" }
'''


def deploy_project(target: Path, extra: str = "", *, top: str = "") -> Path:
    """The example module with DEPLOY (and ``extra``) appended to its goship.toml; ``top``
    goes before the first table."""
    project = copy_example(target)
    config = project / "goship.toml"
    config.write_text(top + config.read_text() + DEPLOY + extra)
    return project
