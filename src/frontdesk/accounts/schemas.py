"""Request and response models for members, invites, API keys and the signed-in session."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.accounts.roles import Role
from frontdesk.inputs import Input


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    presence: Literal["online", "away", "offline"] = "offline"
    created_at: datetime


class WorkspaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str


class SessionOut(BaseModel):
    member: MemberOut
    workspace: WorkspaceOut
    csrf_token: str


class LoginIn(Input):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class AcceptInviteIn(Input):
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=1024)


class PasswordChangeIn(Input):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024, description="At least 8 characters.")


class InviteIn(Input):
    email: str = Field(max_length=320)
    role: Role = "agent"


class InviteOut(BaseModel):
    id: str
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime


class IssuedInviteOut(InviteOut):
    url: str = Field(description="The invite link; shown once.")


class InvitePreview(BaseModel):
    email: str
    role: Role
    workspace: str


class RoleIn(Input):
    role: Role


class ApiKeyIn(Input):
    name: str = Field(min_length=1, max_length=120)


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class IssuedApiKeyOut(ApiKeyOut):
    key: str = Field(description="The secret key; shown once, store it now.")


class MemberList(BaseModel):
    members: list[MemberOut]


class InviteList(BaseModel):
    invites: list[InviteOut]


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyOut]
