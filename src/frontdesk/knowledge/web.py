"""Fetch knowledge from the web: one page, every page of a sitemap, or a same-site crawl.

A re-sync passes what each page was last time (``KnownPage``): the page is asked for only if
it changed since, and one that did not comes back without a document but with the links it
had, so that a crawl still follows them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import unquote, urldefrag, urlsplit, urlunsplit

from frontdesk.errors import FrontdeskError, InvalidInput, SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.fetcher import Fetched, Fetcher, SiteUnavailable, Validators, new_client
from frontdesk.knowledge.limits import DEFAULT_LIMITS, Limits
from frontdesk.knowledge.loaders import load_file
from frontdesk.knowledge.loaders.html import decode_html, parse_html
from frontdesk.knowledge.loaders.sitemap import parse_sitemap

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class KnownPage:
    """A page as the last sync found it: where it ended up, its validators and its links."""

    url: str
    validators: Validators
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """A page asked for at ``requested``; ``document`` None: unchanged since it was known."""

    requested: str
    url: str  # after redirects
    document: Document | None
    validators: Validators
    links: list[str]


@dataclass
class FetchResult:
    """Pages fetched, and the pages that failed (URL, reason) and were skipped.

    ``unavailable``: the URLs of those that failed for a passing reason (the site not
    answering), which may well be back next time.
    """

    pages: list[Page] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    unavailable: set[str] = field(default_factory=set)

    @property
    def documents(self) -> list[Document]:
        return [page.document for page in self.pages if page.document is not None]


async def fetch_documents(
    url: str,
    mode: FetchMode,
    *,
    max_pages: int,
    max_depth: int,
    timeout_s: float,
    max_bytes: int,
    allowed_hosts: Sequence[str],
    limits: Limits = DEFAULT_LIMITS,
) -> list[Document]:
    """Fetch documents from the web; raises SourceFailed only when nothing yields text."""
    result = await fetch_site(
        url,
        mode,
        max_pages=max_pages,
        max_depth=max_depth,
        timeout_s=timeout_s,
        max_bytes=max_bytes,
        allowed_hosts=allowed_hosts,
        limits=limits,
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
    allowed_hosts: Sequence[str],
    limits: Limits = DEFAULT_LIMITS,
    known: Mapping[str, KnownPage] | None = None,
) -> FetchResult:
    """Like fetch_documents, but also reports the pages that were skipped and why.

    Every hop (start URL, redirect, sitemap, sitemap entry, crawled link) must pass the egress
    check; ``allowed_hosts`` are the private hosts the workspace lets it reach. A fetched
    file obeys the same ``limits`` as an upload. ``known``: the pages of the last sync, by
    the URL they were asked for at.
    """
    start = _validate(url)
    async with new_client(timeout_s) as client:
        fetcher = Fetcher(client, timeout_s, max_bytes, allowed_hosts, limits)
        return await _run(fetcher, start, mode, max_pages, max_depth, known or {})


async def _run(
    fetcher: Fetcher,
    start: str,
    mode: FetchMode,
    max_pages: int,
    max_depth: int,
    known: Mapping[str, KnownPage],
) -> FetchResult:
    if mode == "page":
        page = await _page(fetcher, start, known.get(start))
        if page.document is not None and page.document.is_empty:
            raise SourceFailed(_no_text(page.document))
        return FetchResult(pages=[page])
    if mode == "sitemap":
        result = await _sitemap(fetcher, start, max_pages, known)
    elif mode == "crawl":
        result = await _crawl(fetcher, start, max_pages, max_depth, known)
    else:
        raise InvalidInput(f"Unknown fetch mode {mode!r}.", field="mode")
    if not result.pages:
        raise SourceFailed(_nothing_found(result.failures))
    skipped = len(result.failures)
    log.info("%s %s: %d pages, %d skipped", mode, start, len(result.pages), skipped)
    return result


async def _sitemap_urls(fetcher: Fetcher, url: str) -> tuple[list[str], list[str]]:
    """Fetch a sitemap: its http(s) page URLs and child sitemap URLs."""
    fetched = await fetcher.fetch(url)
    pages, children = parse_sitemap(fetched.data, fetched.url, fetcher.max_bytes)
    return [u for u in pages if _is_web_url(u)], [u for u in children if _is_web_url(u)]


async def _page(fetcher: Fetcher, url: str, known: KnownPage | None) -> Page:
    """Fetch a page or file as a Page, asking only whether it changed if it is ``known``."""
    fetched = await fetcher.fetch(url, known.validators if known else None)
    if fetched.not_modified and known is not None:
        # A 304 need not repeat the validators; those it does repeat are the newer.
        old, new = known.validators, fetched.validators
        validators = Validators(new.etag or old.etag, new.last_modified or old.last_modified)
        return Page(url, known.url, None, validators, list(known.links))
    document, links = await _document(fetched, fetcher.limits)
    return Page(url, fetched.url, document, fetched.validators, links)


async def _document(fetched: Fetched, limits: Limits) -> tuple[Document, list[str]]:
    """A fetched page or file as a Document (every section carrying a URL) and its links.

    A web page without text comes back empty rather than failing, so that a crawl can
    still follow the links of a home page that is nothing but navigation.
    """
    # Parsing runs in a thread: a large page or file must not stall the event loop.
    if _is_html(fetched):
        html = decode_html(fetched.data, fetched.charset)
        document, links = await asyncio.to_thread(parse_html, html, fetched.url, limits=limits)
    else:
        links = []
        try:
            documents = await asyncio.to_thread(
                load_file,
                fetched.data,
                _filename(fetched.url),
                fetched.content_type,
                limits=limits,
            )
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


async def _sitemap(
    fetcher: Fetcher, start: str, max_pages: int, known: Mapping[str, KnownPage]
) -> FetchResult:
    result = FetchResult()
    listed, children = await _sitemap_urls(fetcher, start)
    pages = dict.fromkeys(listed)  # ordered and deduplicated
    # An index lists sitemaps; indexes nested deeper than that are ignored.
    for child in children:
        if len(pages) >= max_pages:
            break
        try:
            more, _ = await _sitemap_urls(fetcher, child)
        except SourceFailed as exc:
            result.failures.append((child, exc.message))
            continue
        pages.update(dict.fromkeys(more))
    if not pages and not result.failures:
        raise SourceFailed(f"The sitemap {start} lists no pages.")
    await _fetch_all(fetcher, list(pages)[:max_pages], result, known)
    return result


async def _crawl(
    fetcher: Fetcher, start: str, max_pages: int, max_depth: int, known: Mapping[str, KnownPage]
) -> FetchResult:
    result = FetchResult()
    origins = {_origin(start)}
    seen = {start}
    level = [start]
    budget = max_pages
    for depth in range(max_depth + 1):
        level = level[:budget]
        budget -= len(level)
        fetched = await _fetch_all(fetcher, level, result, known)
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
    fetcher: Fetcher, urls: list[str], result: FetchResult, known: Mapping[str, KnownPage]
) -> list[tuple[str, list[str]]]:
    """Fetch concurrently into ``result`` in order; return each fetched page's URL and links."""
    outcomes = await asyncio.gather(*(_try_page(fetcher, url, known.get(url)) for url in urls))
    seen = {page.url for page in result.pages}
    fetched: list[tuple[str, list[str]]] = []
    for url, outcome in zip(urls, outcomes, strict=True):
        if isinstance(outcome, FrontdeskError):
            result.failures.append((url, outcome.message))
            if isinstance(outcome, SiteUnavailable):
                result.unavailable.add(url)
            continue
        fetched.append((outcome.url, outcome.links))
        if outcome.document is not None and outcome.document.is_empty:
            result.failures.append((url, _no_text(outcome.document)))
        elif outcome.url not in seen:  # else two URLs redirected to the same page
            seen.add(outcome.url)
            result.pages.append(outcome)
    return fetched


async def _try_page(fetcher: Fetcher, url: str, known: KnownPage | None) -> Page | FrontdeskError:
    try:
        return await _page(fetcher, url, known)
    except FrontdeskError as exc:
        return exc


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


def _is_html(fetched: Fetched) -> bool:
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
