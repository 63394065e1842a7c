"""How a registry is configured: where its database and blobs live, and its bounds.
Standard library only, so the CLI can build one without the ``registry`` extra."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RegistryConfig", "UploadLimits"]


@dataclass(frozen=True)
class UploadLimits:
    #: the whole request body of a publish
    max_body: int = 1 << 30
    #: the manifest part (the engine's own manifest bound)
    max_manifest: int = 128 << 20
    max_envelope: int = 16 << 20

    def part_limit(self, name: str) -> int:
        return {"manifest": self.max_manifest, "envelope": self.max_envelope}.get(
            name, self.max_body)


@dataclass(frozen=True)
class RegistryConfig:
    #: the data folder: the default database and blob store live here
    data: Path = Path("registry")
    #: SQLAlchemy URL; default ``sqlite:///DATA/registry.db``
    db: str | None = None
    #: a folder or ``s3://bucket/prefix``; default ``DATA/blobs``
    store: str | None = None
    limits: UploadLimits = field(default_factory=UploadLimits)
    #: validations running at once (each holds a worker thread); more queue
    workers: int = 4
    #: seconds a client may take to send a request's head, and the head start its body
    #: gets before it must keep up the minimum rate (spec/registry.md REG-21)
    client_timeout: float = 30.0
    #: the average bytes per second a request body must keep up after that
    min_body_rate: int = 1024

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{(self.data / 'registry.db').resolve()}"

    @property
    def store_url(self) -> str:
        return self.store or str((self.data / "blobs").resolve())

    def needs_data_folder(self) -> bool:
        return self.db is None or self.store is None
