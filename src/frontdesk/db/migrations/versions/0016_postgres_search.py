"""PostgreSQL search: chunk vectors in pgvector (HNSW) and a weighted tsvector (GIN).

SQLite keeps its FTS5 table and its vector BLOBs; on SQLite this revision does nothing.

On PostgreSQL, ``chunks.embedding`` becomes a ``vector`` of any dimension (the embedder is a
setting) and gets an HNSW index on the inner product for the local model's 384 dimensions:
vectors are normalised, so the inner product is the cosine SQLite's path computes. A vector
of another dimension is still found, by an exact scan of its agent's chunks. ``search``
weighs the title (A) over the body (B); ``words`` is the length BM25 normalises by.

Revision ID: 0016_postgres_search
Revises: 0015_saved_replies
"""

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0016_postgres_search"
down_revision = "0015_saved_replies"
branch_labels = None
depends_on = None

INDEXED_DIMENSION = 384  # MiniLM, the default local embedder
_BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("ALTER TABLE chunks ADD COLUMN embedding_vector vector")
    _convert(bind, "embedding", "embedding_vector", _blob_to_text, "CAST(:value AS vector)")
    op.execute("ALTER TABLE chunks DROP COLUMN embedding")
    op.execute("ALTER TABLE chunks RENAME COLUMN embedding_vector TO embedding")
    op.execute(
        "CREATE INDEX ix_chunks_embedding_hnsw ON chunks USING hnsw "
        f"((embedding::vector({INDEXED_DIMENSION})) vector_ip_ops) "
        f"WHERE vector_dims(embedding) = {INDEXED_DIMENSION}"
    )
    op.execute(
        "ALTER TABLE chunks ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', title), 'A') || "
        "setweight(to_tsvector('english', text), 'B')) STORED"
    )
    op.execute(
        "ALTER TABLE chunks ADD COLUMN words integer GENERATED ALWAYS AS ("
        r"coalesce(array_length(regexp_split_to_array(trim(title || ' ' || text), '\s+'), 1), 0)"
        ") STORED"
    )
    op.execute("CREATE INDEX ix_chunks_search ON chunks USING gin (search)")
    # BM25's chunk count and average length per agent, read from the index alone.
    op.execute("CREATE INDEX ix_chunks_agent_words ON chunks (agent_id) INCLUDE (words)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_chunks_agent_words")
    op.execute("DROP INDEX IF EXISTS ix_chunks_search")
    op.execute("ALTER TABLE chunks DROP COLUMN words")
    op.execute("ALTER TABLE chunks DROP COLUMN search")
    op.execute("DROP INDEX IF EXISTS ix_chunks_embedding_hnsw")
    op.execute("ALTER TABLE chunks ADD COLUMN embedding_blob bytea")
    _convert(bind, "embedding::text", "embedding_blob", _text_to_blob, ":value")
    op.execute("ALTER TABLE chunks DROP COLUMN embedding")
    op.execute("ALTER TABLE chunks RENAME COLUMN embedding_blob TO embedding")


def _convert(bind: sa.Connection, source: str, target: str, change: object, value: str) -> None:
    """Copy every chunk's vector from one column to the other, a batch at a time."""
    assert callable(change)
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                f"SELECT id, {source} FROM chunks WHERE id > :last AND {source} IS NOT NULL "
                "ORDER BY id LIMIT :batch"
            ),
            {"last": last, "batch": _BATCH},
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text(f"UPDATE chunks SET {target} = {value} WHERE id = :id"),
            [{"id": cid, "value": change(stored)} for cid, stored in rows],
        )
        last = rows[-1][0]


def _blob_to_text(blob: bytes) -> str:
    return "[" + ",".join(str(x) for x in np.frombuffer(blob, dtype=np.float32)) + "]"


def _text_to_blob(text: str) -> bytes:
    return np.array(text.strip("[]").split(","), dtype=np.float32).tobytes()
