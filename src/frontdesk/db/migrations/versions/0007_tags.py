"""The workspace tag catalog; conversations' JSON tags move into conversation_tags.

Revision ID: 0007_tags
Revises: 0006_alerts
"""

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_tags"
down_revision = "0006_alerts"
branch_labels = None
depends_on = None

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# Frozen copy of frontdesk.tags.catalog.PALETTE: a migration does not follow later code.
PALETTE = (
    "#f4a3a3",
    "#f6c48f",
    "#f2dc7d",
    "#b5e08c",
    "#8fd6b4",
    "#8fd0e6",
    "#a3b8f4",
    "#c3a6ef",
    "#eba6d8",
    "#c9ced6",
)
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"

conversations = sa.table(
    "conversations",
    sa.column("id", sa.String),
    sa.column("workspace_id", sa.String),
    sa.column("tags", sa.JSON),
)


def _new_id() -> str:
    stamp, head = int(time.time() * 1000), ""
    while stamp:
        stamp, rem = divmod(stamp, 36)
        head = _ALPHABET[rem] + head
    return "tag_" + head + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def _color(name: str) -> str:
    return PALETTE[int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % len(PALETTE)]


def upgrade() -> None:
    tags = op.create_table(
        "tags",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "workspace_id",
            sa.String(40),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_tags_workspace_id"),
    )
    links = op.create_table(
        "conversation_tags",
        sa.Column(
            "conversation_id",
            sa.String(40),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "tag_id",
            sa.String(40),
            sa.ForeignKey("tags.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
        sa.Column("added_by", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    now = datetime.now(UTC)
    catalog: dict[tuple[str, str], str] = {}
    rows: list[dict[str, object]] = []
    for conversation_id, workspace_id, names in bind.execute(
        sa.select(conversations.c.id, conversations.c.workspace_id, conversations.c.tags)
    ):
        # Until now only rules set tags, so every one of them was added by a rule.
        valid = {n.strip().lower() for n in names or [] if isinstance(n, str)}
        for name in sorted(n for n in valid if NAME.fullmatch(n)):
            key = (workspace_id, name)
            if key not in catalog:
                catalog[key] = _new_id()
            link = {"conversation_id": conversation_id, "tag_id": catalog[key]}
            rows.append({**link, "added_by": "rule", "created_at": now})
    op.bulk_insert(
        tags,
        [
            {"id": i, "workspace_id": w, "name": n, "color": _color(n), "created_at": now}
            for (w, n), i in catalog.items()
        ],
    )
    op.bulk_insert(links, rows)
    # Not a copy-and-rename of the table: with foreign keys on, SQLite's DROP TABLE would
    # cascade to every message. ALTER TABLE ... DROP COLUMN needs SQLite 3.35 or later.
    with op.batch_alter_table("conversations", recreate="never") as batch:
        batch.drop_column("tags")


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
    bind = op.get_bind()
    names: dict[str, list[str]] = {}
    for conversation_id, name in bind.execute(
        sa.text(
            "SELECT ct.conversation_id, t.name FROM conversation_tags ct "
            "JOIN tags t ON t.id = ct.tag_id ORDER BY t.name"
        )
    ):
        names.setdefault(conversation_id, []).append(name)
    for conversation_id, tag_names in names.items():
        bind.execute(
            conversations.update()
            .where(conversations.c.id == conversation_id)
            .values(tags=tag_names)
        )
    op.drop_table("conversation_tags")
    op.drop_table("tags")
