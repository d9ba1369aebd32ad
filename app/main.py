"""The kiosk's composition root (issue 6 §1): every object built from the configuration, wired by hand.

``python -m app [options]`` runs the UI process; ``cadenas kiosk`` is the launcher that scrubs the
environment first (:mod:`app.launcher`, kiosk.md K23). The configuration comes from the machine
policy then the command line (:mod:`app.config`); an invalid value shows a pre-flight error window
naming the setting and exits with :data:`EXIT_CONFIG`, never a traceback.

UI-process options (not settings; the launcher passes them):

``--platform NAME``   the Qt platform plugin (``xcb``, ``offscreen``), since ``QT_*`` variables are scrubbed;
``--windowed``        a normal window instead of full screen (development, demo on a desktop);
``--no-sandbox``      QtWebEngine as root (development and CI on Linux only; refused in exam strictness, K26);
``--autopilot FILE``  play a scripted candidate (``cadenas demo --auto`` and the crash tests; relaxed only).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import queue
import sys
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import PySide6.QtWebEngineWidgets  # noqa: F401  (loaded before any QApplication exists)
import shiboken6
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWebEngineCore import qWebEngineChromiumVersion
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget

from app.attachments import AttachmentError, find_attachment, save_attachment
from app.config import (
    POLICY_SOURCE,
    KioskConfig,
    KioskConfigError,
    chromium_flags,
    load_config,
)
from app.controller import SessionController
from app.controller_model import PreflightReport
from app.heartbeat import Heartbeat
from app.platform import platform_mechanisms
from app.policy_sources import default_policy_source
from app.resources import WEB, resources_root
from app.sync.client import KioskApiClient, SyncConfig, Syncer
from app.sync.device import Device, write_atomic
from app.sync.errors import SyncError
from app.sync.journal import CourseKey, Journal, utcnow
from app.tasks import QtTaskRunner
from app.ui.focus import FocusEvent, FocusWatcher
from app.ui.lock import LockScreens, LockWatchdog
from app.ui.window import KioskWindow, browsing_start_page
from app.unlock import UnlockGate, UnlockResult, UnlockSecretStore, online_verifier
from app.web.bridge import Bridge, BridgeError, field
from app.web.scheme import register_kiosk_scheme
from app.web.view import ProfileOptions, RuleInterceptor, allowed_urls, make_profile
from lockdown import preflight
from lockdown.operations import ClipboardGuardOperation, KeepAwakeOperation, OperationError, OperationStack
from lockdown.os import ClipboardPolicy
from lockdown.policy import ALLOW, BLOCK, UrlPolicy, UrlRule

register_kiosk_scheme()  # at import time, before any QApplication (trap T16)

logger = logging.getLogger(__name__)

#: Exit status of the UI when the configuration is invalid (the launcher does not restart it).
EXIT_CONFIG = 3
#: Exit status after the invigilator's ``quit`` or the end of the test (not restarted either).
EXIT_DONE = 0
#: Exit status when the lock screen wedged (K42): the launcher restarts the UI, which resumes locked.
EXIT_WEDGED = 75
#: The lock counter of the last lock, kept across restarts (the portal's one-time code is bound to it).
LOCK_COUNTER_FILE = "lock_counter"


@dataclasses.dataclass(frozen=True)
class UiOptions:
    """The UI-process options (see the module docstring)."""

    platform: str | None = None
    windowed: bool = False
    no_sandbox: bool = False
    autopilot: Path | None = None


def split_ui_options(argv: Sequence[str]) -> tuple[UiOptions, list[str]]:
    """The UI options of ``argv`` and the remaining arguments (settings, for :func:`app.config.load_config`)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--platform")
    parser.add_argument("--windowed", action="store_true")
    parser.add_argument("--no-sandbox", action="store_true")
    parser.add_argument("--autopilot", type=Path)
    known, rest = parser.parse_known_args(list(argv))
    return UiOptions(known.platform, known.windowed, known.no_sandbox, known.autopilot), rest


def session_policy(config: KioskConfig, session: dict[str, Any] | None) -> UrlPolicy:
    """The URL policy: the session's rules (server) merged with the machine's (K11, A4 "Rule sources").

    Before sign-in there is no session: only the machine rules apply, and the default blocks.
    """
    rules = (session or {}).get("url_rules") or {}
    server_rules = [UrlRule.from_mapping(rule) for rule in rules.get("rules", [])]
    permits = bool(rules.get("allow_local_additions")) and config.allow_local_additions
    default = rules.get("default", BLOCK)
    return UrlPolicy.merge(
        server_rules,
        config.url_rules,
        allow_local_additions=permits,
        default=default if default in (ALLOW, BLOCK) else BLOCK,
    )


def search_engines() -> list[dict[str, Any]]:
    """The K17 search engine descriptions (``resources/search-engines.json``)."""
    data = json.loads((resources_root() / "search-engines.json").read_text(encoding="utf-8"))
    return data["engines"]


def policy_extras(config: KioskConfig) -> tuple[int, ClipboardPolicy]:
    """``AllowedDisplays`` (K32, default 1) and ``ClipboardPolicy`` (K35) from the policy's pass-through values.

    The clipboard default is ``Allow``, not K57's ``Isolated``: "Isolated" clears the OS clipboard on every
    change, which without an in-page private clipboard would also break copy and paste inside the kiosk.

    Raises
    ------
    KioskConfigError
        A value that is not a positive whole number of displays, or not Allow, Block or Isolated.
    """
    raw_displays = config.passthrough.get("AllowedDisplays", 1)
    if isinstance(raw_displays, bool) or not str(raw_displays).strip().isdigit() or int(str(raw_displays)) < 1:
        raise KioskConfigError(
            "AllowedDisplays",
            POLICY_SOURCE,
            english=f"{raw_displays!r} is not a number of displays (1 or more)",
            french=f"{raw_displays!r} n'est pas un nombre d'écrans (1 ou plus)",
        )
    raw_clipboard = str(config.passthrough.get("ClipboardPolicy", "Allow"))
    try:
        clipboard = ClipboardPolicy(raw_clipboard)
    except ValueError:
        raise KioskConfigError(
            "ClipboardPolicy",
            POLICY_SOURCE,
            english=f"{raw_clipboard!r} is not one of Allow, Block, Isolated",
            french=f"{raw_clipboard!r} n'est pas l'une des valeurs Allow, Block, Isolated",
        ) from None
    return int(str(raw_displays)), clipboard


def kiosk_version() -> str:
    """The installed kiosk's version."""
    try:
        return version("cadenas")
    except PackageNotFoundError:
        return "dev"


class Kiosk:
    """Everything the UI process runs, built from ``config`` once the ``QApplication`` exists."""

    def __init__(self, config: KioskConfig, options: UiOptions, *, environ: dict[str, str] | None = None) -> None:
        self._allowed_displays, self.clipboard_policy = policy_extras(config)  # first: may raise KioskConfigError
        self.config, self.options = config, options
        self.environ = dict(os.environ if environ is None else environ)
        self.signing_lock = threading.Lock()
        self.device = Device(config.data_dir)
        self.journal = Journal(config.data_dir, marker_key=self.device.marker_key())
        # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s), so a signed
        # heartbeat is never sent on a connection the server is closing (its reply would be lost).
        self.http = httpx.Client(limits=httpx.Limits(keepalive_expiry=2.0))
        self.client = KioskApiClient(SyncConfig(base_url=config.server_url), self.http)
        self.syncer = Syncer(self.journal, self.client)
        self.runner = QtTaskRunner()
        self.mechanisms = platform_mechanisms()
        self.session: dict[str, Any] | None = None
        self.language = config.language

        self.verdicts: queue.SimpleQueue = queue.SimpleQueue()
        self.interceptor = RuleInterceptor(session_policy(config, None), self.verdicts)
        self.interceptor.language = config.language
        self.profile = make_profile(
            ProfileOptions(spellcheck=config.spellcheck, clipboard=config.clipboard, language=config.language),
            web_root=WEB,
            interceptor=self.interceptor,
        )
        self.bridge = Bridge()
        self.lock_screens = LockScreens(language=config.language)
        self.window = KioskWindow(
            self.profile,
            self.interceptor,
            self.bridge,
            self,  # the LockPresenter: counts the lock, then shows the lock screens
            web_root=WEB,
            language=config.language,
            engines=search_engines(),
        )
        self.controller = SessionController(
            self.window,
            self.client,
            self.syncer,
            self.journal,
            utcnow,
            self.runner,
            install_id=self.device.install_id,
            preflight=self.preflight,
            on_session=self._session_joined,
        )
        self.unlock_gate = UnlockGate(
            secret_store=UnlockSecretStore(config.data_dir, self.device.install_id),
            verify_online=online_verifier(self.client, self.device, self.signing_lock),
            lock_counter=self._saved_lock_counter(),
        )
        self.lock_screens.code_entered.connect(self._unlock_code_entered)
        self.lock_screens.raise_hand.connect(self._raise_hand)
        self.heartbeat = Heartbeat(
            self.syncer,
            self.device,
            self.runner,
            state=self._heartbeat_state,
            on_instruction=self.controller.instruction_received,
            signing_lock=self.signing_lock,
            on_reply=self.unlock_gate.on_heartbeat_reply,
        )
        self.focus = FocusWatcher(self.window, self._focus_changed)
        self.bridge.handlers.update(self._bridge_handlers())
        self.window.quit_requested.connect(QGuiApplication.instance().quit)
        self.mechanisms.displays.subscribe(self.displays_changed)
        self.displays = self.mechanisms.displays.active_displays()  # read on the GUI thread

        self.timers = []
        for seconds, slot in (
            (1.0, self.controller.tick),
            (float(config.heartbeat_seconds), self.heartbeat.beat),
            (0.25, self._drain_verdicts),
        ):
            timer = QTimer(self.window)
            timer.setInterval(int(seconds * 1000))
            timer.timeout.connect(slot)
            self.timers.append(timer)
        self.operations = OperationStack()
        self.watchdog = LockWatchdog(self._wedged)
        self.autopilot = None
        if options.autopilot is not None:
            from app.autopilot import Autopilot

            self.autopilot = Autopilot(self, options.autopilot)

    # --- start and stop ----------------------------------------------------------------------

    def start(self) -> None:
        """Show the window, load the page, start the flow, the timers and the lockdown operations."""
        if self.options.windowed:
            self.window.resize(1280, 900)
            self.window.show()
        else:
            self.window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
            self.window.showFullScreen()
        status = self.mechanisms.capture.protect(int(self.window.winId()))  # K30
        logger.info("capture protection: %s", status.value, extra={"event": "capture_protection"})
        self.operations.perform_all(
            [
                KeepAwakeOperation(self.mechanisms.keep_awake),
                ClipboardGuardOperation(self.mechanisms.clipboard, self.clipboard_policy),
            ]
        )
        self.watchdog.start()
        self.lock_screens.attach_watchdog(self.watchdog)
        self.window.load()
        self.controller.start()
        for timer in self.timers:
            timer.start()
        self.heartbeat.beat()

    def _wedged(self) -> None:
        """The lock screen stopped answering (watchdog thread): end the UI so the launcher restarts it locked."""
        logger.critical("lock screen wedged: restarting the kiosk UI", extra={"event": "lock_wedged"})
        os._exit(EXIT_WEDGED)

    def close(self) -> None:
        """Stop the timers, revert the lockdown operations, release files and sockets (the journal is on disk)."""
        self.watchdog.stop()
        try:
            self.operations.revert()
        except OperationError as exc:
            logger.error("lockdown not fully reverted: %s", exc, extra={"event": "lockdown_revert_failed"})
        for timer in self.timers:
            timer.stop()
        self.runner.close()
        self.http.close()
        self.journal.close()
        # The pages must go before their profile ("Release of profile requested but WebEnginePage still not
        # deleted"), and both before Python's finaliser tears objects down in any order.
        self.lock_screens.hide_lock()
        shiboken6.delete(self.window)
        shiboken6.delete(self.profile)

    # --- pre-flight (runs on a worker thread: no Qt calls) -----------------------------------

    def preflight(self) -> PreflightReport:
        """The K60 checks: environment, server and clock, journal disk space, screens, remote session / VM.

        Runs on a worker thread: the screens were read on the GUI thread (:attr:`displays`). A check that
        cannot run is a warning, never a false failure (K61); warnings are logged, failures block the start.
        """
        remote = self.mechanisms.remote
        displays = list(self.displays)
        results = preflight.run_checks(
            [
                preflight.Check("environment", lambda: preflight.check_environment(self.environ, sys.argv)),
                preflight.Check("server", lambda: preflight.check_server(self._server_time)),
                preflight.Check("journal_space", lambda: preflight.check_journal_space(self.config.data_dir)),
                preflight.Check("displays", lambda: preflight.check_displays(displays, self._allowed_displays)),
                preflight.Check(
                    "remote_vm", lambda: preflight.check_remote_vm(remote.remote_session(), remote.vm_signals())
                ),
            ]
        )
        for result in results:
            if result.status is not preflight.CheckStatus.OK:
                logger.warning("pre-flight %s: %s", result.id, result.status.value, extra={"event": "preflight"})
        english = self.language == "en"
        problems = tuple(r.message_en if english else r.message_fr for r in results if r.blocks_start)
        versions = {"kiosk": kiosk_version(), "qt": self._qt_versions()}
        return PreflightReport(ok=not problems, problems=problems, versions=versions)

    def _server_time(self) -> dt.datetime:
        """The server's clock (aware UTC), from its health probe."""
        return dt.datetime.fromisoformat(self.client.health()["time"])

    @staticmethod
    def _qt_versions() -> str:
        return f"PySide6 {pyside_version}, Chromium {qWebEngineChromiumVersion()}"

    # --- wiring --------------------------------------------------------------------------------

    def _bridge_handlers(self) -> dict[str, Any]:
        controller = self.controller

        def sign_in(m: dict[str, Any]) -> None:
            session_id = field(m, "session_id", int)
            birth = field(m, "birth_date", str)
            try:
                dt.date.fromisoformat(birth)
            except ValueError:
                raise BridgeError("bad_request", "birth_date must be YYYY-MM-DD") from None
            controller.sign_in(
                session_id, field(m, "access_code", str), field(m, "last_name", str), field(m, "first_name", str), birth
            )

        def open_browser(_m: dict[str, Any]) -> dict[str, Any]:
            if not self.window.open_browser():
                raise BridgeError("focused_question", "no browsing on a focused question")
            return {}

        def set_language(m: dict[str, Any]) -> dict[str, Any]:
            language = field(m, "language", str)
            if language not in ("fr", "en"):
                raise BridgeError("bad_request", "language must be fr or en")
            self.language = self.interceptor.language = language
            return {"language": language}

        return {
            "ready": lambda _m: {"language": self.language, "languages": ["fr", "en"], "version": kiosk_version()},
            "version": lambda _m: {"version": kiosk_version()},
            "isEnvironmentSecure": lambda _m: {"secure": not preflight.forbidden_variables(self.environ)},
            "set_language": set_language,
            "retry": lambda _m: controller.retry(),
            "sign_in": sign_in,
            "accept_rules": lambda _m: controller.accept_rules(),
            "answer": lambda m: controller.answer(field(m, "value", (str, dict))),
            "skip": lambda _m: controller.skip(),
            "report_problem": lambda _m: controller.report_problem(),
            "open_browser": open_browser,
            "close_browser": lambda _m: self.window.close_browser(),
            "open_attachment": lambda m: self._open_attachment(field(m, "name", str)),
            "blur": lambda _m: self.focus.page_hint("blur"),
            "focus": lambda _m: self.focus.page_hint("focus"),
            "rules.check": lambda m: {"verdicts": allowed_urls(self.interceptor.policy, field(m, "urls", list))},
        }

    def _session_joined(self, session: dict[str, Any]) -> None:
        """The session's URL rules replace the machine-only policy (the interceptor swaps references)."""
        self.session = session
        try:
            policy = session_policy(self.config, session)
        except (ValueError, TypeError, KeyError) as exc:
            logger.error("session URL rules refused", extra={"event": "session_rules_invalid", "error": str(exc)})
            return
        self.interceptor.policy = policy
        self.window.start_page = browsing_start_page(self.language, (session.get("url_rules") or {}).get("search_url"))
        self._event("rules_loaded", {"digest": policy.digest, "rules": len(policy.rules)})

    def _course(self) -> CourseKey | None:
        return self.controller.course

    def _event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Journal an event for the next heartbeat (K51); before sign-in it is only logged."""
        course = self._course()
        logger.info("kiosk event %s", kind, extra={"event": kind, **(data or {})})
        if course is None:
            return
        try:
            self.syncer.record_event(course, kind, data)
        except SyncError as exc:
            logger.error("event not journaled", extra={"event": "event_lost", "kind": kind, "error": str(exc)})

    def _focus_changed(self, event: FocusEvent) -> None:
        question = self.controller.question
        data = {"signal": event.signal, "challenge_id": question.challenge_id if question else None}
        self._event(f"focus_{event.kind}", data)
        if event.kind == "lost" and not self.controller.locked:
            self.controller.focus_lost(event.wall)

    def displays_changed(self, displays: list[Any]) -> None:
        """The screens changed (hot-plug): reported, and more than allowed during a course locks the kiosk (K32)."""
        self.displays = list(displays)
        self._event("displays_changed", {"screens": len(displays)})
        if len(displays) > self._allowed_displays and self.controller.course is not None:
            self.controller.lock(f"{len(displays)} écrans sont branchés : un seul est autorisé pendant le test.")

    def _drain_verdicts(self) -> None:
        """Report what the interceptor blocked (K19): rule, host, resource type; the full URL only by policy."""
        while True:
            try:
                blocked = self.verdicts.get_nowait()
            except queue.Empty:
                return
            data = {
                "rule_id": blocked.rule_id,
                "reason": blocked.reason,
                "host": urlsplit(blocked.url).hostname or "",
                "resource_type": blocked.resource_type,
                "main_frame": blocked.main_frame,
            }
            if self.config.log_full_urls:
                data["url"] = blocked.url
            self._event("url_blocked", data)

    def _heartbeat_state(self) -> dict[str, Any]:
        controller = self.controller
        question = controller.question
        return {
            "state": controller.state.value,
            "locked": controller.locked,
            "lock_counter": self.unlock_gate.lock_counter,
            "screens": len(self.displays),
            "question": question.challenge_id if question else None,
            "offline": controller.offline,
        }

    # --- lock and unlock (K42-K46) ------------------------------------------------------------

    def _saved_lock_counter(self) -> int:
        try:
            return int((self.config.data_dir / LOCK_COUNTER_FILE).read_text(encoding="ascii"))
        except FileNotFoundError:
            return 0
        except ValueError:
            logger.warning("lock counter file unreadable: starting from 0", extra={"event": "lock_counter_reset"})
            return 0

    def show_lock(self, reasons: list[str]) -> None:
        """A lock begins (or gets another reason): a new lock counter, persisted, then the lock screens."""
        if not self.lock_screens.is_locked:
            counter = self.unlock_gate.new_lock()
            write_atomic(self.config.data_dir / LOCK_COUNTER_FILE, str(counter).encode("ascii"))
            self._event("locked", {"lock_counter": counter, "reasons": reasons[-3:]})
        self.lock_screens.show_lock(reasons)

    def hide_lock(self) -> None:
        """The lock is lifted."""
        self.lock_screens.hide_lock()

    def _raise_hand(self) -> None:
        self._event("proctor_needed")
        self.lock_screens.show_hand_raised()

    def _unlock_code_entered(self, code: str) -> None:
        gate = self.unlock_gate

        def done(result: UnlockResult) -> None:
            self.lock_screens.show_result(result)
            # The server records the online checks itself (and rate-limits on them): journal the others.
            if result.event is not None and result.how != "online":
                self._event(result.event["kind"], result.event.get("data"))
            if result.accepted:
                self.controller.unlock(result.how)

        def failed(exc: BaseException) -> None:
            logger.error("unlock check failed", exc_info=exc, extra={"event": "unlock_check_error"})

        self.runner.run_in_background(lambda: gate.attempt(code), done, failed)

    def _open_attachment(self, name: str) -> dict[str, Any]:
        """Fetch a free question's file in the background, then open it with the machine's application."""
        question = self.controller.question
        try:
            attachment = find_attachment(question, name)
        except AttachmentError as exc:
            raise BridgeError(exc.code, str(exc)) from None

        def opened(path: Path) -> None:
            self._event("attachment_opened", {"challenge_id": question.challenge_id, "name": path.name})
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
                logger.warning("no application opened %s", path.name, extra={"event": "attachment_not_opened"})

        def failed(exc: BaseException) -> None:
            self.window.show_notice(f"Fichier indisponible : {exc}")

        fetch = lambda: save_attachment(self.client, self.config.data_dir, question, attachment)  # noqa: E731
        self.runner.run_in_background(fetch, opened, failed)
        return {}


class ConfigErrorWindow(QWidget):
    """The pre-flight error window of an invalid setting (K60): what is wrong and where, in French and English."""

    def __init__(self, error: KioskConfigError) -> None:
        super().__init__()
        self.setWindowTitle("Cadenas — configuration")
        self.title = QLabel(
            "Le kiosque ne peut pas démarrer : un réglage est invalide.\nThe kiosk cannot start: a setting is invalid."
        )
        self.detail = QLabel(f"{error.message('fr')}\n{error.message('en')}")
        self.detail.setWordWrap(True)
        self.detail.setAccessibleName("Détail / Detail")
        self.quit_button = QPushButton("Quitter / Quit")
        self.quit_button.setAccessibleName("Quitter / Quit")
        layout = QVBoxLayout(self)
        for widget in (self.title, self.detail, self.quit_button):
            layout.addWidget(widget)
        self.resize(800, 300)


def show_config_error(error: KioskConfigError) -> int:
    """Show :class:`ConfigErrorWindow` until it is closed (a QApplication exists); returns :data:`EXIT_CONFIG`."""
    window = ConfigErrorWindow(error)
    window.quit_button.clicked.connect(QApplication.instance().quit)
    window.show()
    window.quit_button.setFocus()
    logger.error("invalid configuration", extra={"event": "config_invalid", "setting": error.setting})
    QApplication.instance().exec()
    return EXIT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    """Run the kiosk UI; returns the process exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options, rest = split_ui_options(sys.argv[1:] if argv is None else argv)
    error: KioskConfigError | None = None
    config: KioskConfig | None = None
    flags: list[str] = []
    try:
        config = load_config(policy=default_policy_source(), argv=rest, environ=os.environ, platform=sys.platform)
        flags = chromium_flags(config, no_sandbox=options.no_sandbox)
        if options.autopilot is not None and config.strictness != "relaxed":
            raise KioskConfigError(
                "(arguments)",
                "command line",
                english="--autopilot is for development only (relaxed strictness)",
                french="--autopilot est réservé au développement (strictness relaxed)",
            )
    except KioskConfigError as exc:
        error = exc
        flags = ["--no-sandbox"] if options.no_sandbox and os.geteuid() == 0 else []

    qt_argv = ["cadenas-kiosk"] + (["-platform", options.platform] if options.platform else [])
    app = QApplication([*qt_argv, "--webEngineArgs", *flags])
    app.setApplicationName("Cadenas Kiosk")
    app.setQuitOnLastWindowClosed(False)
    if error is not None:
        return show_config_error(error)
    try:
        kiosk = Kiosk(config, options)
    except KioskConfigError as exc:
        return show_config_error(exc)
    except SyncError as exc:
        logger.error("kiosk cannot start", extra={"event": "kiosk_start_failed", "error": str(exc)})
        return show_config_error(
            KioskConfigError("DataDir", "configuration", english=str(exc), french=f"Impossible de démarrer : {exc}")
        )
    kiosk.start()
    status = app.exec()
    kiosk.close()
    return status
