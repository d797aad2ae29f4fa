"""Embedders: the local ONNX model, and the OpenAI-compatible client against a real server."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from frontdesk.embedder.model import EmbeddingError, OnnxMiniLM, OpenAIEmbedder


def test_vectors_are_normalised_and_meaningful(embedder: OnnxMiniLM) -> None:
    texts = [
        "What does the Glacier 850 snowmobile cost?",
        "Model: Glacier 850; Type: Snowmobile; Price: $12,999",
        "Our bakery sells sourdough bread every morning.",
    ]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, embedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_length_sorted_batching_keeps_input_order(embedder: OnnxMiniLM) -> None:
    texts = [("word " * n).strip() + f" item {n}" for n in (50, 1, 30, 2, 70, 5, 9)]
    batched = embedder.embed(texts)
    one_by_one = np.vstack([embedder.embed_batch([t]) for t in texts])
    assert np.allclose(batched, one_by_one, atol=2e-3)


def test_empty_input_and_progress(embedder: OnnxMiniLM) -> None:
    assert embedder.embed([]).shape == (0, embedder.dimension)
    seen: list[int] = []
    embedder.embed(["a b c"] * 40, progress=seen.append)
    assert sum(seen) == 40


def _fake_vector(text: str, dim: int = 8) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255 for b in digest[:dim]]


class _EmbeddingsAPI(BaseHTTPRequestHandler):
    """Speaks the OpenAI /v1/embeddings protocol; answers in reverse order, as servers may."""

    calls: ClassVar[list[dict]] = []
    fail = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), **body}
        )
        if type(self).fail:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"model overloaded")
            return
        data = [
            {"object": "embedding", "index": i, "embedding": _fake_vector(t)}
            for i, t in enumerate(body["input"])
        ]
        payload = json.dumps(
            {"object": "list", "data": data[::-1], "model": body["model"]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def embeddings_api() -> Iterator[str]:
    _EmbeddingsAPI.calls = []
    _EmbeddingsAPI.fail = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_openai_compatible_endpoint(embeddings_api: str) -> None:
    client = OpenAIEmbedder(embeddings_api, "nomic-embed-text", api_key="sk-test", batch_size=2)
    assert client.dimension == 8 and client.model_id == "openai:nomic-embed-text"
    texts = ["first passage", "second passage", "third passage"]
    vectors = client.embed(texts)
    expected = np.array([_fake_vector(t) for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-6)
    calls = _EmbeddingsAPI.calls
    assert all(c["path"] == "/v1/embeddings" and c["auth"] == "Bearer sk-test" for c in calls)
    assert max(len(c["input"]) for c in calls) <= 2


def test_openai_endpoint_errors_are_readable(embeddings_api: str) -> None:
    client = OpenAIEmbedder(embeddings_api, "m", dimension=8)
    _EmbeddingsAPI.fail = True
    with pytest.raises(EmbeddingError) as info:
        client.embed(["x"])
    assert "HTTP 500" in info.value.message and "overloaded" in info.value.message
    unreachable = OpenAIEmbedder("http://127.0.0.1:9/v1", "m", dimension=8, timeout_s=2)
    with pytest.raises(EmbeddingError, match="could not be reached"):
        unreachable.embed(["x"])
