"""Fetching pages, sitemaps and crawls from a real HTTP server on the loopback."""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import pytest

from factories import make_pdf
from frontdesk.errors import InvalidInput, SourceFailed
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.fetcher import MAX_REDIRECTS, USER_AGENT
from frontdesk.knowledge.limits import Limits
from frontdesk.knowledge.web import FetchMode, FetchResult, fetch_documents, fetch_site
from httpserver import LocalSite


def page(title: str, body: str = "", links: tuple[str, ...] = ()) -> str:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    return (
        f"<html><head><title>{title}</title></head><body><nav>{anchors}</nav>"
        f"<main><h1>{title}</h1><p>{body or 'Text of ' + title + '.'}</p></main></body></html>"
    )


def sitemap(*urls: str, index: bool = False) -> str:
    tag, entry = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{entry}><loc>{url}</loc></{entry}>" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{tag}>'
    )


def titles(documents: list[Document]) -> list[str]:
    return [document.title for document in documents]


async def fetch(
    url: str,
    mode: FetchMode = "page",
    *,
    max_pages: int = 50,
    max_depth: int = 3,
    max_bytes: int = 1_000_000,
) -> list[Document]:
    return await fetch_documents(
        url,
        mode,
        max_pages=max_pages,
        max_depth=max_depth,
        timeout_s=5.0,
        max_bytes=max_bytes,
        allowed_hosts=allowing(url),
    )


async def fetch_with_failures(url: str, mode: FetchMode) -> FetchResult:
    return await fetch_site(
        url,
        mode,
        max_pages=50,
        max_depth=3,
        timeout_s=5.0,
        max_bytes=1_000_000,
        allowed_hosts=allowing(url),
    )


def allowing(url: str) -> list[str]:
    """The loopback site's exact host:port, allowed as a workspace admin would."""
    try:
        return [urlsplit(url).netloc]
    except ValueError:
        return []


# --- One page --------------------------------------------------------------------------


async def test_a_fetched_file_obeys_the_same_caps_as_an_upload(local_site: LocalSite) -> None:
    rows = "".join(f"Model {i},{i}\n" for i in range(10))
    url = local_site.add("/stock.csv", "Model,Price\n" + rows, "text/csv")
    with pytest.raises(SourceFailed, match="FRONTDESK_MAX_ROWS"):
        await fetch_documents(
            url,
            "page",
            max_pages=1,
            max_depth=0,
            timeout_s=5.0,
            max_bytes=1_000_000,
            allowed_hosts=allowing(url),
            limits=Limits(max_rows=3),
        )


async def test_page_sets_urls_and_drops_boilerplate(local_site: LocalSite) -> None:
    url = local_site.add("/hours", page("Hours", "Open 9 to 5.", links=("/shop",)))
    [document] = await fetch(url)
    assert document.title == "Hours" and document.url == url
    assert [s.text for s in document.sections] == ["Open 9 to 5."]
    assert all(s.url == url for s in document.sections)
    assert local_site.user_agents == [USER_AGENT]


async def test_page_can_be_a_pdf_or_csv_file(local_site: LocalSite) -> None:
    pdf_url = local_site.add(
        "/files/warranty", make_pdf(["Five year warranty."]), "application/pdf"
    )
    csv_url = local_site.add("/prices.csv", 'Model,Price\nGlacier 850,"$12,999"\n', "text/csv")
    [pdf] = await fetch(pdf_url)
    assert pdf.sections[0].location == "page 1" and pdf.sections[0].url == pdf_url
    [prices] = await fetch(csv_url)
    assert prices.sections[0].text == "Model: Glacier 850; Price: $12,999"
    assert prices.url == csv_url


async def test_redirects_are_followed(local_site: LocalSite) -> None:
    final = local_site.add("/new", page("New home"))
    local_site.redirects["/old"] = "/new"
    [document] = await fetch(local_site.url("/old"))
    assert document.url == final and document.title == "New home"


async def test_a_redirect_loop_stops_after_the_limit(local_site: LocalSite) -> None:
    local_site.redirects["/a"] = "/b"
    local_site.redirects["/b"] = "/a"
    with pytest.raises(SourceFailed, match=f"more than {MAX_REDIRECTS} redirects"):
        await fetch(local_site.url("/a"))
    assert len(local_site.hits) == MAX_REDIRECTS + 1


async def test_a_redirect_to_another_scheme_is_refused(local_site: LocalSite) -> None:
    local_site.redirects["/file"] = "file:///etc/passwd"
    with pytest.raises(SourceFailed, match=r"redirected to file:///etc/passwd\): Only http"):
        await fetch(local_site.url("/file"))


async def test_404_names_the_url_and_status(local_site: LocalSite) -> None:
    url = local_site.url("/missing.html")
    with pytest.raises(SourceFailed, match=rf"Could not fetch {url}: HTTP 404"):
        await fetch(url)


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "streamed"])
async def test_oversized_page_is_refused(local_site: LocalSite, streamed: bool) -> None:
    url = local_site.add("/big", page("Big", "word " * 50_000))
    if streamed:
        local_site.streamed.add("/big")
    with pytest.raises(SourceFailed, match=r"/big is larger than the 10,000 bytes limit"):
        await fetch(url, max_bytes=10_000)


async def test_connection_refused_is_readable() -> None:
    site = LocalSite()  # bound then closed without serving: nothing listens on the port
    url = site.url("/")
    site.close()
    with pytest.raises(SourceFailed) as caught:
        await fetch(url)
    assert caught.value.message == f"Could not connect to {site.host}."


async def test_page_without_text(local_site: LocalSite) -> None:
    url = local_site.add("/blank", "<html><body><nav>Only a menu</nav></body></html>")
    with pytest.raises(SourceFailed, match="has no text to learn from"):
        await fetch(url)


@pytest.mark.parametrize(
    "bad", ["ftp://example.com/x", "example.com", "https://", "", "file:///etc"]
)
async def test_invalid_url_is_invalid_input_on_the_url_field(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await fetch(bad)
    assert caught.value.field == "url"


# --- Sitemaps --------------------------------------------------------------------------


async def test_sitemap_fetches_listed_pages_only_http(local_site: LocalSite) -> None:
    a = local_site.add("/a", page("Page A"))
    b = local_site.add("/b", page("Page B"))
    local_site.add("/sitemap.xml", sitemap(a, "mailto:x@example.com", b, a), "application/xml")
    documents = await fetch(local_site.url("/sitemap.xml"), "sitemap")
    assert titles(documents) == ["Page A", "Page B"]


async def test_sitemap_index_with_gzipped_child(local_site: LocalSite) -> None:
    urls = [local_site.add(f"/p{n}", page(f"Page {n}")) for n in range(4)]
    local_site.add("/one.xml", sitemap(*urls[:2]), "application/xml")
    local_site.add("/two.xml.gz", gzip.compress(sitemap(*urls[2:]).encode()), "application/gzip")
    local_site.add(
        "/index.xml",
        sitemap(local_site.url("/one.xml"), local_site.url("/two.xml.gz"), index=True),
        "text/xml",
    )
    documents = await fetch(local_site.url("/index.xml"), "sitemap")
    assert titles(documents) == ["Page 0", "Page 1", "Page 2", "Page 3"]


async def test_sitemap_respects_max_pages(local_site: LocalSite) -> None:
    urls = [local_site.add(f"/p{n}", page(f"Page {n}")) for n in range(5)]
    local_site.add("/sitemap.xml", sitemap(*urls), "application/xml")
    documents = await fetch(local_site.url("/sitemap.xml"), "sitemap", max_pages=2)
    assert titles(documents) == ["Page 0", "Page 1"]
    assert not {"/p2", "/p3", "/p4"} & set(local_site.hits)


async def test_sitemap_skips_failing_pages_and_counts_them(local_site: LocalSite) -> None:
    good = local_site.add("/good", page("Good"))
    gone = local_site.url("/gone")
    local_site.add("/sitemap.xml", sitemap(gone, good), "application/xml")
    result = await fetch_with_failures(local_site.url("/sitemap.xml"), "sitemap")
    assert titles(result.documents) == ["Good"]
    assert len(result.failures) == 1 and "404" in result.failures[0][1]


async def test_sitemap_whose_pages_all_fail_explains_why(local_site: LocalSite) -> None:
    local_site.add("/sitemap.xml", sitemap(local_site.url("/gone")), "application/xml")
    with pytest.raises(SourceFailed, match=r"Could not fetch http://.*/gone: HTTP 404"):
        await fetch(local_site.url("/sitemap.xml"), "sitemap")


async def test_html_given_as_sitemap_is_refused_with_a_hint(local_site: LocalSite) -> None:
    url = local_site.add("/", "<!doctype html><html><body><p>Home<br></p></body></html>")
    with pytest.raises(SourceFailed, match="sitemap"):
        await fetch(url, "sitemap")


# --- Crawling --------------------------------------------------------------------------


def chain(site: LocalSite, length: int) -> str:
    """Pages /0 -> /1 -> ... each linking to the next; returns the start URL."""
    for n in range(length):
        site.add(f"/{n}", page(f"Page {n}", links=(f"/{n + 1}",) if n + 1 < length else ()))
    return site.url("/0")


async def test_crawl_respects_depth(local_site: LocalSite) -> None:
    documents = await fetch(chain(local_site, 6), "crawl", max_depth=2)
    assert titles(documents) == ["Page 0", "Page 1", "Page 2"]
    assert "/3" not in local_site.hits


async def test_crawl_respects_page_limit(local_site: LocalSite) -> None:
    links = tuple(f"/child{n}" for n in range(10))
    local_site.add("/", page("Home", links=links))
    for href in links:
        local_site.add(href, page(href))
    documents = await fetch(local_site.url("/"), "crawl", max_pages=4)
    assert len(documents) == 4 and len(local_site.hits) == 4
    assert titles(documents)[0] == "Home"


async def test_crawl_stays_on_the_same_host_and_port(local_site: LocalSite) -> None:
    other = LocalSite().start()
    try:
        foreign = other.add("/", page("Other site"))
        local_site.add(
            "/",
            page(
                "Home", links=(foreign, "http://elsewhere.invalid/x", "https://127.0.0.1/y", "/a")
            ),
        )
        local_site.add("/a", page("A"))
        documents = await fetch(local_site.url("/"), "crawl")
    finally:
        other.close()
    assert titles(documents) == ["Home", "A"]
    assert other.hits == []


async def test_crawl_visits_each_page_once_despite_loops(local_site: LocalSite) -> None:
    local_site.add("/", page("Home", links=("/a", "/a#team", "/b", "/")))
    local_site.add(
        "/a", page("A", links=("/", "/b", local_site.url("/a").replace("http://", "HTTP://")))
    )
    local_site.add("/b", page("B", links=("/a", "/", "/index.html#x")))
    local_site.add("/index.html", page("Index", links=("/",)))
    documents = await fetch(local_site.url("/"), "crawl", max_depth=5)
    assert sorted(titles(documents)) == ["A", "B", "Home", "Index"]
    assert sorted(local_site.hits) == ["/", "/a", "/b", "/index.html"]


async def test_crawl_skips_non_html_links_but_reads_documents(local_site: LocalSite) -> None:
    local_site.add(
        "/",
        page("Home", links=("/logo.png", "/files/catalog.zip", "/style.css", "/manual.pdf")),
    )
    local_site.add("/manual.pdf", make_pdf(["Owner manual text."]), "application/pdf")
    documents = await fetch(local_site.url("/"), "crawl")
    assert titles(documents) == ["Home", "manual"]
    assert sorted(local_site.hits) == ["/", "/manual.pdf"]


async def test_crawl_skips_broken_links(local_site: LocalSite) -> None:
    local_site.add("/", page("Home", links=("/missing", "/ok")))
    local_site.add("/ok", page("OK"))
    result = await fetch_with_failures(local_site.url("/"), "crawl")
    assert titles(result.documents) == ["Home", "OK"]
    assert [url for url, _ in result.failures] == [local_site.url("/missing")]


async def test_crawl_of_a_dead_start_page_fails_with_the_reason(local_site: LocalSite) -> None:
    with pytest.raises(SourceFailed, match="HTTP 404"):
        await fetch(local_site.url("/nothing"), "crawl")


async def test_crawl_follows_links_of_a_start_page_without_text(local_site: LocalSite) -> None:
    local_site.add("/", "<html><body><nav><a href='/about'>About</a></nav></body></html>")
    local_site.add("/about", page("About us", "Family business since 1987."))
    result = await fetch_with_failures(local_site.url("/"), "crawl")
    assert titles(result.documents) == ["About us"]
    assert result.failures == [
        (local_site.url("/"), f"The page {local_site.url('/')} has no text to learn from.")
    ]


async def test_crawl_follows_a_redirected_start_page(local_site: LocalSite) -> None:
    local_site.redirects["/"] = "/home"
    local_site.add("/home", page("Home", links=("/home", "/contact")))
    local_site.add("/contact", page("Contact"))
    documents = await fetch(local_site.url("/"), "crawl")
    assert titles(documents) == ["Home", "Contact"]
    assert local_site.hits.count("/home") == 1
