"""Finding and reading football-data sources: files, folder trees, URLs (over a real local HTTP server)."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from api_doubles import closed_port_url

from soccerpredict.data.sources.football_data import SourceRef, discover, parse_football_data, read_source
from soccerpredict.errors import SourceError

SAMPLE_README = Path(__file__).resolve().parents[2] / "data" / "sample" / "README.md"


def touch(path: Path, content: bytes = b"Div,Date,HomeTeam,AwayTeam\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_discover_walks_a_folder_tree_and_infers_division_and_season(tmp_path: Path) -> None:
    touch(tmp_path / "E0" / "2324.csv")
    touch(tmp_path / "E0" / "9394.csv")
    touch(tmp_path / "mirror" / "1920" / "SP1.csv")  # the site's own <SEASON>/<DIV>.csv layout
    touch(tmp_path / "misc" / "fixtures.csv")
    touch(tmp_path / "E0" / "notes.txt")
    touch(tmp_path / "E0" / "2325.csv")  # not a season code: 23 and 25 are not consecutive
    refs = discover(str(tmp_path))
    assert refs == [
        SourceRef(str(tmp_path / "E0" / "2324.csv"), "E0", "2324"),
        SourceRef(str(tmp_path / "E0" / "2325.csv")),
        SourceRef(str(tmp_path / "E0" / "9394.csv"), "E0", "9394"),
        SourceRef(str(tmp_path / "mirror" / "1920" / "SP1.csv"), "SP1", "1920"),
        SourceRef(str(tmp_path / "misc" / "fixtures.csv")),
    ]


def test_discover_a_single_file(tmp_path: Path) -> None:
    path = touch(tmp_path / "SC0" / "9900.csv")
    assert discover(str(path)) == [SourceRef(str(path), "SC0", "9900")]


@pytest.mark.parametrize(
    ("url", "div", "season"),
    [
        ("https://www.football-data.co.uk/mmz4281/2324/E0.csv", "E0", "2324"),
        ("http://127.0.0.1:8000/mmz4281/0001/SC0.csv?x=1", "SC0", "0001"),
        ("https://www.football-data.co.uk/fixtures.csv", None, None),
    ],
)
def test_discover_a_url_reads_division_and_season_from_it(url: str, div: str | None, season: str | None) -> None:
    assert discover(url) == [SourceRef(url, div, season)]


def test_discover_reports_what_was_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=re.escape(f"source not found: {tmp_path / 'nope'}")):
        discover(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=r"no \.csv files under the folder"):
        discover(str(tmp_path / "empty"))


def test_read_source_reads_files_and_names_missing_ones(tmp_path: Path) -> None:
    path = touch(tmp_path / "E0" / "2324.csv", b"\xef\xbb\xbfDiv\r\n")
    assert read_source(SourceRef(str(path)), timeout=1) == b"\xef\xbb\xbfDiv\r\n"
    with pytest.raises(SourceError, match=r"source file not found: .*gone\.csv"):
        read_source(SourceRef(str(tmp_path / "gone.csv")), timeout=1)


def test_sample_files_are_the_archive_files_byte_for_byte(sample_dir: Path) -> None:
    listed = dict(
        re.findall(r"\| `football-data/(\S+)` \| \d+ \| \S+ \| `([0-9a-f]{64})` \|", SAMPLE_README.read_text())
    )
    files = {p.relative_to(sample_dir).as_posix(): p for p in sample_dir.glob("*/*.csv")}
    assert len(files) == 20 and set(files) == set(listed)
    for name, path in files.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[name], name


def test_sample_checksums_match_the_archive_provenance(shared_data: Path, sample_dir: Path) -> None:
    with (shared_data / "SOURCES.csv").open(newline="") as handle:
        recorded = {row["file"]: row["sha256"] for row in csv.DictReader(handle)}
    for path in sorted(sample_dir.glob("*/*.csv")):
        name = f"football-data/{path.relative_to(sample_dir).as_posix()}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded[name], name


def test_the_whole_sample_discovers_reads_and_parses(sample_dir: Path) -> None:
    refs = discover(str(sample_dir))
    assert [(r.div, r.season) for r in refs][:4] == [("D1", "2021"), ("D1", "2122"), ("D1", "2223"), ("D1", "2324")]
    parsed = [
        parse_football_data(read_source(r, timeout=1), source=r.location, div=r.div, season=r.season) for r in refs
    ]
    assert sum(len(p.matches) for p in parsed) == 7230
    assert sum(p.rows_rejected for p in parsed) == 0


# ------------------------------------------------------------------------------------ over HTTP


class _Handler(BaseHTTPRequestHandler):
    """Serves the real E0 2023/24 file at the site's path, a redirect to it, a 404 and a slow answer.

    The slow answer is held until ``released`` is set (when the server closes), so it arrives after any client
    timeout however busy the machine, without a sleep racing that timeout.
    """

    body = b""
    released = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/mmz4281/2324/E0.csv":
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        elif self.path == "/old/2324/E0.csv":
            self.send_response(301)
            self.send_header("Location", "/mmz4281/2324/E0.csv")
            self.end_headers()
        elif self.path.startswith("/slow/"):
            self.released.wait(60)
            with contextlib.suppress(OSError):  # the client gave up waiting: that is the point
                self.send_response(200)
                self.end_headers()
        else:
            self.send_error(404, "Not Found")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # loopback must not go through a proxy
    released = threading.Event()
    handler = type(
        "Handler", (_Handler,), {"body": (sample_dir / "E0" / "2324.csv").read_bytes(), "released": released}
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        released.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_download_returns_the_file_bytes(server: str, sample_dir: Path) -> None:
    [ref] = discover(f"{server}/mmz4281/2324/E0.csv")
    assert (ref.div, ref.season) == ("E0", "2324")
    content = read_source(ref, timeout=5)
    assert content == (sample_dir / "E0" / "2324.csv").read_bytes()
    assert len(parse_football_data(content, source=ref.location, div=ref.div, season=ref.season).matches) == 380


def test_download_follows_redirects(server: str, sample_dir: Path) -> None:
    content = read_source(SourceRef(f"{server}/old/2324/E0.csv"), timeout=5)
    assert content == (sample_dir / "E0" / "2324.csv").read_bytes()


def test_download_http_error_names_the_url_and_status(server: str) -> None:
    url = f"{server}/mmz4281/2324/XX.csv"
    with pytest.raises(SourceError, match=re.escape(f"download of {url} failed: HTTP 404 Not Found")):
        read_source(SourceRef(url), timeout=5)


def test_download_timeout_is_a_source_error(server: str) -> None:
    url = f"{server}/slow/E0.csv"
    with pytest.raises(SourceError, match=re.escape(f"download of {url} timed out after 0.3 s")):
        read_source(SourceRef(url), timeout=0.3)


def test_unreachable_server_is_a_source_error() -> None:
    url = closed_port_url() + "/mmz4281/2324/E0.csv"  # bound by this process, never listening: refused
    with pytest.raises(SourceError, match=re.escape(f"download of {url} failed")):
        read_source(SourceRef(url), timeout=2)
