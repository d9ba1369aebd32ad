"""Results of a session, certificates (PDF) and their public verification (spec §8, §9.5).

A certificate exists only for a validated result of a finalised session. Its content
(:class:`Certificate`) is built once and rendered three ways: the A4 PDF drawn with reportlab
(:func:`certificate_pdf`), the public page ``/verify/{code}`` and the JSON of
``/api/v1/certificates/{code}``. Competence names come from the shipped referential (data, spec §2.2).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import reportlab
from pydantic import BaseModel
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.referential import Referential
from engine.scoring import MESHES
from server.errors import NotFoundError
from server.models import Candidate, Course, ExamSession, Result
from server.security import VERIFICATION_ALPHABET
from server.services.sessions import FINALISED_STATUSES

#: The public score scale of the certificate (spec §8.3: meshes up to 1023).
SCALE_MAX = 1024
#: The 8 meshes a score can reach (mesh 8, "Expert 2", is unreachable with 8 intervals).
REACHABLE_MESHES = MESHES[:8]
CODE_PATTERN = re.compile(rf"^P-[{VERIFICATION_ALPHABET}]{{8}}$")

COURSE_STATE_LABELS = {
    "started": "en cours",
    "completed": "terminé",
    "endedByInvigilator": "arrêté par le surveillant",
    "endedDueToFinalization": "arrêté à la finalisation",
    "endedDueToTimeLimit": "temps écoulé",
    "endedDueToDurationExceeded": "durée dépassée",
}
RESULT_STATUS_LABELS = {"validated": "validé", "rejected": "rejeté", "cancelled": "annulé", "error": "erreur"}


@dataclass(frozen=True)
class ResultRow:
    """One candidate of a session with their course and result (either may be missing)."""

    candidate: Candidate
    course: Course | None
    result: Result | None

    @property
    def state_label(self) -> str:
        """The course's state in French (or "non commencé")."""
        return COURSE_STATE_LABELS.get(self.course.state, self.course.state) if self.course else "non commencé"

    @property
    def status_label(self) -> str:
        """The result's status in French (or "non noté")."""
        return RESULT_STATUS_LABELS.get(self.result.status, self.result.status) if self.result else "non noté"

    @property
    def validated(self) -> bool:
        """Whether the result is validated (the only case with a score, levels and a certificate)."""
        return self.result is not None and self.result.status == "validated"

    @property
    def level_label(self) -> str:
        """The global level's label for a validated result, else empty."""
        return MESHES[self.result.mesh].label if self.validated and self.result.mesh is not None else ""

    @property
    def competence_levels(self) -> dict[str, int]:
        """The 16 levels of a validated result (spec §13 point 19: shown only when validated)."""
        return {code: int(level) for code, level in self.result.competence_levels.items()} if self.validated else {}


@dataclass(frozen=True)
class CompetenceLevel:
    """A competence's certified level (0-7) with its French name."""

    code: str
    name: str
    level: int


@dataclass(frozen=True)
class DomainLevels:
    """A domain of the referential and its competences' levels."""

    code: str
    name: str
    competences: tuple[CompetenceLevel, ...]


@dataclass(frozen=True)
class Certificate:
    """Everything a certificate shows."""

    verification_code: str
    last_name: str
    first_name: str
    birth_date: dt.date
    birth_place: str
    centre: str
    session_date: dt.date
    pix_score: int
    mesh: int
    domains: tuple[DomainLevels, ...]

    @property
    def level_label(self) -> str:
        """The global level's public label (e.g. ``Indépendant 1``)."""
        return MESHES[self.mesh].label


class CompetencePublic(BaseModel):
    """A competence level in the public verification answer."""

    code: str
    name: str
    domain: str
    level: int


class CertificatePublic(BaseModel):
    """The public content of a certificate (no birth date or place: they are not needed to check it)."""

    verification_code: str
    last_name: str
    first_name: str
    centre: str
    session_date: dt.date
    pix_score: int
    scale_max: int = SCALE_MAX
    level: str
    mesh: int
    competences: list[CompetencePublic]


# --- results ----------------------------------------------------------------------------------


def session_results(*, db: Session, session: ExamSession) -> list[ResultRow]:
    """Every candidate of the session, in enrolment order, with course and result."""
    courses = {c.candidate_id: c for c in db.scalars(select(Course).where(Course.session_id == session.id))}
    results = {
        r.course_id: r
        for r in db.scalars(
            select(Result).join(Course, Course.id == Result.course_id).where(Course.session_id == session.id)
        )
    }
    rows = []
    for candidate in session.candidates:
        course = courses.get(candidate.id)
        rows.append(ResultRow(candidate, course, results.get(course.id) if course else None))
    return rows


# --- certificates -----------------------------------------------------------------------------


def _certificate(course: Course, result: Result, referential: Referential) -> Certificate:
    candidate, session = course.candidate, course.candidate.session
    domains = tuple(
        DomainLevels(
            domain.code,
            domain.name["fr"],
            tuple(
                CompetenceLevel(c.code, c.label("fr"), int(result.competence_levels.get(c.code, 0)))
                for c in domain.competences
            ),
        )
        for domain in referential.domains
    )
    return Certificate(
        verification_code=course.verification_code,
        last_name=candidate.last_name,
        first_name=candidate.first_name,
        birth_date=candidate.birth_date,
        birth_place=candidate.birth_place,
        centre=session.centre.name,
        session_date=session.date,
        pix_score=result.pix_score,
        mesh=result.mesh,
        domains=domains,
    )


def certificate_for_candidate(
    *, db: Session, session: ExamSession, candidate: Candidate, referential: Referential
) -> Certificate:
    """The certificate of a candidate of the session.

    Raises
    ------
    NotFoundError
        The session is not finalised, the candidate has no course or no validated result (the
        message says which).
    """
    who = f"{candidate.first_name} {candidate.last_name}"
    if session.status not in FINALISED_STATUSES:
        raise NotFoundError("pas de certificat avant la finalisation de la session", code="certificate_not_found")
    course = candidate.course
    result = db.get(Result, course.id) if course else None
    if result is None:
        raise NotFoundError(f"pas de certificat : {who} n'a pas de résultat", code="certificate_not_found")
    if result.status != "validated" or result.mesh is None:
        status = RESULT_STATUS_LABELS.get(result.status, result.status)
        raise NotFoundError(f"pas de certificat : le résultat de {who} est « {status} »", code="certificate_not_found")
    return _certificate(course, result, referential)


def normalise_code(code: str) -> str:
    """A verification code as printed: upper case, letters, digits and dashes only, ``P-`` added if missing."""
    code = re.sub(r"[^0-9A-Z-]", "", code.upper())[:40]
    return code if code.startswith("P-") else "P-" + code


def certificate_by_code(*, db: Session, code: str, referential: Referential) -> Certificate:
    """The certificate with this verification code, if its result is validated and its session finalised.

    Raises
    ------
    NotFoundError
        Malformed or unknown code, or a result that is not (or not yet) a certificate.
    """
    code = normalise_code(code)
    unknown = NotFoundError(f"verification code {code[:12]} is unknown", code="unknown_code")
    if not CODE_PATTERN.match(code):
        raise unknown
    course = db.scalars(select(Course).where(Course.verification_code == code)).first()
    result = db.get(Result, course.id) if course else None
    if result is None or result.status != "validated" or result.mesh is None:
        raise unknown
    if course.candidate.session.status not in FINALISED_STATUSES:
        raise unknown
    return _certificate(course, result, referential)


def certificate_public(certificate: Certificate) -> CertificatePublic:
    """The public (JSON) form of a certificate."""
    return CertificatePublic(
        verification_code=certificate.verification_code,
        last_name=certificate.last_name,
        first_name=certificate.first_name,
        centre=certificate.centre,
        session_date=certificate.session_date,
        pix_score=certificate.pix_score,
        level=certificate.level_label,
        mesh=certificate.mesh,
        competences=[
            CompetencePublic(code=c.code, name=c.name, domain=d.name, level=c.level)
            for d in certificate.domains
            for c in d.competences
        ],
    )


# --- the PDF ----------------------------------------------------------------------------------

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
_INK, _MUTED, _ACCENT, _LINE, _PALE = "#1b1f24", "#5a6270", "#1f5fbf", "#c9ced6", "#eef2f8"


@cache
def _fonts() -> tuple[str, str]:
    """Register a Unicode TrueType font (DejaVu if installed, else reportlab's Vera) once; (regular, bold)."""
    for folder in (*_FONT_DIRS, Path(reportlab.__file__).parent / "fonts"):
        for regular, bold in (("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"), ("Vera.ttf", "VeraBd.ttf")):
            if (folder / regular).exists() and (folder / bold).exists():
                pdfmetrics.registerFont(TTFont("Cert", str(folder / regular)))
                pdfmetrics.registerFont(TTFont("Cert-Bold", str(folder / bold)))
                return "Cert", "Cert-Bold"
    return "Helvetica", "Helvetica-Bold"


def _text(
    pdf: canvas.Canvas,
    x: float,
    y: float,
    text: str,
    *,
    size: float = 10,
    bold: bool = False,
    color: str = _INK,
    anchor: str = "left",
) -> None:
    regular, heavy = _fonts()
    pdf.setFont(heavy if bold else regular, size)
    pdf.setFillColor(HexColor(color))
    {"left": pdf.drawString, "centre": pdf.drawCentredString, "right": pdf.drawRightString}[anchor](x, y, text)


def _draw_header(pdf: canvas.Canvas, cert: Certificate, width: float, top: float) -> float:
    pdf.setFillColor(HexColor(_ACCENT))
    pdf.rect(0, top - 70, width, 70, stroke=0, fill=1)
    _text(pdf, 50, top - 32, "Cadenas", size=13, bold=True, color="#ffffff")
    _text(pdf, 50, top - 55, "Certificat de compétences numériques", size=20, bold=True, color="#ffffff")
    y = top - 110
    _text(pdf, 50, y, f"{cert.first_name} {cert.last_name.upper()}", size=18, bold=True)
    born = f"Né(e) le {cert.birth_date:%d/%m/%Y}" + (f" à {cert.birth_place}" if cert.birth_place else "")
    _text(pdf, 50, y - 20, born, size=11)
    _text(pdf, 50, y - 38, f"Centre de certification : {cert.centre}", size=11)
    _text(pdf, 50, y - 56, f"Session du {cert.session_date:%d/%m/%Y}", size=11)
    return y - 105


def _draw_score(pdf: canvas.Canvas, cert: Certificate, left: float, right: float, y: float) -> float:
    _text(pdf, left, y, f"{cert.pix_score}", size=34, bold=True, color=_ACCENT)
    _text(pdf, left + 80, y + 14, "pix", size=14, bold=True, color=_ACCENT)
    _text(pdf, left + 80, y, f"sur une échelle de 0 à {SCALE_MAX}", size=9, color=_MUTED)
    _text(pdf, right, y + 8, f"Niveau global : {cert.level_label}", size=14, bold=True, anchor="right")
    # The score on the 0-1024 axis, then the grid of the 8 meshes, the candidate's one filled.
    bar_y, span = y - 26, right - left
    pdf.setFillColor(HexColor(_PALE))
    pdf.setStrokeColor(HexColor(_LINE))
    pdf.rect(left, bar_y, span, 8, stroke=1, fill=1)
    pdf.setFillColor(HexColor(_ACCENT))
    pdf.rect(left, bar_y, span * cert.pix_score / SCALE_MAX, 8, stroke=0, fill=1)
    for tick in (0, 256, 512, 768, SCALE_MAX):
        _text(pdf, left + span * tick / SCALE_MAX, bar_y - 10, str(tick), size=7, color=_MUTED, anchor="centre")
    cell, grid_y = span / len(REACHABLE_MESHES), bar_y - 52
    for mesh in REACHABLE_MESHES:
        x, mine = left + mesh.index * cell, mesh.index == cert.mesh
        pdf.setFillColor(HexColor(_ACCENT if mine else "#ffffff"))
        pdf.setStrokeColor(HexColor(_ACCENT if mine else _LINE))
        pdf.rect(x + 1, grid_y, cell - 2, 32, stroke=1, fill=1)
        color = "#ffffff" if mine else _INK
        size = 8.0
        while size > 5 and pdfmetrics.stringWidth(mesh.label, _fonts()[1 if mine else 0], size) > cell - 6:
            size -= 0.5
        _text(pdf, x + cell / 2, grid_y + 19, mesh.label, size=size, bold=mine, color=color, anchor="centre")
        last = mesh.first_score + mesh.weight - 1
        _text(pdf, x + cell / 2, grid_y + 7, f"{mesh.first_score}–{last}", size=7, color=color, anchor="centre")
    return grid_y - 30


def _draw_competences(pdf: canvas.Canvas, cert: Certificate, left: float, right: float, y: float) -> float:
    _text(pdf, left, y, "Niveaux par compétence (de 0 à 7)", size=13, bold=True)
    y -= 22
    for domain in cert.domains:
        _text(pdf, left, y, f"{domain.code}. {domain.name}", size=10.5, bold=True, color=_ACCENT)
        y -= 16
        for comp in domain.competences:
            _text(pdf, left + 10, y, f"{comp.code}  {comp.name}", size=9.5)
            for i in range(7):
                pdf.setFillColor(HexColor(_ACCENT if i < comp.level else "#ffffff"))
                pdf.setStrokeColor(HexColor(_ACCENT if i < comp.level else _LINE))
                pdf.rect(right - 150 + i * 13, y - 1, 10, 9, stroke=1, fill=1)
            _text(pdf, right, y, f"niveau {comp.level}", size=9.5, bold=True, anchor="right")
            y -= 15
        y -= 6
    return y


def certificate_pdf(cert: Certificate, *, verify_url: str) -> bytes:
    """The certificate as a one-page A4 PDF (French), uncompressed so its text can be searched."""
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"Certificat Cadenas {cert.verification_code}")
    pdf.setAuthor("Cadenas")
    left, right = 50, width - 50
    y = _draw_header(pdf, cert, width, height)
    y = _draw_score(pdf, cert, left, right, y)
    _draw_competences(pdf, cert, left, right, y)
    pdf.setStrokeColor(HexColor(_LINE))
    pdf.line(left, 78, right, 78)
    _text(pdf, left, 60, f"Code de vérification : {cert.verification_code}", size=12, bold=True)
    _text(pdf, left, 44, f"Authenticité vérifiable sur {verify_url}", size=9, color=_MUTED)
    _text(pdf, right, 60, f"Score pix {cert.pix_score} / {SCALE_MAX}", size=9, color=_MUTED, anchor="right")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
