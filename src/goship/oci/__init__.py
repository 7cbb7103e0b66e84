"""The OCI image model: digests, descriptors, manifests, configs, layers, layouts, references.

Nothing here imports the rest of goship except ``goship.errors``.
"""
