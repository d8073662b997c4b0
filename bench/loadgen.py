"""What the serving benchmarks share: child processes with a log, and a raw HTTP/1.1 keep-alive client.

The client is deliberately minimal so a benchmark times the server, not an HTTP library, on the two cores
both share. Import it from a script in ``bench/`` (the script's folder is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

__all__ = ["Connection", "start"]


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output in ``log`` (working folder ``cwd``, default the log's folder)."""
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=cwd or log.parent, env=env, stdout=out, stderr=subprocess.STDOUT)


class Connection:
    """One keep-alive connection to 127.0.0.1; ``send`` writes a prebuilt request and reads the whole answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, request: bytes) -> int:
        """Send one request, read its answer (Content-Length framed), return the status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        await self.reader.readexactly(int(length.group(1)) if length else 0)
        return int(head[9:12])

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
