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


def replace_section(docs: Path, text: str) -> None:
    """Put ``text`` (a Markdown section starting with its ``## `` heading) into ``docs``: in
    place of the section with the same heading, up to the next ``## ``, or at the end."""
    heading = text.splitlines()[0]
    lines = docs.read_text().splitlines(keepends=True)
    start = next((number for number, line in enumerate(lines) if line.rstrip("\n") == heading), None)
    if start is None:
        body = "".join(lines)
        body += ("" if body.endswith("\n") else "\n") + "\n" + text
    else:
        end = next((number for number in range(start + 1, len(lines)) if lines[number].startswith("## ")),
                   len(lines))
        tail = "".join(lines[end:])
        body = "".join(lines[:start]) + text.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    temp = docs.with_suffix(".tmp")
    temp.write_text(body)
    temp.replace(docs)
