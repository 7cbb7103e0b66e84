"""CI/CD pipeline files that run `goship pipeline`: one description of the pipeline
(model.py, made from the project by inputs.py) written in the syntax of GitHub Actions
(github.py), GitLab CI/CD (gitlab.py) or Drone (drone.py), as YAML text (yamltext.py), and
written without overwriting a file that differs (writer.py). summary.py turns the JUnit
report into a job summary.
"""

from __future__ import annotations

from goship.pipeline.ci.model import CIPipeline


def render_file(system: str, pipeline: CIPipeline) -> tuple[str, str]:
    """(where the file goes, relative to the repository root; its text) for ``system``:
    "github", "gitlab" or "drone"."""
    from goship.pipeline.ci import drone, github, gitlab

    module = {"github": github, "gitlab": gitlab, "drone": drone}[system]
    return module.PATH, module.render(pipeline)
