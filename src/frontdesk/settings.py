"""One typed settings object; every field reads FRONTDESK_<NAME> from the environment."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The confidence below which a new agent refuses and hands off: the lowest at which at most
# 2% of the development bank's questions get a wrong answer (bench/answering.py --fit).
DEFAULT_CONFIDENCE_THRESHOLD = 0.75


class Settings(BaseSettings):
    """Frontdesk configuration. CLI options override environment variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore")

    data_dir: Path = Field(
        Path("./frontdesk-data"), description="Directory holding the database and uploads."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is SQLite inside the data directory."
    )
    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server listens on.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes `frontdesk serve` runs on its port (uvicorn's workers); "
        "more than one needs redis_url, so that what one process writes reaches the sockets "
        "of the others.",
    )
    embedder: Literal["local", "openai"] = Field(
        "local", description="'local' runs MiniLM in onnxruntime; 'openai' calls an endpoint."
    )
    embedding_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible embeddings API (embedder=openai)."
    )
    embedding_model: str = Field(
        "text-embedding-3-small", description="Model name sent to the embeddings API."
    )
    embedding_api_key: SecretStr | None = Field(
        None, description="API key for the embeddings endpoint; never logged."
    )
    embedding_batch_size: int = Field(32, ge=1, le=512, description="Passages per batch.")
    embedding_threads: int = Field(
        0, ge=0, le=64, description="onnxruntime intra-op threads (0 = all cores)."
    )
    max_upload_mb: int = Field(25, ge=1, le=1024, description="Largest accepted upload.")
    fetch_timeout_s: float = Field(15.0, gt=0, description="Timeout for fetching a URL.")
    fetch_max_mb: int = Field(20, ge=1, description="Largest page or file fetched from a URL.")
    crawl_max_pages: int = Field(50, ge=1, le=5000, description="Default crawl page limit.")
    crawl_max_depth: int = Field(2, ge=0, le=10, description="Default crawl link depth.")
    chunk_words: int = Field(
        160, ge=20, le=400, description="Target chunk size in words (model window is 256)."
    )
    default_confidence_threshold: float = Field(
        DEFAULT_CONFIDENCE_THRESHOLD,
        ge=0,
        le=1,
        description="Confidence below which an agent refuses to guess, for new agents.",
    )
    log_level: str = Field("info", description="Python logging level.")
    log_format: Literal["text", "json"] = Field(
        "text", description="'json': one JSON object per line (time, level, logger, message)."
    )
    public_url: str | None = Field(
        None, description="Base URL people reach this server at (invite links); else derived."
    )
    session_days: int = Field(14, ge=1, le=365, description="Days a sign-in stays valid.")
    invite_days: int = Field(7, ge=1, le=90, description="Days an invite link stays valid.")
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token a Prometheus scraper sends to /metrics; unset: off."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto", description="Secure flag on the session cookie (auto: when served over https)."
    )
    max_message_chars: int = Field(
        4000, ge=100, le=100_000, description="Longest chat message accepted."
    )
    visitor_messages_per_minute: int = Field(
        30, ge=1, description="Messages one widget conversation may send per minute."
    )
    conversations_per_minute: int = Field(
        30, ge=1, description="Widget conversations one IP address may start per minute."
    )
    demo_agent: str | None = Field(
        None, description="Agent whose widget the sample page at / embeds (set by `demo`)."
    )
    redis_url: SecretStr | None = Field(
        None,
        description="redis:// (or rediss://, unix://) URL shared by several server processes: "
        "events wake the other processes' sockets, presence and rate limits are shared, "
        "background jobs go through a Redis stream (`frontdesk worker`). Unset: one process, "
        "all in memory. May carry a password; never logged.",
    )
    presence_expiry_s: float = Field(
        30.0,
        ge=0.3,
        le=3600,
        description="With Redis: seconds after which the inbox sockets of a server process "
        "that stopped without closing them (killed, lost) no longer keep members online.",
    )

    event_replay_limit: int = Field(
        5000, ge=100, description="Most events a reconnecting inbox may replay before a reset."
    )

    secret_key: SecretStr | None = Field(
        None,
        description="Base64 of 32 random bytes that encrypts stored secrets; default: "
        "secret.key in the data directory, created on first use. Set it when several "
        "servers share a database.",
    )

    # Alerts: outbound webhooks and email when a conversation starts waiting.
    webhook_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Seconds a webhook endpoint has to answer."
    )
    webhook_retry_delays_s: list[float] = Field(
        [5, 300, 1800, 7200, 18000, 36000, 36000],
        max_length=20,
        description="Seconds before each webhook retry (JSON list); its length is the number "
        "of retries after the first attempt.",
    )
    alerts_poll_s: float = Field(
        5.0, gt=0, le=300, description="Fallback check for new events and due deliveries."
    )
    alerts_log_days: int = Field(
        30, ge=1, le=3650, description="Days the delivery log keeps finished deliveries."
    )
    smtp_host: str | None = Field(None, description="SMTP server for alert email; unset = off.")
    smtp_port: int | None = Field(
        None, ge=1, le=65535, description="SMTP port; default 25, 587 (starttls) or 465 (tls)."
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "starttls", description="none, starttls (upgrade a plain connection) or tls (implicit)."
    )
    smtp_username: str | None = Field(None, description="SMTP login name, if it needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password; never logged.")
    smtp_from: str = Field(
        "Frontdesk <frontdesk@localhost>", description="From address of alert email."
    )
    smtp_timeout_s: float = Field(20.0, gt=0, le=300, description="SMTP connection timeout.")
    email_retry_delays_s: list[float] = Field(
        [30, 300, 1800],
        max_length=10,
        description="Seconds before each retry of a failed alert email (JSON list).",
    )

    # Sign-in throttling and the client address behind a reverse proxy.
    login_failures_per_ip: int = Field(
        30,
        ge=1,
        description="Failed sign-ins (any emails) one client address may make per window; "
        "then it gets 429 until the oldest failure ages out. Successes do not count.",
    )
    login_failures_per_account: int = Field(
        20,
        ge=1,
        description="Failed sign-ins for one email (from any addresses) per window; then "
        "that email gets 429, even with the right password, until the window passes.",
    )
    login_window_minutes: int = Field(
        15, ge=1, le=1440, description="Window of the sign-in failure budgets."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        [],
        description="Addresses or CIDR networks of your reverse proxies (comma-separated or a "
        "JSON list). Only a request from one of them may name the client with "
        "X-Forwarded-For and the scheme with X-Forwarded-Proto; empty trusts no proxy header.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, list):
            value = [str(item).strip() for item in value if str(item).strip()]
            for item in value:
                ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    # Request size limits, counted while a body streams in: beyond them the answer is 413.
    max_public_body_kb: int = Field(
        64,
        ge=4,
        le=10_240,
        description="Largest request body of the public widget and sign-in routes; raised "
        "by itself to fit a max_message_chars message.",
    )
    max_body_kb: int = Field(
        1024,
        ge=64,
        le=102_400,
        description="Largest request body of every other route (Q&A sources may be "
        "max_upload_mb, file uploads max_upload_request_mb).",
    )
    max_upload_request_mb: int | None = Field(
        None,
        ge=1,
        le=10_240,
        description="Largest file-upload request, all its files together (each file at most "
        "max_upload_mb); default 4 x max_upload_mb.",
    )
    body_idle_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a client may pause while sending a request body; then 408.",
    )
    max_header_kb: int = Field(
        32, ge=4, le=1024, description="Largest request line plus headers a client may send."
    )
    http_parser: Literal["httptools", "h11"] = Field(
        "httptools",
        description="The HTTP/1.1 parser; both refuse a request line plus headers over "
        "max_header_kb. httptools is faster (about 1.4x the messages a second in "
        "bench/live.py); h11 is pure Python.",
    )
    keep_alive_s: float = Field(
        65,
        ge=1,
        le=600,
        description="Seconds an idle HTTP connection stays open. Longer than clients keep "
        "theirs (browsers, httpx: 5 s; proxies: up to 60 s), so that a client never sends a "
        "request on a connection the server is closing at that moment (it would see the "
        "connection reset, not an answer).",
    )
    ws_max_message_kb: int = Field(
        16, ge=1, le=1024, description="Largest message a client may send on a live socket."
    )
    ws_compression: bool = Field(
        False,
        description="Compress live socket messages (permessage-deflate) when the browser "
        "offers it: less bandwidth, more CPU, and a compressor kept for every open socket.",
    )

    # Ingestion limits: what one source may cost, and how many sources are read at once.
    max_unpacked_mb: int = Field(
        100,
        ge=1,
        le=4096,
        description="Most a DOCX or XLSX may unpack to, all its parts together; checked "
        "before parsing, so a small file full of compressed XML fails at once.",
    )
    max_archive_parts: int = Field(
        2_000, ge=10, le=60_000, description="Most parts (zip members) a DOCX or XLSX may have."
    )
    max_rows: int = Field(
        50_000,
        ge=1,
        le=10_000_000,
        description="Most rows one CSV, TSV or XLSX source may have (all sheets together); "
        "each data row becomes one chunk.",
    )
    max_pdf_pages: int = Field(
        2_000, ge=1, le=1_000_000, description="Most pages one PDF source may have."
    )
    max_chunks: int = Field(
        50_000,
        ge=1,
        le=10_000_000,
        description="Most chunks one source may become; a source over it fails instead of "
        "occupying the ingestion worker for hours.",
    )
    ingest_workers: int = Field(
        2,
        ge=1,
        le=16,
        description="Sources ingested at once; each workspace gets at most one at a time, "
        "and workspaces take turns, so one huge source cannot hold up the others.",
    )

    # Background jobs: taskiq, in this process by default, through Redis (redis_url).
    run_jobs: bool = Field(
        True,
        description="Whether `frontdesk serve` runs background jobs itself (ingestion, "
        "webhooks, alert emails, HTTP actions); false (with redis_url) leaves them to "
        "`frontdesk worker` processes.",
    )
    ingest_lease_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Seconds a source being ingested stays claimed without a sign of life "
        "(renewed every third of it); a killed worker's source is taken up again after it.",
    )
    ingest_retry_delays_s: list[float] = Field(
        [30, 300, 1800],
        max_length=10,
        description="Seconds before each retry of an ingestion that failed for a passing "
        "reason (a site or embeddings endpoint not answering; JSON list); then it fails.",
    )
    jobs_sweep_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="How often each job runner looks for sources and HTTP action runs whose "
        "worker died, whose retry is due, or whose job was lost.",
    )
    url_resync_hours: float = Field(
        0,
        ge=0,
        le=24 * 365,
        description="Re-read URL, sitemap and crawl sources this often (0: only when asked); "
        "unchanged content is skipped and only changed chunks are embedded again.",
    )

    # Rendered text: a small file can render to far more text than it holds (a long column
    # name repeated in every row), so the text itself is capped while it is built.
    max_text_mb: int = Field(
        50,
        ge=1,
        le=4096,
        description="Most text one source may render to, in MB counted as characters (a "
        "column name repeated in every row counts every time); about what "
        "FRONTDESK_MAX_CHUNKS chunks hold. Checked while the text is built, so a source over "
        "it fails before it costs the memory.",
    )

    @field_validator("webhook_retry_delays_s", "email_retry_delays_s", "ingest_retry_delays_s")
    @classmethod
    def _delays(cls, value: list[float]) -> list[float]:
        if any(delay < 0 for delay in value):
            raise ValueError("retry delays cannot be negative")
        return value

    @model_validator(mode="after")
    def _someone_runs_jobs(self) -> Settings:
        if not self.run_jobs and self.redis_url is None:
            # Without Redis a job never leaves the process that sent it.
            raise ValueError("run_jobs=false needs redis_url: `frontdesk worker` reads jobs there")
        return self

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'frontdesk.db').resolve()}"

    @property
    def base_url(self) -> str:
        """Where people reach this server: public_url, else the address it listens on."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def inbox_link(self, conversation_id: str) -> str:
        return f"{self.base_url}/inbox#/inbox/{conversation_id}"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024
