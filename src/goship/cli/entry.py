"""The `goship` command's first module: hand a build to the build server when one runs.

It imports only modules built into Python (and goship's version), so a build through the
server costs little more than starting Python. Without a server, or for other commands,
it loads the real command line and runs it in this process; after such a build it leaves a
server running for the next one, except in CI or with GOSHIP_SERVER=off.
"""

from __future__ import annotations

import os
import sys

from goship import __version__


def _through_server(argv: list[str]) -> int | None:
    """The exit code of the build run by the server, or None to build in-process."""
    # Imported here: other commands never talk to the server, and socket costs ~10 ms.
    import socket

    from goship.cli import rendezvous

    if not rendezvous.supported() or os.environ.get("GOSHIP_SERVER") == "off":
        return None
    path = rendezvous.socket_path(os.environ, __version__, sys.executable)
    if not rendezvous.is_private_socket(path):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    request = {
        "argv": argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "stdout_tty": sys.stdout.isatty(),
        "stderr_tty": sys.stderr.isatty(),
    }
    try:
        with connection:
            rendezvous.send(connection, request)
            while (message := rendezvous.receive(connection)) is not None:
                if "stream" in message:
                    stream = sys.stdout if message["stream"] == "stdout" else sys.stderr
                    stream.write(message["text"])
                    stream.flush()
                elif message.get("stale"):
                    return None
                elif "exit" in message:
                    return int(message["exit"])
    except KeyboardInterrupt:
        print("goship: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, EOFError):
        pass
    print("goship: the build server went away; run `goship server start` again", file=sys.stderr)
    return 1


def _command(argv: list[str]) -> str:
    """The command word, past the options that may come before it (-v, -C DIR)."""
    position = 0
    while position < len(argv):
        word = argv[position]
        if word in ("-C", "--directory"):
            position += 2
        elif word.startswith("-"):
            position += 1
        else:
            return word
    return ""


def entry() -> None:
    """Run, flush, and leave without tearing the interpreter down: every file is closed and
    every thread joined by then, and freeing modules one by one costs tens of milliseconds
    that a build with nothing to do should not pay."""
    argv = sys.argv[1:]
    building = _command(argv) == "build"
    code = _through_server(argv) if building else None
    if code is None:
        from goship.cli.main import main

        code = main(argv)
        if building and code in (0, 4):
            from goship.cli.server import start_after_build

            start_after_build(dict(os.environ))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
