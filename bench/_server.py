"""A real ``asoto serve`` subprocess for the benchmarks (same process layout as production)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ok(url: str) -> None:
    """Until ``GET {url}/ok`` answers 200 (30 s at most)."""
    async with httpx.AsyncClient() as probe:
        for _ in range(300):
            try:
                if (await probe.get(f"{url}/ok")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@asynccontextmanager
async def asoto_process(
    uri: str, home: Path, *args: str, **env: str
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``asoto serve`` (extra CLI ``args``) on a free loopback port against ``uri``; yield its
    base URL and process (benches read its CPU time)."""
    port = free_port()
    environment = {
        **os.environ,
        "ASOTO_DATABASE_URL": uri,
        "ASOTO_HOME": str(home),
        "ASOTO_LOG_LEVEL": "WARNING",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "asoto.cli", "serve", "--port", str(port), *args],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ok(url)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@asynccontextmanager
async def asoto_serve(uri: str, home: Path, **env: str) -> AsyncIterator[str]:
    """Start ``asoto serve`` on a free loopback port against ``uri``; yield its base URL."""
    async with asoto_process(uri, home, **env) as (url, _):
        yield url
