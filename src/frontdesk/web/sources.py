"""Knowledge sources: upload files, add URLs and Q&A pairs, list, read, re-sync, delete."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from frontdesk.agents.service import get_agent
from frontdesk.errors import InvalidInput, PayloadTooLarge
from frontdesk.knowledge import repository
from frontdesk.knowledge.pipeline import qa_pairs
from frontdesk.knowledge.schemas import QAPairOut, QAPairsOut, QASourceIn, SourceOut, UrlSourceIn
from frontdesk.web.deps import AdminWorkspaceDep, RuntimeDep, WorkspaceDep

router = APIRouter(prefix="/api/v1", tags=["sources"])

MAX_FILES = 20
MAX_FIELD_BYTES = 16 * 1024
READ_BLOCK = 1 << 20


@router.get("/agents/{agent_id}/sources", response_model=list[SourceOut])
async def list_sources(
    agent_id: str, workspace: WorkspaceDep, runtime: RuntimeDep
) -> list[SourceOut]:
    async with runtime.reads() as session:
        agent = await get_agent(session, workspace, agent_id)
        sources = await repository.list_sources(session, agent.id)
        return [SourceOut.model_validate(s) for s in sources]


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while block := await upload.read(READ_BLOCK):
        size += len(block)
        if size > limit:
            raise PayloadTooLarge(
                f"'{upload.filename}' is larger than the {limit // 1_048_576} MB upload limit.",
                field="file",
            )
        chunks.append(block)
    return b"".join(chunks)


@router.post(
    "/agents/{agent_id}/sources/files",
    status_code=202,
    response_model=list[SourceOut],
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                        "required": ["file"],
                    }
                }
            },
            "required": True,
        }
    },
)
async def upload_files(
    agent_id: str, request: Request, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> list[SourceOut]:
    """Upload files (form field ``file``, repeatable); each becomes a source, ingested later."""
    # The whole request is capped while it streams in (web/bodylimit.py); each file here.
    limit = runtime.settings.max_upload_bytes
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InvalidInput(
            "Send files as multipart/form-data in a field named 'file'.", field="file"
        )
    async with runtime.reads() as session:
        agent = await get_agent(session, workspace, agent_id)
    # Files spool to disk; plain fields stay in memory, and this route needs none of them.
    form = await request.form(
        max_files=MAX_FILES, max_fields=MAX_FILES, max_part_size=MAX_FIELD_BYTES
    )
    uploads = [v for v in form.getlist("file") if isinstance(v, UploadFile)]
    if not uploads:
        raise InvalidInput("No file was sent; use the form field 'file'.", field="file")
    files = []
    for upload in uploads:
        name = upload.filename or "upload"
        data = await _read_limited(upload, limit)
        runtime.knowledge.check_upload(name, len(data))
        files.append((name, data))
    async with runtime.changes() as session:
        sources = [await runtime.knowledge.add_upload(session, agent, n, d) for n, d in files]
    for source in sources:
        await runtime.ingestion.enqueue(source.id)
    return [SourceOut.model_validate(s) for s in sources]


@router.post("/agents/{agent_id}/sources/urls", status_code=202, response_model=SourceOut)
async def add_url(
    agent_id: str, body: UrlSourceIn, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> SourceOut:
    """Add a web page, a sitemap or a same-host crawl; fetched in the background."""
    await runtime.knowledge.check_url(workspace, str(body.url))
    async with runtime.changes() as session:
        agent = await get_agent(session, workspace, agent_id)
        source = await runtime.knowledge.add_url(
            session, agent, str(body.url), body.mode, body.max_pages, body.max_depth
        )
    await runtime.ingestion.enqueue(source.id)
    return SourceOut.model_validate(source)


@router.post("/agents/{agent_id}/sources/qa", status_code=202, response_model=SourceOut)
async def add_qa(
    agent_id: str, body: QASourceIn, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> SourceOut:
    """Add hand-written question/answer pairs (same title again replaces the set)."""
    pairs = [(p.question, p.answer) for p in body.pairs]
    async with runtime.changes() as session:
        agent = await get_agent(session, workspace, agent_id)
        source = await runtime.knowledge.add_qa(session, agent, body.title, pairs)
    await runtime.ingestion.enqueue(source.id)
    return SourceOut.model_validate(source)


@router.get("/sources/{source_id}", response_model=SourceOut)
async def get_source(source_id: str, workspace: WorkspaceDep, runtime: RuntimeDep) -> SourceOut:
    async with runtime.reads() as session:
        return SourceOut.model_validate(await runtime.knowledge.get(session, workspace, source_id))


@router.get("/sources/{source_id}/pairs", response_model=QAPairsOut)
async def get_qa_pairs(source_id: str, workspace: WorkspaceDep, runtime: RuntimeDep) -> QAPairsOut:
    """The pairs of a Q&A set, to edit them (saving under the same title replaces the set)."""
    async with runtime.reads() as session:
        source = await runtime.knowledge.get(session, workspace, source_id)
    pairs = [QAPairOut(question=q, answer=a) for q, a in qa_pairs(source)]
    return QAPairsOut(source_id=source.id, title=source.title, pairs=pairs)


@router.post("/sources/{source_id}/resync", status_code=202, response_model=SourceOut)
async def resync_source(
    source_id: str, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> SourceOut:
    source = await runtime.knowledge.mark_for_resync(workspace, source_id)
    await runtime.ingestion.enqueue(source.id)
    return SourceOut.model_validate(source)


@router.delete("/sources/{source_id}", status_code=204)
async def delete_source(
    source_id: str, workspace: AdminWorkspaceDep, runtime: RuntimeDep
) -> Response:
    await runtime.knowledge.delete(workspace, source_id)
    return Response(status_code=204)
