"""Platforms (``os/arch[/variant]``) as the OCI image index describes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from goship.errors import UsageError

# Operating systems and architectures goship can build Go binaries for and put into images.
KNOWN_OS = ("linux", "windows")
KNOWN_ARCH = {
    "linux": ("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64"),
    "windows": ("amd64", "arm64", "386"),
}
KNOWN_VARIANTS = {
    "arm": ("v5", "v6", "v7"),
    "arm64": ("v8",),
    "amd64": ("v1", "v2", "v3", "v4"),
}


@dataclass(frozen=True, order=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> Platform:
        """Parse ``os/arch[/variant][:os.version]`` and refuse what Go cannot target."""
        spec, _, os_version = text.strip().partition(":")
        parts = spec.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise UsageError(
                f"'{text}' is not a platform",
                "write platforms as os/arch or os/arch/variant, e.g. linux/amd64,linux/arm/v7",
            )
        os_name, arch = parts[0].lower(), parts[1].lower()
        variant = parts[2].lower() if len(parts) == 3 else ""
        if os_name not in KNOWN_OS:
            raise UsageError(
                f"unknown platform '{text}': goship builds images for {', '.join(KNOWN_OS)}",
                "use e.g. linux/amd64, linux/arm64 or windows/amd64",
            )
        if arch not in KNOWN_ARCH[os_name]:
            raise UsageError(
                f"unknown platform '{text}': no architecture '{arch}' for {os_name}",
                f"{os_name} architectures: {', '.join(KNOWN_ARCH[os_name])}",
            )
        if variant and variant not in KNOWN_VARIANTS.get(arch, ()):
            allowed = ", ".join(KNOWN_VARIANTS.get(arch, ())) or "none"
            raise UsageError(
                f"unknown platform '{text}': no variant '{variant}' for {arch}",
                f"variants of {arch}: {allowed}",
            )
        if arch == "arm" and not variant:
            variant = "v7"
        return cls(os_name, arch, variant, os_version)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Platform:
        return cls(
            os=str(data.get("os", "")),
            architecture=str(data.get("architecture", "")),
            variant=str(data.get("variant", "")),
            os_version=str(data.get("os.version", "")),
            os_features=tuple(data.get("os.features", ()) or ()),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        return out

    def matches(self, wanted: Platform) -> bool:
        """Whether this (an image's) platform satisfies the wanted one.

        An empty variant on either side matches any variant, except that arm/v6 and arm/v7
        must agree; an os.version is compared only when the wanted platform names one.
        """
        if (self.os, self.architecture) != (wanted.os, wanted.architecture):
            return False
        if wanted.variant and self.variant and wanted.variant != self.variant:
            # arm64 images are commonly published without a variant and amd64 ones with none.
            return False
        return not (wanted.os_version and self.os_version != wanted.os_version)

    @property
    def is_windows(self) -> bool:
        return self.os == "windows"

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        if self.variant:
            text += f"/{self.variant}"
        return text

    def slug(self) -> str:
        """A file-name-safe form: ``linux-arm-v7``."""
        return str(self).replace("/", "-")
