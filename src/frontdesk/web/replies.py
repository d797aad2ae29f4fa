"""Saved replies: every member reads the library, admins and owners edit it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from frontdesk.replies import library
from frontdesk.replies.models import SavedReply
from frontdesk.replies.schemas import (
    SavedReplyChanges,
    SavedReplyIn,
    SavedReplyList,
    SavedReplyOut,
)
from frontdesk.web.deps import AdminWorkspaceDep, RuntimeDep, WorkspaceDep

router = APIRouter(prefix="/api/v1/saved-replies", tags=["saved replies"])


def _out(reply: SavedReply) -> SavedReplyOut:
    return SavedReplyOut(
        id=reply.id,
        shortcut=reply.shortcut,
        title=reply.title,
        text=reply.text,
        created_at=reply.created_at,
        updated_at=reply.updated_at,
    )


@router.get("")
async def list_saved_replies(workspace: WorkspaceDep, runtime: RuntimeDep) -> SavedReplyList:
    """The workspace's saved replies, by shortcut."""
    async with runtime.reads() as session:
        rows = await library.list_replies(session, workspace)
    return SavedReplyList(replies=[_out(r) for r in rows])


@router.post("", status_code=201)
async def add_saved_reply(
    body: SavedReplyIn, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> SavedReplyOut:
    """Add a reply; a shortcut another reply uses answers 409."""
    async with runtime.changes() as session:
        reply = await library.add_reply(session, workspace, body.shortcut, body.title, body.text)
        return _out(reply)


@router.patch("/{reply_id}")
async def change_saved_reply(
    reply_id: str, body: SavedReplyChanges, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> SavedReplyOut:
    async with runtime.changes() as session:
        reply = await library.change_reply(
            session, workspace, reply_id, body.shortcut, body.title, body.text
        )
        return _out(reply)


@router.delete("/{reply_id}", status_code=204)
async def delete_saved_reply(
    reply_id: str, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> Response:
    async with runtime.changes() as session:
        await library.delete_reply(session, workspace, reply_id)
    return Response(status_code=204)
