"""A hardened systemd service for hosts without Kubernetes: the unit, an install script, and
an optional sysctl drop-in with a limits.d file.

The unit runs the binary as a dedicated system user with no login shell (or DynamicUser=yes)
and takes away what a Go network service does not need: no new privileges, a read-only
system, no home directories, a private /tmp and /dev, no capabilities (CAP_NET_BIND_SERVICE
alone for a port below 1024), the @system-service system calls only (others fail with EPERM
rather than killing the process), and IPv4, IPv6 and Unix sockets only. Plain configuration
goes into Environment= lines; secret values go into /etc/NAME/NAME.env, which the install
script creates empty (mode 0600: systemd reads it as root before dropping privileges).
Templates are written here by hand: a unit file and a short POSIX script need no library.
"""

from __future__ import annotations

import re
from decimal import Decimal

from goship.deploy.output.files import FileContent
from goship.deploy.settings import DeploySettings

SOMAXCONN = 65535
SYN_BACKLOG = 65535
_QUANTITY = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)([A-Za-z]*)$")
_BINARY = {"": 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def memory_bytes(quantity: str) -> int | None:
    """A Kubernetes memory quantity ("256Mi", "1G", "134217728") in bytes; None for "" or
    what is no plain quantity."""
    match = _QUANTITY.match(quantity.strip())
    if not match:
        return None
    number, unit = Decimal(match.group(1)), match.group(2)
    factor = _BINARY.get(unit) or _DECIMAL.get(unit)
    return int(number * factor) if factor else None


def cpu_percent(quantity: str) -> int | None:
    """A CPU quantity ("500m", "2") as systemd's CPUQuota percentage (50, 200)."""
    match = _QUANTITY.match(quantity.strip())
    if not match or match.group(2) not in ("", "m"):
        return None
    cores = Decimal(match.group(1)) / (1000 if match.group(2) == "m" else 1)
    return max(1, int(cores * 100))


def _quoted(text: str) -> str:
    """A value for a unit file line, in double quotes with C escapes; '%' doubled (specifiers)."""
    escaped = (text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
               .replace("\t", "\\t").replace("%", "%%"))
    return f"\"{escaped}\""


def user_name(settings: DeploySettings) -> str:
    return settings.systemd.user or settings.name


def binary_path(settings: DeploySettings) -> str:
    return f"{settings.systemd.install_dir.rstrip('/')}/{settings.name}/{settings.name}"


def environment_file(settings: DeploySettings) -> str:
    return f"/etc/{settings.name}/{settings.name}.env"


def unit(settings: DeploySettings) -> str:
    name = settings.name
    low_port = settings.port < 1024
    capabilities = "CAP_NET_BIND_SERVICE" if low_port else ""
    lines = [
        f"# {name}.service, written by `goship manifests --systemd` from goship.toml.",
        "[Unit]",
        f"Description={name}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=exec",
        f"ExecStart={binary_path(settings)}",
    ]
    if settings.systemd.dynamic_user:
        lines.append("DynamicUser=yes")
    else:
        user = user_name(settings)
        lines += [f"User={user}", f"Group={user}"]
    lines += [f"Environment={_quoted(f'{key}={value}')}" for key, value in sorted(settings.config.items())]
    lines += [
        f"EnvironmentFile=-{environment_file(settings)}",
        "WorkingDirectory=/",
        "Restart=on-failure",
        "RestartSec=2s",
        "TimeoutStopSec=30s",
        f"LimitNOFILE={settings.systemd.limit_nofile}",
    ]
    memory = memory_bytes(settings.resources.memory_limit)
    if memory:
        lines.append(f"MemoryMax={memory}")
    cpu = cpu_percent(settings.resources.cpu_limit)
    if cpu:
        lines.append(f"CPUQuota={cpu}%")
    lines += [
        "# Hardening: see systemd.exec(5)",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "ProtectProc=invisible",
        "ProcSubset=pid",
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "MemoryDenyWriteExecute=yes",
        "RemoveIPC=yes",
        "UMask=0077",
        f"CapabilityBoundingSet={capabilities}",
        f"AmbientCapabilities={capabilities}",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged",
        "SystemCallErrorNumber=EPERM",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def sysctl_dropin(settings: DeploySettings) -> str:
    return (f"# Written by `goship manifests --systemd` for {settings.name}: longer listen and SYN "
            "queues for many short connections.\n"
            f"net.core.somaxconn = {SOMAXCONN}\n"
            f"net.ipv4.tcp_max_syn_backlog = {SYN_BACKLOG}\n")


def limits_file(settings: DeploySettings) -> str:
    user = user_name(settings)
    nofile = settings.systemd.limit_nofile
    return (f"# Written by `goship manifests --systemd`: open files for {user} outside systemd "
            f"(the service itself has LimitNOFILE={nofile}).\n"
            f"{user} soft nofile {nofile}\n{user} hard nofile {nofile}\n")


def install_script(settings: DeploySettings) -> str:
    name = settings.name
    dynamic = settings.systemd.dynamic_user
    user = user_name(settings)
    directory = binary_path(settings).rsplit("/", 1)[0]
    secrets = [secret.variable for secret in settings.secrets]
    lines = [
        "#!/bin/sh",
        f"# Installs {name} as a hardened systemd service; written by `goship manifests --systemd`.",
        f"# Run as root from this directory's copy: sudo ./install.sh PATH/TO/{name}",
        "# Running it again upgrades the binary and the unit, and restarts the service.",
        "set -eu",
        "",
        f"name={name}",
        f"directory={directory}",
        f"config_dir=/etc/{name}",
        "here=$(cd \"$(dirname \"$0\")\" && pwd)",
        "",
        "if [ \"$#\" -ne 1 ] || [ ! -f \"$1\" ]; then",
        "  echo \"usage: $0 PATH/TO/$name (the Linux binary of $name)\" >&2",
        "  exit 2",
        "fi",
        "if [ \"$(id -u)\" -ne 0 ]; then",
        "  echo \"$0: run as root: sudo $0 $1\" >&2",
        "  exit 1",
        "fi",
        "",
    ]
    if dynamic:
        lines += [
            "# DynamicUser=yes: systemd allocates the user when the service starts.",
            "owner=root",
            "group=root",
            "mode=0755",
        ]
    else:
        lines += [
            f"user={user}",
            "owner=root",
            "group=$user",
            "mode=0750",
            "nologin=$(command -v nologin || echo /usr/sbin/nologin)",
            "if ! getent group \"$user\" >/dev/null; then",
            "  groupadd --system \"$user\"",
            "fi",
            "if ! getent passwd \"$user\" >/dev/null; then",
            "  useradd --system --gid \"$user\" --home-dir /nonexistent --no-create-home \\",
            "    --shell \"$nologin\" --comment \"$name service\" \"$user\"",
            "fi",
        ]
    lines += [
        "",
        "install -d -o \"$owner\" -g \"$group\" -m \"$mode\" \"$directory\"",
        "install -o \"$owner\" -g \"$group\" -m \"$mode\" \"$1\" \"$directory/.$name.new\"",
        "mv -f \"$directory/.$name.new\" \"$directory/$name\"",
        "",
        "# Secret values: VARIABLE=value lines, read by systemd (as root) when the service starts.",
        "install -d -o root -g root -m 0755 \"$config_dir\"",
        "if [ ! -e \"$config_dir/$name.env\" ]; then",
        "  install -o root -g root -m 0600 /dev/null \"$config_dir/$name.env\"",
        "  echo \"# secret values of $name, one VARIABLE=value per line\" >>\"$config_dir/$name.env\"",
    ]
    lines += [f"  echo \"# {variable}=\" >>\"$config_dir/$name.env\"" for variable in secrets]
    lines += [
        "fi",
        "",
        "install -o root -g root -m 0644 \"$here/$name.service\" \"/etc/systemd/system/$name.service\"",
    ]
    if settings.systemd.sysctl:
        lines += [
            "install -o root -g root -m 0644 \"$here/90-$name.conf\" \"/etc/sysctl.d/90-$name.conf\"",
            "sysctl -q -p \"/etc/sysctl.d/90-$name.conf\"",
            "install -o root -g root -m 0644 \"$here/$name-limits.conf\" "
            "\"/etc/security/limits.d/$name.conf\"",
        ]
    lines += [
        "systemctl daemon-reload",
        "systemctl enable \"$name.service\"",
        "systemctl restart \"$name.service\"",
        "echo \"$name: installed and started; see: systemctl status $name\"",
    ]
    return "\n".join(lines) + "\n"


def systemd_files(settings: DeploySettings) -> dict[str, FileContent]:
    """The files of ``goship manifests --systemd DIR``."""
    name = settings.name
    files = {f"{name}.service": FileContent(unit(settings).encode("utf-8")),
             "install.sh": FileContent(install_script(settings).encode("utf-8"), 0o755)}
    if settings.systemd.sysctl:
        files[f"90-{name}.conf"] = FileContent(sysctl_dropin(settings).encode("utf-8"))
        files[f"{name}-limits.conf"] = FileContent(limits_file(settings).encode("utf-8"))
    return files
