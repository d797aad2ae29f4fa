"""Outbound calls: URLs and allowed hosts are validated, private addresses refused."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.errors import InvalidInput
from frontdesk.net.egress import (
    DestinationBlocked,
    check_destination,
    normalize_allowed_host,
    pinned,
    route,
    split_destination,
)
from receiver import Receiver


@pytest.mark.parametrize(
    "url",
    ["http://[::1/", "http://a b/", "ftp://example.com/", "http://", "http://x.test:99999/"],
)
def test_bad_urls_are_invalid_input(url: str) -> None:
    with pytest.raises(InvalidInput):
        split_destination(url)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::1]",
        "[::127.0.0.1]",  # IPv4-compatible (deprecated ::/96): judged as 127.0.0.1
        "[::10.1.2.3]",
        "0.0.0.0",
        # Spellings the resolver turns into 127.0.0.1: judged by what they resolve to.
        "127.1",
        "2130706433",
        "0x7f000001",
        "localhost",
    ],
)
async def test_private_and_loopback_addresses_are_blocked(address: str) -> None:
    with pytest.raises(DestinationBlocked, match="private or loopback"):
        await check_destination(f"http://{address}:8080/hook", [])


async def test_a_blocked_ipv6_host_is_named_with_brackets() -> None:
    with pytest.raises(DestinationBlocked) as caught:
        await route("http://[::1]:8773/", [])
    assert caught.value.message.endswith("unless the workspace allows the host ([::1]:8773).")


async def test_a_url_the_client_would_read_differently_is_refused() -> None:
    # urlsplit reads the host "v1.x" out of "[v1.x]"; httpx refuses it: neither is trusted.
    with pytest.raises(DestinationBlocked, match="reads differently or not at all"):
        await route("http://[v1.x]/", ["v1.x"])
    # The resolver reads 0177.0.0.1 as octal (127.0.0.1); httpx refuses it.
    with pytest.raises(DestinationBlocked, match="reads differently or not at all"):
        await route("http://0177.0.0.1/", [])


async def test_an_allowed_host_may_be_called() -> None:
    await check_destination("http://127.0.0.1:8080/x", ["127.0.0.1:8080"])
    await check_destination("http://127.0.0.1:9/x", ["127.0.0.1"])
    with pytest.raises(DestinationBlocked):
        await check_destination("http://127.0.0.1:9/x", ["127.0.0.1:8080"])


def test_allowed_hosts_are_normalised_or_refused() -> None:
    assert normalize_allowed_host(" Intranet.Local ") == "intranet.local"
    assert normalize_allowed_host("[::1]:80") == "[::1]:80"
    for bad in ("[::1", "a b", "host/path", "user@host", "-"):
        with pytest.raises(InvalidInput):
            normalize_allowed_host(bad)


def test_bad_urls_and_hosts_are_422_in_the_api(client: httpx.Client) -> None:
    hook = client.post(
        "/api/v1/webhooks", json={"url": "http://[::1/", "events": ["message.created"]}
    )
    assert hook.status_code == 422 and hook.json()["error"]["field"] == "url"
    hosts = client.put("/api/v1/workspace/allowed-hosts", json={"hosts": ["[::1"]})
    assert hosts.status_code == 422
    agent = client.post(
        "/api/v1/agents",
        json={"name": "A", "actions": [{"name": "t", "kind": "http", "url": "http://[::1/"}]},
    )
    assert agent.status_code == 422 and "not valid" in agent.json()["error"]["message"]


def test_a_checked_address_is_the_one_connected_to() -> None:
    target = pinned("https://hooks.example.com:8443/in?x=1", "93.184.216.34")
    assert target.url == "https://93.184.216.34:8443/in?x=1"
    assert target.headers == {"Host": "hooks.example.com:8443"}
    assert target.extensions == {"sni_hostname": "hooks.example.com"}  # TLS checks the name
    assert pinned("http://h.example/", "2001:db8::1").url == "http://[2001:db8::1]/"
    spelled = pinned("http://[2001:db8:0:0::1]:81/", "2001:db8::1")
    assert spelled.headers == {"Host": "[2001:db8:0:0::1]:81"}


async def test_a_pinned_request_reaches_the_address_and_names_the_host() -> None:
    with Receiver() as site:
        port = site.host.rsplit(":", 1)[1]
        target = pinned(f"http://hooks.example.test:{port}/in", "127.0.0.1")
        async with httpx.AsyncClient(trust_env=False) as client:
            response = await client.post(
                target.url, headers=target.headers, extensions=target.extensions, content=b"{}"
            )
        assert response.status_code == 200
        [request] = site.wait_for(1)
        assert request.headers["host"] == f"hooks.example.test:{port}"
        assert request.path == "/in"


async def test_a_name_for_loopback_is_refused_and_an_allowed_one_is_not_pinned() -> None:
    with pytest.raises(DestinationBlocked) as caught:
        await route("http://localhost:9/x", [])
    # Which internal address the name resolves to is not told (it would map internal DNS).
    assert caught.value.message == (
        "localhost resolves to a private or loopback address; calls there are blocked unless "
        "the workspace allows the host (localhost:9)."
    )
    assert (await route("http://localhost:9/x", ["localhost"])).url == "http://localhost:9/x"
