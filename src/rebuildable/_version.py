"""The package version: one definition, importable without loading anything else."""

__version__ = "0.1.0"
