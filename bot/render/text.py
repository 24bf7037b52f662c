"""Reply → plain text, for the console and for logs."""

from __future__ import annotations

from commands.core import Reply
from store.i18n import _


def render_text(reply: Reply) -> str:
    """Mentions show as ``@key``."""
    text = reply.plain(reply.text)
    lines = [text] if text else []
    for section in reply.sections_shown(lambda m: f"@{m.key}"):
        lines.append("")
        if section.title:
            lines.append(f"== {section.title} ==")
        if section.text:
            lines.append(section.text)
        width = max((len(k) for k, _ in section.rows), default=0)
        for key, value in section.rows:
            lines.append(f"  {key.ljust(width)}  {value}".rstrip())
        if section.buttons:
            lines.append("  " + "  ".join(f"[{b.label}: {b.text}]" for b in section.buttons))
        if section.image_url:
            lines.append("  " + _("(image: {url})").format(url=section.image_url))
    return "\n".join(lines)
