"""Publishers: where built images go (a registry, an OCI layout, a tarball, several)."""
