"""Results, their CSV export, certificate PDFs and public verification (HTML and JSON)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import uuid

import pytest

from engine.config import COMPETENCE_CODES
from engine.scoring import MESHES
from server.models import Candidate, ExamSession
from server.services.versions import version_for
from tests.server.test_course_flow import correct_value
from tests.server.test_finalisation import candidate_ids, courses_by_candidate, finalise, play_course
from tests.server.test_organiser import database, login, page_text


@pytest.fixture
def finalised(client, app, demo):
    """The demo session finalised: Léa and Moussa validated, Camille rejected (5 answers, gave up)."""
    login(client, demo)
    sid = demo["session_id"]
    lea, moussa, camille = candidate_ids(app, sid)
    codes = {
        "lea": play_course(app, lea, answers=32),
        "moussa": play_course(app, moussa, answers=32, success=lambda k: k % 3 != 0),
        "camille": play_course(app, camille, answers=5),
    }
    assert finalise(client, sid, **{f"abort_reason_{camille}": "candidate"}).status_code == 303
    results = {cid: result for cid, (_, result) in courses_by_candidate(app, sid).items()}
    return {
        "session_id": sid,
        "ids": {"lea": lea, "moussa": moussa, "camille": camille},
        "codes": codes,
        "results": {"lea": results[lea], "moussa": results[moussa], "camille": results[camille]},
    }


def pdf_text(content: bytes) -> str:
    """The text of a PDF, as ``pdftotext`` reads it."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


# --- results --------------------------------------------------------------------------------------


def test_the_results_page_shows_levels_only_for_validated_results(client, finalised):
    sid, lea, camille = finalised["session_id"], finalised["results"]["lea"], finalised["results"]["camille"]
    assert lea.status == "validated" and camille.status == "rejected"

    response = client.get(f"/organiser/sessions/{sid}/results?ok=finalized")

    assert response.status_code == 200
    text = page_text(response)
    assert "La session est finalisée et les résultats sont calculés." in text
    rows = {row.split("</th>")[0].split(">")[-1]: row for row in text.split('<th scope="row">')[1:]}
    lea_row, camille_row = rows["Léa Martin"], rows["Camille Nguyen"]
    assert f'<td class="num">{lea.pix_score}</td>' in lea_row
    assert f"<td>{MESHES[lea.mesh].label}</td>" in lea_row
    assert lea_row.count('<td class="num">') == 1 + len(COMPETENCE_CODES)
    for code in COMPETENCE_CODES:
        assert str(lea.competence_levels[code]) in lea_row
    assert finalised["codes"]["lea"] in lea_row and ".pdf" in lea_row
    assert "<td>rejeté</td>" in camille_row
    assert finalised["codes"]["camille"] not in text and ".pdf" not in camille_row
    assert camille_row.count('<td class="num"></td>') == len(COMPETENCE_CODES)


def test_the_results_csv_has_one_row_per_candidate(client, app, finalised):
    sid = finalised["session_id"]
    with database(app) as db:
        db.add(
            Candidate(
                session_id=sid, last_name="=HYPERLINK(1)", first_name="Zoé", birth_date=db.get(ExamSession, sid).date
            )
        )

    response = client.get(f"/organiser/sessions/{sid}/results.csv")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="resultats-session-{sid}.csv"'
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert [r["nom"] for r in rows] == ["Martin", "Diallo", "Nguyen", "'=HYPERLINK(1)"]
    lea, camille, zoe = rows[0], rows[2], rows[3]
    result = finalised["results"]["lea"]
    assert lea["résultat"] == "validé" and lea["score pix"] == str(result.pix_score)
    assert lea["niveau"] == MESHES[result.mesh].label and lea["code de vérification"] == finalised["codes"]["lea"]
    assert [lea[code] for code in COMPETENCE_CODES] == [str(result.competence_levels[c]) for c in COMPETENCE_CODES]
    assert camille["résultat"] == "rejeté" and camille["score pix"] == "" and camille["1.1"] == ""
    assert camille["état du test"] == "arrêté à la finalisation"
    assert zoe["état du test"] == "non commencé" and zoe["résultat"] == "non noté"


# --- certificates ---------------------------------------------------------------------------------


def test_the_certificate_pdf_shows_the_candidate_score_levels_and_code(client, finalised):
    sid, lea = finalised["session_id"], finalised["ids"]["lea"]
    result, code = finalised["results"]["lea"], finalised["codes"]["lea"]

    response = client.get(f"/organiser/sessions/{sid}/certificates/{lea}.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in response.content  # A4
    text = pdf_text(response.content)
    assert "Certificat de compétences numériques" in text
    assert "Léa MARTIN" in text and "Né(e) le 14/03/2010" in text
    assert "Collège Jean Moulin (démo)" in text and "Session du 23/11/2026" in text
    assert f"{result.pix_score}" in text and "sur une échelle de 0 à 1024" in text
    assert f"Niveau global : {MESHES[result.mesh].label}" in text
    for mesh in MESHES[:8]:
        assert mesh.label in text
    assert "4. Protection et sécurité" in text and "4.2 Protéger les données personnelles et la vie privée" in text
    assert f"niveau {result.competence_levels['4.2']}" in text
    assert f"Code de vérification : {code}" in text
    assert f"http://testserver/verify/{code}" in text


def test_there_is_no_certificate_for_a_rejected_result(client, finalised):
    sid = finalised["session_id"]

    response = client.get(f"/organiser/sessions/{sid}/certificates/{finalised['ids']['camille']}.pdf")

    assert response.status_code == 404
    assert "pas de certificat : le résultat de Camille Nguyen est « rejeté »" in page_text(response)


def test_there_is_no_certificate_before_finalisation_nor_without_a_course(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    lea, moussa, _ = candidate_ids(app, sid)
    play_course(app, lea, answers=32, scored=True)

    early = client.get(f"/organiser/sessions/{sid}/certificates/{lea}.pdf")
    assert early.status_code == 404 and "pas de certificat avant la finalisation" in page_text(early)

    finalise(client, sid)
    missing = client.get(f"/organiser/sessions/{sid}/certificates/{moussa}.pdf")
    assert missing.status_code == 404 and "Moussa Diallo n'a pas de résultat" in page_text(missing)
    assert client.get(f"/organiser/sessions/{sid}/certificates/999.pdf").status_code == 404


# --- public verification --------------------------------------------------------------------------


def test_the_verification_page_shows_the_certificate(client, finalised):
    code, result = finalised["codes"]["lea"], finalised["results"]["lea"]
    client.cookies.clear()  # the page is public

    response = client.get(f"/verify/{code}")

    assert response.status_code == 200
    text = page_text(response)
    assert "Certificat authentique" in text and "Léa MARTIN" in text
    assert f'<strong class="score">{result.pix_score}</strong> pix sur 1024' in text
    assert MESHES[result.mesh].label in text and "23/11/2026" in text
    assert "<caption>3. Création de contenu</caption>" in text
    assert f'<tr><th scope="row">3.4 Programmer</th><td>{result.competence_levels["3.4"]}</td></tr>' in text
    assert "14/03/2010" not in text  # the birth date stays on the certificate


def test_a_code_is_found_whatever_its_case_or_prefix(client, finalised):
    code = finalised["codes"]["lea"]

    assert client.get(f"/verify/{code.lower()}").status_code == 200
    assert client.get(f"/verify/{code[2:]}").status_code == 200
    form = client.get("/verify", params={"code": f"  {code.lower()} "}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == f"/verify/{code}"


def test_an_unknown_code_says_so_with_404(client, finalised):
    for code in ("P-ZZZZZZZZ", "P-2346789B", "nimporte-quoi", "P-" + "2" * 300):
        response = client.get(f"/verify/{code}")

        assert response.status_code == 404, code
        assert "Code inconnu" in page_text(response)
        assert client.get(f"/api/v1/certificates/{code}").status_code == 404


def test_rejected_results_and_open_sessions_are_not_verifiable(client, app, demo, finalised):
    assert client.get(f"/verify/{finalised['codes']['camille']}").status_code == 404
    with database(app) as db:
        db.get(ExamSession, finalised["session_id"]).status = "created"
    assert client.get(f"/verify/{finalised['codes']['lea']}").status_code == 404


def test_a_published_session_stays_verifiable(client, finalised):
    client.post(f"/organiser/sessions/{finalised['session_id']}/publish")

    assert client.get(f"/verify/{finalised['codes']['moussa']}").status_code == 200


def test_the_json_verification_gives_the_public_content(client, finalised):
    code, result = finalised["codes"]["lea"], finalised["results"]["lea"]
    client.cookies.clear()

    response = client.get(f"/api/v1/certificates/{code}")

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("verification_code", "last_name", "first_name", "pix_score", "scale_max")} == {
        "verification_code": code,
        "last_name": "Martin",
        "first_name": "Léa",
        "pix_score": result.pix_score,
        "scale_max": 1024,
    }
    assert body["level"] == MESHES[result.mesh].label and body["session_date"] == "2026-11-23"
    assert body["centre"] == "Collège Jean Moulin (démo)"
    assert [c["code"] for c in body["competences"]] == list(COMPETENCE_CODES)
    assert body["competences"][0] == {
        "code": "1.1",
        "name": "Mener une recherche et une veille d'information",
        "domain": "Information et données",
        "level": result.competence_levels["1.1"],
    }
    assert "birth_date" not in body and "birth_place" not in body


def test_an_unknown_code_in_json_uses_the_error_shape(client, finalised):
    response = client.get("/api/v1/certificates/P-ZZZZZZZZ")

    assert response.status_code == 404
    assert response.json() == {"error": "unknown_code", "message": "verification code P-ZZZZZZZZ is unknown"}


def test_the_verification_endpoint_is_published_in_openapi(client):
    assert "/api/v1/certificates/{code}" in client.get("/openapi.json").json()["paths"]


# --- the whole path, through every API ------------------------------------------------------------


def test_a_course_taken_on_the_kiosk_api_ends_in_a_verifiable_certificate(client, app, demo):
    sid, person = demo["session_id"], demo["candidates"][0]
    joined = client.post(
        "/api/v1/sessions/join",
        json={"session_id": sid, "access_code": demo["access_code"], **person},
    )
    assert joined.status_code == 200, joined.text
    kiosk = {"Authorization": f"Bearer {joined.json()['token']}"}
    candidate_id = joined.json()["candidate"]["id"]
    invigilator = client.post(
        "/invigilator/login", data={"session_number": str(sid), "password": demo["invigilator_password"]}
    )
    assert invigilator.status_code == 200
    assert client.post(f"/invigilator/sessions/{sid}/candidates/{candidate_id}/authorisation").status_code == 200
    assert client.post("/api/v1/candidate/course/start", headers=kiosk).status_code == 200
    with database(app) as db:
        version = version_for(db, app.state.clock().date())
    for _ in range(32):
        shown = client.get("/api/v1/candidate/challenge", headers=kiosk).json()["challenge"]
        value = correct_value(app.state.catalog.challenge(version, shown["id"]))
        answer = {"uuid": str(uuid.uuid4()), "challenge_id": shown["id"], "value": value}
        assert client.post("/api/v1/candidate/answers", json=answer, headers=kiosk).status_code == 200

    login(client, demo)
    assert finalise(client, sid).status_code == 303  # nobody else started: no abort reason is needed
    certificate = client.get(f"/organiser/sessions/{sid}/certificates/{candidate_id}.pdf")
    assert certificate.status_code == 200
    code = re.search(r"Code de vérification : (P-\w{8})", pdf_text(certificate.content))[1]
    client.cookies.clear()
    verified = client.get(f"/api/v1/certificates/{code}")
    assert verified.status_code == 200
    assert verified.json()["last_name"] == person["last_name"] and verified.json()["pix_score"] > 500
