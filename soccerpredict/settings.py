"""Runtime settings: one class, read from the environment (prefix ``SOCCER_``).

Nothing here touches the disk or the network: paths are derived, not created.
Embedded defaults (SQLite, a local folder store, an in-process broker) make
``make run`` work on a bare machine; set the URLs to use real services.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Where SoccerPredict keeps its state and which services it talks to."""

    model_config = SettingsConfigDict(env_prefix="SOCCER_", extra="ignore", frozen=True)

    home: Path = Field(default=Path(".soccerpredict"), description="Root folder for embedded state.")
    db_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite under home.")
    store_uri: str | None = Field(default=None, description="Object store root: file://… or s3://bucket/prefix.")
    s3_endpoint: str | None = Field(default=None, description="S3 endpoint URL (MinIO, moto) for s3:// stores.")
    redis_url: str | None = Field(default=None, description="Redis URL for the prediction cache.")
    broker_url: str | None = Field(default=None, description="Celery broker; default an embedded SQLite broker.")
    result_backend: str | None = Field(default=None, description="Celery result backend; default SQLite.")
    api_keys: list[SecretStr] = Field(default_factory=list, description="Accepted X-API-Key values.")
    selenium_url: str | None = Field(default=None, description="Remote Selenium grid; default local Chromium.")
    chromium_path: Path = Field(default=Path("/usr/bin/chromium"), description="Chromium binary for local scraping.")
    chromedriver_path: Path = Field(default=Path("/usr/bin/chromedriver"), description="Its chromedriver.")
    chromium_arguments: list[str] = Field(default_factory=list, description="Extra Chromium switches (JSON list).")
    scrape_min_interval: float = Field(default=5.0, description="Minimum seconds between two page loads of a scraper.")
    scrape_retries: int = Field(default=3, description="Retries after a timeout, browser error or 429/5xx.")
    scrape_backoff: float = Field(default=2.0, description="Seconds before the first retry; doubles on each retry.")
    scrape_page_timeout: float = Field(default=30.0, description="Seconds a scraped page may take to load.")
    http_timeout: float = Field(default=60.0, description="Seconds to wait for a download.")
    predictor_url: str = Field(default="http://127.0.0.1:8080", description="Base URL of the KServe predictor.")
    predictor_port: int = Field(default=8080, description="HTTP port the predictor listens on.")
    predictor_grpc_port: int | None = Field(
        default=None, description="Port of the predictor's v2 gRPC endpoint (unset: HTTP only)."
    )
    api_port: int = Field(default=8000, description="HTTP port the FastAPI facade listens on.")
    api_max_body_bytes: int = Field(
        default=1_048_576,
        ge=0,
        description="Largest request body the facade reads, in bytes (1 MiB); a larger one is refused with 413 "
        "before it is read.",
    )
    worker_metrics_port: int = Field(default=9808, description="Port of a Celery worker's /metrics (0: none).")
    # --- web UI: the Streamlit app talks only to the facade, with a key it never sends to the browser ------
    ui_api_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL of the facade the web UI calls (in the cluster its Service; outside, its HTTPS URL).",
    )
    ui_api_key: SecretStr | None = Field(
        default=None, description="X-API-Key the web UI sends to the facade; held server side, never in a page."
    )
    ui_port: int = Field(default=8501, description="HTTP port the web UI listens on.")
    ui_timeout: float = Field(default=5.0, gt=0, description="Seconds the web UI waits for one facade answer.")
    # --- servers and logs: where internal servers listen, who may change the predictor, log format -------
    bind_host: str = Field(
        default="127.0.0.1",
        description="Interface the predictor (HTTP and gRPC), the worker's /metrics and the facade bind; "
        "loopback by default, 0.0.0.0 in a container (the image and the manifests set it).",
    )
    predictor_admin_key: SecretStr | None = Field(
        default=None,
        description="Key the predictor's model-repository routes (load, unload) require in X-Admin-Key; "
        "unset, those routes are refused (the champion still follows its alias by polling).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines of the facade, the predictor and the worker: text or json."
    )
    log_max_bytes: int = Field(
        default=10_485_760, ge=1024, description="Size at which a local stack's service log rotates (10 MiB)."
    )
    log_backups: int = Field(default=3, ge=1, description="Rotated logs a local stack keeps per service.")
    # --- async jobs: how long one job may run, so a lost one is redelivered or seen to fail -------------
    task_time_limit: int = Field(
        default=600,
        ge=10,
        description="Hard limit on one async job, in seconds; past it the job fails (TimeLimitExceeded). It also "
        "sets the Redis/SQS visibility timeout (this plus 300 s) after which a job of a lost worker is redelivered.",
    )
    task_soft_time_limit: int | None = Field(
        default=None,
        ge=1,
        description="Soft limit on one async job, in seconds: the job stops itself between predictor calls "
        "(SoftTimeLimitExceeded); default 30 s (or a tenth, if less) before the hard limit.",
    )
    predictor_timeout: float = Field(default=2.0, description="Seconds the facade waits for the predictor.")
    predict_batch_max: int = Field(
        default=32,
        ge=1,
        description="Most cache misses the facade sends to the predictor in one call (1: one call per miss).",
    )
    cache_ttl_seconds: int = Field(default=3600, description="Lifetime of a cached prediction.")
    cache_local_ttl_seconds: float = Field(
        default=5.0, ge=0, description="Lifetime of the facade's in-process copy of a cached prediction (0: off)."
    )
    champion_poll_seconds: float = Field(default=60.0, description="How often the predictor re-resolves @champion.")
    precomputed_poll_seconds: float = Field(default=30.0, description="How often precomputed predictions refresh.")
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "SOCCER_MLFLOW_TRACKING_URI"),
        description="MLflow tracking URI; default SQLite under home.",
    )

    @cached_property
    def home_dir(self) -> Path:
        """Absolute home folder (not created)."""
        return self.home.expanduser().resolve()

    @property
    def database_url(self) -> str:
        """The database URL in force."""
        return self.db_url or f"sqlite:///{self.home_dir / 'soccerpredict.db'}"

    @property
    def store_root(self) -> str:
        """The object store root URI in force."""
        return self.store_uri or (self.home_dir / "store").as_uri()

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI in force."""
        return self.mlflow_tracking_uri or f"sqlite:///{self.home_dir / 'mlflow.db'}"

    @property
    def broker(self) -> str:
        """The Celery broker URL in force."""
        return self.broker_url or f"sqla+sqlite:///{self.home_dir / 'broker.db'}"

    @property
    def task_soft_limit(self) -> int:
        """The soft time limit of one async job in force (always below the hard one)."""
        default = max(self.task_time_limit - 30, self.task_time_limit * 9 // 10)
        return min(self.task_soft_time_limit or default, self.task_time_limit - 1)

    @property
    def backend(self) -> str:
        """The Celery result backend in force."""
        return self.result_backend or f"db+sqlite:///{self.home_dir / 'results.db'}"
