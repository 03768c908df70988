"""A secured Chroma server for real: `chroma run` on 127.0.0.1 behind Caddy terminating TLS (a private CA) and
checking a bearer token; and a stalled (SIGSTOPped) server ending within CHROMA_TIMEOUT."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import ask
from assistant.config import Settings
from assistant.corpus import load_papers
from assistant.errors import StoreError
from assistant.indexing import ingest_papers
from assistant.store import PaperStore
from chroma_server import HOST, ChromaServer, free_port
from conftest import SEEDS_DIR
from processes import end_process

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "assistant"
TOKEN = "sentinel-token-7d1c0a55e9"  # must never appear in any message
CADDY = shutil.which("caddy")
DAFORMER = "daformer-improving-network-architectures-and-training-047533"

CADDYFILE = """{{
    admin off
    auto_https off
    storage file_system {storage}
}}
https://{host}:{port} {{
    tls {cert} {key}
    @token header Authorization "Bearer {token}"
    handle @token {{
        reverse_proxy {host}:{upstream}
    }}
    respond "missing or wrong token" 401
}}
"""


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def private_ca_and_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA, and a certificate it signed for 127.0.0.1: (ca.pem, cert.pem, key.pem)."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Test private CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "server.csr", "-subj", f"/CN={HOST}",
            cwd=folder)
    (folder / "ext.cnf").write_text(f"subjectAltName=IP:{HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "cert.pem", "-days", "2", "-extfile", "ext.cnf", cwd=folder)
    return folder / "ca.pem", folder / "cert.pem", folder / "key.pem"


class CaddyProxy:
    """`caddy run` with the Caddyfile above: TLS on a free port, the token checked, then `chroma run` behind it."""

    def __init__(self, folder: Path, upstream: int):
        self.folder = folder
        self.port = free_port()
        self.ca, cert, key = private_ca_and_certificate(folder)
        (folder / "Caddyfile").write_text(CADDYFILE.format(host=HOST, port=self.port, upstream=upstream, cert=cert, key=key,
                                                           token=TOKEN, storage=folder / "caddy-data"))
        self.log = folder / "caddy.log"
        self._process: subprocess.Popen | None = None

    def start(self) -> "CaddyProxy":
        env = dict(os.environ, HOME=str(self.folder), XDG_DATA_HOME=str(self.folder), XDG_CONFIG_HOME=str(self.folder))
        with self.log.open("ab") as log:
            self._process = subprocess.Popen([CADDY, "run", "--config", str(self.folder / "Caddyfile"), "--adapter", "caddyfile"],
                                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while not self._listening():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"caddy did not start on port {self.port}; see {self.log}")
            time.sleep(0.1)
        return self

    def _listening(self) -> bool:
        import socket

        with socket.socket() as probe:
            probe.settimeout(1)
            return probe.connect_ex((HOST, self.port)) == 0

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            end_process(process)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory):
    if CADDY is None:
        pytest.skip("caddy is not installed: `apt-get install caddy` (make setup does it when run as root) to run the "
                    "TLS + token proxy test")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test's private CA")
    with ChromaServer(tmp_path_factory.mktemp("secured") / "index") as chroma:
        running = CaddyProxy(tmp_path_factory.mktemp("caddy"), chroma.port).start()
        try:
            yield running
        finally:
            running.stop()


def secured(proxy: CaddyProxy, data_dir: Path, **options) -> Settings:
    values = {"chroma_ssl": True, "chroma_token": TOKEN, "chroma_ca_bundle": proxy.ca, **options}
    return Settings(_env_file=None, data_dir=data_dir, chroma_host=HOST, chroma_port=proxy.port, **values)


def test_the_right_token_over_verified_tls_ingests_and_answers(proxy, tmp_path):
    settings = secured(proxy, tmp_path / "data")
    papers = load_papers([SEEDS_DIR])[:7]

    report = ingest_papers(papers, settings)
    answer = ask("Where's the code for DAFormer?", settings=settings, llm=None)

    assert len(report.added) == len(papers) and PaperStore(settings).count_papers() == len(papers)
    assert DAFORMER in [c.paper_id for c in answer.citations]


@pytest.mark.parametrize("token,expected", [
    ("wrong-token-0000", "refused the token in CHROMA_TOKEN"),
    (None, "requires a token (HTTP 401) and CHROMA_TOKEN is not set"),
])
def test_a_wrong_or_missing_token_is_a_clear_error_that_never_shows_it(proxy, tmp_path, token, expected):
    settings = secured(proxy, tmp_path / "data", chroma_token=token)

    with pytest.raises(StoreError) as raised:
        PaperStore(settings).count_papers()

    assert expected in str(raised.value) and f"{HOST}:{proxy.port}" in str(raised.value)
    assert TOKEN not in str(raised.value) and (token is None or token not in str(raised.value))


def test_the_cli_with_a_wrong_token_prints_one_line_without_the_token(proxy, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CHROMA_HOST=HOST, CHROMA_PORT=str(proxy.port), CHROMA_SSL="true",
               CHROMA_CA_BUNDLE=str(proxy.ca), CHROMA_TOKEN="wrong-" + TOKEN, ASSISTANT_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([str(CLI), "stats"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)

    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused the token in CHROMA_TOKEN" in lines[0]
    assert TOKEN not in done.stdout + done.stderr


def test_an_unknown_ca_says_set_the_ca_bundle(proxy, tmp_path):
    settings = secured(proxy, tmp_path / "data", chroma_ca_bundle=None)  # the system's CAs do not know the private one

    with pytest.raises(StoreError, match="could not be verified .* set CHROMA_CA_BUNDLE"):
        PaperStore(settings).count_papers()


def test_plain_http_to_the_tls_proxy_says_set_chroma_ssl(proxy, tmp_path):
    settings = secured(proxy, tmp_path / "data", chroma_ssl=False)

    with pytest.raises(StoreError, match="only accepts https. Set CHROMA_SSL=true"):
        PaperStore(settings).count_papers()


def test_a_stalled_server_ends_within_the_timeout_with_a_clear_error(tmp_path):
    server = ChromaServer(tmp_path / "index").start()
    try:
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", seeds_dir=SEEDS_DIR, chroma_host=HOST,
                            chroma_port=server.port, chroma_timeout=1.0)
        ingest_papers(load_papers([SEEDS_DIR])[:3], settings)
        first = ask("Where's the code for DAFormer?", settings=settings, llm=None)
        store = PaperStore(settings)

        server.pause()
        try:
            for attempt in (lambda: PaperStore(settings).count_papers(), store.count_papers,
                            lambda: ask("Where's the code for DAFormer?", settings=settings, llm=None)):
                with pytest.raises(StoreError) as raised:
                    attempt()
                message = str(raised.value)
                assert f"{HOST}:{server.port} did not answer within 1 s" in message and "paused" in message
        finally:
            server.resume()

        again = ask("Where's the code for DAFormer?", settings=settings, llm=None)
        assert again.text == first.text
    finally:
        server.stop()


def test_https_to_a_plain_http_server_says_unset_chroma_ssl(tmp_path):
    with ChromaServer(tmp_path / "index") as server:
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", chroma_host=HOST, chroma_port=server.port,
                            chroma_ssl=True)
        with pytest.raises(StoreError, match="does not speak https on that port. Unset CHROMA_SSL"):
            PaperStore(settings).count_papers()
