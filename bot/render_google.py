"""Reply → Google Chat message body (text + cardsV2). Owned by the Google Chat door."""

from __future__ import annotations

from typing import Any

from commands.core import Reply


def render_message(reply: Reply) -> dict[str, Any]:
    # Placeholder rendering, replaced by the full cardsV2 renderer of the Google Chat door.
    return {"text": reply.text}
