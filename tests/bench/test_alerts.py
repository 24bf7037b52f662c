"""``switchboard bench alerts`` runs end to end on a short run: every event's DM arrives
at the fake chat API (the latencies themselves are measured by running it, not here)."""

from __future__ import annotations

import io
from pathlib import Path

from bot.cli.main import main


def test_every_event_reaches_the_chat_api(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["bench", "alerts", "--seconds", "0.2"],
                  environ={"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
                           "LOG_LEVEL": "warning"}, out=out, err=err)
    text = out.getvalue()
    assert status == 0, err.getvalue()
    lines = [line for line in text.splitlines() if line.startswith("event to DM at")]
    assert [line.split()[4] for line in lines] == ["10", "50"]
    assert [line.split()[6] for line in lines] == ["n=2", "n=10"]
    assert "never arrived" not in text
