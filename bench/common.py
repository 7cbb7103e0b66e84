"""What every benchmark report states about the machine it ran on."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path


def machine() -> dict[str, str]:
    """CPU model, cores, memory, kernel, OS, /bin/sh and the time of the run."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    os_name = subprocess.run(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""],
                             capture_output=True, text=True, check=False).stdout.strip() or "unknown"
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": memory,
        "kernel": platform.release(),
        "os": os_name,
        "sh": os.path.realpath("/bin/sh"),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
