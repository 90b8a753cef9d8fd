"""One validated settings object, read once at start-up.

Every knob is an ``ASOTO_*`` environment variable (or the providers' usual key variables).
Nothing else in the package reads ``os.environ``: the CLI and the API build a
``Settings`` and pass it down, so tests build their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogFormat = Literal["auto", "json", "console"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASOTO_", extra="ignore", frozen=True)

    database_url: SecretStr | None = Field(
        default=None,
        description="A Postgres with the `vector` extension. Unset: embedded pgserver under home.",
    )
    home: Path = Field(default=Path(".asoto"), description="Local state (embedded pgdata).")

    llm: str = Field(default="offline", description="offline | openai:<model> | anthropic:<model>")
    llm_fallback: str | None = Field(default=None, description="Second provider on failure.")
    llm_timeout_s: float = 60.0
    llm_max_attempts: int = Field(default=3, ge=1, le=10, description="calls per logical call, all layers together")
    llm_max_wait_s: float = Field(default=20.0, ge=0, description="longest wait between tries (caps Retry-After)")
    graphs_config: Path | None = Field(
        default=None, description="a langgraph.json: users' graphs served beside the built-in flows"
    )
    embeddings: str = Field(default="offline", description="offline | openai:<model>")

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ASOTO_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ASOTO_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ASOTO_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"),
    )
    anthropic_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ASOTO_ANTHROPIC_BASE_URL", "ANTHROPIC_BASE_URL"),
        description="an Anthropic-compatible endpoint (a gateway or proxy)",
    )

    log_format: LogFormat = "auto"
    log_level: str = "INFO"

    worker_concurrency: int = Field(default=16, ge=1, le=256)
    worker_poll_s: float = Field(default=1.0, gt=0)
    api_runs: int = Field(
        default=2,
        ge=0,
        le=256,
        description="runs an API process beside worker processes executes itself: a wait or stream "
        "on a thread with nothing queued, started as it is created (0: every run goes to the workers)",
    )
    run_lease_s: float = Field(default=30.0, gt=1)
    run_max_attempts: int = Field(default=3, ge=1)
    pool_max_size: int = Field(default=20, ge=2)
    hot_routes: bool = Field(
        default=True,
        description="serve POST /threads, /threads/{id}/runs and /threads/{id}/runs/wait from plain "
        "Starlette endpoints in front of FastAPI's router (same answers, less CPU); false: FastAPI's routes",
    )
    db_prepared_statements: bool = Field(
        default=True,
        description="server-side prepared statements; false behind a transaction pooler that cannot "
        "follow them (PgBouncer before 1.22 in transaction mode)",
    )

    approval_webhook_url: str | None = Field(default=None, description="POSTed when approvals change state")
    approval_webhook_secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 signing key")
    checkpoint_keep_last: int = Field(
        default=50, ge=0, description="checkpoints kept per thread and namespace for history (0 = keep all)"
    )
    checkpoint_prune_s: float = Field(default=600.0, gt=0, description="how often a worker prunes checkpoints")
    stateless_keep_s: float = Field(
        default=60.0, ge=0, description="how long a finished stateless run's thread stays (its outcome read first)"
    )
    approval_sweep_s: float = Field(default=10.0, gt=0, description="how often expiry and webhooks are swept")
    store_default_ttl_min: float | None = Field(
        default=None, gt=0, description="minutes a store item lives after its last write or read (None = forever)"
    )
    store_sweep_min: int = Field(default=5, ge=1, description="how often a worker deletes expired store items")
    cron_poll_s: float = Field(default=1.0, gt=0, description="how often a worker looks for due cron ticks")
    schedule_sync_s: float = Field(
        default=600.0,
        gt=0,
        description="how often a worker brings the product's crons in step with opt-ins",
    )
    webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    feedback_max_redrafts: int = Field(default=2, ge=0, le=5)
    coaching_max_turns: int = Field(default=12, ge=1, le=100, description="coach turns before a session wraps up")
    key_cache_s: float = Field(
        default=1.0, ge=0, le=1.0, description="how long a key lookup is reused: a revoked key stops within this"
    )
    rate_auth_failures_per_min: int = Field(default=30, ge=0, description="failed key checks per client address")
    rate_requests_per_s: int = Field(default=20, ge=0, description="requests per member key per second (0 = off)")
    rate_trusted_requests_per_s: int = Field(
        default=0, ge=0, description="per service, coach or admin key per second (0 = off: the product's backend)"
    )
    rate_active_runs_per_member: int = Field(default=20, ge=0, description="pending or running runs per member")
    public_docs: bool = Field(
        default=False, description="serve /docs (offline), /openapi.json and /info without a key (on in the demo)"
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="browser origins allowed to call the API (JSON list, e.g. LangGraph Studio's); none by default",
    )

    @field_validator("llm", "embeddings")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        provider = value.split(":", 1)[0]
        if provider not in {"offline", "openai", "anthropic"}:
            raise ValueError(f"unknown provider {provider!r}: use offline, openai:<model> or anthropic:<model>")
        if provider != "offline" and ":" not in value:
            raise ValueError(f"{value!r} needs a model name, e.g. {provider}:<model>")
        return value

    def secret_values(self) -> list[str]:
        """Every configured secret, for the output guard: no model output may carry one."""
        from sqlalchemy.engine import make_url

        values = [
            v.get_secret_value()
            for v in (self.openai_api_key, self.anthropic_api_key, self.approval_webhook_secret)
            if v is not None
        ]
        if self.database_url is not None:
            password = make_url(self.database_url.get_secret_value()).password
            if password:
                values.append(str(password))
        return [v for v in values if v]

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"
