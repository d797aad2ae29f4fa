"""Outbound calls: URLs and allowed hosts are validated, private addresses refused."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.actions.egress import (
    DestinationBlocked,
    check_destination,
    normalize_allowed_host,
    split_destination,
)
from frontdesk.errors import InvalidInput


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
        "0.0.0.0",
    ],
)
async def test_private_and_loopback_addresses_are_blocked(address: str) -> None:
    with pytest.raises(DestinationBlocked, match="private or loopback"):
        await check_destination(f"http://{address}:8080/hook", [])


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
