"""The real local embedder, recording every text it is asked to embed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from frontdesk.embedder.model import Embedder, OnnxMiniLM


class Counting(Embedder):
    """The local model, recording every text it is asked to embed (a runtime built with it
    embeds through it)."""

    def __init__(self, model: OnnxMiniLM):
        self.model = model
        self.model_id = model.model_id
        self.dimension = model.dimension
        self.batch_size = model.batch_size
        self.texts: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.model.embed_batch(texts)
