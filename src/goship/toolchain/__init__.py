"""Go version manager: release index, download and verify, install, select and switch.

Modules, one job each:

- ``versions``: Go release names, their order, and specs (``1.22``, ``latest``, exact);
- ``index``: the go.dev/dl release index (fetch, cache, pick the archive for a platform);
- ``download``: fetch an archive from ordered mirrors, verified against the index;
- ``extract``: unpack a .tar.gz/.zip refusing links and paths that leave ``go/``;
- ``install`` / ``installed``: install, uninstall, prune, list (under a per-version lock);
- ``launchers``: ``go1.X.Y`` commands for Go's GOTOOLCHAIN PATH lookup;
- ``current``: the global version link (symlink, junction, or a PATH recommendation);
- ``select`` / ``gotoolchain``: which version applies in a directory, and GOTOOLCHAIN warnings;
- ``shell``: environment lines for bash/zsh, fish, PowerShell and cmd;
- ``layout``, ``network``, ``host``, ``errors``, ``oserrors``: shared pieces.

Nothing here prints or reads the environment: values such as GOSHIP_GO_VERSION, GOTOOLCHAIN,
GOSHIP_GO_INDEX and the proxy come in as arguments.
"""
