"""The local HTTP server every fake is built on; it lives in ``bot.bench.local_server``
because the benchmarks use it too (the product never imports ``tests``)."""

from bot.bench.local_server import Handler, LocalServer, Request, Response

__all__ = ["Handler", "LocalServer", "Request", "Response"]
