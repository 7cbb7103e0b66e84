"""What several stages need: the build plan (the Go toolchain, the version), the reports
directory, and writing a report whole or not at all."""

from __future__ import annotations

from pathlib import Path

from goship.errors import OutputError
from goship.image.project import BuildPlan
from goship.pipeline.interface import StageContext


def build_plan(context: StageContext) -> BuildPlan:
    """The Go toolchain, source facts and version of this run, worked out once."""
    if context.state.build_plan is None:
        from goship.image.project import plan_build

        context.state.build_plan = plan_build(context.config, context.log)
    return context.state.build_plan


def reports_dir(context: StageContext) -> Path:
    """.goship/reports, created with .goship/.gitignore: Go stamps files git sees as a
    modified tree (vcs.modified), and the images would not be reproducible."""
    from goship.image.project import prepare_work_directory

    prepare_work_directory(context.config.module_dir)
    directory = context.plan.reports
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {directory}: {exc.strerror}",
                          "check that the module directory is writable") from exc
    return directory


def write_report(context: StageContext, kind: str, path: Path, content: bytes) -> None:
    """Write ``path`` atomically and record it as the stage's ``kind`` artifact."""
    from goship.oci.filelock import write_atomic

    try:
        write_atomic(path, content)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}",
                          "check that the module directory is writable") from exc
    context.log.artifact(kind, shown_path(context, path))


def shown_path(context: StageContext, path: Path) -> Path:
    """``path`` relative to the module root when it is inside (as CI files name reports)."""
    try:
        return path.relative_to(context.config.module_dir)
    except ValueError:
        return path


def repository_root(directory: Path) -> Path:
    """The git work tree holding ``directory`` (SARIF paths are relative to it, as code
    scanning expects), else ``directory``."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return directory


def plural(count: int, word: str, many: str = "") -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"
