"""uvicorn's HTTP/1.1 protocol with a deadline on each request's head.

uvicorn times out an idle keep-alive connection, but not one that has sent part of a
request line or headers (its keep-alive timer stops at the first byte), nor a fresh
connection that sends nothing: a slow client could hold a connection, and a file
descriptor, for ever (spec/registry.md REG-21). A request's body is paced by the
application (``app._Body``), which can answer 408 in the registry's error shape.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["head_deadline_protocol"]


def head_deadline_protocol(timeout: float) -> type[H11Protocol]:
    """An ``H11Protocol`` that closes a connection whose next request head has not come
    in whole within ``timeout`` seconds of the connection opening or of the last answer."""

    class Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self._head_timer = self.loop.call_later(timeout, self._head_late)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_late(self) -> None:
            self._head_timer = None
            # IDLE: no request head has come in whole since the timer was armed (a request
            # being received or answered has moved h11 on, and re-arms the timer when done)
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return Protocol
