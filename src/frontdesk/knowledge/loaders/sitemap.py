"""Sitemaps (urlset or sitemapindex, optionally gzipped): the URLs they list, nothing else."""

from __future__ import annotations

import zlib
from urllib.parse import urldefrag
from xml.etree import ElementTree

from frontdesk.errors import SourceFailed


def parse_sitemap(data: bytes, url: str, max_bytes: int) -> tuple[list[str], list[str]]:
    """Return (page URLs, child sitemap URLs) in order, without fragments or duplicates."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, max_bytes, url)
    # Sitemaps never need entity declarations; refusing them rules out entity-expansion bombs.
    if b"<!ENTITY" in data[:4096]:
        raise SourceFailed(f"The sitemap {url} declares XML entities, which we refuse.")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        head = data[:512].lstrip().lower()
        web_page = head.startswith((b"<!doctype html", b"<html"))
        hint = " (it looks like a web page; use crawl mode)" if web_page else ""
        raise SourceFailed(f"The sitemap {url} is not valid XML{hint}: {exc}.") from exc
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SourceFailed(
            f"{url} does not look like a sitemap (expected <urlset> or <sitemapindex>)."
        )
    entry = "url" if kind == "urlset" else "sitemap"
    found: dict[str, None] = {}
    for element in root:
        if _local(element.tag) != entry:
            continue
        for child in element:
            loc = (child.text or "").strip()
            if _local(child.tag) == "loc" and loc:
                found.setdefault(urldefrag(loc).url)
    urls = list(found)
    return (urls, []) if kind == "urlset" else ([], urls)


def _gunzip(data: bytes, max_bytes: int, url: str) -> bytes:
    try:
        # Inflate at most max_bytes + 1: enough to tell that a gzip bomb is over the limit.
        inflated = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise SourceFailed(f"The sitemap {url} is not a valid gzip file.") from exc
    if len(inflated) > max_bytes:
        raise SourceFailed(f"The sitemap {url} is too large once decompressed.")
    return inflated


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
