"""The organiser portal and the verification page in real headless Chromium (Playwright, sync API)."""

from __future__ import annotations

import re
import shutil
import subprocess

from playwright.sync_api import expect

from tests.server.test_finalisation import candidate_ids, play_course

GOOD_CSV = (
    "nom;prénom;date de naissance;lieu de naissance;email;identifiant;temps majoré;aménagement\n"
    "Durand;Éloïse;01/09/2011;Nantes;eloise@example.fr;INE-1;30 %;oui\n"
    "N'Diaye;Aïssa;2011-12-24;;;INE-2;;non\n"
)
BAD_CSV = "nom;prénom;date de naissance\nDurand;Éloïse;01/09/2011\n;Yanis;2011-12-24\nRoux;Inès;31/02/2012\n"


def log_in(page, live_server, live_demo) -> None:
    """Log in through the form, as an organiser would."""
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Espace organisateur").click()
    page.get_by_label("Adresse e-mail").fill(live_demo["organiser_email"])
    page.get_by_label("Mot de passe").fill(live_demo["organiser_password"])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sessions de Collège Jean Moulin (démo)")


def csv_file(name: str, content: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": content.encode("utf-8")}


def test_an_organiser_creates_a_session_and_enrols_by_form_and_by_file(live_server, live_demo, page, tmp_path):
    log_in(page, live_server, live_demo)

    page.get_by_role("link", name="Créer une session").click()
    page.get_by_label("Heure de début").fill("14:30")
    page.get_by_label("Salle").fill("Salle 104")
    page.get_by_label("Examinateur").fill("Mme Leroy")
    page.get_by_role("button", name="Créer la session").click()
    expect(page.get_by_role("heading", name="Mot de passe surveillant")).to_be_visible()
    expect(page.locator("#mot-de-passe-surveillant")).to_have_text(re.compile(r"^[BCDFGHJKMPQRTVWXY2346789]{5}$"))
    expect(page.locator("#code-acces")).to_have_text(re.compile(r"^[BCDFGHJKMPQRTVWXY]{4}[2346789]{2}$"))

    page.get_by_role("link", name="Inscrire un candidat").click()
    page.get_by_label("Nom", exact=True).fill("Dupont")
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Date de naissance").fill("2010-05-04")
    page.get_by_label("Temps majoré (%)").fill("25")
    page.get_by_label("Aménagement pour l'accessibilité").check()
    page.get_by_role("button", name="Inscrire").click()
    expect(page.get_by_role("status")).to_have_text("Le candidat est inscrit.")
    expect(page.locator("#mot-de-passe-surveillant")).to_have_count(0)  # shown once only

    page.get_by_label("Fichier CSV").set_input_files(csv_file("candidats.csv", GOOD_CSV))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("status")).to_have_text("Le fichier est importé : tous les candidats sont inscrits.")
    rows = page.locator("#candidats tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("25 %")
    expect(page.locator("#candidats")).to_contain_text("Éloïse")
    expect(page.locator("#candidats")).to_contain_text("N'Diaye")
    page.screenshot(path=str(tmp_path / "session.png"), full_page=True)
    assert (tmp_path / "session.png").stat().st_size > 10_000

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Retirer Aïssa N'Diaye").click()
    expect(page.get_by_role("status")).to_have_text("Le candidat est retiré de la session.")
    assert questions == ["Retirer Aïssa N'Diaye de la session ?"]
    expect(rows).to_have_count(2)


def test_a_bad_file_shows_every_line_in_error_and_enrols_nobody(live_server, live_demo, page):
    log_in(page, live_server, live_demo)
    page.goto(f"{live_server}/organiser/sessions/{live_demo['session_id']}")

    page.get_by_label("Fichier CSV").set_input_files(csv_file("mauvais.csv", BAD_CSV))
    page.get_by_role("button", name="Importer").click()

    errors = page.locator("#erreurs-import")
    expect(errors).to_contain_text("aucun candidat n'a été inscrit")
    lines = errors.locator("tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_have_text(re.compile(r"^\s*3\s*nom\s*valeur obligatoire\s*$"))
    expect(lines.nth(1)).to_contain_text("« 31/02/2012 » n'est pas une date valide")
    expect(lines.nth(1).locator("td").first).to_have_text("4")
    expect(page.locator("#candidats tbody tr")).to_have_count(3)  # the demo's three, nobody added


def test_a_finalised_certificate_is_verified_from_the_public_form(live_server, live_demo, page, tmp_path):
    app, sid = live_server.app, live_demo["session_id"]
    lea, moussa, camille = candidate_ids(app, sid)
    code = play_course(app, lea, answers=32)
    play_course(app, moussa, answers=21, success=lambda k: k % 2 == 0)
    log_in(page, live_server, live_demo)

    page.goto(f"{live_server}/organiser/sessions/{sid}")
    page.get_by_role("link", name="Finaliser la session").click()
    page.get_by_label("Motif d'abandon de Moussa Diallo").select_option("candidate")
    page.get_by_role("button", name="Finaliser la session").click()
    expect(page.get_by_role("status").first).to_have_text("La session est finalisée et les résultats sont calculés.")
    expect(page.locator("#resultats")).to_contain_text(code)
    certificate = page.request.get(f"{live_server}/organiser/sessions/{sid}/certificates/{lea}.pdf")
    assert certificate.ok and certificate.headers["content-type"] == "application/pdf"
    (tmp_path / "certificate.pdf").write_bytes(certificate.body())
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(tmp_path / "certificate.pdf"), str(tmp_path / "certificate")]
        )

    page.get_by_role("button", name="Se déconnecter").click()
    page.goto(f"{live_server}/verify")
    page.get_by_label("Code de vérification").fill(code.lower())
    page.get_by_label("Code de vérification").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificat authentique")
    expect(page.get_by_role("heading", level=2).first).to_have_text("Léa MARTIN")
    expect(page.locator(".facts")).to_contain_text(code)

    page.get_by_role("link", name="Vérifier un autre code").click()
    page.get_by_label("Code de vérification").fill("P-ZZZZZZZZ")
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("alert")).to_contain_text("Code inconnu")
