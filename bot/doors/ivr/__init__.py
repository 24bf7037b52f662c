"""The IVR API under /ivr/v1: callback capacity and bookings for an IVR or a dialer.

``openapi.py`` holds the route table and generates ``/ivr/v1/openapi.json`` from it and
from the pydantic models in ``models.py``; ``door.py`` holds the views. The OpenAPI
document is public (an integrator needs it before having a key); every other route needs
a key (``switchboard ivr-keys create NAME``).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response

from bot.doors.http import json_response
from bot.doors.ivr.door import IvrDoor
from bot.doors.ivr.openapi import PREFIX, ROUTES, document
from bot.runtime import Runtime

__all__ = ["register"]


def register(app: Flask, runtime: Runtime) -> None:
    door = IvrDoor(runtime)
    views: dict[str, Callable[..., Response]] = {
        "getSlots": door.get_slots,
        "bookCallback": door.post_callback,
        "findCallbacks": door.find_callbacks,
        "getCallback": door.get_callback,
        "cancelCallback": door.cancel_callback,
        "getCallbackVariables": door.get_variables,
    }
    for route in ROUTES:
        rule = PREFIX + route.path.replace("{id}", "<cid>")
        app.add_url_rule(rule, f"ivr_{route.operation}", door.guarded(views[route.operation]),
                         methods=[route.method.upper()])
    spec = document()

    def openapi() -> Response:
        return json_response(spec)

    app.add_url_rule(f"{PREFIX}/openapi.json", "ivr_openapi", openapi)
