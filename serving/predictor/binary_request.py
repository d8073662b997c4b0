"""Malformed requests of the v2 binary tensor extension are a 400 that says what is wrong, never a 500.

kserve 0.21 parses a binary body with ``int(headers["inference-header-content-length"])`` and
``InferRequest.from_bytes``, which raise ValueError, KeyError or TypeError (HTTP 500 with a traceback) for a
non-numeric or out-of-range header, a JSON header that is not an object or lacks a field, or binary data
shorter than its tensor's shape. :class:`CheckedDataPlane` checks the header and turns every such error into
``InvalidInput``.
"""

from __future__ import annotations

from typing import Any, Final

from kserve.constants.constants import INFERENCE_CONTENT_LENGTH_HEADER
from kserve.errors import InvalidInput
from kserve.protocol.dataplane import DataPlane
from kserve.protocol.infer_type import InferRequest

__all__ = ["CheckedDataPlane", "json_header_length"]

_HOW: Final = (
    f"a binary request is a JSON header of {INFERENCE_CONTENT_LENGTH_HEADER} bytes followed by each input's "
    "binary_data_size bytes"
)


def json_header_length(value: str | None, body_size: int) -> int:
    """The JSON header's length from ``Inference-Header-Content-Length``; InvalidInput unless 0 < it <= body."""
    if value is None:
        raise InvalidInput(f"the body is binary but the {INFERENCE_CONTENT_LENGTH_HEADER} header is missing; {_HOW}")
    text = value.strip()
    if not text.isdigit():
        raise InvalidInput(f"{INFERENCE_CONTENT_LENGTH_HEADER} must be a whole number of bytes, got {value[:40]!r}")
    length = int(text)
    if not 0 < length <= body_size:
        raise InvalidInput(f"{INFERENCE_CONTENT_LENGTH_HEADER} is {length} but the body has {body_size} bytes; {_HOW}")
    return length


class CheckedDataPlane(DataPlane):
    """kserve's data plane, with the binary extension's parse errors reported as InvalidInput (HTTP 400)."""

    def decode_inference_request(self, body: Any, headers: dict[str, str], model_name: str) -> InferRequest:
        if not isinstance(body, bytes):
            return super().decode_inference_request(body, headers, model_name)
        length = json_header_length(headers.get(INFERENCE_CONTENT_LENGTH_HEADER), len(body))
        try:
            return InferRequest.from_bytes(body, length, model_name)
        except InvalidInput:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise InvalidInput(f"malformed binary request ({type(exc).__name__}: {exc}); {_HOW}") from exc
