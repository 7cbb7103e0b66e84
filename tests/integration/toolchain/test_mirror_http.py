"""Mirrors as web servers really behave: redirects (also to https://), credentials in the
mirror URL, chunked answers, and connections cut short."""

from __future__ import annotations

import base64
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.fixtures.gomirror import GoMirror, ServedArchive, index_json
from tests.fixtures.httpserver import QuietHandler
from tests.fixtures.pki import issue, make_ca

from goship.toolchain.errors import DownloadError
from goship.toolchain.index import load_index
from goship.toolchain.install import install
from goship.toolchain.installed import list_installed
from goship.toolchain.layout import ToolchainHome
from goship.toolchain.network import DownloadOptions
from goship.toolchain.versions import VersionSpec

pytestmark = pytest.mark.integration

Route = Callable[[QuietHandler], None]


@contextmanager
def _server(route: Route, *, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[str]]]:
    """A server answering every GET with ``route``; yields its base URL and the paths asked for."""
    asked: list[str] = []

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            route(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _serve_file(handler: QuietHandler, archive: ServedArchive, *, cut_at: int | None = None) -> None:
    """The archive with its full Content-Length; with ``cut_at``, the connection closes after
    that many bytes."""
    data = archive.path.read_bytes()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data if cut_at is None else data[:cut_at])
    if cut_at is not None:
        handler.close_connection = True


def _serve_chunked(handler: QuietHandler, body: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for start in range(0, len(body), 700):
        piece = body[start:start + 700]
        handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    handler.wfile.write(b"0\r\n\r\n")


def _install(version: str, home: ToolchainHome, index_url: str, mirrors: list[str], cache: Path,
             options: DownloadOptions | None = None) -> None:
    index = load_index(index_url, cache_dir=cache, options=options)
    archive = index.find(VersionSpec.parse(version)).archive_for("linux", "amd64")
    install(archive, home, mirrors=mirrors, options=options)


def test_a_mirror_with_credentials_behind_a_redirect_and_a_chunked_index(
    go_archives: dict[str, ServedArchive], tmp_path: Path,
) -> None:
    archive = go_archives["1.22.9"]
    expected = "Basic " + base64.b64encode(b"ada:s3cret/+").decode()
    seen_auth: list[str | None] = []

    def route(handler: QuietHandler) -> None:
        if handler.path.startswith("/index"):
            _serve_chunked(handler, index_json([archive]))
        elif handler.path.startswith("/old/"):
            handler.answer(302, b"", "text/plain",
                           {"Location": "/dl/" + handler.path.removeprefix("/old/")})
        else:
            seen_auth.append(handler.headers.get("Authorization"))
            if handler.headers.get("Authorization") != expected:
                handler.answer(401, b"who are you?\n", "text/plain")
            else:
                _serve_file(handler, archive)

    home = ToolchainHome(tmp_path / "go")
    with _server(route) as (url, asked):
        port = url.rsplit(":", 1)[1]
        wrong = f"http://ada:nope@127.0.0.1:{port}/old/"
        right = f"http://ada:s3cret%2F%2B@127.0.0.1:{port}/old/"  # '/' and '+' escaped in the URL
        _install("1.22.9", home, f"{url}/index", [wrong, right], tmp_path / "cache")
    assert asked == ["/index", f"/old/{archive.filename}", f"/dl/{archive.filename}",
                     f"/old/{archive.filename}", f"/dl/{archive.filename}"]
    assert seen_auth[0] == "Basic " + base64.b64encode(b"ada:nope").decode() and seen_auth[1] == expected
    assert [item.version.name for item in list_installed(home)] == ["go1.22.9"]


def test_a_connection_cut_short_fails_over_as_a_network_failure(
    go_archives: dict[str, ServedArchive], tmp_path: Path,
) -> None:
    archive = go_archives["1.22.10"]  # a real archive: the cut comes while it is being unpacked
    cut = archive.size // 2

    def route(handler: QuietHandler) -> None:
        if handler.path.startswith("/index"):
            handler.answer(200, index_json([archive]), "application/json")
        else:
            _serve_file(handler, archive, cut_at=cut if handler.path.startswith("/cut/") else None)

    home = ToolchainHome(tmp_path / "go")
    with _server(route) as (url, _):
        with pytest.raises(DownloadError) as caught:
            _install("1.22.10", home, f"{url}/index", [f"{url}/cut/"], tmp_path / "cache")
        assert [failure.reason for failure in caught.value.failures] == [
            f"the connection closed after {cut} of {archive.size} bytes"]
        assert "remove it from the mirror list" not in caught.value.hint  # not a tampered mirror
        assert list_installed(home) == []
        assert [entry.name for entry in home.versions_dir.iterdir() if not entry.name.endswith(".lock")] == []
        _install("1.22.10", home, f"{url}/index", [f"{url}/cut/", f"{url}/dl/"], tmp_path / "cache")
    assert [item.version.name for item in list_installed(home)] == ["go1.22.10"]


def test_a_plain_http_mirror_redirecting_to_https_is_followed_with_verified_tls(
    go_archives: dict[str, ServedArchive], tmp_path: Path,
) -> None:
    archive = go_archives["1.21.12"]
    ca = make_ca(tmp_path / "pki")
    server_cert = issue(ca, tmp_path / "pki", "server", "localhost", server=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(server_cert.cert_file, server_cert.key_file)

    def secure(handler: QuietHandler) -> None:
        _serve_file(handler, archive)

    with _server(secure, tls=tls) as (https_url, https_asked):
        def plain(handler: QuietHandler) -> None:
            if handler.path.startswith("/index"):
                handler.answer(200, index_json([archive]), "application/json")
            else:
                handler.answer(301, b"", "text/plain", {"Location": https_url + handler.path})

        with _server(plain) as (http_url, _):
            untrusted = ToolchainHome(tmp_path / "untrusted")
            with pytest.raises(DownloadError) as caught:
                _install("1.21.12", untrusted, f"{http_url}/index", [f"{http_url}/dl/"], tmp_path / "cache")
            assert "TLS certificate could not be verified" in caught.value.failures[0].reason
            assert list_installed(untrusted) == []

            home = ToolchainHome(tmp_path / "go")
            _install("1.21.12", home, f"{http_url}/index", [f"{http_url}/dl/"], tmp_path / "cache",
                     options=DownloadOptions(ca_file=ca.cert_file))
    assert https_asked == [f"/dl/{archive.filename}"]  # the untrusted attempt never got to ask
    assert [item.version.name for item in list_installed(home)] == ["go1.21.12"]


_PROBE = """
import sys
from goship.cli.main import main
code = main(sys.argv[1:])
heavy = ("httpx", "httpcore", "certifi", "goship.cli.supply", "goship.policy", "goship.oci.compress")
print(code, sorted(name for name in sys.modules if name.startswith(heavy)))
"""


def test_an_install_from_a_plain_http_mirror_loads_only_what_it_needs(
    go_mirror: GoMirror, tmp_path: Path, base_env: dict[str, str],
) -> None:
    # What `goship go install` loads is most of what it spends before the first byte arrives.
    env = {**base_env, "GOSHIP_HOME": str(tmp_path / "home"), "GOSHIP_CACHE": str(tmp_path / "cache"),
           "GOSHIP_GO_INDEX": go_mirror.index_url, "GOSHIP_GO_MIRRORS": go_mirror.base_url}
    done = subprocess.run([sys.executable, "-c", _PROBE, "go", "install", "1.21.12"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 []"
    assert (tmp_path / "home" / "go" / "versions" / "go1.21.12" / "bin" / "go").is_file()
