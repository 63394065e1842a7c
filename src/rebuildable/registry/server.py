"""Running the service: uvicorn on one process. Scale out by running more processes (on
more machines) against the same database and blob store; they share no other state."""

from __future__ import annotations

import uvicorn

from rebuildable.registry.app import create_app
from rebuildable.registry.config import RegistryConfig
from rebuildable.registry.protocol import head_deadline_protocol
from rebuildable.registry.service import open_registry

__all__ = ["run"]


def run(config: RegistryConfig, host: str, port: int) -> None:
    registry = open_registry(config)
    try:
        app = create_app(registry)
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                    http=head_deadline_protocol(config.client_timeout),
                    timeout_graceful_shutdown=10, h11_max_incomplete_event_size=64 * 1024)
    finally:
        registry.close()
