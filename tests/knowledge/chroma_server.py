"""A Chroma server for tests and the knowledge benchmark: chromadb's own `chroma run` on a
loopback port."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def chroma_server(path: Path, port: int) -> Iterator[str]:
    """Run a Chroma server persisting under `path`; yields its URL, stops it afterwards.

    The benchmark gives a fixed port: the knowledge base keys its ingest manifest by the
    server's URL, so the same URL next time reuses the index built the first time.
    """
    binary = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    path.mkdir(parents=True, exist_ok=True)
    command = [binary, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the Chroma server on port {port} did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
