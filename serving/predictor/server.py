"""Start the predictor: ``python -m serving.predictor`` (settings from the environment, see ``Settings``).

The HTTP server comes up at once (``/v2/health/live``); the champion loads in the background and
``/v2/models/soccer-1x2/ready`` turns 200 when it has. Without a champion in the registry the server
keeps running, not ready, logs why, and picks the champion up on the next poll or on
``POST /v2/repository/models/soccer-1x2/load`` (with the admin key).

With ``SOCCER_PREDICTOR_GRPC_PORT`` set, kserve's v2 gRPC endpoint (``inference.GRPCInferenceService``) serves
the same model on that port too. Unset, the predictor speaks HTTP only, so local stacks that start several
predictors never share a gRPC port (gRPC binds with SO_REUSEPORT, so a clash would not fail). A v2 request
body with neither Content-Type nor ``Inference-Header-Content-Length`` is read as JSON
(``serving.predictor.content_type``): stock tritonclient sends JSON that way.

Both servers bind ``SOCCER_BIND_HOST`` (default 127.0.0.1; the image and the manifests set 0.0.0.0). The
repository routes (load, unload) need ``X-Admin-Key`` = ``SOCCER_PREDICTOR_ADMIN_KEY`` and are off without it
(:mod:`serving.predictor.repository_auth`). Logs: :mod:`serving.logging_config` (``SOCCER_LOG_FORMAT``).
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

from serving.logging_config import configure_logging
from soccerpredict.artifacts import MATCH_FEATURES_KEY, MODEL_NAME
from soccerpredict.settings import Settings

if TYPE_CHECKING:
    from serving.predictor.model import SoccerPredictor

__all__ = ["build_predictor", "main"]

log = logging.getLogger(__name__)


def build_predictor(settings: Settings, metrics: Any = None) -> SoccerPredictor:
    """The predictor wired to the registry, object store and Redis configured in ``settings``."""
    from serving.common.cache import PredictionCache
    from serving.predictor.champion import MlflowChampionLoader
    from serving.predictor.features import FeatureSnapshot
    from serving.predictor.model import SoccerPredictor
    from soccerpredict.data.store import ObjectStore
    from soccerpredict.monitoring.metrics import default_metrics

    metrics = metrics if metrics is not None else default_metrics()
    cache = PredictionCache(
        settings.redis_url, ttl_seconds=settings.cache_ttl_seconds, metrics=metrics, service="predictor"
    )
    if not cache.enabled:
        log.info("no SOCCER_REDIS_URL: the prediction cache is disabled")
    return SoccerPredictor(
        MlflowChampionLoader(settings.tracking_uri),
        FeatureSnapshot(ObjectStore.from_settings(settings), MATCH_FEATURES_KEY),
        cache,
        metrics,
        poll_seconds=settings.champion_poll_seconds,
    )


def main(settings: Settings | None = None) -> None:
    """Serve ``soccer-1x2`` over v2 REST on ``predictor_port`` (and gRPC on ``predictor_grpc_port``) until SIGTERM."""
    settings = settings or Settings()
    configure_logging(settings.log_format)  # before kserve's import: it configures logging only if we did not
    # The model was fitted on a DataFrame; we pass arrays in its signature's column order on purpose.
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    from serving.predictor.app import build_app
    from serving.predictor.binary_request import CheckedDataPlane
    from serving.predictor.model import ChampionRepository
    from serving.predictor.model_server import BoundModelServer

    predictor = build_predictor(settings)
    grpc_port = settings.predictor_grpc_port
    server = BoundModelServer(
        host=settings.bind_host,
        admin_key=settings.predictor_admin_key,
        http_port=settings.predictor_port,
        grpc_port=grpc_port or 0,
        enable_grpc=grpc_port is not None,
        registered_models=ChampionRepository(predictor),
    )
    server.dataplane = CheckedDataPlane(model_registry=server.registered_models)
    server.app = build_app(
        predictor, server.dataplane, server.model_repository_extension, admin_key=settings.predictor_admin_key
    )
    server.register_model(predictor)
    # start([]) because start() refuses to run without a ready model, and an empty registry must not
    # stop the server; the watcher runs beside uvicorn in kserve's gather() and stops with the model.
    server.servers.append(predictor.run_background())
    log.info(
        "predictor for %s on %s port %d, gRPC %s, repository routes %s (registry %s, store %s)",
        MODEL_NAME,
        settings.bind_host,
        settings.predictor_port,
        grpc_port or "off",
        "need X-Admin-Key" if settings.predictor_admin_key else "off",
        settings.tracking_uri,
        settings.store_root,
    )
    server.start([])
