"""Where rendered objects go: YAML documents (stdout), a GitOps directory with one file per
object, a kustomize base with an overlay per environment, a Helm chart, systemd files. Every
directory writer replaces files atomically and leaves an unchanged file untouched."""
