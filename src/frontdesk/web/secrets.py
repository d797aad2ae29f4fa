"""/api/v1/secrets and /api/v1/workspace/allowed-hosts: what outbound calls may use (admins)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, SecretStr

from frontdesk.inputs import Input
from frontdesk.vault import hosts, service
from frontdesk.vault.models import Secret
from frontdesk.web.deps import AdminWorkspaceDep, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["secrets"])


class SecretIn(Input):
    # SecretStr: the value never shows in a repr, a log line or a validation message.
    value: SecretStr = Field(description="The secret's value; it is never returned.")


class SecretOut(BaseModel):
    name: str
    updated_at: datetime


class AllowedHosts(Input):
    hosts: list[str] = Field(
        max_length=200,
        description="Private hosts actions may call: host or host:port, e.g. 10.0.0.5:8080.",
    )


def _out(secret: Secret) -> SecretOut:
    return SecretOut(name=secret.name, updated_at=secret.updated_at)


@router.get("/secrets")
async def list_secrets(workspace: AdminWorkspaceDep, runtime: RuntimeDep) -> list[SecretOut]:
    """Names and when each was last set; values are never returned."""
    async with runtime.reads() as session:
        return [_out(s) for s in await service.list_secrets(session, workspace)]


@router.put(
    "/secrets/{name}",
    responses={201: {"description": "Created"}, 200: {"description": "Replaced"}},
)
async def put_secret(
    name: str,
    body: SecretIn,
    response: Response,
    workspace: AdminWorkspaceDep,
    runtime: RuntimeDep,
) -> SecretOut:
    """Set a secret, used in actions as ${secret:NAME}; stored encrypted."""
    cipher = runtime.cipher
    async with runtime.changes() as session:
        secret, created = await service.put_secret(
            session, cipher, workspace, name, body.value.get_secret_value()
        )
        response.status_code = 201 if created else 200
        return _out(secret)


@router.delete("/secrets/{name}", status_code=204)
async def delete_secret(name: str, workspace: AdminWorkspaceDep, runtime: RuntimeDep) -> Response:
    async with runtime.changes() as session:
        await service.delete_secret(session, workspace, name)
    return Response(status_code=204)


@router.get("/workspace/allowed-hosts")
async def get_allowed_hosts(workspace: AdminWorkspaceDep, runtime: RuntimeDep) -> AllowedHosts:
    async with runtime.reads() as session:
        return AllowedHosts(hosts=await hosts.allowed_hosts(session, workspace))


@router.put("/workspace/allowed-hosts")
async def put_allowed_hosts(
    body: AllowedHosts, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> AllowedHosts:
    """Replace the list; entries are normalised (lower case, host or host:port)."""
    async with runtime.changes() as session:
        return AllowedHosts(hosts=await hosts.set_allowed_hosts(session, workspace, body.hosts))
