"""Go compilation: toolchain lookup, platform environment, ldflags templates, git facts."""
