"""Conversation search on PostgreSQL: tsvector columns generated from messages and lead cards,
with GIN indexes. SQLite keeps its FTS5 tables (0014); on SQLite this revision does nothing.

The same rows as SQLite's: visitor and team messages (notes included) and the lead card's
field values, a phone number also as its digits alone. Hyphens and plus signs separate words
(search_postgres.py cuts queries the same way). ``simple``: no stemming, no stop words.

Revision ID: 0019_message_search_postgres
Revises: 0018_visitor_details
"""

from alembic import op

revision = "0019_message_search_postgres"
down_revision = "0018_visitor_details"
branch_labels = None
depends_on = None

LEAD_TEXT = r"""
CREATE FUNCTION frontdesk_lead_text(lead json) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT string_agg(
    (f ->> 'value') || CASE WHEN f ->> 'type' = 'phone'
        THEN ' ' || regexp_replace(f ->> 'value', '[ ()+./-]', '', 'g') ELSE '' END,
    ' | ')
FROM json_array_elements(
    CASE WHEN json_typeof(lead -> 'fields') = 'array' THEN lead -> 'fields' ELSE '[]' END
) AS f
WHERE json_typeof(f) = 'object' AND f ->> 'value' IS NOT NULL
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        "CASE WHEN author IN ('visitor', 'member') "
        "THEN to_tsvector('simple', translate(text, '-+', '  ')) END) STORED"
    )
    op.execute("CREATE INDEX ix_messages_search ON messages USING gin (search)")
    op.execute(LEAD_TEXT)
    op.execute(
        "ALTER TABLE conversations ADD COLUMN lead_search tsvector GENERATED ALWAYS AS ("
        "to_tsvector('simple', translate(frontdesk_lead_text(lead), '-+', '  '))) STORED"
    )
    op.execute("CREATE INDEX ix_conversations_lead_search ON conversations USING gin (lead_search)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_conversations_lead_search")
    op.execute("ALTER TABLE conversations DROP COLUMN lead_search")
    op.execute("DROP FUNCTION frontdesk_lead_text(json)")
    op.execute("DROP INDEX IF EXISTS ix_messages_search")
    op.execute("ALTER TABLE messages DROP COLUMN search")
