"""The candidate page (resources/web/index.html) in a real QtWebEngine page, driven by bridge messages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.resources import WEB
from app.web.bridge import BridgeError

QCU = {
    "id": "rec-qcu",
    "type": "QCU",
    "statement": "Quel est le **format** d'une image ?\n\nChoisissez *une* réponse.",
    "proposals": "- PNG\n- DOCX\n- MP3",
    "options": ["PNG", "DOCX", "MP3"],
    "fields": [],
    "focused": False,
    "timer": None,
    "attachments": [],
    "embed": None,
}
QCM = {**QCU, "id": "rec-qcm", "type": "QCM", "options": ["Un", "Deux", "Trois"], "proposals": "- Un\n- Deux\n- Trois"}
QROC = {
    **QCU,
    "id": "rec-qroc",
    "type": "QROC",
    "proposals": "Extension du fichier : {{ext}}",
    "options": [],
    "fields": [{"key": "ext", "kind": "text", "choices": []}],
}
QROC_SELECT = {
    **QROC,
    "id": "rec-qroc-select",
    "proposals": "Le logiciel : {{outil: Tableur | Traitement de texte}}",
    "fields": [{"key": "outil", "kind": "select", "choices": ["Tableur", "Traitement de texte"]}],
}
QROCM = {
    **QROC,
    "id": "rec-qrocm",
    "type": "QROCM-ind",
    "proposals": "Ville : {{ville}}\nPays : {{pays: France | Belgique}}",
    "fields": [
        {"key": "ville", "kind": "text", "choices": []},
        {"key": "pays", "kind": "select", "choices": ["France", "Belgique"]},
    ],
}


def question(challenge: dict[str, Any], *, number: int = 3, timer: int | None = None) -> dict[str, Any]:
    return {
        "type": "question",
        "number": number,
        "count": 32,
        "seconds_left": 1500,
        "timer_seconds_left": timer,
        "challenge": challenge,
    }


def screen(page) -> str:
    """The data-screen of the visible screen."""
    return page.js("document.querySelector('.screen:not([hidden])').dataset.screen")


def text(page, selector: str) -> str:
    return page.js(f"document.querySelector({json.dumps(selector)}).textContent")


def show(page, message: dict[str, Any], name: str) -> None:
    """Push a screen message and wait until it is on screen."""
    page.push(message)
    page.wait_js(f"document.querySelector('[data-screen={name}]').hidden === false")


def click(page, element_id: str) -> None:
    page.js(f"document.getElementById({json.dumps(element_id)}).click()")


def fill(page, values: dict[str, str]) -> None:
    for element_id, value in values.items():
        page.js(f"document.getElementById({json.dumps(element_id)}).value = {json.dumps(value)}")


def calls_of(page, op: str) -> list[dict[str, Any]]:
    return [call for call in page.calls if call["op"] == op]


def wait_call(page, op: str) -> dict[str, Any]:
    page.qtbot.waitUntil(lambda: bool(calls_of(page, op)), timeout=5000)
    return calls_of(page, op)[-1]


@pytest.fixture
def page(kiosk_page):
    """index.html, loaded and connected."""
    kiosk_page.load()
    kiosk_page.wait_js("window.kioskReady")
    return kiosk_page


# --- screens ---------------------------------------------------------------------------------


def test_each_screen_renders_its_heading_and_texts(page):
    show(
        page,
        {"type": "preflight", "ok": False, "problems": ["Deux écrans détectés"], "versions": {"kiosk": "1.0"}},
        "preflight",
    )
    assert text(page, "#preflight-title") == "Vérification de l'ordinateur"
    assert text(page, "#preflight-list") == "Deux écrans détectés"
    assert page.js("document.getElementById('preflight-retry').offsetParent !== null")
    click(page, "preflight-retry")
    wait_call(page, "retry")

    show(page, {"type": "preflight", "ok": True, "problems": [], "versions": {}}, "preflight")
    assert page.js("document.getElementById('preflight-problems').hidden")
    assert "prêt" in text(page, "#preflight-ok")

    show(page, {"type": "sign_in", "error": None, "resuming": True}, "sign_in")
    assert text(page, "#sign-in-title") == "Identification"
    assert "Un test inachevé a été trouvé sur cet ordinateur" in text(page, "#sign-in-resuming")

    show(page, {"type": "waiting", "reason": "alert", "message": "x"}, "waiting")
    assert text(page, "#waiting-title") == "Veuillez patienter"
    assert "signalement" in text(page, "#waiting-message")
    assert page.js("document.getElementById('waiting-message').getAttribute('role')") == "status"

    show(page, {"type": "end"}, "end")
    assert text(page, "#end-title") == "Le test est terminé"

    show(page, {"type": "technical_problem", "code": "lack_of_challenges"}, "technical_problem")
    assert "lack_of_challenges" in text(page, "#technical-code")
    click(page, "technical-retry")
    page.qtbot.waitUntil(lambda: len(calls_of(page, "retry")) == 2, timeout=5000)


def test_screen_change_moves_focus_to_the_heading(page):
    show(page, {"type": "end"}, "end")
    page.wait_js("document.activeElement.id === 'end-title'")


def test_sign_in_error_from_the_kiosk_is_shown(page):
    show(page, {"type": "sign_in", "error": "Code d'accès incorrect.", "resuming": False}, "sign_in")
    assert "Code d'accès incorrect." in text(page, "#sign-in-errors")
    assert page.js("document.getElementById('sign-in-resuming').hidden")


def test_instructions_walk_through_steps_then_need_the_rules_checkbox(page):
    show(page, {"type": "instructions"}, "instructions")
    assert "32 questions" in text(page, "[data-step='0']")
    for step in (1, 2, 3):
        click(page, "step-next")
        page.wait_js(f"!document.querySelector('[data-step=\"{step}\"]').hidden")
    assert "Mode focus" in text(page, "[data-step='1']") and "Mode libre" in text(page, "[data-step='1']")
    assert page.js("document.getElementById('step-next').hidden")
    click(page, "rules-submit")
    page.wait_js("document.getElementById('rules-error').textContent !== ''")
    assert calls_of(page, "accept_rules") == []
    click(page, "rules-accept")
    click(page, "rules-submit")
    wait_call(page, "accept_rules")


def test_question_shows_number_time_marker_and_statement(page):
    show(page, question(QCU, number=3), "question")
    assert text(page, "#question-title") == "Question 3 / 32"
    assert text(page, "#time-left") == "25:00"
    assert text(page, "#question-marker") == "Mode libre"
    assert page.js("document.querySelector('#question-statement strong').textContent") == "format"
    assert page.js("document.querySelector('#question-statement em').textContent") == "une"
    assert page.js("document.getElementById('question-timer').hidden")
    click(page, "question-browser")
    wait_call(page, "open_browser")
    page.push({"type": "browser", "open": True})
    page.wait_js("document.getElementById('question-browser').textContent === 'Fermer le navigateur'")

    show(page, question({**QCU, "id": "focused", "focused": True}, number=4, timer=90), "question")
    page.wait_js("document.getElementById('question-title').textContent === 'Question 4 / 32'")
    assert text(page, "#question-marker") == "Mode focus"
    assert page.js("document.getElementById('question-browser-row').hidden")
    assert page.js("!document.getElementById('question-timer').hidden")
    assert text(page, "#timer-left") in ("01:30", "01:29")


def test_time_left_message_updates_the_clock(page):
    show(page, question(QCU), "question")
    page.push({"type": "time_left", "seconds": 125})
    page.wait_js("document.getElementById('time-left').textContent === '02:05'")


def test_attachments_open_on_free_questions_only(page):
    files = [{"name": "notes.pdf", "url": "https://x/notes.pdf"}]
    show(page, question({**QCU, "attachments": files}), "question")
    assert page.js("document.querySelector('#question-attachment-list button').textContent") == (
        "Ouvrir le fichier « notes.pdf »"
    )
    page.js("document.querySelector('#question-attachment-list button').click()")
    assert wait_call(page, "open_attachment")["name"] == "notes.pdf"

    show(page, question({**QCU, "id": "f", "attachments": files, "focused": True}, number=4), "question")
    page.wait_js("document.getElementById('question-title').textContent === 'Question 4 / 32'")
    assert page.js("document.querySelectorAll('#question-attachment-list button').length") == 0
    assert text(page, "#question-attachment-list") == "notes.pdf"


# --- answers ---------------------------------------------------------------------------------


def answer_value(page) -> Any:
    click(page, "answer-submit")
    return wait_call(page, "answer")["value"]


def test_qcu_answer_is_the_option_number(page):
    show(page, question(QCU), "question")
    click(page, "choice-2")
    assert answer_value(page) == "2"
    assert page.js("document.getElementById('answer-submit').disabled")


def test_qcm_answer_is_the_sorted_numbers(page):
    show(page, question(QCM), "question")
    click(page, "choice-3")
    click(page, "choice-1")
    assert answer_value(page) == "1,3"


def test_qroc_answer_is_the_text(page):
    show(page, question(QROC), "question")
    assert page.js("document.getElementById('field-ext').getAttribute('aria-label')") == "Extension du fichier :"
    fill(page, {"field-ext": "  pdf "})
    assert answer_value(page) == "pdf"


def test_qroc_select_answer_is_the_chosen_text(page):
    show(page, question(QROC_SELECT), "question")
    assert page.js("document.getElementById('field-outil').tagName") == "SELECT"
    fill(page, {"field-outil": "Traitement de texte"})
    assert answer_value(page) == "Traitement de texte"


def test_qrocm_answer_is_an_object_of_the_fields(page):
    show(page, question(QROCM), "question")
    fill(page, {"field-ville": "Lyon"})
    click(page, "answer-submit")
    page.wait_js("document.getElementById('answer-error').textContent.includes('tous les champs')")
    assert calls_of(page, "answer") == []
    fill(page, {"field-pays": "France"})
    assert answer_value(page) == {"ville": "Lyon", "pays": "France"}


def test_empty_answer_is_refused_until_the_question_timer_is_over(page):
    show(page, question(QCU), "question")
    click(page, "answer-submit")
    page.wait_js("document.getElementById('answer-error').textContent !== ''")
    assert calls_of(page, "answer") == []
    show(page, question({**QCU, "id": "timed"}, number=4, timer=0), "question")
    page.wait_js("document.getElementById('question-timer').classList.contains('is-over')")
    assert answer_value(page) == ""


def test_failed_answer_reply_shows_its_message_and_enables_the_form(page):
    page.replies["answer"] = refuse("locked", "Le test est verrouillé.")
    show(page, question(QCU), "question")
    click(page, "choice-1")
    click(page, "answer-submit")
    page.wait_js("document.getElementById('answer-error').textContent === 'Le test est verrouillé.'")
    assert not page.js("document.getElementById('answer-submit').disabled")


def refuse(code: str, message: str):
    """A bridge reply function that refuses the request, as the kiosk does with a bad request."""

    def reply(_message: dict[str, Any]) -> None:
        raise BridgeError(code, message)

    return reply


@pytest.mark.parametrize(("button", "op"), [("question-skip", "skip"), ("question-report", "report_problem")])
def test_skip_and_report_need_a_confirmation(page, button, op):
    keyboard = shown(page)
    show(page, question(QCU), "question")
    page.js(f"document.getElementById({json.dumps(button)}).focus()")
    page.qtbot.keyClick(keyboard, Qt.Key.Key_Return)
    page.wait_js("document.getElementById('confirm-dialog').open")
    page.wait_js("document.activeElement.id === 'confirm-cancel'")
    page.qtbot.keyClick(keyboard, Qt.Key.Key_Return)  # "Annuler" has the focus
    page.wait_js("!document.getElementById('confirm-dialog').open")
    page.wait_js(f"document.activeElement.id === {json.dumps(button)}")

    page.qtbot.keyClick(keyboard, Qt.Key.Key_Return)
    page.wait_js("document.getElementById('confirm-dialog').open")
    page.qtbot.keyClick(keyboard, Qt.Key.Key_Escape)
    page.wait_js("!document.getElementById('confirm-dialog').open")
    assert calls_of(page, op) == []

    click(page, button)
    page.wait_js("document.getElementById('confirm-dialog').open")
    click(page, "confirm-ok")
    wait_call(page, op)
    assert page.js("document.getElementById('question-skip').disabled")


def shown(page):
    """Show the view (offscreen) and return the widget that takes its key events."""
    page.view.show()
    page.qtbot.waitExposed(page.view)
    page.view.activateWindow()
    page.view.setFocus()
    return page.view.focusProxy()


# --- sign-in ---------------------------------------------------------------------------------

SIGN_IN = {
    "session_id": "1234",
    "access_code": "ABC123",
    "last_name": "Martin",
    "first_name": "Léa",
    "birth_day": "5",
    "birth_month": "3",
    "birth_year": "2011",
}


def test_sign_in_sends_typed_values(page):
    show(page, {"type": "sign_in", "error": None, "resuming": False}, "sign_in")
    fill(page, SIGN_IN)
    click(page, "sign-in-submit")
    call = wait_call(page, "sign_in")
    assert call == {
        "op": "sign_in",
        "session_id": 1234,
        "access_code": "ABC123",
        "last_name": "Martin",
        "first_name": "Léa",
        "birth_date": "2011-03-05",
    }
    assert page.js("document.getElementById('session_id').disabled")


def test_sign_in_refuses_empty_and_wrong_fields_naming_them(page):
    show(page, {"type": "sign_in", "error": None, "resuming": False}, "sign_in")
    click(page, "sign-in-submit")
    page.wait_js("document.getElementById('sign-in-errors').textContent !== ''")
    errors = text(page, "#sign-in-errors")
    for name in ("numéro de session", "code d'accès", "nom de famille", "prénom", "date de naissance"):
        assert name in errors
    assert page.js("document.getElementById('session_id').getAttribute('aria-invalid')") == "true"
    assert page.js("document.activeElement.id") == "session_id"
    fill(page, {**SIGN_IN, "session_id": "12a", "birth_day": "31", "birth_month": "2"})
    click(page, "sign-in-submit")
    page.wait_js("document.getElementById('sign-in-errors').textContent.includes('chiffres')")
    assert "n'est pas valide" in text(page, "#sign-in-errors")
    assert calls_of(page, "sign_in") == []


def test_failed_sign_in_reply_shows_its_message(page):
    page.replies["sign_in"] = refuse("bad_request", "Session inconnue.")
    show(page, {"type": "sign_in", "error": None, "resuming": False}, "sign_in")
    fill(page, SIGN_IN)
    click(page, "sign-in-submit")
    page.wait_js("document.getElementById('sign-in-errors').textContent.includes('Session inconnue.')")
    assert not page.js("document.getElementById('session_id').disabled")


def test_sign_in_works_with_the_keyboard_only(page):
    keyboard = shown(page)
    show(page, {"type": "sign_in", "error": None, "resuming": False}, "sign_in")
    page.wait_js("document.activeElement.id === 'sign-in-title'")
    typed = {**SIGN_IN, "first_name": "Lea"}  # QTest types ASCII only
    for element_id, value in typed.items():
        page.qtbot.keyClick(keyboard, Qt.Key.Key_Tab)
        page.wait_js(f"document.activeElement.id === {json.dumps(element_id)}")
        page.qtbot.keyClicks(keyboard, value)
        page.wait_js(f"document.getElementById({json.dumps(element_id)}).value === {json.dumps(value)}")
    page.qtbot.keyClick(keyboard, Qt.Key.Key_Return)
    assert wait_call(page, "sign_in")["birth_date"] == "2011-03-05"


def test_every_control_is_labelled_and_focusable_without_positive_tabindex(page):
    show(page, question(QROCM), "question")
    unlabelled = page.js(
        """[...document.querySelectorAll('input, select, textarea, button')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map(e => e.id)"""
    )
    assert unlabelled == []
    assert page.js("[...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0).length") == 0


# --- robustness, queue, overlays -------------------------------------------------------------


def test_messages_pushed_before_ready_are_delivered_in_order(kiosk_page):
    kiosk_page.push({"type": "preflight", "ok": True, "problems": [], "versions": {}})
    kiosk_page.push({"type": "sign_in", "error": "Première erreur", "resuming": False})
    kiosk_page.load()
    kiosk_page.wait_js("document.querySelector('[data-screen=sign_in]').hidden === false")
    assert "Première erreur" in text(kiosk_page, "#sign-in-errors")


def test_unknown_messages_are_ignored(page):
    show(page, {"type": "end"}, "end")
    page.push({"type": "no_such_message"})
    page.push({"type": "end"})
    page.wait_js("document.querySelector('[data-screen=end]').hidden === false")
    assert screen(page) == "end"


def test_blocked_overlay_shows_the_host_and_its_button_hides_it(page):
    show(page, question(QCU), "question")
    page.push({"type": "blocked", "host": "www.jeux.example"})
    page.wait_js("document.getElementById('blocked-dialog').open")
    assert "www.jeux.example" in text(page, "#blocked-dialog")
    assert "n'est pas autorisée" in text(page, "#blocked-dialog")
    click(page, "blocked-back")
    page.wait_js("!document.getElementById('blocked-dialog').open")


def test_connection_notice_and_focus_overlays(page):
    show(page, question(QCU), "question")
    page.push({"type": "connection", "state": "lost", "saved": True})
    page.wait_js("document.getElementById('connection-dialog').open")
    assert "Connexion perdue" in text(page, "#connection-dialog")
    assert "votre réponse est enregistrée" in text(page, "#connection-dialog").lower()
    page.push({"type": "connection", "state": "ok", "saved": True})
    page.wait_js("!document.getElementById('connection-dialog').open")

    page.push({"type": "notice", "message": "<b>Plus que 10 minutes</b>"})
    page.wait_js("document.getElementById('notice-dialog').open")
    assert text(page, "#notice-text") == "<b>Plus que 10 minutes</b>"
    click(page, "notice-ok")
    page.push({"type": "focus_warning"})
    page.wait_js("document.getElementById('focus-dialog').open")
    assert "enregistrée" in text(page, "#focus-dialog")


def test_server_text_is_escaped(page):
    attack = '<img src=x onerror="window.pwned=1"> **gras** [lien](https://evil.example)'
    show(page, question({**QCU, "statement": attack, "options": ["<script>window.pwned=2</script>", "B"]}), "question")
    assert page.js("document.querySelectorAll('[data-screen=question] img').length") == 0
    assert page.js("document.querySelectorAll('[data-screen=question] script, [data-screen=question] a').length") == 0
    assert "<img src=x" in text(page, "#question-statement")
    assert "lien (https://evil.example)" in text(page, "#question-statement")
    assert text(page, "label[for=choice-1]") == "<script>window.pwned=2</script>"
    assert page.js("window.pwned === undefined")


def test_statement_markdown_subset_renders_lists_code_and_keeps_snake_case(page):
    statement = "Ouvrez `mon_fichier.txt` puis :\n\n- lisez la *ligne 2*\n- notez mon_code_secret\n\n![logo](x.png) fin"
    show(page, question({**QCU, "statement": statement}), "question")
    assert page.js("document.querySelector('#question-statement code').textContent") == "mon_fichier.txt"
    assert page.js("[...document.querySelectorAll('#question-statement li')].map(li => li.textContent)") == [
        "lisez la ligne 2",
        "notez mon_code_secret",
    ]
    assert page.js("document.querySelectorAll('#question-statement em').length") == 1
    assert text(page, "#question-statement p:last-child") == "logo fin"


# --- languages -------------------------------------------------------------------------------


def test_fr_and_en_have_the_same_keys_and_no_empty_text():
    french = json.loads((WEB / "i18n" / "fr.json").read_text(encoding="utf-8"))
    english = json.loads((WEB / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert sorted(french) == sorted(english)
    assert all(value.strip() for value in [*french.values(), *english.values()])


def test_every_key_the_pages_use_exists():
    french = json.loads((WEB / "i18n" / "fr.json").read_text(encoding="utf-8"))

    used = set()
    for name in ("index.html", "blocked.html", "start.html"):
        used |= set(re.findall(r'data-i18n="([^"]+)"', (WEB / name).read_text(encoding="utf-8")))
    for name in ("kiosk.js", "markdown.js", "blocked.js", "start.js"):
        source = (WEB / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:\bsetText\([^,]+, |\bt\(|\bannounce\()"([a-z_.]+)"', source))
    assert used and used <= set(french), used - set(french)
    built = {f"waiting.{reason}" for reason in ("authorisation", "resume", "alert")}
    built |= {f"question.error.{kind}" for kind in ("QCU", "QCM", "QROC", "QROCM-ind", "QROCM-dep")}
    built |= {f"confirm.{kind}.{part}" for kind in ("skip", "report") for part in ("title", "text", "ok")}
    assert built <= set(french), built - set(french)


def test_switching_language_changes_texts_and_tells_the_kiosk(page):
    show(page, question(QCU), "question")
    assert text(page, "#question-skip") == "Je passe"
    click(page, "language-switch")
    assert wait_call(page, "set_language")["language"] == "en"
    page.wait_js("document.documentElement.lang === 'en'")
    assert text(page, "#question-skip") == "Skip"
    assert text(page, "#question-marker") == "Free mode"
    assert text(page, "#language-switch") == "Français"
    click(page, "language-switch")
    page.wait_js("document.documentElement.lang === 'fr'")
    assert text(page, "#question-title") == "Question 3 / 32"
    assert text(page, "#question-skip") == "Je passe"


def test_language_of_the_ready_reply_is_applied(kiosk_page):
    kiosk_page.replies["ready"] = lambda _m: {"language": "en", "languages": ["fr", "en"], "version": "t"}
    kiosk_page.bridge.handlers["ready"] = kiosk_page.replies["ready"]
    kiosk_page.load()
    kiosk_page.wait_js("document.documentElement.lang === 'en'")
    assert calls_of(kiosk_page, "set_language") == []


# --- the two stand-alone pages ---------------------------------------------------------------


def test_blocked_frame_page_shows_the_host_in_its_language(kiosk_page):
    kiosk_page.load("blocked.html?host=www.jeux.example&lang=en", wait_ready=False)
    kiosk_page.wait_js("window.blockedReady")
    assert text(kiosk_page, "h1") == "This page is not allowed during the test"
    assert "www.jeux.example" in text(kiosk_page, "#blocked-host")
    assert kiosk_page.js("document.documentElement.lang") == "en"


def test_start_page_offers_a_search_form_only_with_a_template(kiosk_page):
    kiosk_page.load("start.html", wait_ready=False)
    kiosk_page.wait_js("window.startReady")
    assert "rechercher sur Internet" in text(kiosk_page, "main")
    assert kiosk_page.js("document.getElementById('search-form').hidden")
    kiosk_page.load("start.html?search=https%3A%2F%2Fsearch.example%2F%3Fq%3D%7Bq%7D", wait_ready=False)
    kiosk_page.wait_js("window.startReady")
    assert not kiosk_page.js("document.getElementById('search-form').hidden")
    fill(kiosk_page, {"search-query": "format PNG & JPG"})
    # The harness's URL rules block every web page: the refused navigation shows where the form went.
    refused: list[str] = []
    kiosk_page.page.navigation_blocked.connect(lambda url, _verdict: refused.append(bytes(url.toEncoded()).decode()))
    kiosk_page.js("document.querySelector('#search-form button').click()")
    kiosk_page.qtbot.waitUntil(lambda: bool(refused), timeout=5000)
    assert refused == ["https://search.example/?q=format%20PNG%20%26%20JPG"]


def test_start_page_ignores_a_search_template_that_is_not_a_web_address(kiosk_page):
    kiosk_page.load("start.html?search=javascript%3Aalert(%7Bq%7D)", wait_ready=False)
    kiosk_page.wait_js("window.startReady")
    assert kiosk_page.js("document.getElementById('search-form').hidden")
