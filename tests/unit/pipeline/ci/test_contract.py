"""What the CI files take for granted about `goship pipeline` and the test data: the report
paths the files upload are the ones the stages write, the stages a job stops at exist, and
the schemas are the published ones the README names."""

from __future__ import annotations

import hashlib
import re

from tests.unit.pipeline.ci.projects import DATA, SCHEMAS

from goship.pipeline.ci.model import JUNIT_REPORT, REPORTS_DIR, SARIF_REPORTS, SBOM_REPORTS, VERIFY_UNTIL
from goship.pipeline.interface import REPORTS_DIR as PIPELINE_REPORTS
from goship.pipeline.settings import STAGES
from goship.pipeline.stages.gotests import JUNIT
from goship.pipeline.stages.lint import SARIF as LINT_SARIF
from goship.pipeline.stages.supply import SBOM_SUFFIX, SCAN_SARIF


def test_the_uploaded_reports_are_the_ones_the_stages_write() -> None:
    assert PIPELINE_REPORTS.as_posix() == REPORTS_DIR
    assert f"{REPORTS_DIR}/{JUNIT}" == JUNIT_REPORT
    assert dict(SARIF_REPORTS) == {"lint": f"{REPORTS_DIR}/{LINT_SARIF}",
                                   "scan": f"{REPORTS_DIR}/{SCAN_SARIF}"}
    assert f"{REPORTS_DIR}/sbom-*{SBOM_SUFFIX}" == SBOM_REPORTS


def test_the_stages_the_jobs_stop_at_exist() -> None:
    assert {VERIFY_UNTIL, "push", "deploy"} <= set(STAGES)


def test_the_schemas_are_the_ones_the_readme_names() -> None:
    readme = (DATA / "README.md").read_text()
    recorded = dict(re.findall(r"\| `([\w-]+\.json)` \|.*\| `([0-9a-f]{64})` \|", readme))

    assert set(recorded) == {path.name for path in SCHEMAS.glob("*.json")}
    for name, digest in recorded.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
