"""The supply chain of an image: SBOMs from Go build information (sbom/), vulnerability scans
against the Go vulnerability database (scan/), and cosign-compatible signing (signing/)."""
