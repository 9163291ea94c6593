"""Serving the dashboard over HTTP with Panel's (Bokeh's) server, on this machine by default.

``workbench serve`` ends up in :func:`serve`; tests and benchmarks use :func:`make_server` to run
the same application on a free port in a thread of their own.

Examples
--------
>>> server = make_server("sqlite://", port=0)   # not started yet          # doctest: +SKIP
>>> server.start(); server.io_loop.start()                                 # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import panel as pn

import workbench as wb
from widgets.dashboard import App, create_app, server_pool, store_url

if TYPE_CHECKING:
    from bokeh.server.server import Server

__all__ = ["LOOPBACK", "app_factory", "is_loopback", "make_server", "serve"]

LOOPBACK = "127.0.0.1"


def is_loopback(address: str) -> bool:
    """Whether ``address`` can only be reached from this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name: only "localhost" is known to stay local
        return False


def app_factory(url: str, store: wb.StorePool) -> Callable[[], App]:
    """What the server calls for each browser session: its page, on the shared ``store``."""
    return lambda: create_app(url, store=store)


def make_server(
    url: str | None = None,
    *,
    port: int = 5006,
    address: str = LOOPBACK,
    origins: Sequence[str] = (),
    show: bool = False,
    store: wb.StorePool | None = None,
    **kwargs: Any,
) -> Server:
    """A Panel server of the dashboard on ``url``, bound to ``address``, not started.

    Every browser session gets an application of its own (and, on a shared store, its own
    login). All sessions share one engine with a bounded pool: ``store``, or one made here
    (named ``workbench-dashboard`` to PostgreSQL) and closed when the server stops. A session
    that ends releases its workspace. ``port=0`` picks a free port (``server.port`` tells
    which). ``origins`` are extra ``host:port`` values the browser may show in its address bar
    (for a non-loopback address).
    """
    text = store_url(url)
    allowed = list(origins)  # none: Bokeh's default, this machine's own address and port
    if allowed or (not is_loopback(address) and port):
        allowed += [f"{host}:{port}" for host in ("localhost", "127.0.0.1", address) if port]
    owned = store is None
    shared = server_pool(text) if store is None else store
    server = pn.serve(
        {"/": app_factory(text, shared)},  # a function: Panel calls it per session
        port=port,
        address=address,
        websocket_origin=allowed or None,
        show=show,
        start=False,
        threaded=False,
        title="workbench",
        verbose=False,
        **kwargs,
    )
    if owned:
        stop = server.stop

        def stop_and_release(wait: bool = True) -> None:
            stop(wait)
            shared.close()

        server.stop = stop_and_release  # type: ignore[method-assign]
    return server


def serve(
    url: str | None = None,
    *,
    port: int = 5006,
    address: str = LOOPBACK,
    origins: Sequence[str] = (),
    show: bool = False,
    behind_proxy: bool = False,
    announce: Any = print,
) -> None:
    """Serve the dashboard until interrupted (Ctrl+C), announcing its address first.

    ``behind_proxy`` takes each visitor's address from the proxy's ``X-Real-Ip`` or
    ``X-Forwarded-For`` header, so that sign-in throttling counts visitors rather than the proxy;
    only use it when a proxy sets those headers (a visitor reaching the server directly could
    otherwise claim any address).
    """
    server = make_server(
        url, port=port, address=address, origins=origins, show=False, use_xheaders=behind_proxy
    )
    server.start()
    host = "127.0.0.1" if address in ("", "0.0.0.0") else address
    link = f"http://{host}:{server.port}/"
    announce(f"The dashboard is at {link} (Ctrl+C stops it).")
    if not is_loopback(address):
        announce(f"It listens on {address}: other machines can reach it.")
    if show:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        announce("Stopped.")
    finally:
        server.stop()
