"""Fetch knowledge from the web: one page, every page of a sitemap, or a same-site crawl."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import unquote, urldefrag, urlsplit, urlunsplit

import httpx

from frontdesk.errors import FrontdeskError, InvalidInput, SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.loaders import load_file
from frontdesk.knowledge.loaders.html import decode_html, parse_html
from frontdesk.knowledge.loaders.sitemap import parse_sitemap

log = logging.getLogger(__name__)

USER_AGENT = "Frontdesk/0.1 (+knowledge-sync)"
MAX_REDIRECTS = 5
CONCURRENCY = 4  # polite to small business sites, still several times faster than serial
# timeout_s bounds each network wait; this multiple of it bounds a whole download, so a
# server dripping one byte at a time cannot hold a sync forever.
DEADLINE_FACTOR = 4
FetchMode = Literal["page", "sitemap", "crawl"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Links a crawl never follows: nothing in them we could learn from (PDF, DOCX... stay).
_SKIPPED_EXTENSIONS = frozenset(
    {
        *("png", "jpg", "jpeg", "gif", "webp", "svg", "ico", "bmp", "tif", "tiff", "avif"),
        *("zip", "gz", "tgz", "tar", "rar", "7z", "bz2", "xz", "dmg", "iso", "exe", "msi"),
        *("apk", "deb", "rpm", "bin", "mp3", "mp4", "m4a", "m4v", "avi", "mov", "wmv"),
        *("webm", "ogg", "ogv", "wav", "flac", "mkv", "woff", "woff2", "ttf", "otf", "eot"),
        *("css", "js", "mjs", "map", "xml", "rss", "atom", "ics", "vcf", "heic", "psd"),
        *("doc", "xls", "ppt", "pptx", "odt", "ods", "odp"),
    }
)


@dataclass
class FetchResult:
    """Documents fetched, and the pages that failed (URL, reason) and were skipped."""

    documents: list[Document] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Fetched:
    url: str  # after redirects
    content_type: str
    charset: str | None
    data: bytes


async def fetch_documents(
    url: str,
    mode: FetchMode,
    *,
    max_pages: int,
    max_depth: int,
    timeout_s: float,
    max_bytes: int,
    client: httpx.AsyncClient | None = None,
) -> list[Document]:
    """Fetch documents from the web; raises SourceFailed only when nothing yields text."""
    result = await fetch_site(
        url,
        mode,
        max_pages=max_pages,
        max_depth=max_depth,
        timeout_s=timeout_s,
        max_bytes=max_bytes,
        client=client,
    )
    return result.documents


async def fetch_site(
    url: str,
    mode: FetchMode,
    *,
    max_pages: int,
    max_depth: int,
    timeout_s: float,
    max_bytes: int,
    client: httpx.AsyncClient | None = None,
) -> FetchResult:
    """Like fetch_documents, but also reports the pages that were skipped and why."""
    start = _validate(url)
    if client is None:
        async with httpx.AsyncClient(
            follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=timeout_s
        ) as own_client:
            fetcher = _Fetcher(own_client, timeout_s, max_bytes)
            return await _run(fetcher, start, mode, max_pages, max_depth)
    fetcher = _Fetcher(client, timeout_s, max_bytes)
    return await _run(fetcher, start, mode, max_pages, max_depth)


async def _run(
    fetcher: _Fetcher, start: str, mode: FetchMode, max_pages: int, max_depth: int
) -> FetchResult:
    if mode == "page":
        document, _ = await fetcher.document(start)
        if document.is_empty:
            raise SourceFailed(_no_text(document))
        return FetchResult(documents=[document])
    if mode == "sitemap":
        result = await _sitemap(fetcher, start, max_pages)
    elif mode == "crawl":
        result = await _crawl(fetcher, start, max_pages, max_depth)
    else:
        raise InvalidInput(f"Unknown fetch mode {mode!r}.", field="mode")
    if not result.documents:
        raise SourceFailed(_nothing_found(result.failures))
    skipped = len(result.failures)
    log.info("%s %s: %d documents, %d skipped", mode, start, len(result.documents), skipped)
    return result


class _Fetcher:
    """One HTTP client plus the limits every request obeys."""

    def __init__(self, client: httpx.AsyncClient, timeout_s: float, max_bytes: int) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.limit = asyncio.Semaphore(CONCURRENCY)

    async def fetch(self, url: str) -> _Fetched:
        """GET a URL within the size limit; every failure is a readable SourceFailed."""
        try:
            async with self.limit, asyncio.timeout(self.timeout_s * DEADLINE_FACTOR):
                return await self._get(url)
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise SourceFailed(f"Timed out fetching {url} after {self.timeout_s:g} s.") from exc
        except httpx.TooManyRedirects as exc:
            raise SourceFailed(f"Could not fetch {url}: too many redirects.") from exc
        except httpx.ConnectError as exc:
            raise SourceFailed(f"Could not connect to {url}: {_reason(exc)}.") from exc
        except httpx.HTTPError as exc:
            raise SourceFailed(f"Could not fetch {url}: {_reason(exc)}.") from exc

    async def _get(self, url: str) -> _Fetched:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,*/*"}
        async with self.client.stream(
            "GET", url, headers=headers, follow_redirects=True, timeout=self.timeout_s
        ) as response:
            if response.status_code >= 400:
                phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                raise SourceFailed(f"Could not fetch {url}: HTTP {response.status_code}{phrase}.")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise SourceFailed(self._too_large(url))
            body = bytearray()
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > self.max_bytes:
                    raise SourceFailed(self._too_large(url))
            content_type, _, _ = response.headers.get("content-type", "").partition(";")
            return _Fetched(
                url=str(response.url),
                content_type=content_type.strip().lower(),
                charset=response.charset_encoding,
                data=bytes(body),
            )

    def _too_large(self, url: str) -> str:
        return f"{url} is larger than the {_size(self.max_bytes)} limit for one page or file."

    async def sitemap(self, url: str) -> tuple[list[str], list[str]]:
        """Fetch a sitemap: its http(s) page URLs and child sitemap URLs."""
        fetched = await self.fetch(url)
        pages, children = parse_sitemap(fetched.data, fetched.url, self.max_bytes)
        return [u for u in pages if _is_web_url(u)], [u for u in children if _is_web_url(u)]

    async def document(self, url: str) -> tuple[Document, list[str]]:
        """Fetch a page or file as a Document (every section carrying a URL) and its links.

        A web page without text comes back empty rather than failing, so that a crawl can
        still follow the links of a home page that is nothing but navigation.
        """
        fetched = await self.fetch(url)
        if _is_html(fetched):
            document, links = parse_html(decode_html(fetched.data, fetched.charset), fetched.url)
        else:
            links = []
            try:
                documents = load_file(fetched.data, _filename(fetched.url), fetched.content_type)
            except FrontdeskError as exc:
                raise SourceFailed(f"{fetched.url}: {exc.message}") from exc
            document = documents[0]
            for extra in documents[1:]:
                document.sections.extend(extra.sections)
        document.url = fetched.url
        document.sections = [
            section if section.url else replace(section, url=fetched.url)
            for section in document.sections
        ]
        return document, links


async def _sitemap(fetcher: _Fetcher, start: str, max_pages: int) -> FetchResult:
    result = FetchResult()
    listed, children = await fetcher.sitemap(start)
    pages = dict.fromkeys(listed)  # ordered and deduplicated
    # An index lists sitemaps; indexes nested deeper than that are ignored.
    for child in children:
        if len(pages) >= max_pages:
            break
        try:
            more, _ = await fetcher.sitemap(child)
        except SourceFailed as exc:
            result.failures.append((child, exc.message))
            continue
        pages.update(dict.fromkeys(more))
    if not pages and not result.failures:
        raise SourceFailed(f"The sitemap {start} lists no pages.")
    await _fetch_all(fetcher, list(pages)[:max_pages], result)
    return result


async def _crawl(fetcher: _Fetcher, start: str, max_pages: int, max_depth: int) -> FetchResult:
    result = FetchResult()
    origins = {_origin(start)}
    seen = {start}
    level = [start]
    budget = max_pages
    for depth in range(max_depth + 1):
        level = level[:budget]
        budget -= len(level)
        fetched = await _fetch_all(fetcher, level, result)
        if depth == 0 and fetched:
            # Follow the site where the start page redirected (http -> https, www.).
            origins.add(_origin(fetched[0][0]))
        seen.update(_normalise(final) for final, _ in fetched)
        if depth == max_depth or budget <= 0:
            break
        level = []
        for _, links in fetched:
            for link in map(_normalise, links):
                if link in seen or _origin(link) not in origins or _skipped_by_extension(link):
                    continue
                seen.add(link)
                level.append(link)
        if not level:
            break
    return result


async def _fetch_all(
    fetcher: _Fetcher, urls: list[str], result: FetchResult
) -> list[tuple[str, list[str]]]:
    """Fetch concurrently into ``result`` in order; return each fetched page's URL and links."""
    outcomes = await asyncio.gather(*(_try_document(fetcher, url) for url in urls))
    known = {document.url for document in result.documents}
    fetched: list[tuple[str, list[str]]] = []
    for url, outcome in zip(urls, outcomes, strict=True):
        if isinstance(outcome, str):
            result.failures.append((url, outcome))
            continue
        document, links = outcome
        fetched.append((document.url or url, links))
        if document.is_empty:
            result.failures.append((url, _no_text(document)))
        elif document.url not in known:  # else two URLs redirected to the same page
            known.add(document.url)
            result.documents.append(document)
    return fetched


async def _try_document(fetcher: _Fetcher, url: str) -> tuple[Document, list[str]] | str:
    try:
        return await fetcher.document(url)
    except FrontdeskError as exc:
        return exc.message


def _validate(url: str) -> str:
    url = url.strip()
    if not _is_web_url(url):
        raise InvalidInput(
            "Enter a full web address starting with http:// or https://.", field="url"
        )
    return _normalise(url)


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid port or IPv6 literal
        return False


def _normalise(url: str) -> str:
    """Lower-case scheme and host, drop default ports and fragments, give "/" to bare hosts."""
    parts = urlsplit(urldefrag(url.strip()).url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    port = parts.port
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, parts.hostname or "", parts.port or default


def _skipped_by_extension(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1].lower() in _SKIPPED_EXTENSIONS


def _is_html(fetched: _Fetched) -> bool:
    if fetched.content_type in _HTML_TYPES:
        return True
    head = fetched.data[:512].lstrip().lower()
    return not fetched.content_type and head.startswith((b"<!doctype html", b"<html"))


def _filename(url: str) -> str:
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name or urlsplit(url).hostname or "download"


def _no_text(document: Document) -> str:
    return f"The page {document.url} has no text to learn from."


def _nothing_found(failures: list[tuple[str, str]]) -> str:
    if not failures:
        return "No page had any text to learn from."
    first = failures[0][1]
    if len(failures) == 1:
        return first
    return f"None of the {len(failures)} pages could be used; the first failed with: {first}"


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _size(limit: int) -> str:
    return f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
