"""The demo's pieces that do not need Qt: the local web and its search, the cuttable proxy, the status file."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cadenas.demo import StatusFile, TcpProxy
from cadenas.demo_web import OUTSIDE_RESULT, DemoWeb, search


@pytest.fixture
def web():
    server = DemoWeb().start()
    yield server
    server.stop()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_search_finds_pages_with_every_word():
    assert [path for path, _ in search("licences BY-SA")] == ["/licences"]
    assert search("licences inexistant") == []
    assert search("") == []


def test_results_page_lists_matches_and_the_outside_result_the_kiosk_hides(web):
    status, page = get(f"{web.origin}/search?q=tableur")
    assert status == 200
    assert 'class="result-link" href="/tableur"' in page
    assert f'href="{OUTSIDE_RESULT[0]}"' in page
    assert get(f"{web.origin}/nope")[0] == 404
    rules = web.session_rules()
    assert rules["rules"][0]["pattern"] == web.origin and "{q}" in rules["search_url"]


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"pong"
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_proxy_relays_until_cut_and_again_after_restore():
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    proxy = TcpProxy(upstream.server_address[1])
    try:
        assert get(f"{proxy.url}/")[1] == "pong"
        proxy.cut()
        with pytest.raises((urllib.error.URLError, ConnectionError, socket.timeout)):
            urllib.request.urlopen(f"{proxy.url}/", timeout=2).read()
        proxy.restore()
        assert get(f"{proxy.url}/")[1] == "pong"
    finally:
        proxy.close()
        upstream.shutdown()
        upstream.server_close()


def test_status_file_reads_only_complete_lines(tmp_path):
    path = tmp_path / "s.jsonl"
    status = StatusFile(path)
    assert status.poll() == []
    path.write_text(json.dumps({"event": "a"}) + "\n" + '{"event": "b"', encoding="utf-8")
    assert [e["event"] for e in status.poll()] == ["a"]
    with path.open("a", encoding="utf-8") as out:
        out.write("}\n")
    assert [e["event"] for e in status.poll()] == ["b"]
    assert [e["event"] for e in status.events] == ["a", "b"]
