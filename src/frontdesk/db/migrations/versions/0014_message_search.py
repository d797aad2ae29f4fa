"""Full-text search over conversations: visitor and team messages (notes included) and lead
cards, in SQLite FTS5 tables kept in step by triggers.

A trigram index finds any part of a word, an email or a phone number; a phone field is also
indexed as its digits alone, so "2185550142" finds "(218) 555-0142". Rows are keyed by the
rowid of their message or conversation; nothing here runs VACUUM, which may renumber them
(after one: delete both indexes' rows and insert them again as upgrade() does).

Revision ID: 0014_message_search
Revises: 0013_gap_titles
"""

from alembic import op

revision = "0014_message_search"
down_revision = "0013_gap_titles"
branch_labels = None
depends_on = None

_SEARCHED = "{row}.author IN ('visitor', 'member')"
_DIGITS = "value"
for _mark in (" ", "-", "(", ")", "+", ".", "/"):
    _DIGITS = f"replace({_DIGITS}, '{_mark}', '')"


def _lead_text(row: str) -> str:
    value = "json_extract(f.value, '$.value')"
    digits = _DIGITS.replace("value", value)
    return (
        f"(SELECT group_concat({value} || CASE WHEN json_extract(f.value, '$.type') = 'phone' "
        f"THEN ' ' || {digits} ELSE '' END, ' | ') "
        f"FROM json_each(CASE WHEN json_valid({row}.lead) THEN {row}.lead ELSE 'null' END, "
        "'$.fields') AS f)"
    )


def _index_message(row: str) -> str:
    return (
        f"INSERT INTO message_search(rowid, body) SELECT {row}.rowid, {row}.text "
        f"WHERE {_SEARCHED.format(row=row)};"
    )


def _index_lead(row: str) -> str:
    return (
        f"INSERT INTO lead_search(rowid, body) SELECT {row}.rowid, body "
        f"FROM (SELECT {_lead_text(row)} AS body) WHERE body IS NOT NULL;"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE message_search USING fts5(body, tokenize='trigram')")
    op.execute("CREATE VIRTUAL TABLE lead_search USING fts5(body, tokenize='trigram')")
    op.execute(
        f"CREATE TRIGGER message_search_ai AFTER INSERT ON messages BEGIN "
        f"{_index_message('new')} END"
    )
    op.execute(
        "CREATE TRIGGER message_search_ad AFTER DELETE ON messages BEGIN "
        "DELETE FROM message_search WHERE rowid = old.rowid; END"
    )
    op.execute(
        "CREATE TRIGGER message_search_au AFTER UPDATE OF text, author ON messages BEGIN "
        f"DELETE FROM message_search WHERE rowid = old.rowid; {_index_message('new')} END"
    )
    op.execute(
        f"CREATE TRIGGER lead_search_ai AFTER INSERT ON conversations BEGIN "
        f"{_index_lead('new')} END"
    )
    op.execute(
        "CREATE TRIGGER lead_search_ad AFTER DELETE ON conversations BEGIN "
        "DELETE FROM lead_search WHERE rowid = old.rowid; END"
    )
    op.execute(
        "CREATE TRIGGER lead_search_au AFTER UPDATE OF lead ON conversations BEGIN "
        f"DELETE FROM lead_search WHERE rowid = old.rowid; {_index_lead('new')} END"
    )
    op.execute(
        "INSERT INTO message_search(rowid, body) SELECT rowid, text FROM messages "
        "WHERE author IN ('visitor', 'member')"
    )
    op.execute(
        "INSERT INTO lead_search(rowid, body) SELECT c.rowid, "
        f"{_lead_text('c')} AS body FROM conversations AS c WHERE body IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in (
        "message_search_ai",
        "message_search_ad",
        "message_search_au",
        "lead_search_ai",
        "lead_search_ad",
        "lead_search_au",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS message_search")
    op.execute("DROP TABLE IF EXISTS lead_search")
