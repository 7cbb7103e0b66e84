"""Turning Go binaries and a base image into images and image indexes."""
