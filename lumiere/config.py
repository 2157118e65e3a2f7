"""Every setting Lumiere has, read from the environment (and an optional `.env`).

This is the only module that reads `os.environ`; everything else calls `get_settings()`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# USD per one million tokens: (prompt, completion). Operators override with LUMIERE_LLM_PRICES.
DEFAULT_LLM_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}


_BYTE_UNITS = {"": 1, "B": 1, "BYTES": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def byte_count(size: str) -> int:
    """Bytes in a DuckDB-style size such as `1GB` (powers of 1000) or `300MiB` (powers of 1024)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", size)
    if not found or found.group(2).upper() not in _BYTE_UNITS:
        raise ValueError(f"{size!r} is not a size such as 1GB or 512MB")
    return int(float(found.group(1)) * _BYTE_UNITS[found.group(2).upper()])


class Settings(BaseSettings):
    """Typed settings with safe defaults; the environment variable is `LUMIERE_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="LUMIERE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- storage -----------------------------------------------------------------------
    database_url: str = Field(default="", description="App database URL; SQLite file under ./var by default.")
    data_dir: Path = Field(default=PROJECT_ROOT / "var" / "data")
    # PostgreSQL connections each process (worker) keeps open, and how many more it may open at a busy
    # moment: at least the request threads (40), and the server's max_connections must cover
    # (pool + overflow) x workers. SQLite keeps db_pool_size open and opens more without a cap.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=30, ge=0, le=500)
    # Seconds after which a pooled connection is replaced (servers and proxies drop idle ones).
    db_pool_recycle_s: int = Field(default=1800, ge=60)
    # Threads that run REST requests in each process (anyio's default is 40). Requests wait for a
    # free one; on 2 cores, 16 threads keep the GIL convoy short and a writer's commit prompt.
    request_threads: int = Field(default=16, ge=1, le=400)
    # How long a write waits for another one to finish on SQLite before the request gets a 503 "try again".
    db_lock_wait_s: float = Field(default=30.0, gt=0, le=600)
    # Redis shared by several processes: Reflex's state, the job queue, rate limits and caches; unset: embedded.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("LUMIERE_REDIS_URL", "REFLEX_REDIS_URL")
    )
    # Seconds a Redis connection attempt or command may take before it fails (the job queue's blocking
    # read waits 1 s, so more than that). Reflex's own client takes `?socket_timeout=5` on REFLEX_REDIS_URL.
    redis_timeout_s: float = Field(default=5.0, gt=1, le=120)

    # --- accounts ----------------------------------------------------------------------
    secret_key: SecretStr | None = None
    token_ttl_minutes: int = Field(default=720, ge=1, le=60 * 24 * 90)
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)

    # --- web ---------------------------------------------------------------------------
    # CSP frame-ancestors sources allowed to frame the pages: 'none', 'self' or origins, space-separated.
    frame_ancestors: str = "'none'"
    # Other web origins (scheme://host[:port], comma-separated) whose pages may call the API and websocket.
    cors_origins: str = ""

    # --- data sources ------------------------------------------------------------------
    max_upload_mb: int = Field(default=500, ge=1)
    max_columns: int = Field(default=2000, ge=1)
    max_field_kb: int = Field(default=1024, ge=1)
    ragged_row_tolerance: float = Field(default=0.01, ge=0, le=1)
    allow_private_hosts: bool = False
    connect_timeout_s: float = Field(default=5.0, gt=0)
    # An upload whose client sends nothing for this long is dropped with a 408 (and its staged part deleted).
    upload_idle_timeout_s: float = Field(default=60.0, gt=0)
    # A staged upload (or export) file untouched this long was left by a killed worker: the reaper deletes it.
    staging_idle_min: float = Field(default=60.0, gt=0)
    # DuckDB memory for turning an upload into a dataset; beyond it DuckDB spills to the data dir.
    ingest_memory_limit: str = "192MB"

    # --- query execution ---------------------------------------------------------------
    query_timeout_s: float = Field(default=30.0, gt=0)
    max_result_rows: int = Field(default=10_000, ge=1)
    duckdb_memory_limit: str = "1GB"
    duckdb_threads: int = Field(default=2, ge=1)
    # After a timeout, how long the worker gets to stop the query before it is killed and replaced.
    query_stop_grace_s: float = Field(default=2.0, gt=0)
    # Worker processes that run queries on uploads (reused; each at most one query at a time).
    query_workers: int = Field(default=4, ge=1, le=64)
    # How many of them start with the pool; the rest start when that many queries run at once (each
    # idle worker holds ~46 MB, which counts against an upload's memory on a small machine).
    query_workers_warm: int = Field(default=1, ge=0, le=64)
    # A worker's private memory (RLIMIT_DATA) is the DuckDB limit plus this: Python, DuckDB and the result rows.
    query_worker_overhead_mb: int = Field(default=256, ge=64)
    # CPU seconds (all threads together) one query may use before its worker is killed.
    query_cpu_limit_s: int = Field(default=90, ge=1)
    # Largest result (as JSON) a query may send back.
    max_result_mb: int = Field(default=64, ge=1)
    # Rows per table that find_values scans when placing a question's words on stored values.
    value_search_rows: int = Field(default=2_000_000, ge=1)
    # Text columns with more distinct values than this stay out of a dataset's word-to-value index
    # (built at ingest); find_values scans them per question instead.
    value_index_max_distinct: int = Field(default=10_000, ge=0)

    # --- exports -------------------------------------------------------------------------
    # An export reads every row, so it gets its own wall clock and CPU budget (memory limits stay).
    export_timeout_s: float = Field(default=600.0, gt=0)
    export_cpu_limit_s: int = Field(default=900, ge=1)
    # Rows per frame between a query worker (or an external cursor) and the file being written.
    export_batch_rows: int = Field(default=5_000, ge=1, le=1_000_000)
    # Rows of the table a PDF shows (the CSV and XLSX hold every row).
    export_pdf_rows: int = Field(default=50, ge=1, le=1_000)
    # The browser kaleido draws chart images with; empty or missing: PDFs and emails go without the chart.
    chart_browser: str = "/usr/bin/chromium"
    # Seconds one chart image may take to draw (the first one also starts the browser).
    chart_timeout_s: float = Field(default=30.0, gt=0)

    # --- LLM ---------------------------------------------------------------------------
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LUMIERE_LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("LUMIERE_LLM_BASE_URL", "OPENAI_BASE_URL")
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_deadline_s: float = Field(default=90.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0, le=10)
    # First wait before retrying a failed LLM call; doubles per retry (with jitter), Retry-After wins.
    llm_backoff_s: float = Field(default=0.5, gt=0, le=60)
    llm_prices: str = Field(default="", description="JSON object: model -> [prompt_usd, completion_usd] per 1M tokens")

    # --- email, links -----------------------------------------------------------------------
    # The address people reach this installation at, for links in emails (stop links, downloads, shares).
    public_url: str = "http://localhost:3000"
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = "Lumiere <lumiere@localhost>"
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout_s: float = Field(default=20.0, gt=0)
    # A file bigger than this is not attached to an email: the email links to a signed download instead.
    email_attachment_max_mb: float = Field(default=10.0, gt=0)
    # How long such a download link (and the file behind it) is kept.
    download_link_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)

    # --- jobs and schedules ----------------------------------------------------------------
    # Run a job worker and the scheduler inside the app process (off: only `python -m lumiere.cli worker`).
    embedded_worker: bool = True
    # Worker threads per process (embedded or standalone worker).
    job_workers: int = Field(default=2, ge=1, le=64)
    # The queue's name: its key prefix in Redis (also of the rate limits and the result cache there),
    # its rows in the embedded SQLite queue.
    job_queue_name: str = Field(default="lumiere", pattern=r"^[A-Za-z0-9_]{1,64}$")
    # Retries of a run or an email whose mail server could not be reached; the wait doubles each time.
    job_retries: int = Field(default=3, ge=0, le=10)
    job_retry_delay_s: float = Field(default=30.0, ge=0)
    # How often each worker looks for due schedules.
    schedule_tick_s: float = Field(default=20.0, gt=0, le=60)
    # After downtime, the latest missed firing still runs if it is at most this old; older ones are skipped.
    missed_run_grace_min: float = Field(default=10.0, ge=0)
    # One attempt of a run may take this long; a run still "running" this much later plus the margin is reaped.
    run_timeout_s: float = Field(default=600.0, gt=0)
    run_reap_margin_s: float = Field(default=120.0, ge=0)
    # A run no worker has picked up for this long fails with a message saying no worker is running.
    run_queue_timeout_min: float = Field(default=60.0, gt=0)

    # --- rate limits and caches ---------------------------------------------------------
    # Off: no request is ever refused with 429 (e.g. behind a gateway that limits already).
    rate_limits_enabled: bool = True
    # Questions (ask, chat, SQL runs) a minute per user when the plan's requests_per_minute is empty.
    rate_limit_questions_per_minute: int = Field(default=60, ge=1)
    # Every other signed-in request, per user and minute (pages and API alike).
    rate_limit_default_per_minute: int = Field(default=600, ge=1)
    # Failed sign-ins per account and per client address in the window; then even the right password waits.
    login_failure_limit: int = Field(default=10, ge=1)
    login_failure_window_min: int = Field(default=15, ge=1, le=24 * 60)
    # Attempts to create an account per client address and hour.
    registrations_per_hour: int = Field(default=20, ge=1)
    # Proxies of yours in front of the app: the client address is then read from X-Forwarded-For
    # (that many entries from its end). 0: the connection's address; the header is not believed.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    # Results of queries kept in memory (when Redis is not configured): at most this many, this big in all.
    result_cache_entries: int = Field(default=1_000, ge=0)
    result_cache_mb: int = Field(default=256, ge=0)
    # Results of external databases are reused for this long (their data changes without us knowing); 0: never.
    external_cache_ttl_s: int = Field(default=60, ge=0)
    # Results of uploads are reused until the upload is replaced or deleted; in Redis they expire after this.
    upload_cache_ttl_s: int = Field(default=24 * 3600, ge=1)

    log_level: str = "INFO"

    @field_validator("frame_ancestors", mode="after")
    @classmethod
    def _frame_ancestor_sources(cls, value: str) -> str:
        sources = value.split()
        if not sources:
            return "'none'"
        for source in sources:
            if source not in ("'none'", "'self'") and not _is_origin(source):
                raise ValueError(f"{source!r} is not 'none', 'self' or an origin like https://intranet.example.com")
        if "'none'" in sources and len(sources) > 1:
            raise ValueError("'none' cannot be combined with other sources")
        return " ".join(sources)

    @field_validator("redis_url", mode="after")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        if urlsplit(value.strip()).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("the Redis URL must start with redis://, rediss:// or unix://")
        return value.strip()

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _origin_list(cls, value: str) -> str:
        origins = [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        for origin in origins:
            if not _is_origin(origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com (no path, no '*')")
        return ",".join(origins)

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(origin for origin in self.cors_origins.split(",") if origin)

    @field_validator("duckdb_memory_limit", mode="after")
    @classmethod
    def _readable_memory_limit(cls, value: str) -> str:
        byte_count(value)
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value if value.is_absolute() else (Path.cwd() / value).resolve()

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        var_dir = self.data_dir.parent
        var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{var_dir / 'lumiere.db'}"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept (mode 0600) in the data dir."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / ".secret_key"
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = key_file.read_text(encoding="ascii").strip()
            if key:
                return key
            raise RuntimeError(f"{key_file} is empty; delete it or set LUMIERE_SECRET_KEY") from None
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
        return key

    @cached_property
    def llm_price_table(self) -> dict[str, tuple[float, float]]:
        table = dict(DEFAULT_LLM_PRICES)
        if self.llm_prices:
            for model, pair in json.loads(self.llm_prices).items():
                table[model] = (float(pair[0]), float(pair[1]))
        return table

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @field_validator("public_url", mode="after")
    @classmethod
    def _public_origin(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an address like https://lumiere.example.com")
        return value

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_api_key and self.llm_api_key.get_secret_value()) or bool(self.llm_base_url)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def query_worker_memory_bytes(self) -> int:
        """The OS memory limit of one query worker: DuckDB's limit plus the worker's own overhead."""
        return byte_count(self.duckdb_memory_limit) + self.query_worker_overhead_mb * 1024 * 1024

    @property
    def max_result_bytes(self) -> int:
        return self.max_result_mb * 1024 * 1024

    @property
    def upload_tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"


def _is_origin(text: str) -> bool:
    """scheme://host[:port] with nothing after it: what browsers send as `Origin`."""
    parts = urlsplit(text)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "*" not in text
        and not parts.path
        and not parts.query
        and not parts.fragment
        and not parts.username
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between sessions)."""
    get_settings.cache_clear()
