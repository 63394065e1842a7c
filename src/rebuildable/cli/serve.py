"""`rebuildable serve`: run a registry that checks uploads with the engine.

Defaults keep everything in ``--data`` (``./registry``): the SQLite database
``registry.db`` and the blob folder ``blobs/``. For scale, point ``--db`` at PostgreSQL
and ``--store`` at S3 (``s3://bucket/prefix``; endpoint and credentials from the usual
``AWS_*`` variables) and run as many processes as you like. Needs the ``registry`` extra.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from rebuildable import api
from rebuildable.cli.common import fail
from rebuildable.cli.registry import data_options


@click.command("serve")
@data_options
@click.option("--store", metavar="URL", default=None,
              help="Blob store: a folder or s3://bucket/prefix (default DATA/blobs).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--max-upload", default=1 << 30, show_default=True, type=click.IntRange(1024),
              metavar="BYTES", help="The largest publish request accepted.")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Validations run at once by this process (more wait their turn).")
@click.option("--client-timeout", default=30.0, show_default=True,
              type=click.FloatRange(0.1, 3600), metavar="SECONDS",
              help="How long a client may take to send a request's head; a body must then "
                   "keep up 1 KiB/s on average (slower connections are closed, 408).")
def command(*, data: Path, db: str | None, store: str | None, host: str, port: int,
            max_upload: int, workers: int, client_timeout: float) -> None:
    """Run the registry service (creates or migrates its database on start)."""
    limits = api.RegistryConfig().limits
    limits = dataclasses.replace(limits, max_body=max_upload,
                                 max_manifest=min(limits.max_manifest, max_upload),
                                 max_envelope=min(limits.max_envelope, max_upload))
    config = api.RegistryConfig(data=data, db=db, store=store, workers=workers, limits=limits,
                                client_timeout=client_timeout)
    try:
        api.serve(config, host, port)
    except api.UsageError as exc:
        fail(str(exc))
