"""The invigilator portal in real headless Chromium: log-in, live updates and actions by clicking."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager

from playwright.sync_api import expect
from sqlalchemy import select

from server.db import session_scope
from server.models import (
    AskedChallenge,
    Candidate,
    CandidateToken,
    Course,
    IssueReport,
    KioskDevice,
    KioskEvent,
    KioskInstruction,
    LiveAlert,
)
from server.security import unlock_code

LIVE = 6000  # ms: three polls of the page


@contextmanager
def database(live_server):
    """A committed database session on the live server's database."""
    yield from session_scope(live_server.app.state.sessions)


def candidate_id(live_server, last_name: str) -> int:
    with database(live_server) as db:
        return db.scalar(select(Candidate.id).where(Candidate.last_name == last_name))


def log_in(page, live_server, live_demo) -> None:
    page.goto(f"{live_server}/invigilator/login")
    page.get_by_label("Numéro de session").fill(str(live_demo["session_id"]))
    page.get_by_label("Mot de passe surveillant").fill(live_demo["invigilator_password"])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Session n° {live_demo['session_id']}")


def start_course(db, candidate: int, now: dt.datetime) -> Course:
    course = Course(
        candidate_id=candidate,
        session_id=db.get(Candidate, candidate).session_id,
        version_id="v3",
        seed=1,
        verification_code="P-BCDFGHJK",
        created_at=now,
        deadline=now + dt.timedelta(minutes=105),
    )
    db.add(course)
    db.flush()
    db.add(
        AskedChallenge(
            course_id=course.id,
            challenge_id="chal0",
            skill="@s0",
            tube="t0",
            competence="1.1",
            question_index=0,
            discriminant=1.0,
            difficulty=0.0,
            asked_at=now,
        )
    )
    return course


def test_the_log_in_form_works_with_the_keyboard_alone(live_server, live_demo, page):
    page.goto(f"{live_server}/invigilator/login")
    assert page.evaluate("document.activeElement.id") == "session_number"  # autofocus
    page.keyboard.type(str(live_demo["session_id"]))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(live_demo["invigilator_password"].lower())
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/invigilator/sessions/{live_demo['session_id']}$"))
    expect(page.locator("#candidates tbody tr")).to_have_count(3)


def test_a_wrong_password_is_explained_on_the_form(live_server, live_demo, page, tmp_path):
    page.goto(f"{live_server}/invigilator/login")
    page.get_by_label("Numéro de session").fill(str(live_demo["session_id"]))
    page.get_by_label("Mot de passe surveillant").fill("ZZZZZ")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("status")).to_contain_text("mot de passe surveillant incorrect")
    expect(page.get_by_label("Numéro de session")).to_have_value(str(live_demo["session_id"]))
    expect(page.get_by_label("Mot de passe surveillant")).to_be_focused()
    page.screenshot(path=str(tmp_path / "invigilator-login-error.png"))


def test_the_page_updates_live_and_acts_on_clicks(live_server, live_demo, page, clock, tmp_path):
    log_in(page, live_server, live_demo)
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(3)
    for name in ("DIALLO Moussa", "MARTIN Léa", "NGUYEN Camille"):
        expect(page.locator("#candidates")).to_contain_text(name)
    diallo, martin = candidate_id(live_server, "Diallo"), candidate_id(live_server, "Martin")
    diallo_row = page.locator(f'tr[data-candidate-id="{diallo}"]')
    expect(diallo_row).to_contain_text("Inscrit, pas encore connecté")

    # The candidate joins from a kiosk: the row changes without reloading the page.
    with database(live_server) as db:
        db.add(CandidateToken(token_hash="a" * 64, candidate_id=diallo, expires_at=clock() + dt.timedelta(hours=1)))
    expect(diallo_row).to_contain_text("En attente d'autorisation", timeout=LIVE)
    diallo_row.get_by_role("button", name="Autoriser le démarrage : Moussa Diallo").click()
    expect(page.locator("#feedback")).to_contain_text("Moussa Diallo est autorisé(e) à démarrer")
    expect(diallo_row).to_contain_text("Autorisé à démarrer")
    with database(live_server) as db:
        assert db.get(Candidate, diallo).authorized_to_start is True

    # A live alert raised on the kiosk appears within a few seconds.
    with database(live_server) as db:
        course = start_course(db, martin, clock())
        db.add(
            LiveAlert(
                course_id=course.id, challenge_id="chal0", question_number=1, has_attachment=True, created_at=clock()
            )
        )
    card = page.locator(".alert-card")
    expect(card).to_contain_text("Léa Martin · question 1", timeout=LIVE)
    expect(card).to_contain_text("pièce jointe")
    expect(page.locator("#alert-count")).to_have_text("1")
    expect(page.locator(f'tr[data-candidate-id="{martin}"]')).to_contain_text("Signalement en cours (question 1)")
    page.screenshot(path=str(tmp_path / "invigilator-session.png"), full_page=True)

    card.get_by_role("button", name="Valider : nouvelle question").click()  # no reason chosen yet
    expect(page.locator("#feedback")).to_contain_text("Choisissez un motif")
    expect(card.get_by_label("Motif")).to_be_focused()
    card.get_by_label("Motif").select_option("FILE_NOT_OPENING")
    card.get_by_role("button", name="Valider : nouvelle question").click()
    expect(page.locator(".alert-card")).to_have_count(0)
    expect(page.locator("#no-alerts")).to_be_visible()
    with database(live_server) as db:
        alert = db.scalars(select(LiveAlert)).one()
        assert (alert.status, alert.subcategory) == ("validated", "FILE_NOT_OPENING")
        report = db.scalars(select(IssueReport)).one()
        assert (report.category, report.subcategory, report.question_number) == ("IN_CHALLENGE", "FILE_NOT_OPENING", 1)


def test_a_locked_kiosk_shows_its_unlock_code_and_can_be_unlocked_remotely(
    live_server, live_demo, page, clock, tmp_path
):
    nguyen = candidate_id(live_server, "Nguyen")
    with database(live_server) as db:
        start_course(db, nguyen, clock() - dt.timedelta(minutes=12))
        db.add(
            KioskDevice(
                install_id="pc-b12-04",
                public_key="k" * 44,
                name="PC B12-04",
                last_seen_at=clock(),
                state={"locked": True, "lock_counter": 4, "screens": 2},
                candidate_id=nguyen,
            )
        )
        db.flush()
        for minute, (kind, data) in enumerate([("focus_lost", {}), ("url_blocked", {"url": "https://jeux.example/"})]):
            at = clock() - dt.timedelta(minutes=5 - minute)
            db.add(
                KioskEvent(
                    install_id="pc-b12-04",
                    event_id=f"e{minute}",
                    candidate_id=nguyen,
                    kind=kind,
                    payload=data,
                    occurred_at=at,
                )
            )
    log_in(page, live_server, live_demo)
    row = page.locator(f'tr[data-candidate-id="{nguyen}"]')
    expect(row).to_contain_text("Verrouillé")
    expect(row).to_contain_text("2 écrans")
    expect(row).to_contain_text("Site bloqué (https://jeux.example/)")
    page.screenshot(path=str(tmp_path / "invigilator-locked-kiosk.png"), full_page=True)
    row.get_by_role("button", name="Afficher un code de déverrouillage pour Camille Nguyen").click()
    dialog = page.locator("#code-dialog")
    expect(dialog).to_be_visible()
    expected = unlock_code(live_server.app.state.settings.secret_key, live_demo["session_id"], "pc-b12-04", 4)
    expect(dialog.locator("#code-value")).to_have_text(expected)
    page.screenshot(path=str(tmp_path / "invigilator-unlock-code.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    row.get_by_role("button", name="Déverrouiller à distance le kiosque de Camille Nguyen").click()
    expect(page.locator("#feedback")).to_contain_text("Déverrouillage envoyé")
    with database(live_server) as db:
        assert [(i.install_id, i.kind) for i in db.scalars(select(KioskInstruction))] == [("pc-b12-04", "unlock")]
    # The kiosk stops answering: after the heartbeat grace period it shows as missing.
    clock.advance(seconds=live_server.app.state.settings.heartbeat_missing_seconds + 1)
    expect(row).to_contain_text("Absent", timeout=LIVE)


def test_the_invigilator_locks_a_kiosk_after_confirming(live_server, live_demo, page, clock):
    martin = candidate_id(live_server, "Martin")
    with database(live_server) as db:
        start_course(db, martin, clock() - dt.timedelta(minutes=3))
        db.add(
            KioskDevice(
                install_id="pc-b12-07",
                public_key="k" * 44,
                name="PC B12-07",
                last_seen_at=clock(),
                state={"locked": False, "lock_counter": 0, "screens": 1},
                candidate_id=martin,
            )
        )
    log_in(page, live_server, live_demo)
    row = page.locator(f'tr[data-candidate-id="{martin}"]')
    button = row.get_by_role("button", name="Verrouiller le poste de Léa Martin")
    page.once("dialog", lambda dialog: dialog.dismiss())  # the confirmation, refused: nothing is sent
    button.click()
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    expect(page.locator("#feedback")).to_contain_text("Verrouillage envoyé")
    with database(live_server) as db:
        assert [(i.install_id, i.kind) for i in db.scalars(select(KioskInstruction))] == [("pc-b12-07", "force_lock")]
