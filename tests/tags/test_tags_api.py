"""Tags over a real server: rules fill the catalog, members tag by hand, filters, catalog edits."""

from __future__ import annotations

from typing import Any

import httpx

from app_fixtures import Accounts
from live_support import member_socket, next_frame
from support import ServerThread, wait_until

KEYWORDS = {"keywords": [{"phrase": "accident", "priority": "urgent", "tags": ["safety"]}]}


def _detail(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    response = http.get(f"/api/v1/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _tag(http: httpx.Client, conversation_id: str, name: str) -> httpx.Response:
    return http.post(f"/api/v1/conversations/{conversation_id}/tags", json={"tag": name})


def _untag(http: httpx.Client, conversation_id: str, name: str) -> httpx.Response:
    return http.delete(f"/api/v1/conversations/{conversation_id}/tags/{name}")


def _catalog(http: httpx.Client) -> dict[str, dict[str, Any]]:
    response = http.get("/api/v1/tags")
    assert response.status_code == 200, response.text
    return {t["name"]: t for t in response.json()["tags"]}


def _ids(http: httpx.Client, **params: Any) -> set[str]:
    response = http.get("/api/v1/conversations", params=params)
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["conversations"]}


def _system_texts(http: httpx.Client, conversation_id: str) -> list[str]:
    messages = _detail(http, conversation_id)["messages"]
    return [m["text"] for m in messages if m["author"] == "system"]


def test_rule_tags_land_in_the_catalog(client: httpx.Client, agent, visitors) -> None:
    patched = client.patch(f"/api/v1/agents/{agent['id']}", json={"rules": KEYWORDS})
    assert patched.status_code == 200, patched.text
    first, second = visitors(), visitors()
    for visitor in (first, second):
        visitor.send("I had an accident on my quad")

    def tagged(conversation_id: str) -> dict[str, Any] | None:
        conversation: dict[str, Any] = _detail(client, conversation_id)["conversation"]
        return conversation if conversation["tags"] else None

    for visitor in (first, second):
        conversation = wait_until(lambda v=visitor: tagged(v.id), timeout=30, what="rule tags")
        assert conversation["tags"] == ["safety"] and conversation["priority"] == "urgent"
        assert conversation["tag_colors"]["safety"].startswith("#")
    catalog = _catalog(client)
    assert list(catalog) == ["safety"]
    assert catalog["safety"]["conversations"] == 2
    assert catalog["safety"]["color"] == conversation["tag_colors"]["safety"]
    # A rule adds silently: no note in the thread.
    assert not any("tag" in text for text in _system_texts(client, first.id))


def test_members_tag_by_hand_with_a_note_and_a_live_event(
    server: ServerThread, member: httpx.Client, visitors
) -> None:
    visitor = visitors()
    visitor.handoff()
    with member_socket(server, member) as socket:
        next_frame(socket, "ready")
        added = _tag(member, visitor.id, " Financing ")
        assert added.status_code == 200, added.text
        assert added.json()["tags"] == ["financing"]
        frame = next_frame(socket, "conversation.updated")
        assert frame["conversation_id"] == visitor.id
        assert frame["data"]["changes"] == ["tags"]
        assert frame["data"]["conversation"]["tags"] == ["financing"]

        assert _tag(member, visitor.id, "trade-in").json()["tags"] == ["financing", "trade-in"]
        again = _tag(member, visitor.id, "financing")  # already there: nothing happens
        assert again.status_code == 200 and again.json()["tags"] == ["financing", "trade-in"]

        removed = _untag(member, visitor.id, "financing")
        assert removed.status_code == 200, removed.text
        assert removed.json()["tags"] == ["trade-in"]
        frames = [next_frame(socket, "conversation.updated") for _ in range(2)]
        assert [f["data"]["conversation"]["tags"] for f in frames] == [
            ["financing", "trade-in"],
            ["trade-in"],
        ]
        assert all(f["data"]["changes"] == ["tags"] for f in frames)

    assert _system_texts(member, visitor.id)[-3:] == [
        "Sam added tag financing",
        "Sam added tag trade-in",
        "Sam removed tag financing",
    ]
    events = [m["event"] for m in _detail(member, visitor.id)["messages"] if m["event"]]
    assert events[-3:] == ["tagged", "tagged", "untagged"]
    # The visitor never sees tag notes.
    assert all(m["author"] != "system" for m in visitor.history()["messages"])

    missing = _untag(member, visitor.id, "financing")
    assert missing.status_code == 404 and "financing" in missing.json()["error"]["message"]
    bad = _tag(member, visitor.id, "trade in!")
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["field"] == "tag" and "lower-case letters" in error["message"]
    assert _tag(member, visitor.id, "x" * 41).status_code == 422
    assert _tag(member, visitor.id, "").status_code == 422
    assert _tag(member, "cv_missing", "financing").status_code == 404
    # Removing from a conversation keeps the tag in the catalog, for autocomplete.
    catalog = _catalog(member)
    assert (catalog["financing"]["conversations"], catalog["trade-in"]["conversations"]) == (0, 1)


def test_the_list_filters_by_tag(member: httpx.Client, visitors) -> None:
    loan, trade, plain = visitors(), visitors(), visitors()
    _tag(member, loan.id, "financing")
    _tag(member, trade.id, "financing")
    _tag(member, trade.id, "trade-in")
    assert _ids(member, tag="financing") == {loan.id, trade.id}
    assert _ids(member, tag="FINANCING") == {loan.id, trade.id}
    # Repeated: conversations with all of them.
    assert _ids(member, tag=["financing", "trade-in"]) == {trade.id}
    assert _ids(member, tag="nothing-like-this") == set()
    assert plain.id in _ids(member)
    assert _ids(member, tag="financing", status="all") == {loan.id, trade.id}


def test_admins_rename_recolour_merge_and_delete(
    client: httpx.Client, member: httpx.Client, visitors
) -> None:
    both, loans_only, finance = visitors(), visitors(), visitors()
    _tag(member, both.id, "financing")
    _tag(member, both.id, "loans")
    _tag(member, loans_only.id, "loans")
    _tag(member, finance.id, "finance")
    catalog = _catalog(client)
    financing, loans, finance_tag = (catalog[n]["id"] for n in ("financing", "loans", "finance"))

    # Catalog edits are for admins (an API key is one); members only tag conversations.
    assert member.patch(f"/api/v1/tags/{loans}", json={"color": "#000000"}).status_code == 403
    assert member.post(f"/api/v1/tags/{loans}/merge", json={"into": financing}).status_code == 403
    assert member.delete(f"/api/v1/tags/{loans}").status_code == 403

    recoloured = client.patch(f"/api/v1/tags/{financing}", json={"color": "#1F6FEB"})
    assert recoloured.status_code == 200, recoloured.text
    assert (recoloured.json()["color"], recoloured.json()["conversations"]) == ("#1f6feb", 1)
    assert _detail(member, both.id)["conversation"]["tag_colors"]["financing"] == "#1f6feb"
    bad_colour = client.patch(f"/api/v1/tags/{financing}", json={"color": "blue"})
    assert bad_colour.status_code == 422 and bad_colour.json()["error"]["field"] == "color"
    bad_name = client.patch(f"/api/v1/tags/{financing}", json={"name": "Big Loans"})
    assert bad_name.status_code == 422 and bad_name.json()["error"]["field"] == "name"

    taken = client.patch(f"/api/v1/tags/{loans}", json={"name": "financing"})
    assert taken.status_code == 409
    assert "merge" in taken.json()["error"]["message"] and financing in taken.text

    renamed = client.patch(f"/api/v1/tags/{finance_tag}", json={"name": "credit"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "credit"
    assert _detail(member, finance.id)["conversation"]["tags"] == ["credit"]
    assert _ids(member, tag="credit") == {finance.id} and _ids(member, tag="finance") == set()

    self_merge = client.post(f"/api/v1/tags/{loans}/merge", json={"into": loans})
    assert self_merge.status_code == 422
    merged = client.post(f"/api/v1/tags/{loans}/merge", json={"into": financing})
    assert merged.status_code == 200, merged.text
    assert (merged.json()["name"], merged.json()["conversations"]) == ("financing", 2)
    assert _detail(member, both.id)["conversation"]["tags"] == ["financing"]
    assert _detail(member, loans_only.id)["conversation"]["tags"] == ["financing"]
    assert client.patch(f"/api/v1/tags/{loans}", json={"color": "#000000"}).status_code == 404

    assert client.delete(f"/api/v1/tags/{finance_tag}").status_code == 204
    assert _detail(member, finance.id)["conversation"]["tags"] == []
    assert client.delete(f"/api/v1/tags/{finance_tag}").status_code == 404
    assert list(_catalog(client)) == ["financing"]


def test_another_workspace_sees_and_touches_none_of_it(
    server: ServerThread, client: httpx.Client, accounts: Accounts, member: httpx.Client, visitors
) -> None:
    ours = visitors()
    _tag(member, ours.id, "financing")
    [ours_tag] = _catalog(client).values()

    elsewhere = accounts.workspace("Elsewhere")
    headers = {"Authorization": f"Bearer {accounts.api_key(elsewhere)}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=headers) as other:
        their_agent = other.post("/api/v1/agents", json={"name": "Other dealer"}).json()
        theirs = visitors(their_agent["public_key"])
        assert _tag(other, theirs.id, "financing").status_code == 200
        [their_tag] = _catalog(other).values()
        assert their_tag["id"] != ours_tag["id"] and their_tag["conversations"] == 1
        assert _ids(other, tag="financing") == {theirs.id}

        tag_url = f"/api/v1/tags/{ours_tag['id']}"
        assert other.patch(tag_url, json={"name": "mine"}).status_code == 404
        assert other.post(f"{tag_url}/merge", json={"into": their_tag["id"]}).status_code == 404
        assert other.delete(tag_url).status_code == 404
        assert _tag(other, ours.id, "stolen").status_code == 404
        assert _untag(other, ours.id, "financing").status_code == 404
        merge_across = client.post(f"{tag_url}/merge", json={"into": their_tag["id"]})
        assert merge_across.status_code == 404

    assert _ids(client, tag="financing") == {ours.id}
    assert _catalog(client)["financing"]["conversations"] == 1
    assert _detail(client, ours.id)["conversation"]["tags"] == ["financing"]
