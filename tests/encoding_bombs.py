"""Compressed HTTP bodies that inflate far beyond their size, built without the inflated bytes."""

from __future__ import annotations

import functools
import zlib

GZIP_WBITS = 31  # zlib's gzip container
MB = 1024 * 1024


@functools.cache  # a few tests share each bomb
def gzip_bomb(size: int, *, layers: int = 1, fill: bytes = b"\0") -> bytes:
    """``size`` bytes of ``fill``, gzipped ``layers`` times over (as ``gzip, gzip`` says)."""
    compressors = [zlib.compressobj(9, zlib.DEFLATED, GZIP_WBITS) for _ in range(layers)]
    out = bytearray()

    def push(data: bytes, depth: int) -> None:
        for compressor in compressors[depth:]:
            data = compressor.compress(data)
        out.extend(data)

    block = fill * MB
    for start in range(0, size, MB):
        push(block[: min(MB, size - start)], 0)
    for depth, compressor in enumerate(compressors):  # each tail goes through the layers above
        push(compressor.flush(), depth + 1)
    return bytes(out)


def deflate(data: bytes, *, raw: bool = False) -> bytes:
    """``Content-Encoding: deflate`` as the RFC means it (zlib), or raw as some servers send it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()
