"""Where goship keeps its data and its cache, for a given environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _user_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or env.get("USERPROFILE") or str(Path.home()))


def home_dir(env: Mapping[str, str]) -> Path:
    """goship's data (managed Go versions): GOSHIP_HOME, else the per-user data directory."""
    if env.get("GOSHIP_HOME"):
        return Path(env["GOSHIP_HOME"]).expanduser()
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "goship"
    base = env.get("XDG_DATA_HOME") or str(_user_home(env) / ".local" / "share")
    return Path(base) / "goship"


def cache_dir(env: Mapping[str, str]) -> Path:
    """goship's cache (layers, toolchain facts): GOSHIP_CACHE, else the per-user cache."""
    if env.get("GOSHIP_CACHE"):
        return Path(env["GOSHIP_CACHE"]).expanduser()
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "goship" / "cache"
    base = env.get("XDG_CACHE_HOME") or str(_user_home(env) / ".cache")
    return Path(base) / "goship"
