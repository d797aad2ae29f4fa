"""URL ingestion cannot be turned on internal services (SSRF), by any hop or any spelling.

A recording listener on 127.0.0.1 and [::1] (one port) notes every TCP connection that
reaches it. Start URLs, redirects, sitemap entries and crawled links point at it in every
form the resolver accepts; each is refused and nothing arrives. Loopback sites that a test
does fetch are allowed the way an admin would allow them: by the workspace's allowed hosts.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from frontdesk.cli import cli
from frontdesk.errors import SourceFailed
from frontdesk.knowledge.web import FetchMode, FetchResult, fetch_site
from httpserver import LocalSite
from support import free_port, wait_for_source

# Every way of writing a loopback (or "this host") address that a URL parser or the
# resolver accepts: dotted, short, decimal, hex, IPv6, IPv4-mapped and -compatible IPv6, a name.
FORMS = (
    "127.0.0.1",
    "localhost",
    "[::1]",
    "0.0.0.0",
    "127.1",
    "2130706433",
    "0x7f000001",
    "[::ffff:127.0.0.1]",
    "[::127.0.0.1]",  # IPv4-compatible IPv6 (deprecated ::/96)
)
# Cloud metadata and private networks: refused by the check before anything is connected.
ELSEWHERE = ("169.254.169.254", "10.0.0.1", "192.168.0.1")


class Listener:
    """Plain TCP sockets on 127.0.0.1 and [::1], one port, recording each connection's peer.

    Each connection is accepted and closed at once (``reset``: closed with a TCP reset).
    """

    def __init__(self, *, reset: bool = False) -> None:
        self.reset = reset
        self.port, self._sockets = _loopback_sockets()
        self._peers: list[str] = []
        self._lock = threading.Lock()
        self._wake, self._waker = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def arrived(self) -> list[str]:
        """Every peer that connected so far, those still waiting in the accept queue included.

        A connection the kernel completed is in the queue whether or not the thread got to
        it yet, so nothing that reached the port can be missed by asking too early.
        """
        for sock in self._sockets:
            while self._accept(sock):
                pass
        with self._lock:
            return list(self._peers)

    def close(self) -> None:
        self._waker.send(b"x")
        self._thread.join(timeout=10)
        for sock in (*self._sockets, self._wake, self._waker):
            sock.close()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            for sock in (*self._sockets, self._wake):
                selector.register(sock, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake:
                        return
                    self._accept(key.fileobj)  # type: ignore[arg-type]

    def _accept(self, sock: socket.socket) -> bool:
        with self._lock:
            try:
                conn, peer = sock.accept()
            except BlockingIOError:
                return False
            self._peers.append(str(peer[0]))
        if self.reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        return True


def _loopback_sockets() -> tuple[int, list[socket.socket]]:
    for _ in range(50):
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.bind(("127.0.0.1", 0))
        port = int(v4.getsockname()[1])
        v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            v6.bind(("::1", port))
        except OSError:  # that port is taken on ::1: try another
            v4.close()
            v6.close()
            continue
        for sock in (v4, v6):
            sock.listen(64)
            sock.setblocking(False)  # the thread and arrived() both take from the queue
        return port, [v4, v6]
    raise RuntimeError("no port free on both 127.0.0.1 and ::1")


@pytest.fixture
def listener() -> Iterator[Listener]:
    recording = Listener()
    try:
        yield recording
    finally:
        recording.close()


def targets(listener: Listener) -> list[str]:
    return [f"http://{form}:{listener.port}/secret" for form in FORMS]


def page(title: str, links: tuple[str, ...] = ()) -> str:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body>{anchors}<p>{title} text.</p></body></html>"


def sitemap(*urls: str, index: bool = False) -> str:
    tag, entry = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{entry}><loc>{url}</loc></{entry}>" for url in urls)
    return f'<{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{tag}>'


async def fetch(
    url: str, mode: FetchMode = "page", allowed: tuple[str, ...] = (), timeout_s: float = 5.0
) -> FetchResult:
    return await fetch_site(
        url,
        mode,
        max_pages=50,
        max_depth=2,
        timeout_s=timeout_s,
        max_bytes=1_000_000,
        allowed_hosts=list(allowed),
    )


async def failure(url: str, allowed: tuple[str, ...] = (), timeout_s: float = 5.0) -> str:
    with pytest.raises(SourceFailed) as caught:
        await fetch(url, allowed=allowed, timeout_s=timeout_s)
    return caught.value.message


def without_ports(text: str) -> str:
    return re.sub(r":\d+", ":PORT", text)


# --- Through the API, on a real server -------------------------------------------------


def new_agent(client: httpx.Client) -> str:
    created = client.post("/api/v1/agents", json={"name": "Ridgeline"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def allow(client: httpx.Client, *hosts: str) -> None:
    response = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": list(hosts)})
    assert response.status_code == 200, response.text


def add_url(client: httpx.Client, agent_id: str, url: str, mode: str = "page") -> httpx.Response:
    return client.post(f"/api/v1/agents/{agent_id}/sources/urls", json={"url": url, "mode": mode})


@pytest.mark.parametrize("mode", ["page", "sitemap", "crawl"])
def test_a_start_url_inside_is_refused_with_422_and_never_fetched(
    client: httpx.Client, listener: Listener, mode: str
) -> None:
    agent_id = new_agent(client)
    for url in targets(listener):
        response = add_url(client, agent_id, url, mode)
        assert response.status_code == 422, (url, response.text)
        error = response.json()["error"]
        assert error["code"] == "destination_blocked", url
        assert "resolves to a private or loopback address" in error["message"], url
    assert client.get(f"/api/v1/agents/{agent_id}/sources").json() == []
    assert listener.arrived() == []


@pytest.mark.parametrize("address", ELSEWHERE)
def test_metadata_and_private_networks_are_refused_at_submit(
    client: httpx.Client, address: str
) -> None:
    response = add_url(client, new_agent(client), f"http://{address}/latest/meta-data/")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "destination_blocked"
    assert error["message"] == (
        f"{address} resolves to a private or loopback address; calls there are "
        f"blocked unless the workspace allows the host ({address}:80)."
    )


def test_an_allowed_host_may_be_added_and_its_failure_tells_no_port_state(
    client: httpx.Client, listener: Listener
) -> None:
    agent_id = new_agent(client)
    allow(client, f"127.0.0.1:{listener.port}")
    response = add_url(client, agent_id, f"http://127.0.0.1:{listener.port}/")
    assert response.status_code == 202
    final = wait_for_source(client, response.json()["id"])
    assert final["error"] == f"Could not connect to 127.0.0.1:{listener.port}."
    assert listener.arrived() == ["127.0.0.1"]  # the listener does see what is allowed


def test_redirects_inside_fail_the_source(
    client: httpx.Client, listener: Listener, local_site: LocalSite
) -> None:
    agent_id = new_agent(client)
    allow(client, local_site.host)  # the redirecting site itself, exactly
    locations = [*targets(listener), f"//127.1:{listener.port}/scheme-relative"]
    for n, location in enumerate(locations):
        local_site.redirects[f"/r{n}"] = location
    for n, location in enumerate(locations):
        response = add_url(client, agent_id, local_site.url(f"/r{n}"))
        assert response.status_code == 202, response.text
        final = wait_for_source(client, response.json()["id"])
        assert final["status"] == "failed", location
        assert final["error"].startswith(f"blocked: {local_site.url(f'/r{n}')} redirects to ")
        assert "resolves to a private or loopback address" in final["error"], location
    assert listener.arrived() == []


def test_a_sitemap_of_inside_entries_fails_the_source(
    client: httpx.Client, listener: Listener, local_site: LocalSite
) -> None:
    agent_id = new_agent(client)
    allow(client, local_site.host)
    url = local_site.add("/sitemap.xml", sitemap(*targets(listener)), "application/xml")
    response = add_url(client, agent_id, url, "sitemap")
    final = wait_for_source(client, response.json()["id"])
    assert final["status"] == "failed"
    assert final["error"].startswith(f"None of the {len(FORMS)} pages could be used")
    assert "blocked: 127.0.0.1 resolves to a private or loopback address" in final["error"]
    assert listener.arrived() == []


@pytest.mark.usefixtures("database")
def test_the_cli_refuses_a_start_url_inside(tmp_path: Path, listener: Listener) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    created = CliRunner().invoke(cli, [*base, "agents", "create", "Ridgeline"], obj={})
    assert created.exit_code == 0, created.output
    url = f"http://127.1:{listener.port}/"
    result = CliRunner().invoke(cli, [*base, "ingest", "--agent", "Ridgeline", url], obj={})
    assert result.exit_code == 1
    assert "127.1 resolves to a private or loopback address" in result.output
    assert listener.arrived() == []


# --- Every hop of a fetch ---------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
async def test_each_form_is_blocked_as_a_start_url(listener: Listener, form: str) -> None:
    reason = await failure(f"http://{form}:{listener.port}/")
    assert reason.startswith("blocked: ") and "private or loopback" in reason
    assert listener.arrived() == []


async def test_sitemap_entries_and_child_sitemaps_inside_are_skipped(
    listener: Listener, local_site: LocalSite
) -> None:
    good = local_site.add("/good", page("Good"))
    local_site.add("/pages.xml", sitemap(*targets(listener), good), "application/xml")
    inside = f"http://127.1:{listener.port}/child.xml"
    index = sitemap(local_site.url("/pages.xml"), inside, index=True)
    url = local_site.add("/index.xml", index, "application/xml")

    result = await fetch(url, "sitemap", allowed=(local_site.host,))
    assert [d.title for d in result.documents] == ["Good"]
    failed = dict(result.failures)
    assert set(failed) == {inside, *targets(listener)}
    assert all(r.startswith("blocked: ") and "private or loopback" in r for r in failed.values())
    assert listener.arrived() == []


async def test_crawled_links_inside_are_never_fetched(
    listener: Listener, local_site: LocalSite
) -> None:
    # Links straight inside (another origin) and same-site links redirecting inside.
    hops = tuple(f"/hop{n}" for n in range(len(FORMS)))
    for hop, target in zip(hops, targets(listener), strict=True):
        local_site.redirects[hop] = target
    local_site.add("/", page("Home", (*targets(listener), *hops, "/about")))
    local_site.add("/about", page("About"))

    result = await fetch(local_site.url("/"), "crawl", allowed=(local_site.host,))
    assert [d.title for d in result.documents] == ["Home", "About"]
    assert [url for url, _ in result.failures] == [local_site.url(hop) for hop in hops]
    assert all(reason.startswith("blocked: ") for _, reason in result.failures)
    assert listener.arrived() == []


async def test_allowing_one_port_does_not_allow_another(
    listener: Listener, local_site: LocalSite
) -> None:
    local_site.redirects["/next"] = f"http://127.0.0.1:{listener.port}/"
    reason = await failure(local_site.url("/next"), allowed=(local_site.host,))
    assert reason == (
        f"blocked: {local_site.url('/next')} redirects to http://127.0.0.1:{listener.port}/: "
        "127.0.0.1 resolves to a private or loopback address; calls there are "
        f"blocked unless the workspace allows the host (127.0.0.1:{listener.port})."
    )
    assert listener.arrived() == []


async def test_the_listener_sees_an_allowed_fetch_on_either_stack(listener: Listener) -> None:
    for host, peer in (("127.0.0.1", "127.0.0.1"), ("[::1]", "::1")):
        allowed = (f"{host}:{listener.port}",)
        reason = await failure(f"http://{host}:{listener.port}/", allowed=allowed)
        assert reason == f"Could not connect to {host}:{listener.port}."
        assert listener.arrived()[-1] == peer


# --- What a failure tells ----------------------------------------------------------------


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full: the kernel drops new SYNs and connects time out."""
    with socket.socket() as server, socket.socket() as filler:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = int(server.getsockname()[1])
        filler.connect(("127.0.0.1", port))
        yield port


async def test_closed_refusing_resetting_and_silent_ports_read_the_same() -> None:
    closed = free_port()
    resetting, closing = Listener(reset=True), Listener()
    try:
        with full_backlog() as silent:
            reasons: dict[str, Any] = {}
            for name, port in (
                ("closed", closed),
                ("reset", resetting.port),
                ("closed after accept", closing.port),
                ("connect timeout", silent),
            ):
                allowed = (f"127.0.0.1:{port}",)
                reason = await failure(f"http://127.0.0.1:{port}/", allowed, timeout_s=0.3)
                reasons[name] = without_ports(reason)
        assert set(reasons.values()) == {"Could not connect to 127.0.0.1:PORT."}, reasons
        assert resetting.arrived() and closing.arrived()
    finally:
        resetting.close()
        closing.close()


async def test_a_blocked_port_reads_the_same_open_or_closed(listener: Listener) -> None:
    open_reason = await failure(f"http://127.0.0.1:{listener.port}/")
    closed_reason = await failure(f"http://127.0.0.1:{free_port()}/")
    assert without_ports(open_reason) == without_ports(closed_reason)
    assert listener.arrived() == []


async def test_proxy_variables_are_not_honoured(
    listener: Listener, local_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = f"http://127.0.0.1:{listener.port}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy)
        monkeypatch.setenv(name.lower(), proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = local_site.add("/hours", page("Hours"))

    result = await fetch(url, allowed=(local_site.host,))
    assert [d.title for d in result.documents] == ["Hours"]
    assert local_site.hits == ["/hours"]
    assert listener.arrived() == []
