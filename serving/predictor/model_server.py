"""kserve's ModelServer on a chosen interface: REST and gRPC bind ``host`` (SOCCER_BIND_HOST), not every one.

kserve 0.21 hard-codes ``0.0.0.0`` for uvicorn (``RESTServer``) and ``[::]`` for gRPC (``GRPCServer``).
:class:`BoundModelServer` starts the same servers, the same way (``ModelServer.start`` with an empty model
list), with the REST app of :func:`serving.predictor.app.build_app`, the interface given, and on gRPC the
internal key on the repository methods and one-line logs for client errors.
"""

from __future__ import annotations

import asyncio
from concurrent import futures
from typing import Any

from fastapi import FastAPI
from grpc import aio
from kserve import ModelServer
from kserve.logging import logger
from kserve.model_server import args as kserve_args
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc
from kserve.protocol.grpc.interceptors import LoggingInterceptor
from kserve.protocol.grpc.server import GRPCServer
from kserve.protocol.grpc.servicer import InferenceServicer
from kserve.protocol.rest.server import RESTServer
from pydantic import SecretStr

from serving.predictor.error_handlers import QuietClientErrors
from serving.predictor.repository_auth import AdminKeyInterceptor

__all__ = ["BoundGRPCServer", "BoundModelServer", "BoundRESTServer", "listen_address"]


def listen_address(host: str, port: int) -> str:
    """``host:port`` as gRPC writes it (IPv6 literals in brackets)."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


class BoundRESTServer(RESTServer):
    """kserve's REST server serving a prebuilt app on ``host``."""

    def __init__(self, app: FastAPI, host: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(app, *args, **kwargs)  # uvicorn takes an app object as well as an import string
        self.config.host = host

    def create_application(self) -> None:
        """Nothing to do: :func:`serving.predictor.app.build_app` built the app."""


class BoundGRPCServer(GRPCServer):
    """kserve's gRPC server on ``host``, with the admin key on the repository methods."""

    def __init__(self, host: str, *args: Any, admin_key: SecretStr | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.host = host
        self.admin_key = admin_key

    async def start(self, max_workers: int) -> None:
        """As kserve's ``start``, on ``host`` and with our interceptors."""
        servicer = InferenceServicer(self._data_plane, self._model_repository_extension)
        self._server = aio.server(
            futures.ThreadPoolExecutor(max_workers=max_workers),
            interceptors=(LoggingInterceptor(), AdminKeyInterceptor(self.admin_key), QuietClientErrors()),
            options=[
                ("grpc.max_send_message_length", self._kwargs.get("grpc_max_send_message_length")),
                ("grpc.max_receive_message_length", self._kwargs.get("grpc_max_receive_message_length")),
            ],
        )
        grpc_predict_v2_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(servicer, self._server)
        address = listen_address(self.host, self._port)
        self._server.add_insecure_port(address)
        logger.info("Starting gRPC server on %s with %d workers", address, max_workers)
        await self._server.start()
        await self._server.wait_for_termination()


class BoundModelServer(ModelServer):
    """kserve's ModelServer whose servers bind ``host``; ``app`` is the REST app to serve."""

    def __init__(self, *, host: str, admin_key: SecretStr | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.host = host
        self.admin_key = admin_key
        self.app: FastAPI | None = None

    def rest_server(self) -> BoundRESTServer:
        """The REST server of :attr:`app` (built, not started)."""
        if self.app is None:
            raise RuntimeError("set BoundModelServer.app (serving.predictor.app.build_app) before starting")
        return BoundRESTServer(
            self.app,
            self.host,
            self.dataplane,
            self.model_repository_extension,
            self.http_port,
            access_log_format=self.access_log_format,
            grace_period=self.grace_period,
            event_loop=self.event_loop,
            timeout_keep_alive=self.timeout_keep_alive,
            ssl_certfile=self.ssl_certfile,
            ssl_keyfile=self.ssl_keyfile,
        )

    def grpc_server(self) -> BoundGRPCServer:
        """The gRPC server (built, not started)."""
        return BoundGRPCServer(
            self.host,
            self.grpc_port,
            self.dataplane,
            self.model_repository_extension,
            kwargs=vars(kserve_args),
            grace_period=self.grace_period,
            admin_key=self.admin_key,
        )

    def start(self, models: list[Any]) -> None:
        """Serve until SIGTERM: one uvicorn process (``workers`` > 1 is not supported here) and gRPC if enabled."""
        if models:
            raise ValueError("register models with register_model(); start() takes none here")
        self._rest_server = self.rest_server()
        self.servers.append(self._rest_server.start())
        if self.enable_grpc:
            self._grpc_server = self.grpc_server()
            self.servers.append(self._grpc_server.start(self.max_threads))
        self.setup_event_loop()
        self.register_signal_handler()
        asyncio.run(self._serve())
