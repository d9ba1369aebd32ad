"""The kiosk:// scheme and the bridge, in a real QtWebEngine page (offscreen)."""

from __future__ import annotations

import json
import queue

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWebChannel import QWebChannel

from app.web.bridge import Bridge, BridgeError, field
from app.web.view import KioskPage, ProfileOptions, RuleInterceptor, make_profile
from lockdown.policy import UrlPolicy
from tests.app.web.page_js import evaluate

PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>t</title>
<script src="qwebchannel.js"></script></head><body><p id="out">-</p>
<script>
window.got = [];
new QWebChannel(qt.webChannelTransport, ch => {
  const k = ch.objects.kiosk;
  k.pushed.connect(m => window.got.push(JSON.parse(m)));
  k.call(JSON.stringify({op: "ready"}), r => {
    window.readyReply = JSON.parse(r);
    k.call(JSON.stringify({op: "echo", text: "été"}), r2 => { window.echo = JSON.parse(r2); });
    k.call("not json", r3 => { window.bad = JSON.parse(r3); });
  });
});
</script></body></html>"""


@pytest.fixture
def web_root(tmp_path):
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.css").write_text("p{}", encoding="utf-8")
    return tmp_path


def test_page_and_bridge_exchange_json_both_ways_and_queue_until_ready(qtbot, web_root):
    interceptor = RuleInterceptor(UrlPolicy([]), queue.SimpleQueue())
    profile = make_profile(ProfileOptions(), web_root=web_root, interceptor=interceptor)
    page = KioskPage(profile, interceptor)
    bridge = Bridge({"echo": lambda m: {"echo": field(m, "text", str)}})
    channel = QWebChannel(page)
    channel.registerObject("kiosk", bridge)
    page.setWebChannel(channel)
    bridge.push({"type": "first"})  # before the page exists: queued
    bridge.push({"type": "second", "n": 2})
    with qtbot.waitSignal(page.loadFinished, timeout=15000) as load:
        page.load(QUrl("kiosk://app/index.html"))
    assert load.args == [True]
    qtbot.waitUntil(lambda: evaluate(qtbot, page, "window.echo || null") is not None, timeout=5000)
    assert evaluate(qtbot, page, "window.readyReply") == {"ok": True}
    assert evaluate(qtbot, page, "window.echo") == {"ok": True, "echo": "été"}
    assert evaluate(qtbot, page, "window.bad")["error"] == "bad_request"
    assert evaluate(qtbot, page, "window.got") == [{"type": "first"}, {"type": "second", "n": 2}]
    bridge.push({"type": "third"})  # ready: delivered at once
    qtbot.waitUntil(lambda: len(evaluate(qtbot, page, "window.got")) == 3, timeout=5000)


def test_bridge_refuses_unknown_ops_and_wrong_types(qapp):
    bridge = Bridge({"answer": lambda m: {"v": field(m, "value", (str, dict))}})
    assert json.loads(bridge.call(json.dumps({"op": "nope"}))) == {
        "ok": False,
        "error": "unknown_op",
        "message": "unknown operation 'nope'",
    }
    refused = json.loads(bridge.call(json.dumps({"op": "answer", "value": 3})))
    assert refused["error"] == "bad_request" and "value" in refused["message"]
    assert json.loads(bridge.call(json.dumps({"op": "answer", "value": "2"}))) == {"ok": True, "v": "2"}
    with pytest.raises(BridgeError, match="needs the field 'x'"):
        field({"op": "o"}, "x", str)
    with pytest.raises(BridgeError, match="wrong type"):
        field({"op": "o", "x": True}, "x", int)


def test_scheme_serves_only_files_under_its_root(qtbot, web_root, tmp_path_factory):
    secret = tmp_path_factory.mktemp("outside") / "secret.html"
    secret.write_text("<p>secret</p>", encoding="utf-8")
    from app.web.scheme import resolve

    assert resolve(web_root, "app", "/sub/x.css") == web_root / "sub" / "x.css"
    assert resolve(web_root, "app", "/../outside/secret.html") is None
    assert resolve(web_root, "other", "/index.html") is None
    assert resolve(web_root, "app", "/missing.html") is None
    assert resolve(web_root, "app", "/") is None
