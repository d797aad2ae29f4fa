"""`frontdesk serve` as a real process: started, waited for, killed with SIGKILL, restarted;
with ``--workers N``, which of its server processes holds a given connection (Linux /proc)."""

from __future__ import annotations

import contextlib
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

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        port: int | None = None,
        args: tuple[str, ...] = ("serve",),
    ):
        self.port = port or free_port()
        self.env = {**os.environ, **env, "FRONTDESK_PORT": str(self.port)}
        self.log = log
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        self.seen_workers: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> ServerProcess:
        """Start it without waiting (several started together load at the same time)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(FRONTDESK), *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT
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
            self.workers()  # noted, to be sure none outlives the test
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        for pid in self.seen_workers:  # orphaned when the supervisor was killed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def workers(self) -> list[int]:
        """The server processes that `frontdesk serve --workers N` (uvicorn's supervisor,
        this process) runs now: its children started by multiprocessing's spawn."""
        assert self.process is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:  # ended meanwhile
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"spawn_main" in command:
                found.append(int(entry.name))
        self.seen_workers.update(found)
        return sorted(found)

    def serving(self, client_port: int) -> int | None:
        """Which of :meth:`workers` holds the connection from loopback port ``client_port``
        (the server's end of it, found by its socket's inode)."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if _port(local) == self.port and _port(remote) == client_port:
                    inodes.add(f"socket:[{inode}]")
        for pid in self.workers():
            folder = Path(f"/proc/{pid}/fd")
            with contextlib.suppress(OSError):
                for fd in folder.iterdir():
                    with contextlib.suppress(OSError):
                        if os.readlink(fd) in inodes:
                            return pid
        return None


def _port(address: str) -> int:
    """The port of an address in /proc/net/tcp ("0100007F:1F90")."""
    return int(address.rsplit(":", 1)[1], 16)
