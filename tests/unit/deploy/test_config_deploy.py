"""[deploy] and [environments.NAME.deploy] in goship.toml (goship.config_deploy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from goship.config import Options, load_config
from goship.config_deploy import deploy_settings
from goship.deploy.settings import Autoscale, SecretValue
from goship.errors import ConfigError, UsageError

FULL = '''\
repository = "registry.example.com/team/shop"

[[images]]
name = "api"
package = "./cmd/api"
ports = [9090]

[deploy]
replicas = 2
timeout = "2m"
kubernetes-version = "1.31"
labels = { team = "payments" }

[deploy.config]
LOG_LEVEL = "info"
REGION = "eu"

[deploy.secrets]
DB_PASSWORD = { from-env = "SHOP_DB_PASSWORD" }
API_TOKEN = { from-file = "secrets/token" }
TLS_KEY = { secret = "shared-tls", key = "tls.key" }

[deploy.resources]
cpu-request = "250m"
memory-limit = "512Mi"

[deploy.probes]
path = "/livez"
readiness-path = "/readyz"
period = "5s"

[environments.dev]
tags = ["latest-{env}"]

[environments.prod]
tags = ["{version}", "latest-{env}"]

[environments.prod.deploy]
namespace = "shop"
replicas = 4
strategy = "canary"
autoscale = { min-replicas = 4, max-replicas = 12 }
min-available = "50%"
canary = { steps = [5, 25, 100], pause = "30s", istio = true }

[environments.prod.deploy.config]
LOG_LEVEL = "warn"

[environments.prod.deploy.resources]
memory-limit = "1Gi"
'''


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "goship.toml").write_text(text)
    return tmp_path


def error_of(tmp_path: Path, text: str, environment: str | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        deploy_settings(write(tmp_path, text), environment)
    return caught.value


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_deploy_alone_takes_name_and_port_from_the_image(tmp_path: Path) -> None:
    settings = deploy_settings(write(tmp_path, FULL), None)
    assert (settings.name, settings.image, settings.port, settings.environment) == ("api", "api", 9090, "")
    assert settings.namespace == "default"
    assert settings.timeout == 120.0
    assert settings.kubernetes_version == "1.31"
    assert settings.config == {"LOG_LEVEL": "info", "REGION": "eu"}
    assert settings.probes.path == "/livez" and settings.probes.readiness_path == "/readyz"
    assert settings.probes.period == 5.0
    assert settings.resources.cpu_request == "250m" and settings.resources.memory_limit == "512Mi"
    assert settings.resources.memory_request == "64Mi"  # the default stays where not set
    assert settings.labels == {"team": "payments"}
    assert settings.autoscale is None and settings.min_available is None


def test_secrets_name_their_source_and_files_are_relative_to_goship_toml(tmp_path: Path) -> None:
    settings = deploy_settings(write(tmp_path, FULL), None)
    assert settings.secrets == (
        SecretValue("API_TOKEN", from_file=str(tmp_path / "secrets" / "token")),
        SecretValue("DB_PASSWORD", from_env="SHOP_DB_PASSWORD"),
        SecretValue("TLS_KEY", secret="shared-tls", key="tls.key"),
    )


def test_environment_keys_lie_over_deploy_key_by_key(tmp_path: Path) -> None:
    settings = deploy_settings(write(tmp_path, FULL), "prod")
    assert settings.environment == "prod"
    assert (settings.namespace, settings.replicas, settings.strategy) == ("shop", 4, "canary")
    assert settings.config == {"LOG_LEVEL": "warn", "REGION": "eu"}  # one key replaced, one kept
    assert settings.resources.memory_limit == "1Gi"
    assert settings.resources.cpu_request == "250m"  # from [deploy.resources]
    assert settings.autoscale == Autoscale(min_replicas=4, max_replicas=12, cpu_utilization=80)
    assert settings.min_available == "50%"
    assert settings.canary.steps == (5, 25, 100) and settings.canary.pause == 30.0 and settings.canary.istio
    assert settings.timeout == 120.0 and settings.labels == {"team": "payments"}
    dev = deploy_settings(write(tmp_path, FULL), "dev")  # no deploy table of its own
    assert dev.environment == "dev" and dev.replicas == 2 and dev.namespace == "default"


def test_settings_come_through_the_loaded_config_too(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), Options(), {})
    assert deploy_settings(config, "prod") == deploy_settings(tmp_path / "goship.toml", "prod")


def test_an_environment_not_in_goship_toml_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        deploy_settings(write(tmp_path, FULL), "staging")
    assert "unknown environment 'staging'" in caught.value.message
    assert "dev, prod" in caught.value.message
    assert caught.value.exit_code == 2


def test_without_deploy_tables_the_defaults_follow_the_first_image(tmp_path: Path) -> None:
    text = '[[images]]\nname = "web"\npackage = "./cmd/web"\nports = [8081]\n\n[environments.qa]\n'
    settings = deploy_settings(write(tmp_path, text), "qa")
    assert (settings.name, settings.port, settings.environment, settings.replicas) == ("web", 8081, "qa", 2)
    with pytest.raises(UsageError):
        deploy_settings(tmp_path, "prod")


def test_an_unknown_key_names_file_line_and_a_close_match(tmp_path: Path) -> None:
    text = FULL.replace("replicas = 4", "replica = 4")
    error = error_of(tmp_path, text, "prod")
    assert error.message == (f"{tmp_path / 'goship.toml'}:{line_of(text, 'replica = 4')}: "
                             "unknown key 'environments.prod.deploy.replica'")
    assert error.hint.startswith("did you mean 'replicas'?")


def test_an_unknown_key_of_a_sub_table_is_refused_too(tmp_path: Path) -> None:
    text = FULL.replace('cpu-request = "250m"', 'cpu-requests = "250m"')
    error = error_of(tmp_path, text)
    assert f":{line_of(text, 'cpu-requests')}: unknown key 'deploy.resources.cpu-requests'" in error.message
    assert "did you mean 'cpu-request'?" in error.hint


def test_unknown_keys_fail_every_command_that_reads_goship_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'deploy\.replica'"):
        load_config(write(tmp_path, "[deploy]\nreplica = 2\n"), Options(), {})


@pytest.mark.parametrize("value", ['"hunter2"', '{ value = "hunter2" }'])
def test_a_secret_value_in_goship_toml_is_refused(tmp_path: Path, value: str) -> None:
    text = f"[deploy]\nport = 8080\n\n[deploy.secrets]\nDB_PASSWORD = {value}\n"
    error = error_of(tmp_path, text)
    assert "never put secret values in goship.toml" in error.message
    assert error.message.startswith(f"{tmp_path / 'goship.toml'}:5:")
    assert "from-env" in error.hint


def test_a_secret_needs_exactly_one_source(tmp_path: Path) -> None:
    error = error_of(tmp_path, '[deploy]\nsecrets = { A = { from-env = "A", from-file = "a" } }\n')
    assert "exactly one source" in error.message and ":2:" in error.message
    error = error_of(tmp_path, '[deploy]\nsecrets = { A = { secret = "shared" } }\n')
    assert "no key" in error.message


def test_a_wrong_type_names_what_is_expected(tmp_path: Path) -> None:
    error = error_of(tmp_path, "[deploy]\nreplicas = \"two\"\n")
    assert error.message.endswith(":2: 'deploy.replicas' must be a whole number")


@pytest.mark.parametrize(("line", "wanted"), [
    ('resources = { cpu-limit = "lots" }', "not a Kubernetes quantity"),
    ('timeout = "soon"', "not a duration"),
    ('strategy = "big-bang"', "'deploy.strategy' is 'big-bang'"),
    ('canary = { steps = [50, 10, 100] }', "'deploy.canary.steps' is [50, 10, 100]"),
    ('canary = { steps = [10, 50] }', "'deploy.canary.steps' is [10, 50]"),
    ('probes = { path = "healthz" }', "not an HTTP path"),
    ('name = "Hello_World"', "not a Kubernetes name"),
    ('labels = { "app.kubernetes.io/name" = "x" }', "goship sets the 'app.kubernetes.io/name' label"),
    ('config = { "1BAD" = "x" }', "not an environment variable name"),
    ('min-available = "150%"', "'deploy.min-available' is '150%'"),
    ('port = 70000', "not a port"),
    ('kubernetes-version = "latest"', "'deploy.kubernetes-version' is 'latest'"),
])
def test_values_kubernetes_would_reject_are_refused_early(tmp_path: Path, line: str, wanted: str) -> None:
    error = error_of(tmp_path, f"[deploy]\n{line}\n")
    assert wanted in error.message
    assert error.message.startswith(f"{tmp_path / 'goship.toml'}:2:")


def test_autoscaling_needs_a_cpu_request(tmp_path: Path) -> None:
    error = error_of(tmp_path, '[deploy]\nresources = { cpu-request = "" }\n'
                              'autoscale = { max-replicas = 5 }\n')
    assert "no CPU request" in error.message


def test_an_environment_can_turn_autoscaling_off(tmp_path: Path) -> None:
    text = "[deploy]\nautoscale = { max-replicas = 5 }\n\n[environments.dev.deploy]\nautoscale = false\n"
    assert deploy_settings(write(tmp_path, text), None).autoscale is not None
    assert deploy_settings(write(tmp_path, text), "dev").autoscale is None


def test_a_config_key_that_is_also_a_secret_is_refused(tmp_path: Path) -> None:
    error = error_of(tmp_path, '[deploy]\nconfig = { TOKEN = "x" }\n'
                              'secrets = { TOKEN = { from-env = "T" } }\n')
    assert "both in config and in secrets" in error.message


def test_an_error_in_an_environment_points_at_its_table(tmp_path: Path) -> None:
    text = FULL.replace('namespace = "shop"', 'namespace = "Shop!"')
    error = error_of(tmp_path, text, "prod")
    assert error.message.startswith(f"{tmp_path / 'goship.toml'}:{line_of(text, 'Shop!')}: "
                                    "'environments.prod.deploy.namespace' is 'Shop!'")
