"""Configuration from `MODELDECK_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from modeldeck.cors import check_credentials, parse_origins
from modeldeck.deployments.policy import parse_key_env_patterns, parse_networks


def normalise_database_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite://` URLs and pick the async drivers we ship."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class Settings(BaseSettings):
    """Every setting of the service; see the settings table in README.md."""

    model_config = SettingsConfigDict(env_prefix="MODELDECK_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./modeldeck.db",
        description="SQLAlchemy URL of the database (SQLite file or PostgreSQL).",
    )
    host: str = Field(default="127.0.0.1", description="Address `modeldeck serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `modeldeck serve` binds to.")
    admin_token: SecretStr | None = Field(
        default=None, description="An admin API token accepted in addition to stored tokens."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s), comma-separated, that encrypt stored provider API keys.",
    )
    read_token_required: bool = Field(
        default=False, description="Require a reader or admin token for reads too."
    )
    revision_check_interval_s: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="How often an instance checks the database for changes made elsewhere.",
    )
    auth_failure_limit: int = Field(
        default=20,
        ge=1,
        description="Failed authentications a client address may make per window before 429.",
    )
    auth_failure_window_s: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        description="The sliding window, in seconds, of `auth_failure_limit`.",
    )
    api_docs: bool = Field(
        default=True, description="Serve the interactive API docs at /docs (Swagger UI)."
    )
    log_level: str = Field(default="info", description="Log level of `modeldeck serve`.")
    session_ttl_hours: float = Field(
        default=12,
        gt=0,
        le=24 * 365,
        description="How long a console sign-in lasts before it must be made again.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Mark the console's session cookie Secure (sent over https or to localhost).",
    )
    test_allow_networks: str = Field(
        default="",
        description="Host names and IP networks (CIDR), comma-separated, that `/test` may reach "
        "although they are loopback, private, link-local or otherwise not public.",
    )
    test_key_env_allow: str = Field(
        default="*_API_KEY",
        description="fnmatch patterns, comma-separated, of the environment variables `/test` "
        "may read as a model's `api_key_env` (MODELDECK_* never).",
    )
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest request body accepted; a larger one is refused (413) unread.",
    )
    cors_origins: str = Field(
        default="",
        description="Browser origins (scheme://host[:port]), comma-separated, that may call the "
        "API; `*` for any. Empty: no CORS headers, browsers on other origins cannot read answers.",
    )
    cors_allow_credentials: bool = Field(
        default=False,
        description="Let the listed origins send cookies (credentials); never with `*`.",
    )

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        return normalise_database_url(url)

    @field_validator("test_allow_networks")
    @classmethod
    def _networks(cls, text: str) -> str:
        parse_networks(text)
        return text

    @field_validator("test_key_env_allow")
    @classmethod
    def _key_env_patterns(cls, text: str) -> str:
        parse_key_env_patterns(text)
        return text

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins(cls, text: str) -> str:
        parse_origins(text)
        return text

    @model_validator(mode="after")
    def _cors_credentials(self) -> Settings:
        check_credentials(parse_origins(self.cors_origins), self.cors_allow_credentials)
        return self

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
