"""`frontdesk serve` as a real process: started, waited for, killed with SIGKILL, restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from support import free_port, wait_until

FRONTDESK = Path(sys.executable).parent / "frontdesk"


class ServerProcess:
    """One `frontdesk serve` on a loopback port with ``env`` (FRONTDESK_* settings); its
    output goes to ``log`` so a failing test can show it."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None):
        self.port = port or free_port()
        self.env = {**os.environ, **env, "FRONTDESK_PORT": str(self.port)}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> ServerProcess:
        """Start it without waiting (several started together load at the same time)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(FRONTDESK), "serve"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def start(self, timeout: float = 120) -> ServerProcess:
        """Start it and wait until it is ready."""
        self.launch()
        wait_until(self.ready, timeout=timeout, what=f"frontdesk serve on {self.url}")
        return self

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"the server exited with {self.process.returncode}:\n{tail}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power or the OOM killer
        strikes."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
