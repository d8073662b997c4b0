"""The middleware that reads a v2 body without Content-Type as JSON, on a route shaped like kserve's infer route.

kserve 0.21 declares ``request_body: Union[InferenceRequest, bytes]``; FastAPI (strict content type) passes a
body without Content-Type as bytes, which kserve then reads as the binary extension. The app here has the same
route signature, so these tests show both the failure the middleware removes and what it leaves alone.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from serving.predictor.content_type import JsonWithoutContentType

BODY = json.dumps({"inputs": [{"name": "features", "shape": [1, 2], "datatype": "FP32", "data": [0.5, 1.0]}]})


class Tensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class InferenceRequest(BaseModel):
    inputs: list[Tensor]


def make_app(*, middleware: bool) -> FastAPI:
    app = FastAPI()

    @app.post("/v2/models/{model_name}/infer")
    async def infer(raw: Request, model_name: str, request_body: InferenceRequest | bytes) -> dict[str, Any]:
        return {
            "parsed": isinstance(request_body, InferenceRequest),
            "content_type": raw.headers.get("content-type"),
        }

    @app.post("/v1/models/{model_name}:predict")
    async def predict(raw: Request, model_name: str) -> dict[str, Any]:
        return {"content_type": raw.headers.get("content-type")}

    if middleware:
        app.add_middleware(JsonWithoutContentType)
    return app


def post(app: FastAPI, path: str, headers: dict[str, str] | None = None, body: str = BODY) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)

    async def call() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=transport, base_url="http://predictor") as client:
            response = await client.post(path, content=body, headers=headers)
            assert response.status_code == 200, response.text
            return dict(response.json())

    return asyncio.run(call())


INFER = "/v2/models/soccer-1x2/infer"


def test_without_the_middleware_a_body_without_content_type_arrives_as_bytes() -> None:
    assert post(make_app(middleware=False), INFER) == {"parsed": False, "content_type": None}


def test_the_middleware_reads_it_as_json() -> None:
    assert post(make_app(middleware=True), INFER) == {"parsed": True, "content_type": "application/json"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Content-Type": "application/json"}, {"parsed": True, "content_type": "application/json"}),
        ({"Content-Type": "application/octet-stream"}, {"parsed": False, "content_type": "application/octet-stream"}),
        ({"Inference-Header-Content-Length": str(len(BODY))}, {"parsed": False, "content_type": None}),
    ],
    ids=["json", "octet-stream", "binary extension"],
)
def test_requests_that_say_how_they_are_encoded_pass_unchanged(
    headers: dict[str, str], expected: dict[str, Any]
) -> None:
    assert post(make_app(middleware=True), INFER, headers) == expected


def test_only_v2_routes_are_touched() -> None:
    assert post(make_app(middleware=True), "/v1/models/soccer-1x2:predict") == {"content_type": None}
