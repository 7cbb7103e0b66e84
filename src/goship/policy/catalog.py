"""Every rule of the image standard, by ID: the Dockerfile rules and the image rules.

docs/rules.md is written from this catalog (``python -m goship.policy.docs``), and a test
checks that the file is current.
"""

from __future__ import annotations

from goship.policy.interface import RuleInfo


def all_rules() -> dict[str, RuleInfo]:
    """Every rule, keyed and sorted by ID."""
    from goship.policy.dockerfile_rules import RULES as DOCKERFILE_RULES
    from goship.policy.image_rules import RULES as IMAGE_RULES

    rules = [*DOCKERFILE_RULES, *IMAGE_RULES]
    by_id = {rule.id: rule for rule in rules}
    if len(by_id) != len(rules):
        raise RuntimeError("two rules share an ID")  # a programming error, caught by the tests
    return dict(sorted(by_id.items()))
