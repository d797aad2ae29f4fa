"""An OpenAI-compatible /embeddings endpoint on loopback whose slowness the test controls."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from frontdesk.settings import Settings


class SlowEmbeddings:
    """An /embeddings endpoint whose batches mentioning ``held`` wait for ``release()``."""

    def __init__(self, held: str) -> None:
        self.held = held
        self.holding = threading.Event()  # a held batch has arrived
        self._released = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                texts = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["input"]
                if any(gate.held in text for text in texts):
                    gate.holding.set()
                    gate._released.wait(timeout=120)
                data = [{"index": i, "embedding": _vector(t)} for i, t in enumerate(texts)]
                payload = json.dumps({"data": data}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> SlowEmbeddings:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


def embedding_through(api: SlowEmbeddings, data_dir: Path, **options: Any) -> Settings:
    """Settings that embed through ``api``, as an operator configures a provider."""
    return Settings(
        data_dir=data_dir,
        embedder="openai",
        embedding_url=api.url,
        embedding_model="slow-embed",
        **options,
    )


def _vector(text: str) -> list[float]:
    return [b / 255 for b in hashlib.sha256(text.encode()).digest()[:8]]
