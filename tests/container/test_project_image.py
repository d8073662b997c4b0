"""The built project image: what it holds, who it runs as, and what it must not hold (the build's CA bundle)."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path
from typing import Any

from soccerpredict.image import image_tag, source_digest

BUILD_CA = Path("/etc/ssl/certs/ca-certificates.crt")  # docker/build.sh's default BUILD_CA_BUNDLE
#: The image's own trust store, from Debian's ca-certificates: on a machine whose bundle is Debian's stock one
#: it has the same bytes, and that is not a leak.
OWN_TRUST_STORE = {"etc/ssl/certs/ca-certificates.crt", "./etc/ssl/certs/ca-certificates.crt"}


def _run(client: Any, image: str, *command: str) -> str:
    out = client.containers.run(image, list(command), remove=True, stdout=True, stderr=True)
    return out.decode()


def test_image_is_labelled_with_its_source(docker_client: Any, project_image: str) -> None:
    labels = docker_client.images.get(project_image).labels
    if project_image.endswith(image_tag()):
        assert labels["io.soccerpredict.source-digest"] == source_digest()
    assert labels["io.soccerpredict.source-digest"].startswith(project_image.rsplit("-", 1)[1])
    assert labels["org.opencontainers.image.version"] == image_tag().rsplit("-", 1)[0]
    assert labels["org.opencontainers.image.revision"] not in {"", "unknown"}


def test_image_runs_as_its_numeric_non_root_user_with_the_venv_first(docker_client: Any, project_image: str) -> None:
    config = docker_client.images.get(project_image).attrs["Config"]
    assert config["User"] == "10001:10001"
    assert not config.get("Entrypoint"), "kfp's DockerRunner passes the component command as arguments"
    out = _run(docker_client, project_image, "python3", "-c", "import os, sys; print(os.getuid(), sys.executable)")
    assert out.split() == ["10001", "/opt/venv/bin/python3"]


def test_image_ships_the_sample_the_compiled_pipeline_reads(docker_client: Any, project_image: str) -> None:
    script = "import glob; print(len(glob.glob('data/sample/football-data/*/*.csv')))"
    out = _run(docker_client, project_image, "python3", "-c", script)
    shipped = len(list((Path(__file__).resolve().parents[2] / "data" / "sample" / "football-data").glob("*/*.csv")))
    assert int(out) == shipped > 0


def test_image_holds_no_build_certificates_in_any_layer_or_setting(docker_client: Any, project_image: str) -> None:
    """The CA bundle only the builder stage sees: no layer of the final image holds it, no setting names it."""
    env = docker_client.images.get(project_image).attrs["Config"]["Env"]
    assert not [e for e in env if e.startswith(("SSL_CERT_FILE=", "PIP_CERT=", "REQUESTS_CA_BUNDLE="))]
    ca = BUILD_CA.read_bytes()
    ca_hash = hashlib.sha256(ca).hexdigest()
    found: list[str] = []
    layers = 0
    stream = io.BufferedReader(_ChunkReader(docker_client.images.get(project_image).save()), 1 << 20)
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            if not member.isfile() or not (member.name.endswith("layer.tar") or member.name.startswith("blobs/")):
                continue
            layer = outer.extractfile(member)
            assert layer is not None
            try:
                inner = tarfile.open(fileobj=layer, mode="r|")  # noqa: SIM115 (closed below; may not be a tar)
            except tarfile.ReadError:
                continue  # a blob that is a config or manifest, not a layer
            layers += 1
            with inner:
                for item in inner:
                    name = item.name
                    if "build-ca" in name:
                        found.append(name)
                    elif item.isfile() and item.size == len(ca) and name not in OWN_TRUST_STORE:
                        data = inner.extractfile(item)
                        if data is not None and hashlib.sha256(data.read()).hexdigest() == ca_hash:
                            found.append(name)
    assert layers >= 3
    assert found == [], f"the build's CA bundle is in the image: {found}"


class _ChunkReader(io.RawIOBase):
    """A readable stream over docker-py's chunk iterator (image.save())."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def test_image_has_the_cli_the_params_and_no_dev_tools(docker_client: Any, project_image: str) -> None:
    script = (
        "import importlib.util, os; "
        "paths = ('/opt/venv/bin/soccerpredict', '/app/params.yaml', '/app/conf/config.yaml'); "
        "print(*[os.path.exists(p) for p in paths], "
        "*[importlib.util.find_spec(m) is not None for m in ('pytest', 'mypy', 'hypothesis')])"
    )
    assert _run(docker_client, project_image, "python3", "-c", script).split() == ["True"] * 3 + ["False"] * 3
