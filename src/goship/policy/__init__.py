"""The image standard: rules with IDs and severities, checked on Dockerfiles and on built images.

interface.py holds the shared types (Severity, RuleInfo, Finding, PolicySettings); each rule
family lives in its own module and registers its RuleInfo in catalog.py; reporters format
findings (text, JSON, SARIF, GitLab code quality).
"""
