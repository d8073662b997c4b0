"""The object store: raw snapshots, predictions and reports under one root URI.

A local folder (``file://…``) by default, any fsspec filesystem otherwise (``s3://bucket/prefix``
with ``SOCCER_S3_ENDPOINT`` for MinIO or moto). Writes are atomic from a reader's point of view:
a failed write leaves the previous object in place.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
from fsspec.core import url_to_fs

from soccerpredict.errors import StoreError

__all__ = ["ObjectInfo", "ObjectStore"]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a reader needs to tell whether an object changed."""

    key: str
    size: int
    version: str  # ETag on S3, mtime on local disk


class ObjectStore:
    """Read and write objects by key under a root URI."""

    def __init__(self, root: str, *, s3_endpoint: str | None = None) -> None:
        self.root = root.rstrip("/")
        options: dict[str, Any] = {}
        if self.root.startswith("s3://") and s3_endpoint:
            options["client_kwargs"] = {"endpoint_url": s3_endpoint}
        try:
            self.fs, self._base = url_to_fs(self.root, **options)
        except (ImportError, ValueError) as exc:
            raise StoreError(f"cannot open object store {self.root!r}: {exc}") from exc
        self._local = self.root.startswith("file://") or "://" not in self.root

    @classmethod
    def from_settings(cls, settings: Any) -> ObjectStore:
        """Build the store configured in a :class:`soccerpredict.settings.Settings`."""
        return cls(settings.store_root, s3_endpoint=settings.s3_endpoint)

    def path(self, key: str) -> str:
        """Filesystem path of a key (inside the root)."""
        return f"{self._base.rstrip('/')}/{key.lstrip('/')}"

    def url(self, key: str) -> str:
        """Full URI of a key, for humans and other tools."""
        return f"{self.root}/{key.lstrip('/')}"

    def write_bytes(self, key: str, data: bytes) -> str:
        """Write an object atomically; return its URI."""
        target = self.path(key)
        try:
            if self._local:
                # Write beside, then rename: readers never see half a file.
                parent = target.rsplit("/", 1)[0]
                self.fs.makedirs(parent, exist_ok=True)
                tmp = f"{target}.{uuid.uuid4().hex}.tmp"
                self.fs.pipe_file(tmp, data)
                self.fs.mv(tmp, target)
            else:
                self.fs.pipe_file(target, data)  # an S3 PUT is atomic
        except OSError as exc:
            raise StoreError(f"cannot write {self.url(key)}: {exc}") from exc
        return self.url(key)

    def read_bytes(self, key: str) -> bytes:
        """Read a whole object."""
        try:
            data: bytes = self.fs.cat_file(self.path(key))
        except FileNotFoundError as exc:
            raise StoreError(f"no object at {self.url(key)}") from exc
        except OSError as exc:
            raise StoreError(f"cannot read {self.url(key)}: {exc}") from exc
        return data

    def exists(self, key: str) -> bool:
        """Whether an object exists."""
        return bool(self.fs.exists(self.path(key)))

    def info(self, key: str) -> ObjectInfo:
        """Size and version (ETag or mtime) of an object."""
        try:
            raw = self.fs.info(self.path(key))
        except FileNotFoundError as exc:
            raise StoreError(f"no object at {self.url(key)}") from exc
        version = raw.get("ETag") or raw.get("etag") or raw.get("mtime") or raw.get("LastModified")
        return ObjectInfo(key=key, size=int(raw.get("size") or 0), version=str(version))

    def list(self, prefix: str = "") -> list[str]:
        """Keys under a prefix, sorted."""
        base = self._base.rstrip("/")
        try:
            found = self.fs.find(self.path(prefix)) if prefix else self.fs.find(base)
        except FileNotFoundError:
            return []
        return sorted(p[len(base) + 1 :] for p in found if not p.endswith(".tmp"))

    def write_parquet(self, key: str, frame: pd.DataFrame) -> str:
        """Write a DataFrame as parquet."""
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return self.write_bytes(key, buffer.getvalue())

    def read_parquet(self, key: str) -> pd.DataFrame:
        """Read a parquet object into a DataFrame."""
        return pd.read_parquet(io.BytesIO(self.read_bytes(key)))

    def write_json(self, key: str, payload: Any) -> str:
        """Write a JSON document."""
        return self.write_bytes(key, json.dumps(payload, indent=2, default=str).encode())

    def read_json(self, key: str) -> Any:
        """Read a JSON document."""
        return json.loads(self.read_bytes(key))
