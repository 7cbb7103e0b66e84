"""Releases and the registry lifecycle: versions from git, tag schemes per environment,
changelogs, promotion by digest, retention, and consistency checks.

settings.py holds the resolved ``[release]``, ``[environments.*]`` and ``[[retention]]``
settings every module here shares; config_release.py (beside config.py) reads them.
"""
