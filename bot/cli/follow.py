"""Following a growing log file the way ``tail -F`` does, and surviving its rotation.

``Follower.poll()`` returns the complete lines written since the last poll, numbered from
the start of the file they are in. A line still being written (no newline yet) waits for
the next poll. When the file is rotated — the path now names another file (logrotate's
rename and create) or the file got shorter (copytruncate) — what was left in the old
file is read first and numbering starts again at 1 in the new one. A file that does not
exist yet (between rename and create) is simply waited for. As with ``tail -F``, a file
truncated in place and written past the point already read between two polls is not
noticed; logrotate's default (rename and create) has no such gap.
"""

from __future__ import annotations

import os
from typing import BinaryIO

CHUNK = 1 << 20  # bytes read per poll at most, so one poll never holds a huge file


class Follower:
    def __init__(self, path: str) -> None:
        self.path = path
        self._handle: BinaryIO | None = None
        self._inode: tuple[int, int] | None = None
        self._partial = b""
        self._next_line = 1
        self.problems: list[tuple[int, str]] = []  # lines that are not UTF-8
        self.rotations = 0

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def poll(self) -> list[tuple[int, str]]:
        """The complete new lines: (line number in its file, text)."""
        lines: list[tuple[int, str]] = []
        if self._handle is None and not self._open():
            return lines
        assert self._handle is not None
        lines += self._drain()
        if self._rotated():
            lines += self._drain(final=True)
            self.close()
            self._partial, self._next_line = b"", 1
            self.rotations += 1
            if self._open():
                lines += self._drain()
        return lines

    def _open(self) -> bool:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - kept open between polls
        except FileNotFoundError:
            return False
        stat = os.fstat(handle.fileno())
        self._handle, self._inode = handle, (stat.st_dev, stat.st_ino)
        return True

    def _rotated(self) -> bool:
        assert self._handle is not None
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return False  # renamed away, not yet recreated: keep reading the old one
        if (stat.st_dev, stat.st_ino) != self._inode:
            return True
        return stat.st_size < self._handle.tell()  # truncated in place

    def _drain(self, *, final: bool = False) -> list[tuple[int, str]]:
        assert self._handle is not None
        out: list[tuple[int, str | None]] = []
        while True:
            data = self._handle.read(CHUNK)
            if not data:
                break
            self._partial += data
            *complete, self._partial = self._partial.split(b"\n")
            out += [self._decode(raw) for raw in complete]
        if final and self._partial:
            out.append(self._decode(self._partial))
            self._partial = b""
        return [(n, text) for n, text in out if text is not None]

    def _decode(self, raw: bytes) -> tuple[int, str | None]:
        number = self._next_line
        self._next_line += 1
        try:
            return number, raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            self.problems.append((number, f"not UTF-8 (byte {exc.start + 1} of the line)"))
            return number, None
