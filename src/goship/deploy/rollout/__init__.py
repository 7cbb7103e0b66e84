"""Rollouts: taking an image live on Kubernetes by digest, with health gates and automatic
rollback.

- interface.py: the Manifests a rollout applies, the image, options, results and failures;
- manifests.py: those Manifests rendered from goship.toml (goship.deploy.render);
- rolling.py, bluegreen.py, canary.py: the three strategies; run.py picks one;
- gates.py: readiness as ``kubectl rollout status`` judges it, the progress deadline, smoke
  checks through the API server's service proxy, health during pauses;
- history.py: revisions (ReplicaSets) and going back to one as ``kubectl rollout undo`` does;
- status.py: which digest, version and revision run, and whether every pod runs the digest;
- preflight.py: the signature and scan gates before anything is applied;
- secretvalues.py: the deploy-time values of the Secret.
"""

from goship.deploy.rollout.history import Revision, revisions
from goship.deploy.rollout.interface import (
    Image,
    Manifests,
    RolloutFailedError,
    RolloutOptions,
    RolloutResult,
    SystemClock,
)
from goship.deploy.rollout.manifests import RenderedManifests
from goship.deploy.rollout.run import STRATEGIES, deploy, housekeeping, rollback
from goship.deploy.rollout.status import EnvironmentStatus, PodImage, environment_status

__all__ = [
    "STRATEGIES",
    "EnvironmentStatus",
    "Image",
    "Manifests",
    "PodImage",
    "RenderedManifests",
    "Revision",
    "RolloutFailedError",
    "RolloutOptions",
    "RolloutResult",
    "SystemClock",
    "deploy",
    "environment_status",
    "housekeeping",
    "revisions",
    "rollback",
]
