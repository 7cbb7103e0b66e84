"""The build server: goship kept loaded between builds, for a fast edit-build-push loop.

`goship server start` leaves a process listening on a Unix socket that only this user can
open. While it runs, `goship build` hands its arguments, directory and environment to it
and prints what it sends back; the build itself is the same code with the same results.
A build then skips interpreter start-up and imports, and Go does not share the CPU with
them. The server serves one build at a time, stops after an idle hour or when goship's
files change, and `goship server stop` ends it. Where Unix sockets are missing (older
Windows) the command says so and builds run in-process as always.

Protocol (frames of goship.cli.rendezvous): one request from the client, then
``{"stream": "stdout"|"stderr", "text": ...}`` while it runs, and ``{"exit": N}`` at the
end, or ``{"stale": True}`` when the client should build in-process instead.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import goship
from goship.cli import rendezvous
from goship.errors import UsageError

IDLE_SECONDS = 3600.0
READY_SECONDS = 10.0


def _fingerprint() -> tuple[tuple[str, int, int], ...]:
    """The goship source files as they are now; a change makes a running server stale."""
    root = Path(goship.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        stat = path.stat()
        found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


class _StreamToClient:
    """A text stream whose writes go to the client as JSON lines."""

    def __init__(self, connection: socket.socket, name: str, tty: bool) -> None:
        self._connection = connection
        self._name = name
        self._tty = tty
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if text:
            with self._lock, contextlib.suppress(OSError):
                rendezvous.send(self._connection, {"stream": self._name, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str:
        return "utf-8"


def _watch_for_hang_up(connection: socket.socket, done: threading.Event) -> None:
    """Interrupt the build (as Ctrl-C would) when the client goes away before it ends."""
    with contextlib.suppress(OSError):
        connection.recv(1)
    if not done.is_set():
        _thread.interrupt_main()


def _serve_one(connection: socket.socket, started: tuple[tuple[str, int, int], ...]) -> bool:
    """Handle one request; False when the server should stop."""
    from goship.cli.main import main

    request = rendezvous.receive(connection) or {}
    if request.get("stop"):
        rendezvous.send(connection, {"exit": 0})
        return False
    if request.get("ping"):
        rendezvous.send(connection, {"exit": 0, "pid": os.getpid()})
        return True
    if _fingerprint() != started:
        rendezvous.send(connection, {"stale": True})
        return False
    done = threading.Event()
    threading.Thread(target=_watch_for_hang_up, args=(connection, done), daemon=True).start()
    stdout = _StreamToClient(connection, "stdout", bool(request.get("stdout_tty")))
    stderr = _StreamToClient(connection, "stderr", bool(request.get("stderr_tty")))
    previous = Path.cwd()
    code = 1
    try:
        os.chdir(request["cwd"])
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main(request["argv"], request["env"])
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except KeyboardInterrupt:
                code = 130
    finally:
        done.set()
        os.chdir(previous)
    with contextlib.suppress(OSError):
        rendezvous.send(connection, {"exit": code})
    return True


def _load_everything() -> None:
    """Import what a build and a push use, then keep those objects out of the garbage
    collector's way: a build should find all of it ready and pay for no collection."""
    import gc

    import goship.cli.build
    import goship.cli.output
    import goship.image.base
    import goship.image.builder
    import goship.oci.layout
    import goship.publish.destinations
    import goship.publish.layout
    import goship.publish.registry
    import goship.registry.client
    import goship.toolchain.ensure
    from goship.oci.compress import Compression

    Compression()._module()
    del goship  # the names above were imported for their side effect: being loaded
    gc.collect()
    gc.freeze()


def serve(path: Path, idle_seconds: float = IDLE_SECONDS) -> None:
    """Listen on ``path`` until stopped, idle for ``idle_seconds`` or made stale."""
    import fcntl

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not rendezvous.is_private_directory(str(path.parent)):
        raise SystemExit(f"goship server: {path.parent} is not private to this user; not serving")
    # One server per socket: a second one started at the same moment leaves quietly.
    lock = path.with_suffix(".lock").open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(temporary))
    temporary.chmod(0o600)
    temporary.replace(path)
    listener.listen(8)
    listener.settimeout(idle_seconds)
    started = _fingerprint()
    _load_everything()
    try:
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                break
            with connection:
                try:
                    if not _serve_one(connection, started):
                        break
                except (OSError, ValueError, KeyError):
                    continue  # a client that went away or spoke nonsense: serve the next
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()
        lock.close()


# ---------------------------------------------------------------------------------------
# `goship server start | stop | status`, and the start after a build

# What the server process itself keeps of the environment: every build brings its own, so
# credentials and tokens in the starting shell's environment do not stay resident.
_SERVER_ENVIRONMENT = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR",
                       "XDG_RUNTIME_DIR", "PYTHONPATH", "VIRTUAL_ENV")


# Set by CI services (most set CI; these are the ones that may not).
_CI_VARIABLES = ("CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL",
                 "TF_BUILD", "BUILDKITE", "TEAMCITY_VERSION", "DRONE")


def spawn(path: Path, environ: dict[str, str]) -> Path:
    """Start a server for ``path`` in the background; returns its log file."""
    with contextlib.suppress(OSError):
        path.unlink()  # a socket left by a server that died
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    log = path.with_suffix(".log")
    env = {key: environ[key] for key in _SERVER_ENVIRONMENT if key in environ}
    with log.open("wb") as output:
        subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "goship.cli.server", str(path)],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True, env=env,
        )
    return log


def start_after_build(environ: dict[str, str]) -> None:
    """Leave a server running for the next build, unless told not to or in CI.

    Like a Gradle daemon: the first build pays for starting Python, the next ones do not.
    """
    if environ.get("GOSHIP_SERVER") == "off" or not rendezvous.supported():
        return
    if any(environ.get(name) for name in _CI_VARIABLES):
        return  # a CI job's processes should end with the job
    path = Path(rendezvous.socket_path(environ, goship.__version__, sys.executable))
    if path.parent.exists() and not rendezvous.is_private_directory(str(path.parent)):
        return
    if rendezvous.is_private_socket(str(path)) and _talk(path, {"ping": True}, timeout=0.5):
        return
    spawn(path, environ)
    print("goship: started a build server to make the next builds faster "
          "(`goship server stop` ends it; GOSHIP_SERVER=off turns this off)", file=sys.stderr)


def _talk(path: Path, request: dict[str, Any], timeout: float = 5.0) -> dict[str, Any] | None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(str(path))
            rendezvous.send(connection, request)
            answer: dict[str, Any] | None = rendezvous.receive(connection)
            return answer
    except (OSError, ValueError, EOFError):
        return None


def _require_unix_sockets() -> None:
    if not rendezvous.supported():
        raise UsageError("the build server needs Unix sockets, which this Python lacks",
                         "builds run in-process as they always do; nothing to start")


def run_server_command(action: str, environ: dict[str, str]) -> int:
    _require_unix_sockets()
    path = Path(rendezvous.socket_path(environ, goship.__version__, sys.executable))
    running = _talk(path, {"ping": True})
    if action == "status":
        if running is None:
            print("goship server: not running")
            return 3
        print(f"goship server: running (pid {running.get('pid')}, socket {path})")
        return 0
    if action == "stop":
        if running is not None:
            _talk(path, {"stop": True})
        print("goship server: stopped")
        return 0
    if running is not None:
        print(f"goship server: already running (pid {running.get('pid')})")
        return 0
    if path.parent.exists() and not rendezvous.is_private_directory(str(path.parent)):
        raise UsageError(f"{path.parent} is not private to this user, so the server will not use it",
                         "remove it, or set XDG_RUNTIME_DIR to a private directory")
    log = spawn(path, environ)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        answer = _talk(path, {"ping": True}, timeout=1.0)
        if answer is not None:
            print(f"goship server: started (pid {answer.get('pid')}); `goship build` now uses it")
            return 0
        time.sleep(0.05)
    raise UsageError("the goship server did not start", f"its output is in {log}")


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
