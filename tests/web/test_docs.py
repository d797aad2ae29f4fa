"""The API reference at /docs: packaged Swagger UI under the inbox's CSP, nosniff everywhere."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser

from frontdesk.web.pages import INBOX_CSP
from support import ServerThread


@pytest.fixture
def http(server: ServerThread) -> Iterator[httpx.Client]:
    """An anonymous client: the docs need no session."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def test_docs_page_is_served_under_the_inbox_csp(http: httpx.Client) -> None:
    response = http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert csp == INBOX_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_docs_page_loads_only_same_origin_files_and_no_inline_script(
    http: httpx.Client,
) -> None:
    tree = LexborHTMLParser(http.get("/docs").text)
    scripts = tree.css("script")
    assert scripts and all(s.attributes.get("src") and not s.text().strip() for s in scripts)
    urls = [s.attributes["src"] or "" for s in scripts]
    urls += [link.attributes.get("href") or "" for link in tree.css('link[rel="stylesheet"]')]
    assert {u for u in urls if not _same_origin(u)} == set()
    assert [link.attributes.get("href") for link in tree.css('link[rel="icon"]')] == ["data:,"]
    for url in urls:
        asset = http.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")
        assert asset.headers["x-content-type-options"] == "nosniff"
        if url.startswith("/static/"):  # our own files name no other origin
            assert "http://" not in asset.text and "https://" not in asset.text, url
    init = http.get("/static/docs/init.js").text
    assert "'/openapi.json'" in init and "validatorUrl: null" in init


def test_only_the_files_the_page_needs_are_served_from_the_bundle(http: httpx.Client) -> None:
    for name in ("redoc.standalone.js", "favicon.png", "core.py", "..%2F__init__.py"):
        response = http.get(f"/docs/vendor/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"


def test_redoc_points_to_docs_instead_of_a_cdn_page(http: httpx.Client) -> None:
    response = http.get("/redoc")
    assert response.status_code == 308
    assert response.headers["location"] == "/docs"
    assert b"cdn" not in response.content.lower()


def test_openapi_declares_the_api_key_as_a_bearer_scheme(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    bearer = {n for n, s in schemes.items() if s["type"] == "http" and s["scheme"] == "bearer"}
    assert len(bearer) == 1  # what Swagger UI's Authorize button offers for an API key
    assert {"/api/v1/agents"} <= set(spec["paths"])
    assert bearer <= {n for r in spec["paths"]["/api/v1/agents"]["get"]["security"] for n in r}
    assert "security" not in spec["paths"]["/api/v1/widget/{public_key}/config"]["get"]
    assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]


@pytest.mark.parametrize(
    "path",
    [
        "/docs",
        "/inbox",
        "/",
        "/widget.js",
        "/static/inbox/app.js",
        "/static/inbox/style.css",
        "/static/docs/init.js",
        "/static/no-such-file.js",
        "/openapi.json",
        "/healthz",
        "/api/v1/agents",
    ],
)
def test_every_response_says_nosniff_once(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.headers.get_list("x-content-type-options") == ["nosniff"], path
