"""Enrolling candidates: by form, by CSV import (all or nothing, problems line by line), edit and removal."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.models import AuditEntry, Candidate, ExamSession
from server.services.enrolment import EnrolmentError, parse_candidate_csv
from tests.server.test_finalisation import play_course
from tests.server.test_organiser import database, login, page_text

HEADER = "nom;prénom;date de naissance;lieu de naissance;email;identifiant;temps majoré;aménagement"
TODAY = dt.date(2026, 11, 23)


def enrolled(app, session_id: int) -> dict[str, Candidate]:
    """The session's candidates by last name."""
    with database(app) as db:
        return {c.last_name: c for c in db.scalars(select(Candidate).where(Candidate.session_id == session_id))}


def add(client, session_id: int, **fields: str):
    data = {"last_name": "Dupont", "first_name": "Jeanne", "birth_date": "2010-05-04", **fields}
    return client.post(f"/organiser/sessions/{session_id}/candidates", data=data, follow_redirects=False)


def upload(client, session_id: int, content: bytes | str, filename: str = "candidats.csv"):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        f"/organiser/sessions/{session_id}/candidates/import",
        files={"fichier": (filename, raw, "text/csv")},
        follow_redirects=False,
    )


# --- by form --------------------------------------------------------------------------------------


def test_a_candidate_enrolled_by_form_is_stored_with_extra_time_as_a_fraction(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]

    response = add(
        client,
        sid,
        birth_place="Lille",
        email="jeanne@example.fr",
        external_id="INE-42",
        extra_time="33",
        accessibility="oui",
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/organiser/sessions/{sid}?ok=added"
    jeanne = enrolled(app, sid)["Dupont"]
    assert (jeanne.first_name, jeanne.birth_date, jeanne.birth_place) == ("Jeanne", dt.date(2010, 5, 4), "Lille")
    assert (jeanne.email, jeanne.external_id) == ("jeanne@example.fr", "INE-42")
    assert jeanne.extra_time_percentage == pytest.approx(0.33) and jeanne.accessibility_adjustment
    page = client.get(response.headers["location"])
    assert "Le candidat est inscrit." in page_text(page) and "Dupont" in page.text and "33 %" in page.text


def test_every_bad_form_field_is_named_and_nothing_is_stored(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]

    response = add(client, sid, last_name="", birth_date="31/02/2010", email="pas-une-adresse", extra_time="120")

    assert response.status_code == 422
    text = page_text(response)
    assert "nom : valeur obligatoire" in text
    assert "date de naissance : « 31/02/2010 » n'est pas une date valide" in text
    assert "email : « pas-une-adresse » n'est pas une adresse e-mail" in text
    assert "temps majoré : 120 dépasse 100 %" in text
    assert 'value="pas-une-adresse"' in response.text
    assert "Dupont" not in enrolled(app, sid) and len(enrolled(app, sid)) == 3


def test_a_birth_date_in_the_future_is_refused(client, demo):
    login(client, demo)

    response = add(client, demo["session_id"], birth_date="2030-01-01")

    assert response.status_code == 422
    assert "n'est pas une date de naissance plausible" in page_text(response)


def test_the_same_person_cannot_be_enrolled_twice(client, app, demo):
    login(client, demo)

    response = add(client, demo["session_id"], last_name="MARTIN", first_name="léa", birth_date="14/03/2010")

    assert response.status_code == 409
    assert "est déjà inscrit(e) à cette session" in page_text(response)
    assert len(enrolled(app, demo["session_id"])) == 3


def test_an_enrolment_can_be_edited_before_the_test(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    lea = enrolled(app, sid)["Martin"]
    form = client.get(f"/organiser/sessions/{sid}/candidates/{lea.id}/edit")
    assert form.status_code == 200 and 'value="2010-03-14"' in form.text

    response = client.post(
        f"/organiser/sessions/{sid}/candidates/{lea.id}",
        data={"last_name": "Martin", "first_name": "Léa", "birth_date": "2010-03-15", "extra_time": "25 %"},
        follow_redirects=False,
    )

    assert response.status_code == 303
    changed = enrolled(app, sid)["Martin"]
    assert changed.birth_date == dt.date(2010, 3, 15) and changed.extra_time_percentage == pytest.approx(0.25)
    assert not changed.accessibility_adjustment


def test_an_edit_may_not_make_a_duplicate(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    lea = enrolled(app, sid)["Martin"]

    response = client.post(
        f"/organiser/sessions/{sid}/candidates/{lea.id}",
        data={"last_name": "Diallo", "first_name": "Moussa", "birth_date": "02/11/2009"},
    )

    assert response.status_code == 409
    assert enrolled(app, sid)["Martin"].first_name == "Léa"


def test_a_candidate_who_started_can_be_neither_edited_nor_removed(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    lea = enrolled(app, sid)["Martin"]
    play_course(app, lea.id, answers=2)

    edit = client.post(
        f"/organiser/sessions/{sid}/candidates/{lea.id}",
        data={"last_name": "Martin", "first_name": "Lea", "birth_date": "2010-03-14"},
    )
    remove = client.post(f"/organiser/sessions/{sid}/candidates/{lea.id}/delete")

    form = client.get(f"/organiser/sessions/{sid}/candidates/{lea.id}/edit")

    assert form.status_code == 409 and "son inscription ne peut plus changer" in page_text(form)
    assert edit.status_code == 409 and "son inscription ne peut plus changer" in page_text(edit)
    assert remove.status_code == 409 and "il ne peut plus être retiré" in page_text(remove)
    assert enrolled(app, sid)["Martin"].first_name == "Léa"


def test_a_candidate_who_has_not_started_can_be_removed(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    moussa = enrolled(app, sid)["Diallo"]

    response = client.post(f"/organiser/sessions/{sid}/candidates/{moussa.id}/delete", follow_redirects=False)

    assert response.status_code == 303
    assert set(enrolled(app, sid)) == {"Martin", "Nguyen"}
    with database(app) as db:
        assert db.scalars(select(AuditEntry).where(AuditEntry.action == "remove_candidate")).one()
    assert client.post(f"/organiser/sessions/{sid}/candidates/{moussa.id}/delete").status_code == 404


def test_a_candidate_of_another_session_is_not_found(client, app, demo):
    login(client, demo)
    with database(app) as db:
        other = ExamSession(
            centre_id=db.get(ExamSession, demo["session_id"]).centre_id,
            date=TODAY,
            access_code="BBBB22",
            invigilator_password_hash="x",
        )
        db.add(other)
        db.flush()
        other_id = other.id
    lea = enrolled(app, demo["session_id"])["Martin"]

    response = client.get(f"/organiser/sessions/{other_id}/candidates/{lea.id}/edit")

    assert response.status_code == 404
    assert "introuvable dans cette session" in page_text(response)


def test_enrolment_closes_when_the_session_is_finalised(client, app, demo):
    login(client, demo)
    with database(app) as db:
        db.get(ExamSession, demo["session_id"]).status = "finalized"

    by_form = add(client, demo["session_id"])
    by_file = upload(client, demo["session_id"], f"{HEADER}\nDupont;Jeanne;04/05/2010;;;;;\n")

    assert by_form.status_code == 409 and "les inscriptions sont closes" in page_text(by_form)
    assert by_file.status_code == 409
    assert "Dupont" not in enrolled(app, demo["session_id"])


# --- by CSV import --------------------------------------------------------------------------------


def test_a_good_csv_file_enrols_every_candidate(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    content = "\ufeff" + "\r\n".join(
        [
            HEADER,
            "Durand;Éloïse;01/09/2011;Nantes;eloise@example.fr;INE-1;30 %;oui",
            "Ben Ali;Yanis;2011-12-24;;;INE-2;0;non",
            "",
            "N'Diaye;Aïssa;3/4/2011;Dakar;;;12,5%;",
        ]
    )

    response = upload(client, sid, content)

    assert response.status_code == 303
    assert response.headers["location"] == f"/organiser/sessions/{sid}?ok=imported"
    rows = enrolled(app, sid)
    assert {"Durand", "Ben Ali", "N'Diaye"} <= set(rows)
    assert rows["Durand"].first_name == "Éloïse" and rows["Durand"].accessibility_adjustment
    assert rows["Durand"].extra_time_percentage == pytest.approx(0.3)
    assert rows["Ben Ali"].birth_date == dt.date(2011, 12, 24) and rows["Ben Ali"].extra_time_percentage == 0
    assert rows["N'Diaye"].birth_date == dt.date(2011, 4, 3)
    assert rows["N'Diaye"].extra_time_percentage == pytest.approx(0.125)


def test_a_comma_separated_file_with_only_the_required_columns_is_accepted(client, app, demo):
    login(client, demo)

    response = upload(client, demo["session_id"], "Nom,Prenom,Date de naissance\nRoux,Inès,2012-02-29\n")

    assert response.status_code == 303
    assert enrolled(app, demo["session_id"])["Roux"].birth_date == dt.date(2012, 2, 29)


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]
    content = "\n".join(
        [
            HEADER,
            "Durand;Éloïse;01/09/2011;Nantes;;;30;oui",
            ";Yanis;2011-12-24;;;;;",
            "Petit;Louis;32/01/2011;;louis@;;;",
            "Roux;Inès;01/01/2012;;;;150 %;peut-être",
            "Durand;éloïse;01/09/2011;;;;;",
            "Martin;Léa;14/03/2010;;;;;",
            "Trop;De;01/01/2011;;;;;;valeur en plus",
        ]
    )

    response = upload(client, sid, content)

    assert response.status_code == 422
    problems = [
        (row.line, row.column, row.message)
        for row in _problems(content)  # the same problems the page lists
    ]
    text = page_text(response)
    assert "aucun candidat n'a été inscrit" in text
    assert (3, "nom", "valeur obligatoire") in problems
    assert (4, "date de naissance", "« 32/01/2011 » n'est pas une date valide (JJ/MM/AAAA ou AAAA-MM-JJ)") in problems
    assert (4, "email", "« louis@ » n'est pas une adresse e-mail") in problems
    assert (5, "temps majoré", "150 % dépasse 100 %") in problems
    assert (5, "aménagement", "« peut-être » : répondez oui ou non") in problems
    assert (6, None, "même candidat qu'à la ligne 2") in problems
    assert (8, None, "9 valeurs pour 8 colonnes") in problems
    for line, column, message in problems:
        assert f'<td class="num">{line}</td><td>{column or "—"}</td><td>{message}</td>' in text
    assert "Martin;Léa" not in text
    assert "est déjà inscrit(e)" not in text  # enrolled duplicates are checked once the rows are good
    assert set(enrolled(app, sid)) == {"Martin", "Diallo", "Nguyen"}


def _problems(content: str):
    with pytest.raises(EnrolmentError) as caught:
        parse_candidate_csv(content.encode(), today=TODAY)
    return caught.value.rows


def test_a_candidate_already_enrolled_makes_the_whole_file_fail(client, app, demo):
    login(client, demo)
    sid = demo["session_id"]

    response = upload(client, sid, f"{HEADER}\nDurand;Éloïse;01/09/2011;;;;;\nmartin;LÉA;14/03/2010;;;;;\n")

    assert response.status_code == 422
    assert '<td class="num">3</td><td>—</td><td>LÉA martin est déjà inscrit(e) à cette session</td>' in page_text(
        response
    )
    assert "Durand" not in enrolled(app, sid)


def test_a_file_that_is_not_utf8_is_refused_with_its_line(client, app, demo):
    login(client, demo)

    response = upload(client, demo["session_id"], f"{HEADER}\nDurand;Éloïse;01/09/2011;;;;;\n".encode("latin-1"))

    assert response.status_code == 422
    assert "le fichier n'est pas en UTF-8" in page_text(response)
    assert '<td class="num">1</td>' in response.text  # the é of the header


def test_a_missing_file_is_reported(client, demo):
    login(client, demo)

    response = client.post(f"/organiser/sessions/{demo['session_id']}/candidates/import", data={})

    assert response.status_code == 422
    assert "choisissez un fichier CSV à importer" in page_text(response)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", [(None, None, "le fichier est vide")]),
        (f"{HEADER}\n", [(None, None, "le fichier ne contient aucun candidat")]),
        (
            "nom;prénom;naissance\nA;B;01/01/2010\n",
            [
                (1, "naissance", f"colonne inconnue (attendues : {HEADER})"),
                (1, "date de naissance", "colonne obligatoire absente de l'en-tête"),
            ],
        ),
        ("nom;prénom;nom;date de naissance\n", [(1, "nom", "colonne en double")]),
    ],
)
def test_a_file_without_candidates_or_with_a_bad_header_is_refused(content, expected):
    assert [(r.line, r.column, r.message) for r in _problems(content)] == expected


def test_lines_are_counted_in_the_file_even_with_quoted_line_breaks():
    content = f'{HEADER}\n"Durand";"Éloïse";01/09/2011;"Nantes\n(Loire-Atlantique)";;;;\n\nRoux;Inès;bad;;;;;\n'

    assert [(r.line, r.column) for r in _problems(content)] == [(5, "date de naissance")]
