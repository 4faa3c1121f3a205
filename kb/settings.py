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
    neo4j_batch_size: int = 500
