"""A retrieved chunk with where it came from and how it scored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    source_id: str
    source: str
    title: str
    location: str
    url: str | None
    text: str
    score: float = 0.0
    lexical_score: float = 0.0
    vector_score: float = 0.0
    rerank_score: float = 0.0  # the re-ranking model's probability that it answers
    unit_score: float = 0.0  # the best cosine between the question and one of its units
    # Its units' vectors stored at ingestion, by unit key, once search has read them ({}:
    # none stored; None: not read), so that the reply does not read them again.
    units: Mapping[bytes, np.ndarray] | None = field(default=None, compare=False, repr=False)
