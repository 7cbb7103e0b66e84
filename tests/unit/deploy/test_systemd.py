"""The systemd unit, install script and sysctl drop-in (goship.deploy.systemd); checks with
systemd-analyze and bash are in tests/integration/deploy/test_systemd_verify.py."""

from __future__ import annotations

from dataclasses import replace

from goship.deploy.settings import DeploySettings, Resources, SecretValue, Systemd
from goship.deploy.systemd import cpu_percent, install_script, memory_bytes, systemd_files, unit

SETTINGS = DeploySettings(name="hello", config={"GREETING": "say \"hi\" at 100%"},
                          secrets=(SecretValue("DB_PASSWORD", from_env="DB_PASSWORD"),),
                          resources=Resources(cpu_limit="1500m", memory_limit="256Mi"))


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_as_a_dedicated_user_with_everything_locked_down() -> None:
    found = directives(unit(SETTINGS))
    assert found["User"] == ["hello"] and found["Group"] == ["hello"]
    assert found["ExecStart"] == ["/opt/hello/hello"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
                       "AmbientCapabilities": "", "Restart": "on-failure", "LimitNOFILE": "65536",
                       "EnvironmentFile": "-/etc/hello/hello.env",
                       "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX"}.items():
        assert found[key] == [value], key
    assert "@system-service" in found["SystemCallFilter"]
    assert found["MemoryMax"] == [str(256 << 20)] and found["CPUQuota"] == ["150%"]


def test_config_is_quoted_for_systemd_and_secrets_stay_out_of_the_unit() -> None:
    text = unit(SETTINGS)
    assert 'Environment="GREETING=say \\"hi\\" at 100%%"' in text.splitlines()
    assert "DB_PASSWORD" not in text


def test_a_port_below_1024_gets_only_the_bind_capability() -> None:
    found = directives(unit(replace(SETTINGS, port=443)))
    assert found["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    assert found["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]


def test_dynamic_user_needs_no_account() -> None:
    settings = replace(SETTINGS, systemd=Systemd(dynamic_user=True))
    found = directives(unit(settings))
    assert found["DynamicUser"] == ["yes"] and "User" not in found
    assert "useradd" not in install_script(settings)


def test_the_install_script_creates_a_user_without_login_and_places_the_binary() -> None:
    script = install_script(replace(SETTINGS, systemd=Systemd(user="svc-hello", install_dir="/srv")))
    assert script.startswith("#!/bin/sh\n")
    assert "user=svc-hello" in script and "--shell \"$nologin\"" in script and "useradd --system" in script
    assert "directory=/srv/hello" in script
    assert "group=$user" in script and "mode=0750" in script
    assert "install -o \"$owner\" -g \"$group\" -m \"$mode\" \"$1\"" in script
    assert "# DB_PASSWORD=" in script  # a commented placeholder in the new environment file
    assert "systemctl enable" in script and "sysctl" not in script


def test_sysctl_and_limits_files_only_when_asked() -> None:
    assert sorted(systemd_files(SETTINGS)) == ["hello.service", "install.sh"]
    files = systemd_files(replace(SETTINGS, systemd=Systemd(sysctl=True, limit_nofile=4096)))
    assert sorted(files) == ["90-hello.conf", "hello-limits.conf", "hello.service", "install.sh"]
    assert b"net.core.somaxconn = 65535" in files["90-hello.conf"].data
    assert b"net.ipv4.tcp_max_syn_backlog = 65535" in files["90-hello.conf"].data
    assert b"hello hard nofile 4096" in files["hello-limits.conf"].data
    assert files["install.sh"].mode == 0o755 and b"/etc/sysctl.d/" in files["install.sh"].data


def test_kubernetes_quantities_become_systemd_limits() -> None:
    assert memory_bytes("1Gi") == 1 << 30 and memory_bytes("500M") == 500_000_000
    assert memory_bytes("") is None and memory_bytes("12x") is None
    assert cpu_percent("250m") == 25 and cpu_percent("2") == 200 and cpu_percent("") is None
