"""WCAG 2.1 A/AA checks of the candidate pages with axe-core, inside QtWebEngine, in every screen state.

axe-core is not vendored: ``python scripts/fetch_axe.py`` puts a checked copy in ``.venv/axe-core/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.app.web.conftest import PageHarness
from tests.app.web.test_pages import QCM, QCU, QROC, QROC_SELECT, QROCM, question

AXE = Path(__file__).resolve().parents[3] / ".venv" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

SIGN_IN = {"type": "sign_in", "error": None, "resuming": True}
FOCUSED = {
    **QCU,
    "id": "rec-focused",
    "focused": True,
    "attachments": [{"name": "notes.pdf", "url": "https://x/notes.pdf"}],
    "statement": "Ouvrez `notes.pdf` :\n\n- un\n- deux\n\nPuis **répondez**.",
}
FREE_FILES = {**FOCUSED, "id": "rec-free", "focused": False}


def axe_source() -> str:
    """The text of axe.min.js; fails (never skips) when it was not fetched."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `python scripts/fetch_axe.py` first")
    return AXE.read_text(encoding="utf-8")


def violations(page: PageHarness) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations (id, impact, nodes)."""
    done: list[Any] = []
    # The script ends with a text: PySide mishandles the reference count of a bool result (exit crash).
    page.page.runJavaScript(f'{axe_source()}\n;"axe loaded"', 0, done.append)
    page.qtbot.waitUntil(lambda: bool(done), timeout=10000)
    page.js(
        f"""(window.axeResult = null, axe.run(document, {{runOnly: {json.dumps(TAGS)}}}).then(
            r => {{ window.axeResult = r.violations.map(v => ({{
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary)}})); }},
            e => {{ window.axeResult = [{{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}}]; }}),
            0)"""
    )
    page.wait_js("window.axeResult !== null", timeout=30000)
    return page.js("window.axeResult")


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.fixture
def kiosk_page(kiosk_page, qtbot):
    """The page harness, shown: the contrast rules need a real layout."""
    kiosk_page.view.show()
    qtbot.waitExposed(kiosk_page.view)
    return kiosk_page


def on_index(*messages: dict[str, Any], then: Callable[[PageHarness], None] | None = None):
    """A state of index.html: the messages pushed in order, then an optional action."""

    def arrange(page: PageHarness) -> None:
        page.load()
        page.wait_js("window.kioskReady")
        for message in messages:
            page.push(message)
        last = messages[-1]
        if last["type"] in ("preflight", "sign_in", "waiting", "instructions", "question", "end", "technical_problem"):
            page.wait_js(f"document.querySelector('[data-screen={last['type']}]').hidden === false")
        if then is not None:
            then(page)

    return arrange


def js_then(action: str, ready: str) -> Callable[[PageHarness], None]:
    def run(page: PageHarness) -> None:
        page.js(action)
        page.wait_js(ready)

    return run


STATES = {
    "loading": lambda page: page.load(wait_ready=False),
    "preflight problems": on_index(
        {"type": "preflight", "ok": False, "problems": ["Deux écrans"], "versions": {"a": "1"}}
    ),
    "sign-in": on_index(SIGN_IN),
    "sign-in errors": on_index(
        SIGN_IN,
        then=js_then(
            "document.getElementById('sign-in-submit').click()",
            "document.getElementById('sign-in-errors').textContent !== ''",
        ),
    ),
    "waiting": on_index({"type": "waiting", "reason": "authorisation", "message": "x"}),
    "instructions": on_index({"type": "instructions"}),
    "instructions modes": on_index(
        {"type": "instructions"},
        then=js_then(
            "document.getElementById('step-next').click()", "!document.querySelector('[data-step=\"1\"]').hidden"
        ),
    ),
    "instructions rules": on_index(
        {"type": "instructions"},
        then=js_then(
            "[1, 2, 3].forEach(() => document.getElementById('step-next').click()),"
            "document.getElementById('rules-submit').click()",
            "document.getElementById('rules-error').textContent !== ''",
        ),
    ),
    "question QCU": on_index(question(QCU)),
    "question QCM": on_index(question(QCM)),
    "question QROC": on_index(question(QROC)),
    "question QROC select": on_index(question(QROC_SELECT)),
    "question QROCM": on_index(question(QROCM)),
    "question focused, timed, files": on_index(question(FOCUSED, timer=60)),
    "question free with files": on_index(question(FREE_FILES)),
    "question answer error": on_index(
        question(QCU),
        then=js_then(
            "document.getElementById('answer-submit').click()",
            "document.getElementById('answer-error').textContent !== ''",
        ),
    ),
    "question confirmation": on_index(
        question(QCU),
        then=js_then(
            "document.getElementById('question-skip').click()", "document.getElementById('confirm-dialog').open"
        ),
    ),
    "question in English": on_index(
        question(QROCM),
        then=js_then("document.getElementById('language-switch').click()", "document.documentElement.lang === 'en'"),
    ),
    "end": on_index({"type": "end"}),
    "technical problem": on_index({"type": "technical_problem", "code": "lack_of_challenges"}),
    "connection lost": on_index(
        question(QCU),
        {"type": "connection", "state": "lost", "saved": True},
        then=js_then("0", "document.getElementById('connection-dialog').open"),
    ),
    "blocked overlay": on_index(
        question(QCU),
        {"type": "blocked", "host": "jeux.example"},
        then=js_then("0", "document.getElementById('blocked-dialog').open"),
    ),
    "focus warning": on_index(
        question(FOCUSED), {"type": "focus_warning"}, then=js_then("0", "document.getElementById('focus-dialog').open")
    ),
    "notice": on_index(
        question(QCU),
        {"type": "notice", "message": "Plus que 10 minutes."},
        then=js_then("0", "document.getElementById('notice-dialog').open"),
    ),
    "blocked.html": lambda page: (
        page.load("blocked.html?host=jeux.example&lang=fr", wait_ready=False),
        page.wait_js("window.blockedReady"),
    ),
    "blocked.html in English": lambda page: (
        page.load("blocked.html?host=jeux.example&lang=en", wait_ready=False),
        page.wait_js("window.blockedReady"),
    ),
    "start.html": lambda page: (page.load("start.html", wait_ready=False), page.wait_js("window.startReady")),
    "start.html with search": lambda page: (
        page.load("start.html?search=https%3A%2F%2Fsearch.example%2F%3Fq%3D%7Bq%7D&lang=en", wait_ready=False),
        page.wait_js("window.startReady && !document.getElementById('search-form').hidden"),
    ),
}


@pytest.mark.parametrize("state", list(STATES))
def test_page_state_has_no_wcag_violations(kiosk_page, state):
    STATES[state](kiosk_page)
    found = violations(kiosk_page)
    assert found == [], f"axe-core found WCAG 2.1 A/AA violations in state {state!r}:\n{describe(found)}"


def test_axe_finds_a_planted_violation(kiosk_page):
    """The check itself works: an unlabelled input and low-contrast text are reported."""
    on_index(SIGN_IN)(kiosk_page)
    kiosk_page.js(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<input id=planted><p style=\"color:#bbb;background:#fff\">pâle</p>')"
    )
    ids = {violation["id"] for violation in violations(kiosk_page)}
    assert {"label", "color-contrast"} <= ids


def test_missing_axe_fails_with_the_fetch_command(monkeypatch, tmp_path):
    monkeypatch.setattr(f"{__name__}.AXE", tmp_path / "axe.min.js")
    with pytest.raises(pytest.fail.Exception, match="scripts/fetch_axe.py"):
        axe_source()
