"""Tags: the workspace catalog (admins edit it) and tagging conversations (any member)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from frontdesk.conversations import repository, tagging
from frontdesk.conversations.schemas import ConversationOut
from frontdesk.tags import catalog, queries
from frontdesk.tags.models import Tag
from frontdesk.tags.schemas import MergeIn, TagChanges, TagList, TagName, TagOut
from frontdesk.web.deps import AdminWorkspaceDep, CallerDep, RuntimeDep, WorkspaceDep

router = APIRouter(prefix="/api/v1", tags=["tags"])


def _out(tag: Tag, count: int) -> TagOut:
    return TagOut(
        id=tag.id,
        name=tag.name,
        color=tag.color,
        conversations=count,
        created_at=tag.created_at,
    )


@router.get("/tags")
async def list_tags(workspace: WorkspaceDep, runtime: RuntimeDep) -> TagList:
    """Every tag of the workspace, by name, with how many conversations carry it."""
    async with runtime.reads() as session:
        rows = await queries.catalog(session, workspace)
    return TagList(tags=[_out(tag, count) for tag, count in rows])


@router.patch("/tags/{tag_id}")
async def update_tag(
    tag_id: str, body: TagChanges, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> TagOut:
    """Rename or recolour; a name another tag has answers 409 (merge the two instead)."""
    async with runtime.changes() as session:
        tag = await catalog.update_tag(session, workspace, tag_id, body.name, body.color)
        return _out(tag, await queries.usage(session, tag.id))


@router.post("/tags/{tag_id}/merge")
async def merge_tag(
    tag_id: str, body: MergeIn, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> TagOut:
    """Move this tag's conversations to ``into`` (each keeps one) and delete this tag."""
    async with runtime.changes() as session:
        tag = await catalog.merge_tags(session, workspace, tag_id, body.into)
        return _out(tag, await queries.usage(session, tag.id))


@router.delete("/tags/{tag_id}", status_code=204)
async def delete_tag(tag_id: str, workspace: AdminWorkspaceDep, runtime: RuntimeDep) -> Response:
    """Delete the tag and take it off every conversation."""
    async with runtime.changes() as session:
        await catalog.delete_tag(session, workspace, tag_id)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/tags")
async def add_tag(
    conversation_id: str, body: TagName, caller: CallerDep, runtime: RuntimeDep
) -> ConversationOut:
    """Tag the conversation (the tag joins the catalog when new); a note goes in the thread."""
    async with runtime.changes() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        await tagging.add_member_tag(session, caller, conversation, body.tag)
        [view] = await repository.describe(session, [conversation], caller.member_id)
    return view


@router.delete("/conversations/{conversation_id}/tags/{name}")
async def remove_tag(
    conversation_id: str, name: str, caller: CallerDep, runtime: RuntimeDep
) -> ConversationOut:
    """Take the tag off the conversation (it stays in the catalog)."""
    async with runtime.changes() as session:
        conversation = await repository.get_conversation(
            session, caller.workspace_id, conversation_id
        )
        await tagging.remove_member_tag(session, caller, conversation, name)
        [view] = await repository.describe(session, [conversation], caller.member_id)
    return view
