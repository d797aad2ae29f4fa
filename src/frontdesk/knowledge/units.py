"""The vectors of a chunk's units (its sentences, list items, rows), embedded at ingestion.

An extractive reply chooses between the units of its passages partly by their meaning, which
took an embedding of a few units at each ask. Embedded once here instead, they are stored
with their chunk (one blob, replaced and deleted with it) and looked up at ask time by a key
of the text embedded and the model that embedded it: a unit the answering code now cuts
differently, or another embedder, finds no vector and is embedded on the fly, as is every
unit of a chunk stored before vectors were (``Chunk.unit_vectors`` NULL).

What a unit is belongs to answering (it sits above knowledge): the caller passes
``UnitTexts``, the texts a passage's units are embedded as.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from frontdesk.embedder.model import Embedder

# (title, location, text) of a chunk -> the texts its units are embedded as.
UnitTexts = Callable[[str, str, str], list[str]]

KEY_BYTES = 8
_HEADER = np.dtype("<u4")  # the vectors' dimension


def unit_key(model_id: str, text: str) -> bytes:
    """Which vector is this text's under this model (64 bits: a chunk holds a few dozen)."""
    return hashlib.sha256(f"{model_id}\n{text}".encode()).digest()[:KEY_BYTES]


def pack(keys: Sequence[bytes], vectors: np.ndarray) -> bytes:
    """One chunk's unit vectors: the dimension, then each key followed by its float32 vector."""
    dimension = vectors.shape[1] if vectors.ndim == 2 else 0
    parts = [np.array([dimension], dtype=_HEADER).tobytes()]
    for key, vector in zip(keys, vectors, strict=True):
        parts += [key, vector.astype("<f4").tobytes()]
    return b"".join(parts)


def unpack(blob: bytes) -> dict[bytes, np.ndarray]:
    """The vectors of ``pack``, by key."""
    dimension = int(np.frombuffer(blob[: _HEADER.itemsize], dtype=_HEADER)[0])
    step = KEY_BYTES + 4 * dimension
    out: dict[bytes, np.ndarray] = {}
    for at in range(_HEADER.itemsize, len(blob) if dimension else 0, step):
        key = blob[at : at + KEY_BYTES]
        out[key] = np.frombuffer(blob, dtype="<f4", count=dimension, offset=at + KEY_BYTES)
    return out


def embed_units(
    embedder: Embedder,
    chunks: Sequence[tuple[str, str, str]],
    unit_texts: UnitTexts,
    known: dict[bytes, np.ndarray],
) -> list[bytes]:
    """Each chunk's packed unit vectors; a text already in ``known`` (by key) is not embedded."""
    model = embedder.model_id
    texts = [list(dict.fromkeys(unit_texts(*chunk))) for chunk in chunks]
    keys = [[unit_key(model, t) for t in group] for group in texts]
    todo = {
        key: text
        for group, group_keys in zip(texts, keys, strict=True)
        for text, key in zip(group, group_keys, strict=True)
        if key not in known
    }
    if todo:
        matrix = embedder.embed(list(todo.values()))
        known = {**known, **dict(zip(todo, matrix, strict=True))}
    blobs = []
    for group_keys in keys:
        vectors = np.array([known[k] for k in group_keys], dtype=np.float32)
        blobs.append(pack(group_keys, vectors.reshape(len(group_keys), embedder.dimension)))
    return blobs


def stored_vectors(blobs: Sequence[bytes | None]) -> dict[bytes, np.ndarray]:
    """Every unit vector the ``blobs`` hold, by key (NULL: a chunk stored before them)."""
    out: dict[bytes, np.ndarray] = {}
    for blob in blobs:
        if blob is not None:
            out.update(unpack(blob))
    return out
