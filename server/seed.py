"""``cadenas server --seed-demo``: a demo centre, organiser, open session and enrolled candidates."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Candidate, Centre, ExamSession, Organiser
from server.security import access_code, hash_password, invigilator_password

DEMO_CANDIDATES = (
    ("Martin", "Léa", dt.date(2010, 3, 14)),
    ("Diallo", "Moussa", dt.date(2009, 11, 2)),
    ("Nguyen", "Camille", dt.date(1987, 6, 25)),
)
DEMO_EMAIL = "organisateur@demo.cadenas.example"


def seed_demo(db: Session, *, today: dt.date) -> dict:
    """Create the demo data and return how to log in (the JSON printed by the CLI).

    Running it again on the same database reuses the demo centre and organiser (with a new
    password, printed again) and opens a new session with its own codes and candidates.
    """
    password = secrets.token_urlsafe(9)
    organiser = db.scalars(select(Organiser).where(Organiser.email == DEMO_EMAIL)).first()
    if organiser is None:
        organiser = Organiser(
            centre=Centre(name="Collège Jean Moulin (démo)"), email=DEMO_EMAIL, name="Organisateur démo"
        )
    centre = organiser.centre
    organiser.password_hash = hash_password(password)
    code, invigilator = access_code(), invigilator_password()
    session = ExamSession(
        centre=centre,
        date=today,
        time="09:00",
        room="Salle informatique B12",
        examiner="M. Durand",
        access_code=code,
        invigilator_password_hash=hash_password(invigilator),
    )
    db.add_all([organiser, session])
    for last, first, born in DEMO_CANDIDATES:
        db.add(Candidate(session=session, last_name=last, first_name=first, birth_date=born))
    db.add(AuditEntry(actor="cli", action="seed_demo", target=f"session:{session.id}"))
    db.flush()
    return {
        "session_id": session.id,
        "access_code": code,
        "invigilator_password": invigilator,
        "organiser_email": DEMO_EMAIL,
        "organiser_password": password,
        "candidates": [
            {"last_name": last, "first_name": first, "birth_date": born.isoformat()}
            for last, first, born in DEMO_CANDIDATES
        ],
    }
