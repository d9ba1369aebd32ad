"""The kiosk window's browsing pane in a real QtWebEngine against real HTTP servers (kiosk.md K8, K17, K18).

A search server (S) serves results pages of the ``cadenas-demo`` engine of ``resources/search-engines.json``;
server A is allowed and server B blocked. The K17 filter must hide the results pointing at B, on the first
scan and for results added later (MutationObserver), and leave pages that are not results pages alone.
DOM state is read as JSON text (trap T5).
"""

from __future__ import annotations

import datetime as dt
import json
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEngineScript

from app.controller_model import Question
from app.resources import WEB, resources_root
from app.ui.window import KioskWindow
from app.web.bridge import Bridge
from app.web.view import ProfileOptions, RuleInterceptor, make_profile
from lockdown.policy import UrlPolicy, UrlRule
from tests.app.web.http_servers import HttpServer, html
from tests.app.web.page_js import evaluate

ENGINES: list[dict[str, Any]] = json.loads((resources_root() / "search-engines.json").read_text(encoding="utf-8"))[
    "engines"
]
_APPLICATION_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld.value  # where the K17 filter runs


@dataclass(frozen=True)
class Servers:
    search: HttpServer  # S
    allowed: HttpServer  # A
    blocked: HttpServer  # B


def _results(*servers_and_labels: tuple[HttpServer, str]) -> str:
    return "".join(
        f'<li class="result"><a class="result-link" href="{server.url("/p")}">{label}</a></li>'
        for server, label in servers_and_labels
    )


def _results_page(a: HttpServer, b: HttpServer) -> str:
    """The two results of the brief; ``addLater()`` appends two more the way a results page script would."""
    later = json.dumps(_results((b, "B2"), (a, "A2")))
    return f"""<!doctype html><html><head><title>Results</title></head><body>
<ul id="results">{_results((a, "A"), (b, "B"))}</ul>
<script>window.addLater = () => document.getElementById("results").insertAdjacentHTML("beforeend", {later});</script>
</body></html>"""


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    s, a, b = HttpServer(name="S"), HttpServer(name="A"), HttpServer(name="B")
    with s, a, b:
        s.routes["/search"] = html(_results_page(a, b))
        s.routes["/other"] = html(_results_page(a, b))  # the same markup, but not a results URL of any engine
        for server in (a, b):
            server.routes["/p"] = html(f"<title>{server.name}</title>page")
        yield Servers(s, a, b)


@pytest.fixture(autouse=True)
def _fresh_logs(servers: Servers) -> None:
    for server in (servers.search, servers.allowed, servers.blocked):
        server.clear()


class FakeLock:
    """The LockPresenter: records calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def show_lock(self, reasons: list[str]) -> None:
        self.calls.append(("show", reasons))

    def hide_lock(self) -> None:
        self.calls.append(("hide", None))


def _rule(action: str, server: HttpServer) -> UrlRule:
    return UrlRule(f"{action}-{server.name}", action, "simplified", f"127.0.0.1:{server.port}")


def _question(*, focused: bool) -> Question:
    return Question("challenge-1", 1, 20, {"focused": focused}, deadline=dt.datetime(2030, 1, 1))


@pytest.fixture
def window(qtbot, servers: Servers) -> Iterator[KioskWindow]:
    interceptor = RuleInterceptor(UrlPolicy([]), queue.SimpleQueue())
    profile = make_profile(ProfileOptions(), web_root=WEB, interceptor=interceptor)
    window = KioskWindow(profile, interceptor, Bridge(), FakeLock(), web_root=WEB, engines=ENGINES)
    window.interceptor.policy = UrlPolicy(
        [_rule("allow", servers.search), _rule("allow", servers.allowed), _rule("block", servers.blocked)],
        default="block",
    )
    window.resize(1024, 768)
    window.show()
    yield window
    window.close()
    shiboken6.delete(window)  # its pages first, then their profile
    shiboken6.delete(profile)


def js(qtbot, window: KioskWindow, expression: str, world: int = 0) -> Any:
    """``expression`` evaluated in the browsing page (main world by default), JSON-decoded (trap T5)."""
    return evaluate(qtbot, window.browse_page, expression, world=world)


def browse(qtbot, window: KioskWindow, url: str) -> None:
    """Open the pane on a free question and load ``url`` in it."""
    window.question = _question(focused=False)
    with qtbot.waitSignal(window.browse_page.loadFinished, timeout=10000) as start:
        assert window.open_browser() is True
    assert start.args == [True]  # the start page, loaded by open_browser
    with qtbot.waitSignal(window.browse_page.loadFinished, timeout=10000) as finished:
        window.browse_view.load(QUrl(url))
    assert finished.args == [True]


_RESULTS = """[...document.querySelectorAll("li.result")].map(li => ({
    label: li.textContent, hidden: li.hidden, mark: li.getAttribute("data-cadenas-hidden"),
    aria: li.getAttribute("aria-hidden")}))"""
_CHECKED = 'document.documentElement.getAttribute("data-cadenas-checked")'
_SHOWN = {"hidden": False, "mark": None, "aria": None}
_HIDDEN = {"hidden": True, "mark": "1", "aria": "true"}


def wait_checked(qtbot, window: KioskWindow, count: int) -> None:
    qtbot.waitUntil(lambda: js(qtbot, window, _CHECKED) == str(count), timeout=5000)


def test_blocked_results_are_hidden_and_allowed_ones_stay(qtbot, window, servers):
    browse(qtbot, window, servers.search.url("/search?q=x"))
    wait_checked(qtbot, window, 2)

    assert js(qtbot, window, _RESULTS) == [{"label": "A", **_SHOWN}, {"label": "B", **_HIDDEN}]
    assert window.stack.currentIndex() == 1
    assert servers.search.paths() == ["/search?q=x"]
    assert servers.blocked.requests() == servers.allowed.requests() == []  # judged by URL, nothing fetched


def test_results_added_later_are_filtered_too(qtbot, window, servers):
    browse(qtbot, window, servers.search.url("/search?q=x"))
    wait_checked(qtbot, window, 2)

    window.browse_page.runJavaScript("window.addLater()")
    wait_checked(qtbot, window, 4)  # the MutationObserver's scan

    assert js(qtbot, window, _RESULTS) == [
        {"label": "A", **_SHOWN},
        {"label": "B", **_HIDDEN},
        {"label": "B2", **_HIDDEN},
        {"label": "A2", **_SHOWN},
    ]


# In the filter's world: did the injected script run on this page (CADENAS_ENGINES), and did it open its
# QWebChannel (the transport's onmessage handler), which it does synchronously when the page is a results page?
_FILTER_STATE = "[typeof window.CADENAS_ENGINES, typeof qt.webChannelTransport.onmessage]"


def test_a_page_that_is_not_a_results_page_is_left_alone(qtbot, window, servers):
    browse(qtbot, window, servers.search.url("/search?q=x"))
    wait_checked(qtbot, window, 2)
    assert js(qtbot, window, _FILTER_STATE, _APPLICATION_WORLD) == ["object", "function"]  # control

    with qtbot.waitSignal(window.browse_page.loadFinished, timeout=10000):
        window.browse_view.load(QUrl(servers.search.url("/other?q=x")))

    # The filter ran on this page and decided, synchronously, not to engage...
    assert js(qtbot, window, _FILTER_STATE, _APPLICATION_WORLD) == ["object", "undefined"]
    # ...so the page is untouched.
    assert js(qtbot, window, _RESULTS) == [{"label": "A", **_SHOWN}, {"label": "B", **_SHOWN}]
    assert js(qtbot, window, _CHECKED) is None


def test_clicking_a_blocked_result_is_refused_with_the_banner(qtbot, window, servers):
    browse(qtbot, window, servers.search.url("/search?q=x"))
    wait_checked(qtbot, window, 2)
    assert window.banner.isHidden()

    # Hidden results are still links: a click goes through the navigation filter (K17: defence in depth).
    with (
        qtbot.waitSignal(window.browse_page.navigation_blocked, timeout=5000) as refused,
        qtbot.waitSignal(window.browse_page.loadFinished, timeout=5000) as finished,
    ):
        window.browse_page.runJavaScript(f"document.querySelector('a[href=\"{servers.blocked.url('/p')}\"]').click()")

    assert refused.args[0] == QUrl(servers.blocked.url("/p"))
    assert finished.args == [False]
    assert not window.banner.isHidden()
    assert window.banner.text() == "Cette page n'est pas autorisée pendant le test : 127.0.0.1"
    assert window.browse_view.url() == QUrl(servers.search.url("/search?q=x"))
    assert servers.blocked.requests() == []

    # An allowed result opens, and the banner goes away with the page change.
    with qtbot.waitSignal(window.browse_page.loadFinished, timeout=10000) as finished:
        window.browse_page.runJavaScript(f"document.querySelector('a[href=\"{servers.allowed.url('/p')}\"]').click()")
    assert finished.args == [True]
    assert servers.allowed.paths() == ["/p"]
    assert window.banner.isHidden()


def test_the_pane_does_not_open_on_a_focused_question(qtbot, window):
    assert window.open_browser() is False  # no question at all
    window.question = _question(focused=True)

    assert window.open_browser() is False
    assert window.stack.currentIndex() == 0
    assert window.browse_view.url().isEmpty()  # not even the start page was loaded


def test_the_pane_opens_on_its_start_page_for_a_free_question(qtbot, window):
    window.question = _question(focused=False)
    with qtbot.waitSignal(window.browse_page.loadFinished, timeout=10000) as start:
        assert window.open_browser() is True

    assert start.args == [True]
    assert window.stack.currentIndex() == 1
    assert window.browse_view.url() == QUrl("kiosk://app/start.html?lang=fr")

    window.close_browser()
    assert window.stack.currentIndex() == 0
