"""The predictor's REST app: kserve's v1/v2 routes and handlers, plus ours, on a FastAPI app of its own.

On top of kserve's: our model metadata route (kserve's response model drops the ``parameters`` that
publish the feature order), one-line logs for client errors (:mod:`serving.predictor.error_handlers`),
JSON for a v2 body without Content-Type (:mod:`serving.predictor.content_type`) and the internal key on
the model repository routes (:mod:`serving.predictor.repository_auth`, outermost, so before any body is read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from kserve.protocol.dataplane import DataPlane
from kserve.protocol.model_repository_extension import ModelRepositoryExtension
from kserve.protocol.rest.server import RESTServer
from pydantic import SecretStr

from serving.predictor.content_type import JsonWithoutContentType
from serving.predictor.error_handlers import install_error_handlers
from serving.predictor.repository_auth import RepositoryGate
from soccerpredict.artifacts import MODEL_NAME

if TYPE_CHECKING:
    from serving.predictor.model import SoccerPredictor

__all__ = ["build_app"]


def build_app(
    predictor: SoccerPredictor,
    dataplane: DataPlane,
    extension: ModelRepositoryExtension,
    *,
    admin_key: SecretStr | None,
) -> FastAPI:
    """The ASGI app the predictor's uvicorn serves (and the in-process tests call)."""
    from fastapi.responses import ORJSONResponse  # kserve's default response class, for identical bodies

    app = FastAPI(title="SoccerPredict predictor", docs_url=None, redoc_url=None, default_response_class=ORJSONResponse)
    # Before kserve's own route for the same path: the first match answers.
    app.add_api_route(f"/v2/models/{MODEL_NAME}", predictor.metadata, methods=["GET"], tags=["V2"])
    kserve = RESTServer(app, dataplane, extension, http_port=0)  # its registration steps; it serves nothing
    kserve._add_middlewares(app)
    kserve._register_endpoints(app)
    kserve._add_exception_handlers(app)
    install_error_handlers(app)  # after kserve's: the last handler of an exception class wins
    app.add_middleware(JsonWithoutContentType)  # stock tritonclient sends JSON without a Content-Type
    app.add_middleware(RepositoryGate, admin_key=admin_key)
    return app
