"""Server settings, read once from the environment (``CADENAS_*``) and the command line."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.errors import ConfigError

#: The development secret; refused when ``production`` is set.
DEFAULT_SECRET = "change-me-development-only"


class Settings(BaseSettings):
    """Everything configurable about the server.

    ``database_url`` defaults to a SQLite file in ``data_dir``; ``secret_key`` signs nothing that
    leaves the server but salts tokens and unlock codes, and must be set in production.
    """

    model_config = SettingsConfigDict(env_prefix="CADENAS_", extra="ignore")

    data_dir: Path = Field(default=Path("cadenas-data"))
    database_url: str | None = None
    secret_key: str = DEFAULT_SECRET
    production: bool = False
    bank_dir: Path | None = None
    session_minutes: int = 105
    heartbeat_missing_seconds: int = 30
    invigilator_login_attempts: int = 5
    invigilator_login_window_seconds: int = 300
    max_body_bytes: int = 256 * 1024

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.production and self.secret_key == DEFAULT_SECRET:
            raise ConfigError("CADENAS_SECRET_KEY must be set to a long random value in production")
        if self.production and len(self.secret_key) < 32:
            raise ConfigError("CADENAS_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def effective_database_url(self) -> str:
        """``database_url``, or the SQLite file ``data_dir/cadenas.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cadenas.sqlite3').resolve()}"
