"""The organiser portal: accounts, sessions and their codes, the centre's scope, the home page."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from server.db import session_scope
from server.errors import ConflictError
from server.models import AuditEntry, ExamSession
from server.security import verify_password
from server.services import sessions as session_service

ACCESS_CODE = re.compile(r"^[BCDFGHJKMPQRTVWXY]{4}[2346789]{2}$")
INVIGILATOR_PASSWORD = re.compile(r'id="mot-de-passe-surveillant">([^<]+)<')

# --- helpers shared with the other organiser test modules ---------------------------------------


@contextmanager
def database(app):
    """A database session on the app's database, committed at the end of the block."""
    yield from session_scope(app.state.sessions)


def page_text(response) -> str:
    """The response's HTML with entities decoded (French apostrophes are escaped by Jinja)."""
    return html.unescape(response.text)


def login(client, demo) -> None:
    """Log the demo organiser in (the client keeps the cookie)."""
    response = client.post(
        "/organiser/login",
        data={"email": demo["organiser_email"], "password": demo["organiser_password"]},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def other_organiser(app, *, email: str = "autre@lycee.example", password: str = "secret-autre") -> int:
    """An organiser of another centre, with one session of their own; returns that session's id."""
    with database(app) as db:
        organiser = session_service.create_organiser(
            db=db, centre_name="Lycée Victor Hugo", email=email, password=password
        )
        session_in = session_service.SessionCreate(date="2026-12-01", room="Salle 2")
        session, _ = session_service.create_session(
            db=db, organiser=organiser, session_in=session_in, now=app.state.clock()
        )
        return session.id


def create_session(client, **fields: str):
    """POST the session creation form."""
    data = {"date": "2026-11-30", "time": "14:00", "room": "Salle 104", "address": "1 rue de l'École", **fields}
    return client.post("/organiser/sessions", data=data, follow_redirects=False)


# --- accounts -------------------------------------------------------------------------------------


def test_portal_pages_send_strangers_to_the_log_in_page(client, demo):
    for path in ("/organiser", "/organiser/sessions", f"/organiser/sessions/{demo['session_id']}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/organiser/login"
    client.cookies.set("cadenas_organiser", "eyJvcmdhbmlzZXJfaWQiOiAxfQ==.AAAA")  # {"organiser_id": 1}, bad MAC
    assert client.get("/organiser/sessions", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_with_one_message(client, demo, caplog):
    with caplog.at_level("WARNING"):
        wrong = client.post("/organiser/login", data={"email": demo["organiser_email"], "password": "nope"})
        unknown = client.post("/organiser/login", data={"email": "x@y.example", "password": "nope"})

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "adresse e-mail ou mot de passe incorrect" in page_text(response)
        assert "cadenas_organiser" not in response.cookies
    assert [r.event for r in caplog.records if hasattr(r, "event")].count("organiser_login_failed") == 2


def test_log_in_opens_the_sessions_of_the_centre_and_log_out_closes_them(client, demo):
    login(client, demo)
    sessions = client.get("/organiser/sessions")
    assert sessions.status_code == 200
    assert "Sessions de Collège Jean Moulin (démo)" in page_text(sessions)
    assert f"/organiser/sessions/{demo['session_id']}" in sessions.text

    out = client.post("/organiser/logout", follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()  # the browser drops the expired cookie
    assert client.get("/organiser/sessions", follow_redirects=False).status_code == 303


def test_the_email_is_matched_whatever_its_case(client, demo):
    response = client.post(
        "/organiser/login",
        data={"email": demo["organiser_email"].upper(), "password": demo["organiser_password"]},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_an_organiser_account_is_unique_per_email(app, client):
    with database(app) as db:
        first = session_service.create_organiser(db=db, centre_name="C", email="Orga@C.example", password="pw-123456")
        assert first.email == "orga@c.example" and verify_password("pw-123456", first.password_hash)
        with pytest.raises(ConflictError, match="un compte existe déjà"):
            session_service.create_organiser(db=db, centre_name="C", email="orga@c.example", password="x")


# --- sessions -------------------------------------------------------------------------------------


def test_a_new_session_has_spec_codes_and_shows_its_password_once(client, app, demo):
    login(client, demo)

    response = create_session(client)

    assert response.status_code == 201
    password = INVIGILATOR_PASSWORD.search(response.text)[1]
    assert re.fullmatch(r"[BCDFGHJKMPQRTVWXY2346789]{5}", password)
    with database(app) as db:
        session = db.scalars(select(ExamSession).order_by(ExamSession.id.desc())).first()
        assert ACCESS_CODE.match(session.access_code)
        assert verify_password(password, session.invigilator_password_hash)
        assert (session.date.isoformat(), session.time, session.room) == ("2026-11-30", "14:00", "Salle 104")
        assert db.scalars(select(AuditEntry).where(AuditEntry.action == "create_session")).one()
        session_id, code = session.id, session.access_code
    assert code in response.text
    again = client.get(f"/organiser/sessions/{session_id}")
    assert code in again.text and password not in again.text and "mot-de-passe-surveillant" not in again.text


def test_access_codes_are_unique_among_sessions_not_yet_finalised(client, app, demo, monkeypatch):
    login(client, demo)
    drawn = iter([demo["access_code"], demo["access_code"], "BCDF23"])
    monkeypatch.setattr(session_service, "access_code", lambda: next(drawn))

    assert create_session(client).status_code == 201

    with database(app) as db:
        newest = db.scalars(select(ExamSession).order_by(ExamSession.id.desc())).first()
        assert newest.access_code == "BCDF23"
        db.get(ExamSession, demo["session_id"]).status = "finalized"
    monkeypatch.setattr(session_service, "access_code", lambda: demo["access_code"])
    assert create_session(client).status_code == 201  # a finalised session's code may come back


def test_bad_session_fields_are_named(client, demo):
    login(client, demo)

    response = create_session(client, date="30/11/2026", time="25:00", room="x" * 201)

    assert response.status_code == 422
    text = page_text(response)
    assert "date : « 30/11/2026 » n'est pas une date" in text
    assert "heure : « 25:00 » n'est pas une heure" in text
    assert "salle : 200 caractères au plus" in text
    assert 'value="25:00"' in response.text  # the form keeps what was typed


def test_a_session_cannot_be_created_in_the_past(client, demo):
    login(client, demo)

    response = create_session(client, date="2026-11-22")

    assert response.status_code == 422
    assert "le 22/11/2026 est déjà passé" in page_text(response)


def test_a_regenerated_invigilator_password_replaces_the_old_one(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]

    response = client.post(f"/organiser/sessions/{sid}/invigilator-password")

    assert response.status_code == 200
    new = INVIGILATOR_PASSWORD.search(response.text)[1]
    with database(app) as db:
        stored = db.get(ExamSession, sid).invigilator_password_hash
        assert verify_password(new, stored) and not verify_password(demo["invigilator_password"], stored)


def test_a_finalised_session_keeps_its_invigilator_password(client, app, demo):
    login(client, demo)
    with database(app) as db:
        db.get(ExamSession, demo["session_id"]).status = "finalized"

    response = client.post(f"/organiser/sessions/{demo['session_id']}/invigilator-password")

    assert response.status_code == 409
    assert "le portail surveillant est fermé" in page_text(response)


# --- scope ----------------------------------------------------------------------------------------


def test_another_centre_sessions_are_neither_listed_nor_found(client, app, demo):
    foreign = other_organiser(app)
    login(client, demo)

    assert f"/organiser/sessions/{foreign}" not in client.get("/organiser/sessions").text
    paths = [
        ("get", f"/organiser/sessions/{foreign}"),
        ("get", f"/organiser/sessions/{foreign}/candidates/new"),
        ("post", f"/organiser/sessions/{foreign}/candidates"),
        ("post", f"/organiser/sessions/{foreign}/invigilator-password"),
        ("get", f"/organiser/sessions/{foreign}/finalise"),
        ("post", f"/organiser/sessions/{foreign}/finalise"),
        ("get", f"/organiser/sessions/{foreign}/results"),
        ("get", f"/organiser/sessions/{foreign}/results.csv"),
        ("post", f"/organiser/sessions/{foreign}/publish"),
        ("get", f"/organiser/sessions/{foreign}/certificates/1.pdf"),
        ("get", "/organiser/sessions/999999"),
    ]
    for method, path in paths:
        response = getattr(client, method)(path)
        assert response.status_code == 404, path
        assert "introuvable dans votre centre" in page_text(response)


def test_the_other_centre_sees_only_its_own_session(client, app, demo):
    foreign = other_organiser(app)
    client.post("/organiser/login", data={"email": "autre@lycee.example", "password": "secret-autre"})

    listing = client.get("/organiser/sessions")

    assert f"/organiser/sessions/{foreign}" in listing.text
    assert f'/organiser/sessions/{demo["session_id"]}"' not in listing.text
    assert client.get(f"/organiser/sessions/{demo['session_id']}").status_code == 404


def test_a_bad_id_in_a_portal_path_is_a_4xx(client, demo):
    login(client, demo)
    assert client.get("/organiser/sessions/abc").status_code == 422
    for db_id in ("0", "-1"):
        assert client.get(f"/organiser/sessions/{db_id}").status_code == 404


def test_malformed_portal_requests_get_a_4xx_and_never_a_500(client, demo):
    login(client, demo)
    sid, huge = demo["session_id"], "9" * 25
    cases = [
        ("get", f"/organiser/sessions/{huge}", {}, 404),
        ("get", "/organiser/sessions/2147483648", {}, 404),
        ("get", f"/organiser/sessions/{sid}/candidates/{huge}/edit", {}, 404),
        ("get", f"/organiser/sessions/{sid}/certificates/{huge}.pdf", {}, 404),
        ("get", f"/organiser/sessions/{sid}/certificates/abc.pdf", {}, 422),
        ("post", "/organiser/sessions", {"json": {"date": "2026-12-01"}}, 422),
        ("post", "/organiser/sessions", {"data": {"date": "9999-12-31"}}, 422),
        ("post", "/organiser/sessions", {"data": {"date": "2026-12-01", "room": "B\x00"}}, 422),
        ("post", "/organiser/login", {"data": {"email": "a\x00@x.example", "password": "p"}}, 401),
        (
            "post",
            "/organiser/login",
            {"content": b"\xff", "headers": {"content-type": "multipart/form-data; boundary=x"}},
            400,
        ),
        (
            "post",
            f"/organiser/sessions/{sid}/candidates",
            {"data": {"last_name": "A\x00", "birth_date": "0001-01-01"}},
            422,
        ),
        ("post", f"/organiser/sessions/{sid}/candidates", {"data": {"extra_time": "NaN", "birth_date": "x"}}, 422),
        ("post", f"/organiser/sessions/{sid}/finalise", {"data": {f"abort_reason_{huge}": "candidate"}}, 409),
        ("get", "/verify/%00", {}, 404),
        ("get", "/api/v1/certificates/%E2%80%AE", {}, 404),
    ]
    for method, path, kwargs, status in cases:
        response = getattr(client, method)(path, follow_redirects=False, **kwargs)
        assert response.status_code == status, (method, path, response.text[:300])
    assert client.get("/verify", params={"code": "p-ab/c d"}, follow_redirects=False).headers["location"] == (
        "/verify/P-ABCD"
    )


# --- home -----------------------------------------------------------------------------------------


def test_the_home_page_links_both_portals_and_verification(client):
    response = client.get("/")

    assert response.status_code == 200
    for link in ('href="/organiser/login"', 'href="/invigilator/login"', 'href="/verify"'):
        assert link in response.text
    assert '<html lang="fr">' in response.text


def _attempt(client, email: str, password: str):
    return client.post("/organiser/login", data={"email": email, "password": password}, follow_redirects=False)


def test_repeated_failed_log_ins_are_throttled_then_allowed_again(client, demo, clock):
    email = demo["organiser_email"]
    for _ in range(5):
        assert _attempt(client, email, "mauvais").status_code == 401
    throttled = _attempt(client, email, demo["organiser_password"])  # even the right password waits
    assert throttled.status_code == 429
    assert "Trop de tentatives" in throttled.text
    clock.advance(seconds=301)
    assert _attempt(client, email, demo["organiser_password"]).status_code == 303


def test_failures_on_many_accounts_from_one_address_are_throttled(client, demo):
    for i in range(5):
        assert _attempt(client, f"inconnu{i}@exemple.fr", "x").status_code == 401
    assert _attempt(client, demo["organiser_email"], demo["organiser_password"]).status_code == 429


def test_a_failed_log_in_with_a_very_long_e_mail_is_recorded_without_error(client, demo):
    assert _attempt(client, "a" * 240 + "@exemple.fr", "x").status_code == 401
