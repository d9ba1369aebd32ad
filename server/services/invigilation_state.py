"""The live state of a session as the invigilator's page shows it (issue 5 §3).

One JSON-ready dict per request: every candidate with their state, progress, time left, kiosk
connection and lock, recent kiosk events, and the ongoing live alerts. Read-only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.config import Settings
from server.errors import NotFoundError
from server.models import (
    Answer,
    Candidate,
    CandidateToken,
    CertificationVersion,
    Course,
    ExamSession,
    KioskDevice,
    KioskEvent,
    LiveAlert,
)
from server.services.invigilation import _seen, is_locked
from server.services.versions import VersionCatalog

ENDED_LABELS = {
    "completed": "Terminé",
    "endedByInvigilator": "Arrêté par le surveillant",
    "endedDueToTimeLimit": "Temps écoulé",
    "endedDueToFinalization": "Clos à la finalisation",
    "endedDueToDurationExceeded": "Clos (reprise après plus de 24 h)",
}
EVENT_LABELS = {
    "focus_lost": "Sortie de la fenêtre d'examen",
    "focus_returned": "Retour dans la fenêtre d'examen",
    "url_blocked": "Site bloqué",
    "process_blocked": "Logiciel interdit détecté",
    "screen_count": "Nombre d'écrans modifié",
    "lock": "Kiosque verrouillé",
    "unlock": "Kiosque déverrouillé",
    "unlock_accepted": "Déverrouillé avec un code",
    "unlock_refused": "Code de déverrouillage erroné",
    "proctor_needed": "Le candidat appelle le surveillant",
}
ALERT_FLAGS = {
    "has_image": "image",
    "has_embed": "application intégrée",
    "has_attachment": "pièce jointe",
    "is_focus": "question en mode focus",
}
RECENT_EVENTS = 5


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None else None


def _course_view(course: Course, *, kept: int, total: int, now: dt.datetime) -> dict:
    seconds_left = max(0, int((course.deadline - now).total_seconds()))
    state = course.state
    if state == "started" and seconds_left == 0:
        state = "endedDueToTimeLimit"  # the candidate API closes it at the next call; show it already
    ended = state != "started"
    return {
        "id": course.id,
        "state": state,
        "ended": ended,
        "ended_label": ENDED_LABELS.get(state, state) if ended else None,
        "answered": kept,
        "question": min(kept + 1, total),
        "total": total,
        "seconds_left": 0 if ended else seconds_left,
        "deadline": _utc(course.deadline),
    }


def _state_of(candidate: Candidate, course: dict | None, joined: bool) -> tuple[str, str]:
    if course is not None and course["ended"]:
        return "ended", course["ended_label"]
    if candidate.authorized_to_start:
        return "authorised", "Reprise autorisée" if course else "Autorisé à démarrer"
    if course is not None:
        return "in_progress", f"Question {course['question']}/{course['total']}"
    if joined:
        return "waiting", "En attente d'autorisation"
    return "enrolled", "Inscrit, pas encore connecté"


def _kiosk_view(device: KioskDevice | None, *, settings: Settings, now: dt.datetime) -> dict | None:
    if device is None:
        return None
    state, seen = device.state or {}, device.last_seen_at
    screens = state.get("screens")
    return {
        "install_id": device.install_id,
        "name": device.name,
        "connected": seen is not None and (now - seen).total_seconds() <= settings.heartbeat_missing_seconds,
        "last_seen_at": _utc(seen),
        "locked": is_locked(state),
        "lock_counter": int(state.get("lock_counter", 0) or 0),
        "screens": screens if isinstance(screens, int) else None,
    }


def _event_view(event: KioskEvent) -> dict:
    payload = event.payload or {}
    detail = next((str(payload[k]) for k in ("url", "host", "process", "screens", "reason") if payload.get(k)), "")
    label = EVENT_LABELS.get(event.kind, event.kind)
    return {"kind": event.kind, "label": label, "detail": detail[:120], "at": _utc(event.occurred_at)}


def _recent_events(db: Session, candidate_ids: list[int]) -> dict[int, list[dict]]:
    """The last few events of each candidate (ranked per candidate: a chatty kiosk hides nobody else's)."""
    newest_first = (KioskEvent.occurred_at.desc(), KioskEvent.id.desc())
    rank = func.row_number().over(partition_by=KioskEvent.candidate_id, order_by=newest_first).label("rank")
    ranked = select(KioskEvent.id, rank).where(KioskEvent.candidate_id.in_(candidate_ids)).subquery()
    query = (
        select(KioskEvent)
        .join(ranked, ranked.c.id == KioskEvent.id)
        .where(ranked.c.rank <= RECENT_EVENTS)
        .order_by(*newest_first)
    )
    recent: dict[int, list[dict]] = {}
    for event in db.scalars(query):
        recent.setdefault(event.candidate_id, []).append(_event_view(event))
    return recent


def _kept_counts(db: Session, course_ids: list[int], alerts: list[LiveAlert]) -> dict[int, int]:
    """Kept answers per course: answers minus those to a challenge with a validated alert (spec §10.1)."""
    validated = {(a.course_id, a.challenge_id) for a in alerts if a.status == "validated"}
    kept: dict[int, int] = {}
    for row in db.execute(select(Answer.course_id, Answer.challenge_id).where(Answer.course_id.in_(course_ids))):
        if tuple(row) not in validated:
            kept[row[0]] = kept.get(row[0], 0) + 1
    return kept


def session_state(
    *, db: Session, settings: Settings, catalog: VersionCatalog, session_id: int, now: dt.datetime
) -> dict:
    """Everything the live page shows, shaped like ``SessionStatePublic`` (raises :class:`NotFoundError`)."""
    session = db.get(ExamSession, session_id)
    if session is None:
        raise NotFoundError(f"Session n° {session_id} introuvable.")
    totals = {v.id: catalog.config(v).maximum_assessment_length for v in db.scalars(select(CertificationVersion))}
    ids = [c.id for c in session.candidates]
    courses = {c.candidate_id: c for c in db.scalars(select(Course).where(Course.session_id == session_id))}
    course_ids = [c.id for c in courses.values()]
    alerts = db.scalars(select(LiveAlert).where(LiveAlert.course_id.in_(course_ids)).order_by(LiveAlert.id)).all()
    kept = _kept_counts(db, course_ids, alerts)
    joined = set(db.scalars(select(CandidateToken.candidate_id).where(CandidateToken.candidate_id.in_(ids))))
    devices: dict[int, KioskDevice] = {}
    for device in db.scalars(select(KioskDevice).where(KioskDevice.candidate_id.in_(ids))):
        if device.candidate_id not in devices or _seen(device) > _seen(devices[device.candidate_id]):
            devices[device.candidate_id] = device
    events = _recent_events(db, ids)
    by_id = {c.id: c for c in session.candidates}
    owner = {course.id: by_id[course.candidate_id] for course in courses.values()}
    ongoing = [
        {
            "id": a.id,
            "candidate_id": owner[a.course_id].id,
            "candidate_name": f"{owner[a.course_id].first_name} {owner[a.course_id].last_name}",
            "question_number": a.question_number,
            "flags": [label for flag, label in ALERT_FLAGS.items() if getattr(a, flag)],
            "created_at": _utc(a.created_at),
        }
        for a in alerts
        if a.status == "ongoing"
    ]
    rows = []
    for candidate in sorted(session.candidates, key=lambda c: (c.last_name.lower(), c.first_name.lower())):
        course = courses.get(candidate.id)
        view = None
        if course is not None:
            total = totals.get(course.version_id, 32)
            view = _course_view(course, kept=kept.get(course.id, 0), total=total, now=now)
        state, label = _state_of(candidate, view, candidate.id in joined)
        rows.append(
            {
                "id": candidate.id,
                "last_name": candidate.last_name,
                "first_name": candidate.first_name,
                "birth_date": candidate.birth_date,
                "extra_time_percentage": candidate.extra_time_percentage,
                "accessibility_adjustment": candidate.accessibility_adjustment,
                "state": state,
                "state_label": label,
                "course": view,
                "kiosk": _kiosk_view(devices.get(candidate.id), settings=settings, now=now),
                "events": events.get(candidate.id, []),
                "alerts": [a for a in ongoing if a["candidate_id"] == candidate.id],
            }
        )
    info = {k: getattr(session, k) for k in ("id", "status", "date", "time", "room", "examiner")}
    return {"session": info, "now": _utc(now), "candidates": rows, "alerts": ongoing}
