"""The browser side of the kiosk: the off-the-record profile, the URL filter, the exam and browsing pages.

* :func:`make_profile` applies the feature policy of kiosk.md K20 (no downloads but attachments, no
  spell-check unless the policy asks, no page clipboard, no PDF viewer, no permissions), installs the
  ``kiosk://`` handler and the request interceptor.
* :class:`RuleInterceptor` filters every sub-resource (K15, K16): a pure lookup in
  :class:`lockdown.policy.UrlPolicy`, no GUI call, no I/O; verdicts go to a queue the GUI thread drains.
  (K16 expects Chromium's IO thread; with Qt 6.12 it runs on the GUI thread, so it must stay cheap.)
* :class:`KioskPage` filters main-frame **and sub-frame** navigations (K8; sub-frames here too because
  QtWebEngine follows a sub-resource redirect before it asks the interceptor about the new URL, so an
  allowed page redirecting an ``<iframe>`` to a blocked host would reach it), denies popups (K7), uploads
  (K20) and permissions. Every refusal goes to the verdict queue (K19); blocked main frames also emit
  :attr:`KioskPage.navigation_blocked`; the refused navigation's ``loadFinished(False)`` is not an error
  (K9, trap T7).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import time
from pathlib import Path
from urllib.parse import urlencode

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

from app.qt_compat import emit
from app.web.scheme import ORIGIN, SCHEME, KioskSchemeHandler
from lockdown.policy import UrlPolicy, Verdict

logger = logging.getLogger(__name__)

_ResourceType = QWebEngineUrlRequestInfo.ResourceType
_NavigationType = QWebEnginePage.NavigationType


@dataclasses.dataclass(frozen=True)
class BlockedRequest:
    """A URL the filter refused (K19): what the GUI thread reports to the server and shows."""

    url: str
    rule_id: str | None
    reason: str
    resource_type: int
    main_frame: bool
    monotonic: float
    wall: float


#: At most this many URLs are judged per ``rules.check`` call (K17: one results page).
MAX_CHECKED_URLS = 500


def allowed_urls(policy: UrlPolicy, urls: list[object]) -> list[bool]:
    """K17's ``rules.check``: whether each URL may load (anything but a text is not allowed); the first 500."""
    return [isinstance(url, str) and policy.evaluate(url).allowed for url in urls[:MAX_CHECKED_URLS]]


def blocked_page(host: str, language: str) -> QUrl:
    """The kiosk page a blocked sub-frame shows (K18): ``kiosk://app/blocked.html?host=...&lang=...``."""
    return QUrl(f"{ORIGIN}/blocked.html?{urlencode({'host': host, 'lang': language})}")


class RuleInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request the policy refuses (no GUI call, no I/O, K16); a blocked sub-frame shows a kiosk page.

    ``policy`` may be replaced at any time by assigning :attr:`policy` (a reference swap, atomic in
    Python), e.g. when the session's rules arrive at sign-in; :attr:`language` is the blocked page's.
    """

    def __init__(self, policy: UrlPolicy, verdicts: queue.SimpleQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.policy = policy
        self.verdicts = verdicts
        self.enabled = True
        self.language = "fr"

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        """Block the request when the policy says so (a sub-frame is sent to the blocked page) and queue the verdict."""
        if not self.enabled:
            return
        url = info.requestUrl().toString()
        verdict: Verdict = self.policy.evaluate(url)
        if verdict.allowed:
            return
        kind = info.resourceType()
        if kind == _ResourceType.ResourceTypeSubFrame:
            info.redirect(blocked_page(info.requestUrl().host(), self.language))  # no request leaves
        else:
            info.block(True)
        self.verdicts.put(
            BlockedRequest(
                url=url,
                rule_id=verdict.rule_id,
                reason=verdict.reason,
                resource_type=int(kind.value),
                main_frame=kind == _ResourceType.ResourceTypeMainFrame,
                monotonic=time.monotonic(),
                wall=time.time(),
            )
        )


@dataclasses.dataclass(frozen=True)
class ProfileOptions:
    """The per-exam browser options (K20) a profile is built with."""

    spellcheck: bool = False
    clipboard: bool = False
    language: str = "fr"


def make_profile(
    options: ProfileOptions,
    *,
    web_root: Path,
    interceptor: RuleInterceptor,
    parent: QObject | None = None,
) -> QWebEngineProfile:
    """A fresh off-the-record profile with the kiosk's feature policy, scheme handler and URL filter."""
    profile = QWebEngineProfile(parent)  # no storage name: off the record, fresh per exam
    handler = KioskSchemeHandler(web_root, profile)
    profile.installUrlSchemeHandler(SCHEME, handler)
    profile.setUrlRequestInterceptor(interceptor)
    profile._kiosk_refs = (handler, interceptor)  # keep Python references (B5)
    profile.setSpellCheckEnabled(options.spellcheck)
    profile.setHttpAcceptLanguage("fr-FR,fr,en" if options.language == "fr" else "en,fr")
    profile.setPersistentPermissionsPolicy(QWebEngineProfile.PersistentPermissionsPolicy.StoreInMemory)
    profile.downloadRequested.connect(_refuse_download)
    settings = profile.settings()
    attribute = QWebEngineSettings.WebAttribute
    for name, value in (
        (attribute.JavascriptCanAccessClipboard, options.clipboard),
        (attribute.JavascriptCanPaste, options.clipboard),
        (attribute.JavascriptCanOpenWindows, False),
        (attribute.PdfViewerEnabled, False),
        (attribute.PluginsEnabled, False),
        (attribute.ScreenCaptureEnabled, False),
        (attribute.AllowWindowActivationFromJavaScript, False),
        (attribute.FullScreenSupportEnabled, False),
        (attribute.LocalContentCanAccessFileUrls, False),
        (attribute.LocalContentCanAccessRemoteUrls, False),
        (attribute.NavigateOnDropEnabled, False),
        (attribute.HyperlinkAuditingEnabled, False),
        (attribute.ErrorPageEnabled, False),
        (attribute.DnsPrefetchEnabled, False),
        (attribute.WebRTCPublicInterfacesOnly, True),
    ):
        settings.setAttribute(name, value)
    return profile


def _refuse_download(download: QWebEngineDownloadRequest) -> None:
    """No downloads through the browser (K20): attachments are fetched by the kiosk itself."""
    logger.info("download refused", extra={"event": "download_refused"})
    download.cancel()


class KioskPage(QWebEnginePage):
    """A page whose main-frame navigations go through ``policy`` (K8); no popups, uploads or permissions."""

    #: A refused main-frame navigation: the URL and the verdict.
    navigation_blocked = Signal(QUrl, object)

    def __init__(self, profile: QWebEngineProfile, interceptor: RuleInterceptor, parent: QObject | None = None):
        super().__init__(profile, parent)
        self.interceptor = interceptor
        self.permissionRequested.connect(self._deny_permission)

    def acceptNavigationRequest(self, url: QUrl, nav_type, is_main_frame: bool) -> bool:
        """Allow a navigation only when the URL rules allow it.

        Main frames are refused here. A sub-frame's first request is left to the interceptor, which sends it
        to the kiosk's blocked page (K18); a sub-frame *redirected* to a blocked URL is refused here, since Qt
        would follow the redirect before asking the interceptor.
        """
        if not self.interceptor.enabled:
            return True
        text = url.toString()
        verdict = self.interceptor.policy.evaluate(text)
        if verdict.allowed or (not is_main_frame and nav_type != _NavigationType.NavigationTypeRedirect):
            return True
        kind = _ResourceType.ResourceTypeMainFrame if is_main_frame else _ResourceType.ResourceTypeSubFrame
        self.interceptor.verdicts.put(
            BlockedRequest(
                url=text,
                rule_id=verdict.rule_id,
                reason=verdict.reason,
                resource_type=int(kind.value),
                main_frame=is_main_frame,
                monotonic=time.monotonic(),
                wall=time.time(),
            )
        )
        if is_main_frame:
            emit(self.navigation_blocked, url, verdict)
        return False

    def createWindow(self, _type):
        """No new windows (K7): ``window.open`` and ``target=_blank`` open nothing."""
        logger.info("new window refused", extra={"event": "window_refused"})
        return None

    def chooseFiles(self, _mode, _old, _accepted):
        """No uploads (K20)."""
        return []

    def javaScriptConsoleMessage(self, level, message: str, line: int, source: str) -> None:
        """Page console messages go to the log (never to a devtools console); errors as warnings."""
        error = level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel
        logger.log(
            logging.WARNING if error else logging.DEBUG,
            "page console: %s (%s:%d)",
            message,
            source,
            line,
            extra={"event": "page_console"},
        )

    @staticmethod
    def _deny_permission(permission: QWebEnginePermission) -> None:
        """Camera, microphone, geolocation, notifications... are all denied (K20)."""
        permission.deny()
