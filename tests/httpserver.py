"""A real HTTP server on 127.0.0.1 serving an in-memory site, for tests that fetch URLs."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class LocalSite:
    """Serves ``pages`` (path -> (content type, body)) on a free port until closed.

    ``redirects`` maps a path to the location it answers 302 with; ``streamed`` paths are
    sent without a Content-Length header; ``headers`` adds response headers to a path (e.g.
    Content-Encoding); ``etags`` gives a path an ETag, and answers 304 to a request whose
    If-None-Match names it; ``failing`` paths answer with that error status. ``hits``
    records every requested path, in order, ``user_agents`` the User-Agent header of each
    request and ``conditions`` its If-None-Match and If-Modified-Since headers (those sent).
    """

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.redirects: dict[str, str] = {}
        self.streamed: set[str] = set()
        self.headers: dict[str, dict[str, str]] = {}
        self.etags: dict[str, str] = {}
        self.failing: dict[str, int] = {}
        self.hits: list[str] = []
        self.user_agents: list[str] = []
        self.conditions: list[dict[str, str]] = []
        self._server = _Server(self)
        # A short poll interval keeps shutdown (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def host(self) -> str:
        """``host:port``, as the workspace's allowed hosts name it."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str) -> str:
        """The absolute URL of a path on this site."""
        return self.base_url + path

    def add(self, path: str, body: str | bytes, content_type: str = "text/html") -> str:
        """Serve a page (text is UTF-8 encoded) and return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        if content_type.startswith("text/") and "charset" not in content_type:
            content_type += "; charset=utf-8"
        self.pages[path] = (content_type, data)
        return self.url(path)

    def start(self) -> LocalSite:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():  # shutdown() waits forever on a server never started
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: LocalSite) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path
        site.hits.append(path)
        site.user_agents.append(self.headers.get("User-Agent", ""))
        asked = {name: self.headers.get(name) for name in ("If-None-Match", "If-Modified-Since")}
        site.conditions.append({name: value for name, value in asked.items() if value})
        page = site.pages.get(path) or site.pages.get(urlsplit(path).path)
        if path in site.redirects:
            self.send_response(302)
            self.send_header("Location", site.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if page is None or path in site.failing:
            self.send_error(site.failing.get(path, 404))
            return
        content_type, body = page
        etag = site.etags.get(path)
        if etag is not None and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        if etag is not None:
            self.send_header("ETag", etag)
        self.send_header("Content-Type", content_type)
        if path not in site.streamed:
            self.send_header("Content-Length", str(len(body)))
        for name, value in site.headers.get(path, {}).items():
            self.send_header(name, value)
        self.end_headers()
        # The client may stop reading, e.g. once over its size limit.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # Keep test output quiet.
