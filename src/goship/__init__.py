"""goship: Go source to minimal, reproducible OCI images, with no Docker daemon."""

__version__ = "0.1.0"
