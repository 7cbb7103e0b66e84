"""`goship dockerfile`: the Dockerfile and .dockerignore a user gets, read back with
BuildKit's own parser, and how the command treats files that exist already."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import dockerfile
import pytest

from goship.cli.main import main
from goship.config import ImageSpec
from goship.errors import ConfigError
from goship.policy.generate import (
    DockerfileRequest,
    find_health_flag,
    render_dockerfile,
    render_dockerignore,
)
from goship.policy.interface import PolicySettings, Severity

HELLO = ImageSpec("hello", "./cmd/hello", ports=(8080,))
DIGEST = "sha256:" + "ab" * 32


def request(**changes: object) -> DockerfileRequest:
    fields: dict[str, object] = {"module_path": "example.com/hello", "image": HELLO,
                                 "go_version": "1.25.5", "source_url": "https://github.com/example/hello",
                                 "maintainer": "team@example.com"}
    fields.update(changes)
    return DockerfileRequest(**fields)


def parse(text: str) -> list[dockerfile.Command]:
    return list(dockerfile.parse_string(text))


def stages(commands: list[dockerfile.Command]) -> list[list[dockerfile.Command]]:
    """The instructions of each stage (global ARGs dropped), FROM first."""
    found: list[list[dockerfile.Command]] = []
    for command in commands:
        if command.cmd == "FROM":
            found.append([])
        if found:
            found[-1].append(command)
    return found


def global_args(commands: list[dockerfile.Command]) -> dict[str, str]:
    args: dict[str, str] = {}
    for command in commands:
        if command.cmd == "FROM":
            break
        name, _, value = command.value[0].partition("=")
        args[name] = value
    return args


def find(stage: list[dockerfile.Command], keyword: str) -> list[dockerfile.Command]:
    return [command for command in stage if command.cmd == keyword]


def labels(stage: list[dockerfile.Command]) -> dict[str, str]:
    values = [value for command in find(stage, "LABEL") for value in command.value]
    return {key: value.strip('"') for key, value in zip(values[::2], values[1::2], strict=True)}


# ---------------------------------------------------------------------------------- Linux


def test_linux_builds_in_a_pinned_golang_image_and_ships_on_distroless() -> None:
    commands = parse(render_dockerfile(request()))
    build, final = stages(commands)

    assert global_args(commands)["BUILDER_IMAGE"] == "golang:1.25.5-bookworm"
    assert global_args(commands)["BASE_IMAGE"] == "gcr.io/distroless/static-debian12:nonroot"
    assert build[0].value == ("${BUILDER_IMAGE}", "AS", "build")
    assert build[0].flags == ("--platform=$BUILDPLATFORM",)  # buildx cross-compiles, no emulation
    assert final[0].value == ("${BASE_IMAGE}",)
    assert len(stages(commands)) == 2  # the toolchain never reaches the final image


def test_modules_are_downloaded_before_the_source_is_copied() -> None:
    build, _ = stages(parse(render_dockerfile(request())))
    steps = [(command.cmd, " ".join(command.value)) for command in build]

    copy_mod = steps.index(("COPY", "go.mod go.sum* ./"))
    download = steps.index(("RUN", "go mod download"))
    copy_all = steps.index(("COPY", ". ."))
    assert copy_mod < download < copy_all
    assert ("WORKDIR", "/src") in steps


def test_go_build_is_static_trimmed_and_stamped_like_goship_build() -> None:
    build, _ = stages(parse(render_dockerfile(request())))
    compile_step = find(build, "RUN")[-1]
    command = compile_step.value[0]

    assert compile_step.flags == ("--mount=type=cache,target=/root/.cache/go-build",)
    assert "go build -trimpath" in command
    assert '-ldflags="-s -w -X main.version=${VERSION} -X main.commit=${REVISION} -X main.date=${CREATED}"' \
        in command
    assert command.endswith("-o /out/hello ./cmd/hello")
    env = find(build, "ENV")[0].value
    assert dict(zip(env[::2], env[1::2], strict=True)) == {"CGO_ENABLED": '"0"', "GOTOOLCHAIN": '"local"'}
    declared = {command.value[0] for command in find(build, "ARG")}
    assert {"VERSION", "REVISION", "CREATED", "TARGETOS", "TARGETARCH"} <= declared


def test_final_stage_runs_the_binary_as_nonroot_with_oci_labels() -> None:
    _, final = stages(parse(render_dockerfile(request())))

    assert find(final, "COPY")[0].flags == ("--from=build", "--chown=65532:65532")
    assert find(final, "COPY")[0].value == ("/out/hello", "/app/hello")
    assert find(final, "WORKDIR")[0].value == ("/app",)
    assert find(final, "USER")[0].value == ("65532:65532",)
    assert find(final, "EXPOSE")[0].value == ("8080",)
    entrypoint = find(final, "ENTRYPOINT")[0]
    assert entrypoint.json and entrypoint.value == ("/app/hello",)
    assert labels(final) == {
        "org.opencontainers.image.title": "hello",
        "org.opencontainers.image.version": "${VERSION}",
        "org.opencontainers.image.revision": "${REVISION}",
        "org.opencontainers.image.created": "${CREATED}",
        "org.opencontainers.image.source": "${SOURCE}",
        "org.opencontainers.image.base.name": "${BASE_IMAGE}",
        "org.opencontainers.image.authors": "team@example.com",
        "maintainer": "team@example.com",
    }
    # the labels read build args, declared in the stage so that their global defaults apply
    assert {c.value[0] for c in find(final, "ARG")} == {"BASE_IMAGE", "VERSION", "REVISION", "CREATED",
                                                       "SOURCE"}


def test_build_arg_defaults_name_the_source() -> None:
    args = global_args(parse(render_dockerfile(request())))
    assert args["SOURCE"] == "https://github.com/example/hello"
    assert {"VERSION", "REVISION", "CREATED"} <= set(args)


def test_healthcheck_runs_the_binary_when_it_has_a_health_flag() -> None:
    source = 'package main\n\nvar check = flag.Bool("healthcheck", false, "probe the running server")\n'
    flag = find_health_flag([source])
    _, final = stages(parse(render_dockerfile(request(health_flag=flag))))

    healthcheck = find(final, "HEALTHCHECK")[0]
    assert flag == "--healthcheck"
    assert healthcheck.json and healthcheck.value == ("CMD", "/app/hello", "--healthcheck")


def test_healthcheck_none_says_why_when_the_program_has_no_flag() -> None:
    text = render_dockerfile(request())
    _, final = stages(parse(text))

    assert find_health_flag(['flag.String("addr", ":8080", "address")']) == ""
    assert find(final, "HEALTHCHECK")[0].value == ("NONE",)
    assert "no shell or HTTP client" in text


def test_digests_given_by_the_user_are_kept() -> None:
    builder = f"golang:1.25.5-alpine@{DIGEST}"
    base = f"gcr.io/distroless/static-debian12:nonroot@{DIGEST}"
    args = global_args(parse(render_dockerfile(request(builder=builder, base=base))))

    assert args["BUILDER_IMAGE"] == builder
    assert args["BASE_IMAGE"] == base


def test_builder_flavour_alpine() -> None:
    args = global_args(parse(render_dockerfile(request(builder="alpine"))))
    assert args["BUILDER_IMAGE"] == "golang:1.25.5-alpine"


def test_scratch_gets_the_builders_ca_certificates() -> None:
    commands = parse(render_dockerfile(request(base="scratch")))
    _, final = stages(commands)

    assert global_args(commands)["BASE_IMAGE"] == "scratch"
    assert find(final, "COPY")[0].flags == ("--from=build",)
    assert find(final, "COPY")[0].value[0] == "/etc/ssl/certs/ca-certificates.crt"


def test_vendored_module_builds_from_vendor_without_downloading() -> None:
    build, _ = stages(parse(render_dockerfile(request(vendored=True))))
    runs = [command.value[0] for command in find(build, "RUN")]

    assert len(runs) == 1 and "go mod download" not in runs[0]
    assert "-mod=vendor" in runs[0]


def test_configured_ldflags_flags_and_image_settings() -> None:
    image = ImageSpec("api", "./cmd/api", env=(("LOG_FORMAT", "json"),), args=("serve",),
                      data_dir="kodata")
    text = render_dockerfile(request(
        image=image, ldflags=("-X main.short={{.ShortCommit}}", "-X main.by={{.Env.BUILD_USER}}",
                              "-X main.at={{.Timestamp}}"),
        go_tags=("netgo",), go_flags=("-buildvcs=false",), go_env=(("GOEXPERIMENT", "boringcrypto"),)))
    build, final = stages(parse(text))
    command = find(build, "RUN")[-1].value[0]

    assert "-buildvcs=false -tags netgo" in command
    declared = [c.value[0] for c in find(build, "ARG")]
    assert "BUILD_USER" in declared and "SOURCE_DATE_EPOCH=0" in declared
    assert list(find(build, "ENV")[0].value[-2:]) == ['GOEXPERIMENT', '"boringcrypto"']
    assert find(final, "ENV")[0].value == ("LOG_FORMAT", '"json"')
    assert find(final, "CMD")[0].value == ("serve",)
    assert find(final, "COPY")[1].value == ("kodata", "/app/data")


def go_arguments(run_command: str, **build_args: str) -> list[str]:
    """The arguments go receives when sh runs a RUN line of the builder stage."""
    script = 'go() { printf "%s\\n" "$@"; }\n' + run_command
    done = subprocess.run(["sh", "-c", script], env={"PATH": os.defpath, **build_args},
                          capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_sh_hands_go_the_ldflags_with_build_args_filled_in() -> None:
    text = render_dockerfile(request(ldflags=(
        "-X main.version={{.Version}}", "-X main.short={{.ShortCommit}}", "-X main.by={{.Env.BUILD_USER}}",
        "-X main.at={{.Timestamp}}", "-X 'main.motto=say \"hi\" for $5'")))
    build, _ = stages(parse(text))
    arguments = go_arguments(find(build, "RUN")[-1].value[0], VERSION="1.2.3", REVISION="0123456789abcdef",
                             BUILD_USER="ci", SOURCE_DATE_EPOCH="1727784000")

    ldflags = next(item for item in arguments if item.startswith("-ldflags=")).removeprefix("-ldflags=")
    assert ldflags == ("-s -w -X main.version=1.2.3 -X main.short=0123456 -X main.by=ci "
                       "-X main.at=1727784000 -X 'main.motto=say \"hi\" for $5'")
    assert arguments[-3:] == ["-o", "/out/hello", "./cmd/hello"]


def test_unknown_ldflags_field_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Verison"):
        render_dockerfile(request(ldflags=("-X main.version={{.Verison}}",)))


# -------------------------------------------------------------------------------- Windows


def test_windows_uses_servercore_to_build_and_nanoserver_to_run() -> None:
    image = ImageSpec("hello", "./cmd/hello", env=(("DATA", 'C:\\app\\data "x"'),))
    text = render_dockerfile(request(windows=True, image=image))
    commands = parse(text)
    build, final = stages(commands)

    assert text.startswith("# escape=`\n")  # a parser directive: only valid on the first line
    assert global_args(commands)["BUILDER_IMAGE"] == "golang:1.25.5-windowsservercore-ltsc2022"
    assert global_args(commands)["BASE_IMAGE"] == "mcr.microsoft.com/windows/nanoserver:ltsc2022"
    assert build[0].flags == ()  # the classic Windows builder knows no --platform
    assert find(build, "SHELL")[0].value == ("cmd", "/S", "/C")
    assert find(build, "WORKDIR")[0].value == ("C:\\src",)
    compile_step = find(build, "RUN")[-1]
    assert compile_step.flags == ()  # nor --mount
    assert "-X main.version=%VERSION%" in compile_step.value[0]
    assert compile_step.value[0].endswith("-o C:/out/hello.exe ./cmd/hello")
    assert find(final, "COPY")[0].flags == ("--from=build",)  # nor --chown
    assert find(final, "COPY")[0].value == ("C:\\out\\hello.exe", "C:\\app\\hello.exe")
    assert find(final, "WORKDIR")[0].value == ("C:\\app",)
    assert find(final, "USER")[0].value == ("ContainerUser",)
    assert find(final, "ENTRYPOINT")[0].value == ("C:\\app\\hello.exe",)
    assert labels(final)["org.opencontainers.image.revision"] == "${REVISION}"
    # backslashes are plain characters under `# escape=``; the backtick escapes the quotes
    assert find(final, "ENV")[0].value == ("DATA", '"C:\\app\\data `"x`""')


# --------------------------------------------------------------------------- .dockerignore


def test_dockerignore_keeps_secrets_and_vcs_out_and_sources_in() -> None:
    lines = [line for line in render_dockerignore().splitlines() if line and not line.startswith("#")]

    for pattern in (".git", ".goship", ".env", "**/*.pem", "**/*.key", ".idea", ".vscode", "bin"):
        assert pattern in lines
    assert not any(name in lines for name in ("go.mod", "go.sum", "vendor", "*.go", "**/*.go"))
    assert not any(line.startswith("!") for line in lines)
    assert "**/*.md" in lines


@pytest.mark.parametrize(("path", "excluded"), [
    (".git/config", True), (".goship/oci/index.json", True), (".env", True), ("deploy/tls.key", True),
    ("certs/server.pem", True), ("bin/hello", True), ("README.md", True), ("docs/usage.md", True),
    (".idea/workspace.xml", True), ("go.mod", False), ("go.sum", False), ("cmd/hello/main.go", False),
    ("vendor/modules.txt", False), ("internal/web/static/app.js", False), ("goship.toml", False),
])
def test_dockerignore_as_buildkit_reads_it(path: str, excluded: bool) -> None:
    from goship.policy.dockerfile_rules.sources import excludes  # BuildKit's matching rules

    assert excludes(render_dockerignore(), path) is excluded


def test_dockerignore_spares_source_directories_and_embedded_docs() -> None:
    lines = render_dockerignore(source_dirs=["cmd", "tmp", "bin"], keep_markdown=True).splitlines()

    assert "tmp" not in lines and "bin" not in lines  # Go packages live there
    assert "dist" in lines
    assert "**/*.md" not in lines


# ------------------------------------------------------------------------ the image standard


@pytest.mark.parametrize("changes", [
    {}, {"windows": True}, {"base": "scratch", "builder": "alpine"}, {"vendored": True},
    {"health_flag": "--healthcheck"},
])
def test_generated_files_meet_the_standard(tmp_path: Path, changes: dict[str, object]) -> None:
    from goship.policy.dockerfile_rules import lint_dockerfile

    path = tmp_path / "Dockerfile"
    path.write_text(render_dockerfile(request(**changes)))
    (tmp_path / ".dockerignore").write_text(render_dockerignore())
    findings = lint_dockerfile(path, PolicySettings())

    # the one remark: tags, not digests, unless the user gives digests (GS104, info)
    assert {(finding.rule, finding.severity) for finding in findings} <= {("GS104", Severity.INFO)}


def test_digests_leave_nothing_to_remark(tmp_path: Path) -> None:
    from goship.policy.dockerfile_rules import lint_dockerfile

    path = tmp_path / "Dockerfile"
    path.write_text(render_dockerfile(request(builder=f"golang:1.25.5-bookworm@{DIGEST}",
                                              base=f"gcr.io/distroless/static-debian12:nonroot@{DIGEST}")))
    (tmp_path / ".dockerignore").write_text(render_dockerignore())
    assert lint_dockerfile(path, PolicySettings()) == []


# ------------------------------------------------------------------------------- the command


def module(directory: Path, *, packages: tuple[str, ...] = ("cmd/hello",)) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "go.mod").write_text("module example.com/hello\n\ngo 1.22\n")
    (directory / ".go-version").write_text("1.22.10\n")  # pinned: no Go needs to run
    for package in packages:
        (directory / package).mkdir(parents=True)
        (directory / package / "main.go").write_text("package main\n\nfunc main() {}\n")
    return directory


Run = Callable[..., tuple[int, str, str]]  # run(*args, cwd=) -> (exit code, stdout, stderr)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    env = {"PATH": "", "HOME": str(tmp_path / "home"), "GOSHIP_HOME": str(tmp_path / "goship-home"),
           "GOSHIP_CACHE": str(tmp_path / "cache")}

    def invoke(*args: str, cwd: Path) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        code = main(list(args), environ=env)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_writes_dockerfile_and_dockerignore_then_leaves_them_unchanged(tmp_path: Path, run: Run) -> None:
    project = module(tmp_path / "hello")
    code, out, err = run("dockerfile", cwd=project)

    assert code == 0, err
    assert out == ""
    text = (project / "Dockerfile").read_text()
    assert "ARG BUILDER_IMAGE=golang:1.22.10-bookworm" in text  # the .go-version pin
    assert "-o /out/hello ./cmd/hello" in text  # the module's one main package
    assert ".git" in (project / ".dockerignore").read_text().splitlines()
    assert not [name for name in os.listdir(project) if name.startswith(".goship-") or ".tmp" in name]

    code, _, err = run("dockerfile", cwd=project)
    assert code == 0 and "unchanged" in err


def test_refuses_to_overwrite_without_force(tmp_path: Path, run: Run) -> None:
    project = module(tmp_path / "hello")
    (project / "Dockerfile").write_text("FROM scratch\n")

    code, _, err = run("dockerfile", cwd=project)
    assert code == 2
    assert "exists already" in err and "--force" in err
    assert (project / "Dockerfile").read_text() == "FROM scratch\n"
    assert not (project / ".dockerignore").exists()  # nothing is half-done

    pinned = f"gcr.io/distroless/static-debian12:nonroot@{DIGEST}"
    code, _, err = run("dockerfile", "--force", "--base", pinned, cwd=project)
    assert code == 0, err
    assert f"ARG BASE_IMAGE={pinned}" in (project / "Dockerfile").read_text()


def test_stdout_prints_and_writes_nothing(tmp_path: Path, run: Run) -> None:
    project = module(tmp_path / "hello")
    code, out, _ = run("dockerfile", "--stdout", "--windows", cwd=project)

    assert code == 0
    assert out.startswith("# escape=`\n") and "ContainerUser" in out
    assert sorted(os.listdir(project)) == [".go-version", "cmd", "go.mod"]


def test_several_main_packages_need_one_named(tmp_path: Path, run: Run) -> None:
    project = module(tmp_path / "svc", packages=("cmd/api", "cmd/worker"))

    code, _, err = run("dockerfile", cwd=project)
    assert code == 2 and "./cmd/api, ./cmd/worker" in err

    code, _, err = run("dockerfile", "./cmd/worker", "-o", "Dockerfile.worker", cwd=project)
    assert code == 0, err
    assert "-o /out/worker ./cmd/worker" in (project / "Dockerfile.worker").read_text()


@pytest.mark.parametrize(("flags", "needle"), [
    (("--base", "Not A Ref"), "--base"),
    (("--windows", "--base", "scratch"), "scratch"),
    (("--windows", "--builder", "alpine"), "Linux builder"),
])
def test_bad_image_flags_are_usage_errors(tmp_path: Path, run: Run, flags: tuple[str, ...],
                                          needle: str) -> None:
    project = module(tmp_path / "hello")
    code, _, err = run("dockerfile", *flags, cwd=project)

    assert code == 2 and needle in err and "hint: " in err
    assert not (project / "Dockerfile").exists()


@pytest.mark.parametrize(("gomod_extra", "go_version_file", "builder"), [
    ("toolchain go1.23.4\n", None, "golang:1.23.4-bookworm"),
    ("", "1.24.2", "golang:1.24.2-bookworm"),
    ("", None, "golang:1.22-bookworm"),  # no Go here and no pin: the go line's newest release
])
def test_builder_follows_the_go_version_the_project_pins(
        tmp_path: Path, run: Run, gomod_extra: str, go_version_file: str | None, builder: str) -> None:
    project = module(tmp_path / "hello")
    (project / ".go-version").unlink()
    (project / "go.mod").write_text("module example.com/hello\n\ngo 1.22\n" + gomod_extra)
    if go_version_file:
        (project / ".go-version").write_text(go_version_file + "\n")

    code, out, err = run("dockerfile", "--stdout", cwd=project)
    assert code == 0, err
    assert f"ARG BUILDER_IMAGE={builder}\n" in out


def test_module_facts_shape_the_files(tmp_path: Path, run: Run) -> None:
    project = module(tmp_path / "svc", packages=("tmp/api",))
    (project / "tmp/api/main.go").write_text(
        'package main\n\nimport "flag"\n\nvar probe = flag.Bool("healthcheck", false, "probe")\n\n'
        "func main() {}\n")
    (project / "tmp/api/docs.go").write_text('package main\n\nimport _ "embed"\n\n//go:embed README.md\n'
                                             "var readme string\n")
    (project / "vendor").mkdir()
    (project / "vendor" / "modules.txt").write_text("# example.com/dep v1.0.0\n")
    (project / "goship.toml").write_text('maintainer = "team@example.com"\n\n[[images]]\nname = "api"\n'
                                         'package = "./tmp/api"\nports = [8080, 9090]\n')

    code, _, err = run("dockerfile", cwd=project)
    assert code == 0, err
    text = (project / "Dockerfile").read_text()
    assert 'HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 ' \
        'CMD ["/app/api", "--healthcheck"]' in text
    assert "-mod=vendor" in text and "go mod download" not in text
    assert "EXPOSE 8080 9090" in text
    assert 'maintainer="team@example.com"' in text and "note:" not in err
    ignore = (project / ".dockerignore").read_text().splitlines()
    assert "tmp" not in ignore  # the program lives there
    assert "**/*.md" not in ignore  # a Go file embeds README.md
    assert "dist" in ignore


def test_maintainer_falls_back_to_the_source_repository() -> None:
    from goship.config import Config

    config = Config(module_dir=Path("."), config_file=None, images=(HELLO,), platforms=(),
                    source_url="https://git.example.com/team/hello")
    made = DockerfileRequest.from_config(config, HELLO, module_path="example.com/hello", go_version="1.25.5")
    _, final = stages(parse(render_dockerfile(made)))

    assert labels(final)["maintainer"] == "https://git.example.com/team/hello"
    assert labels(final)["org.opencontainers.image.authors"] == "https://git.example.com/team/hello"
    assert global_args(parse(render_dockerfile(made)))["BASE_IMAGE"] == \
        "gcr.io/distroless/static-debian12:nonroot"  # goship's static base has this twin


def test_a_given_builder_needs_no_go_version(tmp_path: Path, run: Run) -> None:
    project = module(tmp_path / "hello")
    (project / ".go-version").unlink()  # no pin, no go line, no Go on PATH: no version at all
    (project / "go.mod").write_text("module example.com/hello\n")
    builder = f"registry.example.com/mirror/golang:1.25.5-bookworm@{DIGEST}"

    code, out, err = run("dockerfile", "--stdout", "--builder", builder, cwd=project)
    assert code == 0, err
    assert f"ARG BUILDER_IMAGE={builder}\n" in out
