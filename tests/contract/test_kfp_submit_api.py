"""`pipeline submit` against a local stand-in of the KFP v2beta1 REST API, through kfp's own ``kfp.Client``.

The stand-in is a real HTTP server on 127.0.0.1 (port 0) that answers the endpoints ``kfp.Client`` calls for
an upload, a version upload and a run (healthz, pipelines list/upload/upload_version, experiments list/create,
runs create) with JSON shaped like the v2beta1 API, and records every request. It is not a KFP API server:
it stores nothing beyond the test, runs nothing, and answers only what these calls need (a duplicate version
name is 409, as the real server's unique (pipeline, version name) index makes it). What the tests check is
what kfp sends: the pipeline file, the version name, the experiment, the run's runtime parameters.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pipelines.kfp_pipeline import PIPELINE_NAME, compile_pipeline, submit
from soccerpredict.errors import PipelineError
from soccerpredict.params import compose_params

API = "/apis/v2beta1"
CREATED_AT = "2026-12-03T06:00:00Z"

pytestmark = pytest.mark.filterwarnings("ignore:This client only works with Kubeflow Pipeline:FutureWarning")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any = None  # JSON body, or {"uploadfile": bytes} for the multipart uploads


@dataclass
class StandIn:
    """What the stand-in holds: the recorded calls and the objects created through them."""

    calls: list[Call] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    experiments: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def paths(self) -> list[str]:
        return [f"{c.method} {c.path}" for c in self.calls]


def _display_name_filter(query: dict[str, str]) -> str | None:
    """The name kfp filters by (``{"predicates": [{"key": "display_name", "stringValue": ...}]}``)."""
    if "filter" not in query:
        return None
    predicates = json.loads(query["filter"])["predicates"]
    (predicate,) = (p for p in predicates if p["key"] == "display_name")
    return str(predicate["stringValue"])


def _uploaded_file(content_type: str, body: bytes) -> bytes:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    (part,) = (p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "uploadfile")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
            pass

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: int, message: str) -> None:
            self._reply(status, {"code": code, "message": message, "details": []})

        def _record(self) -> Call:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "")
            body: Any = None
            if content_type.startswith("multipart/form-data"):
                body = {"uploadfile": _uploaded_file(content_type, raw)}
            elif raw:
                body = json.loads(raw)
            call = Call(self.command, url.path, query, body)
            state.calls.append(call)
            return call

        def do_GET(self) -> None:
            call = self._record()
            name = _display_name_filter(call.query)
            if call.path == f"{API}/healthz":
                self._reply(200, {"multi_user": False, "pipeline_store": "database"})
            elif call.path in (f"{API}/pipelines", f"{API}/experiments"):
                kind = call.path.rsplit("/", 1)[1]
                found = [o for o in getattr(state, kind) if name is None or o["display_name"] == name]
                self._reply(200, {kind: found, "total_size": len(found)} if found else {})  # the API omits []
            else:
                self._error(404, 5, f"stand-in has no GET {call.path}")

        def do_POST(self) -> None:
            call = self._record()
            if call.path == f"{API}/pipelines/upload":
                pipeline = {"pipeline_id": str(uuid.uuid4()), "display_name": call.query["name"]}
                state.pipelines.append({**pipeline, "name": call.query["name"], "created_at": CREATED_AT})
                state.versions.append({**pipeline, "pipeline_version_id": str(uuid.uuid4())})  # the default one
                self._reply(200, state.pipelines[-1])
            elif call.path == f"{API}/pipelines/upload_version":
                self._upload_version(call)
            elif call.path == f"{API}/experiments":
                experiment = {**call.body, "experiment_id": str(uuid.uuid4()), "created_at": CREATED_AT}
                state.experiments.append({**experiment, "storage_state": "AVAILABLE"})
                self._reply(200, state.experiments[-1])
            elif call.path == f"{API}/runs":
                run = {**call.body, "run_id": str(uuid.uuid4()), "state": "PENDING", "created_at": CREATED_AT}
                state.runs.append(run)
                self._reply(200, run)
            else:
                self._error(404, 5, f"stand-in has no POST {call.path}")

        def _upload_version(self, call: Call) -> None:
            pipeline_id, name = call.query.get("pipelineid"), call.query["name"]
            if not any(p["pipeline_id"] == pipeline_id for p in state.pipelines):
                self._error(404, 5, f"pipeline {pipeline_id} not found")
            elif any(v["pipeline_id"] == pipeline_id and v["display_name"] == name for v in state.versions):
                self._error(409, 6, f"pipeline version {name!r} already exists")
            else:
                version = {"pipeline_id": pipeline_id, "pipeline_version_id": str(uuid.uuid4())}
                state.versions.append({**version, "display_name": name, "name": name, "created_at": CREATED_AT})
                self._reply(200, state.versions[-1])

    return Handler


@pytest.fixture
def standin() -> Iterator[StandIn]:
    state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kfp") / "soccer_1x2.yaml"
    return compile_pipeline(compose_params("smoke"), out=out, image="registry.example/soccerpredict:test")


@pytest.fixture(autouse=True)
def no_kfp_context(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """kfp.Client reads ~/.config/kfp/context.json; none here, so the namespace is the single-user ''."""
    import kfp.client.client as client_module

    monkeypatch.setattr(client_module.Client, "_LOCAL_KFP_CONTEXT", str(tmp_path / "no-context.json"))


def test_first_submit_creates_the_pipeline_a_named_version_the_experiment_and_a_run(
    standin: StandIn, package: Path
) -> None:
    done = submit(
        package,
        host=standin.url,
        version_name="abc1234",
        experiment="soccer-ci",
        params={"n_trials_xgb": 40, "test_seasons": ["2223", "2324"], "experiment": 2024},
    )

    assert standin.paths() == [
        f"GET {API}/healthz",
        f"GET {API}/pipelines",
        f"POST {API}/pipelines/upload",
        f"POST {API}/pipelines/upload_version",
        f"GET {API}/experiments",
        f"POST {API}/experiments",
        f"POST {API}/runs",
    ]
    _, listed, upload, version, _, experiment, run = standin.calls
    assert _display_name_filter(listed.query) == PIPELINE_NAME
    assert upload.query["name"] == PIPELINE_NAME and upload.body["uploadfile"] == package.read_bytes()
    assert version.query["name"] == "abc1234" and version.body["uploadfile"] == package.read_bytes()
    assert version.query["pipelineid"] == standin.pipelines[0]["pipeline_id"] == done.pipeline_id
    assert experiment.body["display_name"] == "soccer-ci"
    assert run.body["experiment_id"] == standin.experiments[0]["experiment_id"] == done.experiment_id
    assert run.body["display_name"] == done.run_name == "soccer-1x2-abc1234"
    assert run.body["pipeline_version_reference"] == {
        "pipeline_id": done.pipeline_id,
        "pipeline_version_id": done.version_id,
    }
    assert "pipeline_spec" not in run.body  # the run points at the uploaded version, not an inline spec
    # the STRING parameter `experiment` keeps the text typed, not the JSON number it parses as
    assert run.body["runtime_config"]["parameters"] == {
        "n_trials_xgb": 40,
        "test_seasons": ["2223", "2324"],
        "experiment": "2024",
    }
    assert done.pipeline_created and done.run_id == standin.runs[0]["run_id"]
    assert done.version_id == standin.versions[-1]["pipeline_version_id"]


def test_a_later_submit_adds_a_version_to_the_same_pipeline_and_reuses_the_experiment(
    standin: StandIn, package: Path
) -> None:
    first = submit(package, host=standin.url, version_name="abc1234", experiment="soccer-ci")
    standin.calls.clear()
    second = submit(package, host=standin.url, version_name="def5678", experiment="soccer-ci", run_name="nightly")

    assert f"POST {API}/pipelines/upload" not in standin.paths()
    assert f"POST {API}/experiments" not in standin.paths()
    (version,) = (c for c in standin.calls if c.path.endswith("/upload_version"))
    assert version.query == {"name": "def5678", "pipelineid": first.pipeline_id}
    assert not second.pipeline_created and second.pipeline_id == first.pipeline_id
    assert second.experiment_id == first.experiment_id and second.version_id != first.version_id
    assert standin.runs[-1]["display_name"] == "nightly" and standin.runs[-1]["runtime_config"]["parameters"] == {}


def test_a_version_name_the_pipeline_already_has_fails_with_the_servers_reason(standin: StandIn, package: Path) -> None:
    submit(package, host=standin.url, version_name="abc1234")
    expected = r"KFP host http:\S+: HTTP 409 Conflict: pipeline version .abc1234. already exists; names must be unique"
    with pytest.raises(PipelineError, match=expected):
        submit(package, host=standin.url, version_name="abc1234")
    assert len(standin.runs) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_trials_svm": 3}, r"unknown pipeline parameter\(s\) \['n_trials_svm'\]; the pipeline has: \[.*'track'"),
        ({"test_seasons": 2324}, r"test_seasons is LIST, got 2324; pass it as JSON"),
        ({"n_trials_hgb": 2.5}, r"n_trials_hgb is NUMBER_INTEGER, got 2.5"),
    ],
)
def test_bad_parameters_are_rejected_before_any_call(
    standin: StandIn, package: Path, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(PipelineError, match=message):
        submit(package, host=standin.url, version_name="abc1234", params=params)
    assert standin.calls == []


def test_the_cli_prints_the_ids_as_json(standin: StandIn, package: Path) -> None:
    from typer.testing import CliRunner

    from soccerpredict.cli import app

    args = ["pipeline", "submit", "--host", standin.url, "--package", str(package), "--experiment", "soccer-ci"]
    args += ["--version-name", "abc1234", "--param", "track=stats_only", "--param", 'models=["xgb", "hgb"]', "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # kfp's own "Pipeline details: <link>" lines went to stderr
    assert printed["run_id"] == standin.runs[0]["run_id"]
    assert printed["version_id"] == standin.versions[-1]["pipeline_version_id"]
    assert printed["version_name"] == "abc1234" and printed["experiment"] == "soccer-ci"
    assert standin.runs[0]["runtime_config"]["parameters"] == {"track": "stats_only", "models": ["xgb", "hgb"]}


def test_the_cli_rejects_an_unknown_param_with_the_valid_ones(standin: StandIn, package: Path) -> None:
    from typer.testing import CliRunner

    from soccerpredict.cli import app

    args = ["pipeline", "submit", "--host", standin.url, "--package", str(package), "--param", "trials=3"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "unknown pipeline parameter(s) ['trials']" in result.output and "n_trials_xgb" in result.output
    assert standin.calls == []
