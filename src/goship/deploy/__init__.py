"""Taking an image live: Kubernetes manifests (and systemd units for hosts without
Kubernetes) rendered from goship.toml, and rollouts that apply them by digest, gate them on
health and roll back on failure.

settings.py holds the resolved ``[deploy]`` settings of one environment.
"""
