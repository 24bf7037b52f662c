"""Reply → Slack message (text + Block Kit blocks). Owned by the Slack door."""

from __future__ import annotations

from typing import Any

from commands.core import Reply


def render_message(reply: Reply) -> dict[str, Any]:
    # Placeholder rendering, replaced by the full Block Kit renderer of the Slack door.
    return {"text": reply.text}
