"""The one settings object, read at the edges (CLI, app factory) and passed down."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    kb_store: str = Field("./kb-store", description="--store default: a path or bolt:// URI")
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    neo4j_batch_size: int = Field(500, description="Studies per Neo4j write transaction")
    neo4j_writers: int = Field(2, description="Neo4j write transactions an ingest runs at once")
    kb_buffer_mb: int = Field(1024, description="Memory the embedded store caches pages in (MiB); "
                              "ladybug's own default is 80% of the machine's memory")

    # The GraphQL API (`kb serve`); env KB_API_KEY, KB_CORS_ORIGINS='["http://localhost:3000"]', …
    kb_api_key: str = Field("", description="When set, API requests must carry it (X-API-Key or Bearer)")
    kb_cors_origins: list[str] = Field([], description="Origins allowed to call the API from a browser")
    kb_max_first: int = Field(500, description="Largest page size (`first`) a cohort query may ask for")
    kb_query_timeout_s: float = Field(10.0, description="Per-request limit on store work, seconds")
    kb_max_depth: int = Field(10, description="Deepest selection set a GraphQL query may nest")
    kb_max_tokens: int = Field(2000, description="Most tokens a GraphQL document may hold")
    kb_api_threads: int = Field(4, description="Threads that run blocking store reads")
    kb_cache_s: float = Field(300.0, description="How long the API reuses a store answer; 0: never")
    kb_cache_rows: int = Field(500_000, description="Most result rows the API keeps cached")
    kb_result_cache: int = Field(1000, description="Most whole GraphQL results the API keeps; 0: none")
