"""The kiosk's main window: the exam page, the browsing pane of free questions, and the View of the controller.

One frameless full-screen window (K7) holding two web views on the same filtered profile:

* the **exam view** on ``kiosk://app/index.html``, which talks to Python through the bridge;
* the **browsing pane** of a free question (green marker), opened from the question page on a start
  page; its results pages of known search engines are filtered (K17). It is closed, and cannot be
  opened, on a focused question (yellow marker).

:class:`KioskWindow` implements :class:`~app.controller_model.View` by pushing bridge messages
(``resources/web/README.md``); the lock screens are separate windows given by the composition root.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from PySide6.QtCore import QFile, QIODevice, QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineProfile, QWebEngineScript
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from app.controller_model import (
    MSG_WAIT_ALERT,
    MSG_WAIT_AUTHORISATION,
    MSG_WAIT_RESUME,
    Clock,
    PreflightReport,
    Question,
)
from app.qt_compat import emit
from app.sync.journal import utcnow
from app.web.bridge import Bridge
from app.web.scheme import ORIGIN
from app.web.view import KioskPage, RuleInterceptor, allowed_urls
from lockdown.policy import UrlPolicy

logger = logging.getLogger(__name__)

_WAIT_REASONS = {MSG_WAIT_AUTHORISATION: "authorisation", MSG_WAIT_RESUME: "resume", MSG_WAIT_ALERT: "alert"}
_TEXTS = {
    "fr": {
        "back": "Retour à la question",
        "previous": "Page précédente",
        "next": "Page suivante",
        "reload": "Recharger",
        "blocked": "Cette page n'est pas autorisée pendant le test : {host}",
        "pane": "Navigateur de la question",
    },
    "en": {
        "back": "Back to the question",
        "previous": "Previous page",
        "next": "Next page",
        "reload": "Reload",
        "blocked": "This page is not allowed during the test: {host}",
        "pane": "Browser of the question",
    },
}
#: Keys swallowed by the kiosk (K20, K21): devtools, print, view-source, save, new window, find bar.
_SWALLOWED = ("F12", "Ctrl+Shift+I", "Ctrl+Shift+J", "Ctrl+Shift+C", "Ctrl+P", "Ctrl+U", "Ctrl+S", "Ctrl+N", "F5")


class LockPresenter(Protocol):
    """The lock screens (one window per screen, :mod:`app.ui.lock`)."""

    def show_lock(self, reasons: list[str]) -> None:
        """Show (or update) the lock screens."""

    def hide_lock(self) -> None:
        """Remove them."""


class RulesObject(QObject):
    """The ``rules`` object of the browsing pane's isolated world: the K17 result filter asks it."""

    def __init__(self, policy: Callable[[], UrlPolicy], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._policy = policy

    @Slot(str, result=str)
    def check(self, request: str) -> str:
        """``["url", ...]`` → ``[allowed, ...]`` (JSON texts); anything malformed is not allowed."""
        try:
            urls = json.loads(request)
        except ValueError:
            return "[]"
        if not isinstance(urls, list):
            return "[]"
        return json.dumps(allowed_urls(self._policy(), urls))


def browsing_start_page(language: str, search_url: object = None) -> str:
    """The browsing pane's first page; with the session's ``search_url`` (http(s), with ``{q}``), a search form."""
    page = f"{ORIGIN}/start.html?lang={language}"
    if isinstance(search_url, str) and "{q}" in search_url and urlsplit(search_url).scheme in ("http", "https"):
        page += "&search=" + quote(search_url, safe="")
    return page


def _resource_text(path: str) -> str:
    source = QFile(path)
    if not source.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError(f"{path}: missing Qt resource")
    try:
        return bytes(source.readAll().data()).decode()
    finally:
        source.close()


def search_filter_script(web_root: Path, engines: list[dict[str, Any]]) -> QWebEngineScript:
    """The K17 filter injected in the browsing pane: qwebchannel.js + the filter, in an isolated world."""
    filter_js = (web_root / "search-filter.js").read_text(encoding="utf-8")
    script = QWebEngineScript()
    script.setName("cadenas-search-filter")
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentReady)
    script.setWorldId(QWebEngineScript.ScriptWorldId.ApplicationWorld)
    script.setRunsOnSubFrames(False)
    script.setSourceCode(
        _resource_text(":/qtwebchannel/qwebchannel.js")
        + f"\nwindow.CADENAS_ENGINES = {json.dumps(engines)};\n"
        + filter_js
    )
    return script


class KioskWindow(QWidget):
    """The main window and the controller's View (see the module docstring).

    Parameters
    ----------
    profile, interceptor
        The filtered profile and its interceptor (its :attr:`~RuleInterceptor.policy` is the live policy).
    bridge
        The page bridge; its handlers are set by the composition root.
    lock
        The lock screens.
    language
        ``"fr"`` or ``"en"`` for the Qt-side texts (the pages translate themselves).
    start_page
        The browsing pane's first page.
    engines
        The K17 search engine descriptions.
    clock
        The wall clock, naive UTC (the question's deadlines are on it).
    """

    #: The window got the controller's quit instruction.
    quit_requested = Signal()

    def __init__(
        self,
        profile: QWebEngineProfile,
        interceptor: RuleInterceptor,
        bridge: Bridge,
        lock: LockPresenter,
        *,
        web_root: Path,
        language: str = "fr",
        start_page: str | None = None,
        engines: list[dict[str, Any]] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Cadenas")
        self.setAccessibleName("Cadenas — test de compétences numériques")
        self.bridge, self.lock, self.interceptor, self.language = bridge, lock, interceptor, language
        self.question: Question | None = None
        self.clock = clock
        self.start_page = start_page or browsing_start_page(language)

        self.exam_page = KioskPage(profile, interceptor, self)
        self.exam_view = self._web_view(self.exam_page)
        self.channel = QWebChannel(self.exam_page)
        self.channel.registerObject("kiosk", bridge)
        self.exam_page.setWebChannel(self.channel)
        self.exam_page.loadStarted.connect(bridge.page_reloading)
        self.exam_page.navigation_blocked.connect(self._exam_navigation_blocked)

        self.browse_page = KioskPage(profile, interceptor, self)
        self.browse_view = self._web_view(self.browse_page)
        self.rules = RulesObject(lambda: self.interceptor.policy, self)
        self.browse_channel = QWebChannel(self.browse_page)
        self.browse_channel.registerObject("rules", self.rules)
        self.browse_page.setWebChannel(self.browse_channel, QWebEngineScript.ScriptWorldId.ApplicationWorld)
        self.filter_script = search_filter_script(web_root, engines or [])
        self.browse_page.scripts().insert(self.filter_script)
        self.browse_page.loadFinished.connect(self._filter_again)
        self.browse_page.navigation_blocked.connect(self._browse_navigation_blocked)
        self.browse_page.urlChanged.connect(lambda _url: self.banner.hide())

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.exam_view)
        self.stack.addWidget(self._browse_pane())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._shortcuts()

    # --- construction ------------------------------------------------------------------------

    def _web_view(self, page: KioskPage) -> QWebEngineView:
        view = QWebEngineView(self)
        view.setPage(page)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)  # K20
        return view

    def _browse_pane(self) -> QWidget:
        texts = _TEXTS[self.language]
        pane = QWidget(self)
        pane.setAccessibleName(texts["pane"])
        bar = QHBoxLayout()
        self.back_button = QPushButton(texts["back"], pane)
        self.back_button.clicked.connect(self.close_browser)
        previous, following, reload = (QPushButton(texts[k], pane) for k in ("previous", "next", "reload"))
        previous.clicked.connect(self.browse_view.back)
        following.clicked.connect(self.browse_view.forward)
        reload.clicked.connect(self.browse_view.reload)  # K22: a kiosk-owned reload
        for button in (self.back_button, previous, following, reload):
            button.setAccessibleName(button.text())
            bar.addWidget(button)
        bar.addStretch(1)
        self.banner = QLabel(pane)
        self.banner.setAccessibleName("alerte")
        self.banner.setStyleSheet("background:#fff3cd;color:#3d2c00;padding:6px;font-weight:bold")
        self.banner.hide()
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(bar)
        column.addWidget(self.banner)
        column.addWidget(self.browse_view)
        return pane

    def _shortcuts(self) -> None:
        for key in _SWALLOWED:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda key=key: logger.info("key swallowed", extra={"event": "key", "key": key}))
        for key, step in (("Ctrl++", 0.1), ("Ctrl+=", 0.1), ("Ctrl+-", -0.1), ("Ctrl+0", None)):  # K21
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(lambda step=step: self.zoom(step))

    def load(self) -> None:
        """Load the candidate page."""
        self.exam_view.load(QUrl(f"{ORIGIN}/index.html?lang={self.language}"))

    def zoom(self, step: float | None) -> None:
        """Zoom both views (K21): ``step`` added to the factor (0.5-3), or None to reset."""
        factor = 1.0 if step is None else min(3.0, max(0.5, self.exam_view.zoomFactor() + step))
        self.exam_view.setZoomFactor(factor)
        self.browse_view.setZoomFactor(factor)

    # --- browsing pane -----------------------------------------------------------------------

    def open_browser(self) -> bool:
        """Show the browsing pane on its start page (free questions only); False when refused."""
        if self.question is None or self.question.focused:
            return False
        if self.browse_view.url().isEmpty() or self.browse_view.url() == QUrl("about:blank"):
            self.browse_view.load(QUrl(self.start_page))
        self.stack.setCurrentIndex(1)
        self.bridge.push({"type": "browser", "open": True})
        return True

    def close_browser(self) -> None:
        """Back to the question."""
        self.stack.setCurrentIndex(0)
        self.exam_view.setFocus()
        self.bridge.push({"type": "browser", "open": False})

    def _reset_browser(self) -> None:
        """Close the pane and forget what was browsed (a new question starts on the start page again)."""
        if self.stack.currentIndex() != 0:
            self.close_browser()
        url = self.browse_view.url()
        if not url.isEmpty() and url != QUrl("about:blank"):
            self.browse_view.setUrl(QUrl("about:blank"))
            self.browse_view.history().clear()

    def _filter_again(self, ok: bool) -> None:
        """Run the K17 filter again once the page loaded (it runs once per document; see search-filter.js)."""
        if ok and self.browse_page.url().scheme() in ("http", "https"):
            self.browse_page.runJavaScript(
                self.filter_script.sourceCode(), QWebEngineScript.ScriptWorldId.ApplicationWorld.value
            )

    def _exam_navigation_blocked(self, url: QUrl, _verdict: Any) -> None:
        self.bridge.push({"type": "blocked", "host": url.host() or urlsplit(url.toString()).scheme})

    def _browse_navigation_blocked(self, url: QUrl, _verdict: Any) -> None:
        self.banner.setText(_TEXTS[self.language]["blocked"].format(host=url.host() or url.scheme()))
        self.banner.show()

    # --- View --------------------------------------------------------------------------------

    def show_preflight(self, report: PreflightReport) -> None:
        """Pre-flight results."""
        self.bridge.push(
            {"type": "preflight", "ok": report.ok, "problems": list(report.problems), "versions": report.versions}
        )

    def show_sign_in(self, error: str | None = None, *, resuming: bool = False) -> None:
        """The sign-in form."""
        self._leave_question()
        self.bridge.push({"type": "sign_in", "error": error, "resuming": resuming})

    def show_waiting(self, message: str) -> None:
        """A waiting room."""
        self._leave_question()
        self.bridge.push({"type": "waiting", "reason": _WAIT_REASONS.get(message, "authorisation"), "message": message})

    def show_instructions(self) -> None:
        """The instructions and rules."""
        self.bridge.push({"type": "instructions"})

    def show_question(self, question: Question) -> None:
        """A question; a new question closes and clears the browsing pane."""
        if self.question is None or self.question.challenge_id != question.challenge_id or question.focused:
            self._reset_browser()
        self.question = question
        now = self.clock()
        timer = question.timer_deadline
        self.bridge.push(
            {
                "type": "question",
                "number": question.number,
                "count": question.count,
                "seconds_left": question.seconds_left(now),
                "timer_seconds_left": None if timer is None else max(0, int((timer - now).total_seconds())),
                "challenge": question.challenge,
            }
        )

    def show_time_left(self, seconds: int) -> None:
        """The test's time left."""
        self.bridge.push({"type": "time_left", "seconds": seconds})

    def show_end(self) -> None:
        """The end screen."""
        self._leave_question()
        self.bridge.push({"type": "end"})

    def show_connection_lost(self, saved: bool = True) -> None:
        """The connection overlay."""
        self.bridge.push({"type": "connection", "state": "lost", "saved": saved})

    def hide_connection_lost(self) -> None:
        """Remove the connection overlay."""
        self.bridge.push({"type": "connection", "state": "ok", "saved": True})

    def show_technical_problem(self, code: str) -> None:
        """The technical problem screen."""
        self._leave_question()
        self.bridge.push({"type": "technical_problem", "code": code})

    def show_lock(self, reasons: list[str]) -> None:
        """The lock screens above everything, and a hint to the page."""
        self.lock.show_lock(reasons)
        self.bridge.push({"type": "locked", "locked": True})

    def hide_lock(self) -> None:
        """Remove the lock screens."""
        self.lock.hide_lock()
        self.bridge.push({"type": "locked", "locked": False})
        self.activateWindow()

    def show_focus_warning(self) -> None:
        """The focus-loss warning."""
        self.bridge.push({"type": "focus_warning"})

    def show_notice(self, message: str) -> None:
        """An invigilator's message."""
        self.bridge.push({"type": "notice", "message": message})

    def quit(self) -> None:
        """The invigilator's ``quit``."""
        emit(self.quit_requested)

    def _leave_question(self) -> None:
        if self.question is not None:
            self._reset_browser()
        self.question = None

