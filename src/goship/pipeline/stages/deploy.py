"""The deploy stage: each pushed image, by digest, into the run's environment, through the
``Deployer`` the caller gives (the CLI's runs goship.deploy's rollout). A failed rollout
is the deployer's error, with its exit code; the images stay pushed and signed."""

from __future__ import annotations

from goship.errors import ConfigError
from goship.pipeline.interface import StageContext, StageOutcome


def run_deploy(context: StageContext) -> StageOutcome:
    environment = context.plan.environment
    if environment is None:  # the plan refuses this already; kept for callers that skip it
        raise ConfigError("the deploy stage needs an environment, and goship.toml has no "
                          "[environments.NAME]", "add one, then run goship pipeline --env NAME")
    deployer = context.inputs.deployer
    if deployer is None:
        raise ValueError("the deploy stage runs without a deployer")
    lines = []
    for image in context.state.pushed:
        context.log.step(f"deploying {image.reference} to {environment.name}")
        lines.append(deployer.deploy(image, environment.name, context.log))
    for line in lines:
        context.log.step(line)
    return StageOutcome(f"{environment.name}: " + "; ".join(lines) if lines else environment.name,
                        {"environment": environment.name, "images": [image.reference for image
                                                                     in context.state.pushed]})
