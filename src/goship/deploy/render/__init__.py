"""Kubernetes objects from DeploySettings, as plain dicts (apiVersion, kind, metadata, spec),
ready to be written as YAML or applied with server-side apply.

``render_objects(settings, image)`` gives every object of one environment in apply order;
the ``*_object`` functions give one object each, so that a rollout can make the other
blue-green slot, a canary, the Service on another slot or the Secret of deploy-time values
from the same templates.
"""

from goship.deploy.render.autoscaling import autoscaler_object, disruption_budget_object
from goship.deploy.render.configmap import config_hash, configmap_name, configmap_object
from goship.deploy.render.deployment import deployment_name, deployment_object
from goship.deploy.render.istio import destination_rule_object, virtual_service_object
from goship.deploy.render.objects import KIND_ORDER, ordered, render_objects
from goship.deploy.render.secrets import secret_checksum, secret_name, secret_object
from goship.deploy.render.service import service_object

__all__ = [
    "KIND_ORDER",
    "autoscaler_object",
    "config_hash",
    "configmap_name",
    "configmap_object",
    "deployment_name",
    "deployment_object",
    "destination_rule_object",
    "disruption_budget_object",
    "ordered",
    "render_objects",
    "secret_checksum",
    "secret_name",
    "secret_object",
    "service_object",
    "virtual_service_object",
]
