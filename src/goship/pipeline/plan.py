"""Planning a pipeline run before any stage starts: which stages, which version, which
environment, tags and repositories, and whether every stage of the run has the settings it
needs. A missing setting is named here (``[pipeline.sign] key is not set``), not after the
tests have run for ten minutes.

The environment is chosen as `goship release` chooses it (``--env``, else the first
``[environments.NAME]`` whose branches match the branch) when the run pushes or deploys,
or when ``--env`` is given; its tag templates give the tags. Without environments in
goship.toml, the tags are `tags` (default ``latest``), as `goship build --push` uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from goship.config import DEFAULT_LAYOUT, Config
from goship.errors import ConfigError, UsageError
from goship.pipeline.interface import REPORTS_DIR, PipelinePlan, PushTarget
from goship.pipeline.settings import STAGES
from goship.release.settings import Environment

_STAGES_HINT = f"the stages, in the order they run: {', '.join(STAGES)}"


def check_stage(name: str, what: str = "--until") -> str:
    """``name`` when it is a stage; a UsageError listing the stages otherwise."""
    if name not in STAGES:
        import difflib

        close = difflib.get_close_matches(name, STAGES, n=1)
        raise UsageError(f"{what}: unknown stage '{name}'",
                         (f"did you mean '{close[0]}'? " if close else "") + _STAGES_HINT)
    return name


def selected_stages(config: Config, until: str | None) -> tuple[str, ...]:
    """The configured stages up to and including ``until`` (by the fixed order: ``--until
    scan`` also stops a run whose stages do not list scan where scan would be)."""
    configured = config.pipeline.stages
    if until is None:
        return configured
    limit = STAGES.index(check_stage(until))
    stages = tuple(stage for stage in configured if STAGES.index(stage) <= limit)
    if not stages:
        raise UsageError(f"--until {until}: no configured stage comes at or before {until} "
                         f"(stages: {', '.join(configured)})",
                         "name a later stage, or add the stage to [pipeline] stages in goship.toml")
    return stages


def _environment(config: Config, requested: str | None, needed: bool) -> Environment | None:
    from goship.release import gitrepo
    from goship.release.tagscheme import select_environment

    settings = config.release
    if requested is None and (not needed or not settings.environments):
        return None
    branch = gitrepo.current_branch(config.module_dir, config.env)
    return select_environment(settings, branch, requested)


def _tags(config: Config, environment: Environment | None, version: str, commit: str,
          commit_time: int | None) -> tuple[str, ...]:
    if environment is None or not config.release.environments:
        from goship.publish.destinations import image_tags

        return tuple(image_tags(config, []))
    from goship.release import gitrepo
    from goship.release.tagscheme import TagContext, render_tags

    when = datetime.fromtimestamp(commit_time, tz=UTC) if commit_time is not None else None
    context = TagContext(version=version, commit=commit, env=environment.name, date=when,
                         branch=gitrepo.current_branch(config.module_dir, config.env))
    return render_tags(environment.templates_for(version), context)


def _targets(config: Config, environment: Environment | None) -> tuple[PushTarget, ...]:
    from goship.publish.registry import repository_for

    repository = (environment.repository if environment is not None else "") or config.repository or ""
    targets = []
    for spec in config.images:
        target = spec.repository or repository
        if not target:
            where = f"[environments.{environment.name}] repository, " if environment is not None else ""
            raise ConfigError(f"the push stage has nowhere to push image '{spec.name}': `repository` is "
                              "not set in goship.toml",
                              f"set repository = \"registry.example.com/team/{spec.name}\" at the top of "
                              f"goship.toml (or {where}GOSHIP_REPOSITORY, or repository in its [[images]])")
        count = 1 if spec.repository else len(config.images)
        targets.append(PushTarget(spec.name, repository_for(target, spec.name, count).name))
    return tuple(targets)


def _check_sign(config: Config) -> None:
    key = config.pipeline.sign.key
    if key is None:
        raise ConfigError("[pipeline.sign] key is not set: the sign stage needs a private key",
                          "add key = \"cosign.key\" under [pipeline.sign] in goship.toml (goship keygen "
                          "writes one; its password comes from GOSHIP_PASSWORD)")
    if not Path(key).is_file():
        raise ConfigError(f"[pipeline.sign] key names {key}, which is not a file",
                          "fix the path (relative to goship.toml), or write a key pair with goship keygen")


def plan_pipeline(config: Config, *, until: str | None = None,
                  environment: str | None = None) -> PipelinePlan:
    """Everything a run will do, checked; reads goship.toml's settings and git, writes nothing."""
    from goship.gobuild.vcs import read_source_facts

    stages = selected_stages(config, until)
    facts = read_source_facts(config.module_dir, config.env, config.release)
    version = config.version or facts.version()
    needs_environment = "push" in stages or "deploy" in stages
    chosen = _environment(config, environment, needs_environment)
    if "deploy" in stages and chosen is None:
        raise ConfigError("the deploy stage needs an environment, and goship.toml has no [environments.NAME]",
                          "add e.g. [environments.staging] with its branches and tags, then run "
                          "goship pipeline --env staging")
    tags = _tags(config, chosen, version, facts.commit, facts.commit_time)
    targets = _targets(config, chosen) if "push" in stages else ()
    if "sign" in stages:
        _check_sign(config)
    module_dir = config.module_dir
    return PipelinePlan(stages=stages, configured=config.pipeline.stages, version=version,
                        commit=facts.commit, environment=chosen, tags=tags, targets=targets,
                        layout=config.oci_layout or module_dir / DEFAULT_LAYOUT,
                        reports=module_dir / REPORTS_DIR)
