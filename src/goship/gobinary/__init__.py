"""Go binaries and the build information Go embeds in them.

buildinfo.py and moduleinfo.py read one executable (ELF, PE or Mach-O); subject.py finds
every Go binary in what a user names (an image in a registry, an OCI layout, a tarball, or a
binary on disk) for `goship sbom`, `goship scan` and `goship verify`, with image_scan.py
reading an image's layers in one pass and image_indexes.py naming the index a tarball's
image is in.
"""
