"""Reply → plain text, for the console and for logs."""

from __future__ import annotations

from commands.core import Reply


def render_text(reply: Reply) -> str:
    lines = [reply.text] if reply.text else []
    for section in reply.sections:
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
            lines.append(f"  (image: {section.image_url})")
    return "\n".join(lines)
