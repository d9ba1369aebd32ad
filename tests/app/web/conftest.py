"""A real QtWebEngine page on ``kiosk://app/`` with a recording bridge, for page tests (offscreen)."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QUrl
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineWidgets import QWebEngineView

from app.resources import WEB
from app.web.bridge import Bridge
from app.web.view import KioskPage, ProfileOptions, RuleInterceptor, make_profile
from lockdown.policy import UrlPolicy
from tests.app.web.page_js import evaluate, wait_for


class PageHarness:
    """One page with the ``kiosk`` bridge; every request the page makes is recorded in :attr:`calls`."""

    def __init__(self, qtbot, web_root=WEB) -> None:
        self.qtbot = qtbot
        self.calls: list[dict[str, Any]] = []
        self.replies: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {
            "ready": lambda _m: {"language": "fr", "languages": ["fr", "en"], "version": "test"},
            "rules.check": lambda m: {"verdicts": [True for _ in m.get("urls", [])]},
        }
        self.interceptor = RuleInterceptor(UrlPolicy([]), queue.SimpleQueue())
        self.profile = make_profile(ProfileOptions(), web_root=web_root, interceptor=self.interceptor)
        self.page = KioskPage(self.profile, self.interceptor)
        self.view = QWebEngineView()
        self.view.setPage(self.page)
        self.view.resize(1280, 900)
        self.bridge = _RecordingBridge(self)
        self.channel = QWebChannel(self.page)
        self.channel.registerObject("kiosk", self.bridge)
        self.page.setWebChannel(self.channel)

    def load(self, path: str = "index.html", *, wait_ready: bool = True) -> None:
        """Load ``kiosk://app/<path>`` and (by default) wait until the page called ``ready``."""
        self.bridge.page_reloading()
        with self.qtbot.waitSignal(self.page.loadFinished, timeout=15000) as load:
            self.page.load(QUrl(f"kiosk://app/{path}"))
        assert load.args == [True], f"kiosk://app/{path} did not load"
        if wait_ready:
            self.qtbot.waitUntil(lambda: self.bridge.ready, timeout=5000)

    def push(self, message: dict[str, Any]) -> None:
        """Send a kiosk → page message."""
        self.bridge.push(message)

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page and return its JSON-decoded value (trap T5)."""
        return evaluate(self.qtbot, self.page, expression)

    def wait_js(self, expression: str, timeout: int = 5000) -> None:
        """Wait until ``expression`` is truthy in the page."""
        wait_for(self.qtbot, self.page, expression, timeout)

    def ops(self) -> list[str]:
        """The ops the page called, in order."""
        return [call["op"] for call in self.calls]


class _RecordingBridge(Bridge):
    """Answers every op: records the message, replies with :attr:`PageHarness.replies` or ``{}``."""

    def __init__(self, harness: PageHarness) -> None:
        super().__init__({"ready": harness.replies["ready"]})
        self.harness = harness

    def dispatch(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        self.harness.calls.append(message)
        reply = self.harness.replies.get(op)
        return (reply(message) if reply else None) or {}


@pytest.fixture
def kiosk_page(qtbot):
    """A :class:`PageHarness` (call ``.load()``); closed after the test.

    View, page, then profile are deleted in that order: a profile released before its page (left to the
    garbage collector) crashes QtWebEngine in a later test.
    """
    harness = PageHarness(qtbot)
    yield harness
    harness.view.close()
    for qt_object in (harness.view, harness.page, harness.profile):
        shiboken6.delete(qt_object)
