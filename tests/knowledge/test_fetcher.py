"""Fetched bodies stay within the limit however compressed; a bad Location fails one page."""

from __future__ import annotations

import gzip

import httpx
import pytest

from encoding_bombs import MB, gzip_bomb
from frontdesk.errors import SourceFailed
from frontdesk.knowledge.web import FetchMode, FetchResult, fetch_site
from httpserver import LocalSite
from support import wait_for_source


def page(title: str) -> str:
    return f"<html><head><title>{title}</title></head><body><p>{title} text.</p></body></html>"


async def fetch(site: LocalSite, path: str, mode: FetchMode = "page") -> FetchResult:
    return await fetch_site(
        site.url(path),
        mode,
        max_pages=10,
        max_depth=1,
        timeout_s=5.0,
        max_bytes=100_000,
        allowed_hosts=[site.host],
    )


async def failure(site: LocalSite, path: str) -> str:
    with pytest.raises(SourceFailed) as caught:
        await fetch(site, path)
    return caught.value.message


def compressed(site: LocalSite, path: str, body: bytes, encoding: str) -> str:
    site.headers[path] = {"Content-Encoding": encoding}
    return site.add(path, body)


async def test_a_gzip_bomb_fails_the_page_at_the_size_limit(local_site: LocalSite) -> None:
    url = compressed(local_site, "/bomb", gzip_bomb(200 * MB), "gzip")
    assert await failure(local_site, "/bomb") == (
        f"{url} is larger than the 100,000 bytes limit for one page or file."
    )


async def test_stacked_gzip_is_refused_by_name(local_site: LocalSite) -> None:
    url = compressed(local_site, "/stacked", gzip_bomb(100 * MB, layers=2), "gzip, gzip")
    assert await failure(local_site, "/stacked") == (
        f"Could not fetch {url}: the server sent a compressed body in an encoding Frontdesk "
        "does not read: gzip, gzip (more than one layer)."
    )


async def test_a_gzipped_page_is_read(local_site: LocalSite) -> None:
    compressed(local_site, "/hours", gzip.compress(page("Hours").encode()), "gzip")
    result = await fetch(local_site, "/hours")
    assert [d.title for d in result.documents] == ["Hours"]


@pytest.mark.parametrize("location", ["http:foo", "data:text/html,x", "http://[::1"])
async def test_a_redirect_to_no_url_fails_the_page_readably(
    local_site: LocalSite, location: str
) -> None:
    local_site.redirects["/moved"] = location
    assert await failure(local_site, "/moved") == (
        f"Could not fetch {local_site.url('/moved')}: the server redirects to an address that "
        "is not a valid URL."
    )


async def test_one_bad_redirect_in_a_sitemap_fails_only_its_page(local_site: LocalSite) -> None:
    good = local_site.add("/good", page("Good"))
    local_site.redirects["/moved"] = "http:foo"
    entries = f"<url><loc>{local_site.url('/moved')}</loc></url><url><loc>{good}</loc></url>"
    sitemap = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    local_site.add("/sitemap.xml", sitemap, "application/xml")
    result = await fetch(local_site, "/sitemap.xml", "sitemap")
    assert [d.title for d in result.documents] == ["Good"]
    [(url, reason)] = result.failures
    assert url == local_site.url("/moved") and "not a valid URL" in reason


def test_a_url_source_serving_a_gzip_bomb_fails_with_the_limit(
    client: httpx.Client, local_site: LocalSite
) -> None:
    url = compressed(local_site, "/bomb", gzip_bomb(200 * MB), "gzip")
    allowed = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": [local_site.host]})
    assert allowed.status_code == 200, allowed.text
    agent = client.post("/api/v1/agents", json={"name": "Ridgeline"}).json()
    added = client.post(f"/api/v1/agents/{agent['id']}/sources/urls", json={"url": url})
    assert added.status_code == 202, added.text
    final = wait_for_source(client, added.json()["id"])
    assert final["status"] == "failed"
    assert final["error"] == f"{url} is larger than the 20 MB limit for one page or file."
