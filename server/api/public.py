"""Public pages: the home page and certificate verification (HTML and JSON, spec §9.5, issue 5 §5).

A certificate is public once its session is finalised and its result validated; any other code,
malformed or unknown, is answered 404 ("code inconnu") without saying why.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cadenas.resources import load_shipped_referential
from server.app import API_PREFIX
from server.deps import DbSession, Templates
from server.errors import NotFoundError
from server.services.certificates import (
    SCALE_MAX,
    CertificatePublic,
    certificate_by_code,
    certificate_public,
    normalise_code,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["certificates"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def read_home(request: Request, templates: Templates) -> Response:
    """The home page: links to the portals and to verification."""
    return templates.TemplateResponse(request, "home.html", {})


@router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def read_verification_form(request: Request, templates: Templates, code: str = "") -> Response:
    """The verification form; a submitted code leads to its page."""
    if code.strip():
        return RedirectResponse(f"/verify/{normalise_code(code)}", status_code=303)
    return templates.TemplateResponse(request, "verify.html", {"certificate": None, "code": ""})


@router.get("/verify/{code}", response_class=HTMLResponse, include_in_schema=False)
def read_verification(request: Request, code: str, db: DbSession, templates: Templates) -> Response:
    """The content of the certificate with this verification code, or "code inconnu" (404)."""
    try:
        certificate = certificate_by_code(db=db, code=code, referential=load_shipped_referential())
    except NotFoundError:
        logger.info("unknown verification code", extra={"event": "verification_unknown_code"})
        context = {"certificate": None, "code": normalise_code(code)[:12], "unknown": True}
        return templates.TemplateResponse(request, "verify.html", context, status_code=404)
    context = {"certificate": certificate, "code": certificate.verification_code, "scale_max": SCALE_MAX}
    return templates.TemplateResponse(request, "verify.html", context)


@router.get(f"{API_PREFIX}/certificates/{{code}}", response_model=CertificatePublic)
def read_certificate_by_code(code: str, db: DbSession) -> CertificatePublic:
    """The public content of a certificate, by verification code (404 if unknown or not validated)."""
    return certificate_public(certificate_by_code(db=db, code=code, referential=load_shipped_referential()))
