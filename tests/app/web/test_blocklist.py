"""The URL filter in a real QtWebEngine against real HTTP servers (kiosk.md K7-K9, K11, K14, K15, K18, K20).

What proves a block is the blocked server's request log: a mocked network cannot show that Chromium never
sent a request. Three servers on 127.0.0.1 stand for an allowed site (A), a blocked one (B) and an unlisted
one (C). Every "nothing arrived" assertion first waits for a positive sign that the browser has finished
trying (flags the page sets in its error handlers, the refused navigation's signals, the verdicts the
interceptor queued, a sentinel request that did arrive at an allowed server), then reads the log.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt, QUrl, QUrlQuery
from PySide6.QtWebEngineCore import QWebEngineDownloadRequest, QWebEnginePage, QWebEngineUrlRequestInfo
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication
from pytestqt import exceptions as qt_exceptions

from app.resources import WEB
from app.web.view import BlockedRequest, KioskPage, ProfileOptions, RuleInterceptor, make_profile
from lockdown.policy import UrlPolicy, UrlRule
from tests.app.web.http_servers import HttpServer, attachment, html, json_response, png, redirect, text
from tests.app.web.page_js import evaluate, wait_for

_Type = QWebEngineUrlRequestInfo.ResourceType
_Nav = QWebEnginePage.NavigationType
_State = QWebEngineDownloadRequest.DownloadState

# Shared by the test pages: `done(name)` records what settled; `window.settled` lists it.
_SETTLE = "<script>window.settled = []; function done(name) { window.settled.push(name); }</script>"


# --- servers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Servers:
    allowed: HttpServer  # A
    blocked: HttpServer  # B
    third: HttpServer  # C, in no rule


def _subresource_page(b: HttpServer) -> str:
    """A page of A loading one sub-resource of each kind from B; each failure handler calls done()."""
    return f"""<!doctype html><html><head><title>A</title>{_SETTLE}
<style>#bg {{ width: 40px; height: 40px; background: url("{b.url("/bg.png")}"); }}</style>
<script src="{b.url("/script.js")}" onerror="done('script')"></script></head><body>
<div id="bg"></div>
<img src="{b.url("/img.png")}" onerror="done('img')">
<img src="/own.png" onload="done('own-img')">
<iframe src="{b.url("/frame.html")}"></iframe>
<script>
fetch("{b.url("/fetch")}").then(() => done("fetch-ok"), () => done("fetch-failed"));
const ws = new WebSocket("ws://127.0.0.1:{b.port}/ws");
ws.onclose = (event) => done("ws-closed-" + event.code);
</script></body></html>"""


# Every other way a page loads something, each from B: the expected resource type of each path.
_MORE_KINDS = {
    "/prefetch": _Type.ResourceTypePrefetch,
    "/preload": _Type.ResourceTypeImage,
    "/icon": _Type.ResourceTypeFavicon,
    "/sheet.css": _Type.ResourceTypeStylesheet,
    "/import.css": _Type.ResourceTypeStylesheet,
    "/font.woff2": _Type.ResourceTypeFontResource,
    "/modulepreload.js": _Type.ResourceTypeScript,
    "/module.js": _Type.ResourceTypeScript,
    "/video.mp4": _Type.ResourceTypeMedia,
    "/audio.mp3": _Type.ResourceTypeMedia,
    "/object": _Type.ResourceTypeSubFrame,
    "/embed": _Type.ResourceTypeSubFrame,
    "/svg-image": _Type.ResourceTypeImage,
    "/new-image": _Type.ResourceTypeImage,
    "/beacon": _Type.ResourceTypePing,
    "/events": _Type.ResourceTypeXhr,
    "/xhr": _Type.ResourceTypeXhr,
    "/form": _Type.ResourceTypeSubFrame,
}


def _more_subresources_page(b: HttpServer) -> str:
    origin = b.origin
    return f"""<!doctype html><html><head><title>A</title>
<link rel="prefetch" href="{origin}/prefetch"><link rel="preload" as="image" href="{origin}/preload">
<link rel="icon" href="{origin}/icon"><link rel="stylesheet" href="{origin}/sheet.css">
<link rel="modulepreload" href="{origin}/modulepreload.js">
<style>@import url("{origin}/import.css");
@font-face {{ font-family: FromB; src: url("{origin}/font.woff2"); }} body {{ font-family: FromB; }}</style>
</head><body>text
<video src="{origin}/video.mp4"></video><audio src="{origin}/audio.mp3"></audio>
<object data="{origin}/object"></object><embed src="{origin}/embed">
<svg><image href="{origin}/svg-image"/></svg>
<iframe name="target"></iframe><form id="form" target="target" action="{origin}/form" method="post"></form>
<script>
navigator.sendBeacon("{origin}/beacon", "x");
new EventSource("{origin}/events");
import("{origin}/module.js").catch(() => {{}});
const xhr = new XMLHttpRequest(); xhr.open("GET", "{origin}/xhr"); xhr.send();
new Image().src = "{origin}/new-image";
document.getElementById("form").submit();
</script></body></html>"""


def _redirecting_subresources_page() -> str:
    """A page of A whose image, script and fetch() go to A routes that redirect to B."""
    return f"""<!doctype html><html><head><title>A</title>{_SETTLE}
<script src="/to-b-script" onerror="done('script')"></script></head><body>
<img src="/to-b-img" onerror="done('img')" onload="done('img-loaded')">
<script>fetch("/to-b-fetch").then(() => done("fetch-ok"), () => done("fetch-failed"));</script>
</body></html>"""


def _hop(kind: str, index: int) -> str:
    """A URL of A answering a 302 to ``/leak-<kind>-<index>`` on B."""
    return f"/hop?to=/leak-{kind}-{index}"


_BURST = 6  # loads per kind; each leaks about half the time on Qt 6.12, so all 24 staying put is ~1e-7


def _redirect_burst_page() -> str:
    """No-cors loads (images, scripts, style sheets, beacons) of A URLs that all redirect to B."""
    loads = "".join(
        f"<img src='{_hop('img', i)}'><script src='{_hop('script', i)}'></script>"
        f"<link rel='stylesheet' href='{_hop('css', i)}'>"
        for i in range(_BURST)
    )
    beacons = "".join(f"navigator.sendBeacon('{_hop('beacon', i)}', 'x');" for i in range(_BURST))
    return f"<!doctype html><title>A</title><body>{loads}<script>{beacons}</script></body>"


_FRAMES = 12  # sub-frames leak a little more often than half the time: all 12 staying put is ~1e-5


def _frame_burst_page() -> str:
    return "<!doctype html><title>A</title><body>" + "".join(
        f"<iframe src='{_hop('frame', i)}'></iframe>" for i in range(_FRAMES)
    )


def _third_party_page(c: HttpServer) -> str:
    return f"""<!doctype html><html><head><title>A</title>{_SETTLE}</head><body>
<img src="{c.url("/img.png")}" onerror="done('img')">
<script>fetch("{c.url("/fetch")}").then(() => done("fetch-ok"), () => done("fetch-failed"));</script>
</body></html>"""


def _websocket_page(b: HttpServer) -> str:
    return f"""<!doctype html><html><head><title>A</title>{_SETTLE}</head><body><script>
const ws = new WebSocket("ws://127.0.0.1:{b.port}/ws");
ws.onopen = () => done("ws-open");
ws.onclose = (event) => done("ws-closed");
</script></body></html>"""


# Pages for a real mouse click: `framed` once a frame was painted (input before it may be dropped), `pressed`
# counts the mouse presses that reached the page.
_CLICKABLE = """<script>
requestAnimationFrame(() => requestAnimationFrame(() => { window.framed = true; }));
window.pressed = 0; document.addEventListener("mousedown", () => { window.pressed += 1; });
</script>"""
_POPUP_LINK = f"""<!doctype html><title>A</title>{_CLICKABLE}<body style="margin:0">
<a id="pop" href="/popup-link" target="_blank" style="display:block;width:100%;height:400px">popup</a></body>"""
_POPUP_OPEN = f"""<!doctype html><title>A</title>{_CLICKABLE}<body style="margin:0">
<div id="pop" onclick="window.popup = window.open('/popup-open')" style="width:100%;height:400px">popup</div></body>"""


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    a, b, c = HttpServer(name="A"), HttpServer(name="B"), HttpServer(name="C")
    with a, b, c:
        for server in (b, c):
            server.routes.update(
                {
                    "/": html("<title>B</title>blocked"),
                    "/img.png": png(),
                    "/redirected.png": png(),
                    "/redirected-fetch": json_response({"from": server.name}),
                    "/bg.png": png(),
                    "/script.js": text("window.fromB = true;", "text/javascript"),
                    "/frame.html": html("frame"),
                    "/fetch": json_response({"from": server.name}),
                    "/target": html("target"),
                }
            )
        a.routes.update(
            {
                "/": html(f"<!doctype html><title>A</title>{_SETTLE}<a id='to-b' href='{b.url('/')}'>B</a>"),
                "/other": html("<!doctype html><title>A2</title>other"),
                "/own.png": png(),
                "/sentinel": json_response({"ok": True}),
                "/subresources": html(_subresource_page(b)),
                "/more-subresources": html(_more_subresources_page(b)),
                "/redirecting-subresources": html(_redirecting_subresources_page()),
                "/to-b-img": redirect(b.url("/redirected.png")),
                "/to-b-script": redirect(b.url("/script.js")),
                "/to-b-fetch": redirect(b.url("/redirected-fetch")),
                "/hop": lambda request: redirect(b.url(parse_qs(urlsplit(request.path).query)["to"][0])),
                "/redirect-burst": html(_redirect_burst_page()),
                "/frame-burst": html(_frame_burst_page()),
                "/to-b": redirect(b.url("/target")),
                "/third-party": html(_third_party_page(c)),
                "/websocket": html(_websocket_page(b)),
                "/popup-link-page": html(_POPUP_LINK),
                "/popup-open-page": html(_POPUP_OPEN),
                "/popup-link": html("popup"),
                "/popup-open": html("popup"),
                "/popup-script": html("popup"),
                "/downloads": html("<!doctype html><title>A</title><a id='file' href='/file.bin'>file</a>"),
                "/file.bin": attachment("answers.bin", b"\x00" * 4096),
            }
        )
        yield Servers(a, b, c)


@pytest.fixture(autouse=True)
def _fresh_logs(servers: Servers) -> None:
    for server in (servers.allowed, servers.blocked, servers.third):
        server.clear()


def _hostport(server: HttpServer) -> str:
    return f"127.0.0.1:{server.port}"


def block(server: HttpServer, scheme: str = "") -> UrlRule:
    """A scheme-less rule blocks every scheme (http, ws...) on that host and port."""
    return UrlRule(f"block-{server.name}", "block", "simplified", scheme + _hostport(server))


def allow(server: HttpServer) -> UrlRule:
    return UrlRule(f"allow-{server.name}", "allow", "simplified", _hostport(server))


# --- the browser ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Navigation:
    url: str
    nav_type: Any
    main_frame: bool
    accepted: bool


class RecordingPage(KioskPage):
    """The kiosk's page, recording what reached acceptNavigationRequest and createWindow (and what they said)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.navigations: list[Navigation] = []
        self.windows_requested: list[tuple[Any, Any]] = []
        self.console: list[str] = []

    def acceptNavigationRequest(self, url, nav_type, is_main_frame):
        accepted = super().acceptNavigationRequest(url, nav_type, is_main_frame)
        self.navigations.append(Navigation(url.toString(), nav_type, is_main_frame, accepted))
        return accepted

    def createWindow(self, window_type):
        window = super().createWindow(window_type)
        self.windows_requested.append((window_type, window))
        return window

    def javaScriptConsoleMessage(self, level, message, line, source):
        self.console.append(message)
        super().javaScriptConsoleMessage(level, message, line, source)


class Browser:
    """One shown view on a fresh kiosk profile; :attr:`refused` lists the ``navigation_blocked`` emissions."""

    def __init__(self, qtbot, policy: UrlPolicy) -> None:
        self.qtbot = qtbot
        self.verdicts: queue.SimpleQueue = queue.SimpleQueue()
        self.blocked: list[BlockedRequest] = []
        self.interceptor = RuleInterceptor(policy, self.verdicts)
        self.profile = make_profile(ProfileOptions(), web_root=WEB, interceptor=self.interceptor)
        self.view = QWebEngineView()
        self.page = RecordingPage(self.profile, self.interceptor, self.view)
        self.view.setPage(self.page)
        self.view.resize(800, 600)
        self.view.show()  # CSS backgrounds and mouse clicks need a rendered view (offscreen)
        self.refused: list[tuple[str, Any]] = []
        self.page.navigation_blocked.connect(lambda url, verdict: self.refused.append((url.toString(), verdict)))

    def close(self) -> None:
        self.view.close()
        shiboken6.delete(self.view)  # the page is its child: gone before its profile
        shiboken6.delete(self.profile)

    def load(self, url: str) -> bool:
        """Load ``url`` in the main frame and return loadFinished's argument."""
        with self.qtbot.waitSignal(self.page.loadFinished, timeout=10000) as finished:
            self.page.load(QUrl(url))
        return finished.args[0]

    def js(self, expression: str) -> Any:
        """``expression`` evaluated in the page, JSON-decoded (trap T5)."""
        return evaluate(self.qtbot, self.page, expression)

    def wait_js(self, expression: str, timeout: int = 5000) -> None:
        wait_for(self.qtbot, self.page, expression, timeout)

    def settled(self) -> list[str]:
        return self.js("window.settled || []")

    def wait_settled(self, *names: str) -> None:
        """Wait until the page called ``done(name)`` for every name."""
        self.qtbot.waitUntil(lambda: set(names) <= set(self.settled()), timeout=5000)

    def drain(self) -> list[BlockedRequest]:
        """Every verdict queued so far (kept in :attr:`blocked`)."""
        while True:
            try:
                self.blocked.append(self.verdicts.get_nowait())
            except queue.Empty:
                return self.blocked

    def wait_blocked(self, *urls: str) -> None:
        """Wait until the interceptor queued a verdict for each URL."""
        self.qtbot.waitUntil(lambda: set(urls) <= {b.url for b in self.drain()}, timeout=5000)

    def sentinel(self, server: HttpServer) -> None:
        """A request the page sends to ``server`` after everything else; waits until the server has it."""
        self.page.runJavaScript(f"fetch('{server.url('/sentinel')}')")
        self.qtbot.waitUntil(lambda: server.received("/sentinel"), timeout=5000)


@pytest.fixture
def make_browser(qtbot) -> Iterator:
    made: list[Browser] = []

    def make(policy: UrlPolicy) -> Browser:
        made.append(Browser(qtbot, policy))
        return made[-1]

    yield make
    for browser in made:
        browser.close()


@pytest.fixture
def browser_blocking_b(make_browser, servers: Servers) -> Browser:
    """Default allow, one scheme-less block rule for B: whatever stops B here is that rule."""
    return make_browser(UrlPolicy([block(servers.blocked)], default="allow"))


@pytest.fixture
def browser_allowing_a(make_browser, servers: Servers) -> Browser:
    """The exam set-up: default block, an allow rule for A only."""
    return make_browser(UrlPolicy([allow(servers.allowed)], default="block"))


# --- K15: sub-resources --------------------------------------------------------------------------


def test_no_sub_resource_of_an_allowed_page_reaches_the_blocked_server(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/subresources")) is True
    # (A blocked iframe fires no load event: its verdict below is the sign it was tried.)
    browser.wait_settled("script", "img", "own-img", "fetch-failed", "ws-closed-1006")
    expected = {
        b.url("/script.js"): _Type.ResourceTypeScript,
        b.url("/img.png"): _Type.ResourceTypeImage,
        b.url("/bg.png"): _Type.ResourceTypeImage,  # the CSS url() background
        b.url("/frame.html"): _Type.ResourceTypeSubFrame,
        b.url("/fetch"): _Type.ResourceTypeXhr,
        f"ws://127.0.0.1:{b.port}/ws": _Type.ResourceTypeWebSocket,
    }
    browser.wait_blocked(*expected)
    browser.sentinel(a)

    assert b.requests() == []
    assert {"/subresources", "/own.png", "/sentinel"} <= set(a.paths())
    assert {v.url: v.resource_type for v in browser.blocked} == {url: kind.value for url, kind in expected.items()}
    assert all(not v.main_frame and v.rule_id == "block-B" and v.reason == "block_rule" for v in browser.blocked)
    assert browser.js("window.fromB || null") is None  # B's script never ran


def test_no_other_kind_of_sub_resource_reaches_the_blocked_server(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/more-subresources")) is True
    browser.wait_blocked(*(b.url(path) for path in _MORE_KINDS))
    browser.sentinel(a)

    assert b.requests() == []
    assert {v.url: v.resource_type for v in browser.blocked} == {
        b.url(path): kind.value for path, kind in _MORE_KINDS.items()
    }


def test_the_interceptor_judges_the_target_of_a_sub_resource_redirect(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/redirecting-subresources")) is True
    browser.wait_settled("script", "img", "fetch-failed")  # none of B's content reached the page
    browser.wait_blocked(b.url("/script.js"), b.url("/redirected.png"), b.url("/redirected-fetch"))

    assert {"/to-b-script", "/to-b-img", "/to-b-fetch"} <= set(a.paths())  # A answered its 302s
    assert {v.url: v.resource_type for v in browser.blocked} == {
        b.url("/script.js"): _Type.ResourceTypeScript.value,
        b.url("/redirected.png"): _Type.ResourceTypeImage.value,
        b.url("/redirected-fetch"): _Type.ResourceTypeXhr.value,
    }
    assert browser.js("window.fromB || null") is None
    # Whether B saw the redirected requests is the next two tests' business (it does, at random).


_REDIRECT_LEAK = (
    "Security finding (QtWebEngine): on a redirect, Qt's InterceptedRequest::FollowRedirect "
    "(src/core/net/proxying_url_loader_factory_qt.cpp) forwards FollowRedirect to the network service first and "
    "runs the request interceptor on the new URL only afterwards; block(True) then fails the load for the page, "
    "but the request to the blocked host has often already been sent. Measured on Qt 6.12: about half of the "
    "redirected no-cors loads (img, script, link stylesheet, sendBeacon, fetch no-cors, iframe) reach the blocked "
    "server; cors-mode fetch() 0/45 and main-frame redirects (refused by acceptNavigationRequest) 0/20."
)


def _wait_judged(browser: Browser, server: HttpServer, routes: list[str]) -> None:
    """Wait until every ``route`` of ``server`` was judged: a verdict queued or a refused navigation recorded."""

    def judged() -> bool:
        seen = {v.url for v in browser.drain()}
        seen |= {n.url for n in browser.page.navigations if not n.accepted}
        return {server.url(route) for route in routes} <= seen

    browser.qtbot.waitUntil(judged, timeout=10000)


@pytest.mark.xfail(strict=True, reason=_REDIRECT_LEAK)
def test_no_cors_loads_redirected_to_the_blocked_server_never_reach_it(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/redirect-burst")) is True
    kinds = ("img", "script", "css", "beacon")
    _wait_judged(browser, b, [f"/leak-{kind}-{i}" for kind in kinds for i in range(_BURST)])
    browser.sentinel(a)

    assert len([p for p in a.paths() if p.startswith("/hop?")]) == len(kinds) * _BURST
    assert b.paths() == []


def test_sub_frames_redirected_to_the_blocked_server_never_reach_it(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/frame-burst")) is True
    _wait_judged(browser, b, [f"/leak-frame-{i}" for i in range(_FRAMES)])
    browser.sentinel(a)

    assert b.paths() == []


def test_websockets_are_seen_and_blocked_by_the_interceptor(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/websocket")) is True
    browser.wait_settled("ws-closed")
    browser.sentinel(a)

    assert "ws-open" not in browser.settled()
    assert not any(r.is_websocket for r in b.requests())
    assert [(v.url, v.resource_type) for v in browser.drain()] == [
        (f"ws://127.0.0.1:{b.port}/ws", _Type.ResourceTypeWebSocket.value)
    ]


@pytest.mark.xfail(
    strict=True,
    reason="Security finding: a simplified rule's scheme must match literally (K12), so a block rule written "
    "'http://host:port' does not match 'ws://host:port/...'. Under default allow (log-only mode, outside exams) "
    "the page's WebSocket upgrade GET reaches the blocked server. Scheme-less rules ('host:port') cover both.",
)
def test_a_block_rule_written_for_http_also_keeps_websockets_out(make_browser, servers):
    a, b = servers.allowed, servers.blocked
    browser = make_browser(UrlPolicy([block(b, scheme="http://")], default="allow"))
    assert browser.load(a.url("/websocket")) is True
    browser.wait_settled("ws-closed")  # the test server answers an upgrade with 400: the socket closes either way

    assert not any(r.is_websocket for r in b.requests()), [r.path for r in b.requests()]


# --- K8, K9, K18: main frame ---------------------------------------------------------------------


def _refused_load(browser: Browser, trigger, *, expect_url: str) -> Any:
    """Run ``trigger`` and wait for the refusal: navigation_blocked, then loadFinished(False) (K9)."""
    with (
        browser.qtbot.waitSignal(browser.page.navigation_blocked, timeout=5000) as refused,
        browser.qtbot.waitSignal(browser.page.loadFinished, timeout=5000) as finished,
    ):
        trigger()
    assert refused.args[0] == QUrl(expect_url)
    assert finished.args == [False]
    return refused.args[1]


def test_loading_a_blocked_url_is_refused_and_the_page_stays(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/")) is True
    browser.js("window.marker = 'still here'")

    verdict = _refused_load(browser, lambda: browser.page.load(QUrl(b.url("/"))), expect_url=b.url("/"))

    assert (verdict.allowed, verdict.rule_id, verdict.reason) == (False, "block-B", "block_rule")
    assert browser.page.url() == QUrl(a.url("/"))
    assert browser.js("window.marker") == "still here"  # same document: no error page replaced it (K9)
    assert browser.page.navigations[-1] == Navigation(b.url("/"), _Nav.NavigationTypeTyped, True, False)
    assert b.requests() == []


@pytest.mark.parametrize(
    "script",
    [
        pytest.param("location.href = '{url}'", id="location-href"),
        pytest.param("document.getElementById('to-b').click()", id="link-click"),
    ],
)
def test_a_page_navigating_to_the_blocked_server_is_refused(browser_blocking_b, servers, script):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/")) is True
    browser.js("window.marker = 'still here'")

    _refused_load(browser, lambda: browser.page.runJavaScript(script.format(url=b.url("/"))), expect_url=b.url("/"))

    assert browser.page.navigations[-1] == Navigation(b.url("/"), _Nav.NavigationTypeLinkClicked, True, False)
    assert browser.page.url() == QUrl(a.url("/"))
    assert browser.js("window.marker") == "still here"
    assert b.requests() == []


def test_a_redirect_to_the_blocked_server_is_refused_by_accept_navigation_request(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/other")) is True

    _refused_load(browser, lambda: browser.page.load(QUrl(a.url("/to-b"))), expect_url=b.url("/target"))

    # The layer that refuses is acceptNavigationRequest, called again for the redirect's target, which
    # queues the block itself (the interceptor never sees the request)
    assert browser.page.navigations[-2:] == [
        Navigation(a.url("/to-b"), _Nav.NavigationTypeTyped, True, True),
        Navigation(b.url("/target"), _Nav.NavigationTypeRedirect, True, False),
    ]
    assert [(v.url, v.main_frame) for v in browser.drain()] == [(b.url("/target"), True)]
    assert "/to-b" in a.paths()
    assert b.requests() == []
    assert browser.page.url() == QUrl(a.url("/other"))


def test_a_refused_main_frame_navigation_is_queued_as_a_block_event(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/")) is True
    _refused_load(browser, lambda: browser.page.load(QUrl(b.url("/"))), expect_url=b.url("/"))

    assert [(v.url, v.main_frame, v.resource_type) for v in browser.drain()] == [
        (b.url("/"), True, _Type.ResourceTypeMainFrame.value)
    ]


def test_a_data_url_in_the_main_frame_is_refused_under_default_block(browser_allowing_a, servers):
    browser, a = browser_allowing_a, servers.allowed
    assert browser.load(a.url("/")) is True
    browser.js("window.marker = 'still here'")
    data_url = "data:text/html,<title>data</title>replaced"

    # Loaded by the kiosk (browser-initiated): the kiosk's filter refuses it (default block).
    verdict = _refused_load(browser, lambda: browser.page.load(QUrl(data_url)), expect_url=QUrl(data_url).toString())
    assert (verdict.allowed, verdict.reason) == (False, "default")

    # Navigated to by the page (renderer-initiated): Chromium refuses top-level data: navigations itself,
    # before acceptNavigationRequest; its console message is the sign it is done.
    calls = len(browser.page.navigations)
    browser.page.runJavaScript(f"location.href = '{data_url}'")
    browser.qtbot.waitUntil(lambda: any("data URL" in m for m in browser.page.console), timeout=5000)
    assert len(browser.page.navigations) == calls
    assert browser.page.url() == QUrl(a.url("/"))
    assert browser.page.title() == "A"
    assert browser.js("window.marker") == "still here"


_JS_URL = "javascript:void(document.title = 'ran')"


def test_a_javascript_url_runs_in_the_current_document_and_sends_nothing(browser_allowing_a, servers):
    """``javascript:`` URLs are not navigations for Chromium: the filter never sees them, the document stays."""
    browser, a = browser_allowing_a, servers.allowed
    assert browser.load(a.url("/")) is True
    calls = len(browser.page.navigations)

    browser.page.load(QUrl(_JS_URL))
    browser.qtbot.waitUntil(lambda: browser.page.title() == "ran", timeout=5000)
    browser.page.runJavaScript("location.href = \"javascript:void(document.title = 'ran again')\"")
    browser.qtbot.waitUntil(lambda: browser.page.title() == "ran again", timeout=5000)
    browser.sentinel(a)

    assert len(browser.page.navigations) == calls
    assert browser.refused == []
    assert browser.page.url() == QUrl(a.url("/"))
    assert a.paths() == ["/", "/sentinel"]


@pytest.mark.xfail(
    strict=True,
    reason="Chromium runs javascript: URLs (QWebEnginePage.load, location.href, links) in the current document "
    "without calling acceptNavigationRequest or the interceptor: the URL rules cannot refuse them (K8 expects a "
    "refusal under default block). No request leaves and the document's origin stays the same.",
)
def test_a_javascript_url_in_the_main_frame_is_refused_under_default_block(browser_allowing_a, servers):
    browser, a = browser_allowing_a, servers.allowed
    assert browser.load(a.url("/")) is True

    browser.page.load(QUrl(_JS_URL))
    browser.qtbot.waitUntil(lambda: browser.page.title() == "ran" or bool(browser.refused), timeout=5000)

    assert browser.refused and browser.refused[0][0].startswith("javascript:")
    assert browser.page.title() == "A"


# The same server B, spelled the ways Chromium canonicalises (K14): upper case, trailing dot, IPv4 as one
# decimal number, hexadecimal, shortened and octal forms.
_ALIASES = [
    pytest.param("HTTP://127.0.0.1:{port}/{path}", id="upper-case-scheme"),
    pytest.param("http://127.0.0.1.:{port}/{path}", id="trailing-dot"),
    pytest.param("http://2130706433:{port}/{path}", id="decimal"),
    pytest.param("http://0x7f.0.0.1:{port}/{path}", id="hexadecimal"),
    pytest.param("http://127.1:{port}/{path}", id="short"),
    pytest.param("http://0177.0.0.1:{port}/{path}", id="octal"),
]


@pytest.mark.parametrize("alias", _ALIASES)
def test_aliases_of_the_blocked_host_are_refused(browser_blocking_b, servers, alias):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/")) is True
    canonical = b.url("/typed")

    _refused_load(
        browser, lambda: browser.page.load(QUrl(alias.format(port=b.port, path="typed"))), expect_url=canonical
    )
    raw = alias.format(port=b.port, path="linked")
    _refused_load(browser, lambda: browser.page.runJavaScript(f"location.href = '{raw}'"), expect_url=b.url("/linked"))

    assert b.requests() == []


def test_the_aliases_do_reach_the_blocked_server_when_the_filter_is_off(browser_blocking_b, servers):
    """Control for the test above: each alias really is server B (so its refusal is the rule's doing)."""
    browser, b = browser_blocking_b, servers.blocked
    browser.interceptor.enabled = False
    for index, alias in enumerate(param.values[0] for param in _ALIASES):
        assert browser.load(alias.format(port=b.port, path=f"target?alias={index}")) is True
        assert b.received(f"/target?alias={index}"), alias


# --- K7: popups ----------------------------------------------------------------------------------


def test_window_open_from_a_script_opens_nothing(browser_blocking_b, servers):
    browser, a = browser_blocking_b, servers.allowed
    assert browser.load(a.url("/")) is True

    assert browser.js("window.open('/popup-script') === null") is True
    browser.sentinel(a)

    assert browser.page.windows_requested == []  # JavascriptCanOpenWindows is off: Chromium's popup blocker
    assert "/popup-script" not in a.paths()


def click(browser: Browser, position: QPoint) -> None:
    """A real mouse click on the page once it has painted; clicked again if the press did not reach the page."""
    browser.wait_js("window.framed")
    for _attempt in range(5):
        browser.qtbot.mouseClick(browser.view.focusProxy(), Qt.MouseButton.LeftButton, pos=position)
        try:
            browser.wait_js("window.pressed > 0", timeout=500)
        except qt_exceptions.TimeoutError:
            continue
        return
    raise AssertionError("the mouse click never reached the page")


@pytest.mark.parametrize("page_path", ["/popup-link-page", "/popup-open-page"], ids=["target-blank", "window-open"])
def test_a_clicked_popup_gets_no_window_and_sends_nothing(browser_blocking_b, servers, page_path):
    browser, a = browser_blocking_b, servers.allowed
    assert browser.load(a.url(page_path)) is True
    windows_before = set(QApplication.topLevelWidgets())

    # A real click: a user gesture lets the popup past Chromium's blocker, up to the kiosk's createWindow.
    click(browser, QPoint(50, 50))
    browser.qtbot.waitUntil(lambda: bool(browser.page.windows_requested), timeout=5000)
    browser.sentinel(a)

    assert browser.page.windows_requested == [(QWebEnginePage.WebWindowType.WebBrowserTab, None)]
    assert set(QApplication.topLevelWidgets()) == windows_before
    assert not {"/popup-link", "/popup-open"} & set(a.paths())
    assert browser.page.url() == QUrl(a.url(page_path))
    if page_path == "/popup-open-page":
        # The opener gets a Window object, already closed, that never left about:blank.
        assert browser.js("[window.popup.closed, window.popup.location.href]") == [True, "about:blank"]


# --- K11: default block and allow rules ----------------------------------------------------------


def test_under_default_block_an_unlisted_server_gets_nothing(browser_allowing_a, servers):
    browser, a, c = browser_allowing_a, servers.allowed, servers.third
    assert browser.load(a.url("/third-party")) is True
    browser.wait_settled("img", "fetch-failed")
    browser.wait_blocked(c.url("/img.png"), c.url("/fetch"))
    verdict = _refused_load(browser, lambda: browser.page.load(QUrl(c.url("/"))), expect_url=c.url("/"))

    assert (verdict.rule_id, verdict.reason) == (None, "default")
    assert {(v.rule_id, v.reason) for v in browser.blocked} == {(None, "default")}
    assert "/third-party" in a.paths()
    assert c.requests() == []


def test_without_its_allow_rule_the_allowed_server_gets_nothing(make_browser, servers):
    a = servers.allowed
    browser = make_browser(UrlPolicy([], default="block"))
    browser.page.load(QUrl("about:blank"))

    verdict = _refused_load(browser, lambda: browser.page.load(QUrl(a.url("/"))), expect_url=a.url("/"))
    assert (verdict.allowed, verdict.reason) == (False, "default")
    assert a.requests() == []

    # Control: the same browser, once the policy has the allow rule (a live policy swap), reaches A.
    browser.interceptor.policy = UrlPolicy([allow(a)], default="block")
    assert browser.load(a.url("/")) is True
    assert a.paths() == ["/"]


# --- K20: downloads ------------------------------------------------------------------------------


def test_an_attachment_link_downloads_nothing(browser_allowing_a, servers, tmp_path):
    browser, a = browser_allowing_a, servers.allowed
    browser.profile.setDownloadPath(str(tmp_path))
    seen: list[tuple[Any, bool, str]] = []
    downloads: list[QWebEngineDownloadRequest] = []

    def observe(download: QWebEngineDownloadRequest) -> None:  # connected after the kiosk's handler: runs after it
        seen.append((download.state(), download.isFinished(), download.downloadDirectory()))
        downloads.append(download)

    browser.profile.downloadRequested.connect(observe)
    assert browser.load(a.url("/downloads")) is True

    browser.page.runJavaScript("document.getElementById('file').click()")
    browser.qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    browser.qtbot.waitUntil(lambda: downloads[0].state() == _State.DownloadCancelled, timeout=5000)

    assert seen == [(_State.DownloadCancelled, True, str(tmp_path))]
    assert "/file.bin" in a.paths()  # the browser really got the attachment's response...
    assert list(tmp_path.iterdir()) == []  # ...and wrote nothing, not even a partial file
    assert browser.page.url() == QUrl(a.url("/downloads"))


def test_a_blocked_sub_frame_shows_the_kiosk_blocked_page_k18(browser_blocking_b, servers):
    browser, a, b = browser_blocking_b, servers.allowed, servers.blocked
    assert browser.load(a.url("/subresources")) is True

    def frame_urls() -> list[str]:
        return [frame.url().toString() for frame in browser.page.mainFrame().children()]

    browser.qtbot.waitUntil(lambda: any(u.startswith("kiosk://app/blocked.html") for u in frame_urls()), timeout=5000)
    (shown,) = [u for u in frame_urls() if u.startswith("kiosk://app/blocked.html")]
    assert QUrlQuery(QUrl(shown)).queryItemValue("host") == "127.0.0.1"
    assert QUrlQuery(QUrl(shown)).queryItemValue("lang") == "fr"
    assert b.requests() == []
