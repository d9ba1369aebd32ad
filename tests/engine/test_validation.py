"""Answer validation (spec §7): the five types, tolerances, numbers, skips, timers and focus."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from engine.bank import Challenge
from engine.errors import EngineError
from engine.validation import (
    SKIP,
    ValidationError,
    check,
    evaluate,
    levenshtein,
    matches,
    proposal_options,
    t1,
    t2,
    template_fields,
)


@pytest.mark.parametrize(
    ("answer", "status"),
    [("2", "ok"), ("1", "ko"), (" 2", "ko"), (SKIP, "aband")],
)
def test_qcu_needs_the_exact_proposal_number(answer, status):
    assert check("QCU", "2", answer) == status


@pytest.mark.parametrize(
    ("answer", "status"),
    [("2 , blabla, 1", "ok"), ("1,2", "ko"), ("1, 2, blabla, 3", "ko"), ("blabla,2,1", "ok")],
)
def test_qcm_compares_trimmed_sets(answer, status):
    assert check("QCM", "blabla ,1,2", answer) == status


def test_t1_removes_case_accents_and_every_space():
    assert t1("  Élève  Modèle\u00e9 ") == "elevemodelee"
    assert t2("l'été, déjà !") == "lt dj "
    assert t2(t1("L'Été, déjà !")) == "letedeja"


@pytest.mark.parametrize(
    ("solution", "answer", "tolerances", "status"),
    [
        ("Île-de-France", "ile de france", ("t1", "t2", "t3"), "ok"),
        ("Île-de-France", "ile de france", ("t1",), "ko"),  # the hyphens stay without t2
        ("Île-de-France", "Île-de-France", (), "ok"),
        ("Île-de-France", "île-de-france", (), "ko"),
        ("moteur de recherche", "moteur de recherhce", ("t1", "t2", "t3"), "ok"),  # 2 edits / 17
        ("moteur de recherche", "moteur de recherhce", ("t1", "t2"), "ko"),
        ("chat", "chien", ("t1", "t2", "t3"), "ko"),
        ("Paris\n\nLutèce\r\n", "lutece", ("t1", "t2", "t3"), "ok"),
        ("Paris", "", ("t1", "t2", "t3"), "ko"),
    ],
)
def test_qroc_applies_the_enabled_tolerances(solution, answer, tolerances, status):
    assert check("QROC", solution, answer, tolerances=tolerances) == status


def test_t3_divides_by_the_treated_answer_length():
    # "abcd" vs "abce": 1 edit / 4 = 0.25 -> accepted; "abc" vs "abd": 1 / 3 -> refused.
    assert matches("abcd", ["abce"], ("t1", "t2", "t3"))
    assert not matches("abc", ["abd"], ("t1", "t2", "t3"))
    assert matches("", [""], ("t3",))


@pytest.mark.parametrize(
    ("solution", "answer", "status"),
    [("12,5", "12.5", "ok"), ("12.5", " 12,50 ", "ok"), ("12.5", "12.6", "ko"), ("1000", "1e3", "ok")],
)
def test_numeric_qroc_compares_numbers(solution, answer, status):
    assert check("QROC", solution, answer, format="nombre", tolerances=("t1", "t2")) == status


def test_numeric_format_falls_back_to_text_when_a_value_is_not_a_number():
    assert check("QROC", "douze", "Douze", format="nombre") == "ok"
    assert check("QROC", "12", "inf", format="nombre", tolerances=()) == "ko"


def test_qrocm_ind_checks_each_field_and_reports_details():
    challenge = Challenge(
        "c", "s", "t", "1.1", 1.0, 0.0, type="QROCM-ind",
        proposals="Nom : {{nom}} Pays : {{pays: France | Belgique | Suisse}}",
        solution="nom:\n  - Dupont\n  - Dupond\npays: France",
    )  # fmt: skip
    assert evaluate(challenge, "nom: dupond\npays: France").status == "ok"
    wrong = evaluate(challenge, "nom: dupond\npays: france")  # a drop-down needs the exact choice
    assert (wrong.status, wrong.details) == ("ko", {"nom": True, "pays": False})
    assert evaluate(challenge, "nom: Dupont").details == {"nom": True, "pays": False}


def test_qrocm_dep_needs_distinct_groups_in_any_order():
    solution = "g1: [Firefox]\ng2: [Chrome, Chromium]\ng3: [Safari]"
    assert check("QROCM-dep", solution, "a: chromium\nb: firefox") == "ok"
    assert check("QROCM-dep", solution, "a: chrome\nb: chromium") == "ko"  # one group, twice
    assert check("QROCM-dep", solution, "a: opera\nb: firefox") == "ko"


def test_yaml_scalars_stay_texts():
    assert check("QROCM-ind", "code: '007'", "code: 007", tolerances=()) == "ok"
    assert check("QROCM-ind", "rep: oui", "rep: yes", tolerances=()) == "ko"


@pytest.mark.parametrize(
    ("solution", "answer", "message"),
    [
        ("- a\n- b", "x: 1", "solution: expected a non-empty mapping"),
        ("x: [a", "x: a", "solution: not valid YAML"),
        ("x: a", "just text", "answer: expected a non-empty mapping"),
        ("x: a", "x: [a, b]", "answer: field 'x' must be a text"),
        ("x: {y: z}", "x: a", "solution: entry 'x' must be a text or a list"),
    ],
)
def test_malformed_qrocm_data_raises_an_error_naming_the_field(solution, answer, message):
    with pytest.raises(ValidationError, match=message) as info:
        check("QROCM-ind", solution, answer)
    assert isinstance(info.value, EngineError)


def test_evaluate_names_the_challenge_in_errors_and_refuses_unknown_tolerances():
    broken = Challenge("c42", "s", "t", "1.1", 1.0, 0.0, type="QROCM-dep", solution="- a")
    with pytest.raises(ValidationError, match="challenge c42: solution"):
        evaluate(broken, "x: a")
    with pytest.raises(ValidationError, match="unknown"):
        check("QROC", "a", "a", tolerances=("t9",))
    with pytest.raises(ValidationError, match="at least one accepted answer"):
        check("QROC", "\n \n", "a")


def test_unknown_type_is_unimplemented_and_skip_is_never_validated():
    assert check("QCX", "1", "1") == "unimplemented"
    assert check("QROCM-ind", "not: [valid", SKIP) == "aband"


def test_timed_out_then_focused_out_only_turn_a_correct_answer_into_a_failure():
    timed = Challenge("c", "s", "t", "1.1", 1.0, 0.0, type="QCU", solution="1", timer=60, focused=True)
    assert evaluate(timed, "1", timed_out=True, focused_out=True).status == "timedout"
    assert evaluate(timed, "1", focused_out=True).status == "focusedOut"
    assert evaluate(timed, "2", timed_out=True, focused_out=True).status == "ko"
    untimed = Challenge("c", "s", "t", "1.1", 1.0, 0.0, type="QCU", solution="1", focused=False)
    assert evaluate(untimed, "1", timed_out=True, focused_out=True).status == "ok"


def test_templates_and_options_are_parsed():
    fields = template_fields("A {{ville}} B {{mois: janvier | février}} C")
    assert [(f.key, f.choices) for f in fields] == [("ville", ()), ("mois", ("janvier", "février"))]
    assert proposal_options("- un\n- deux\n\n- trois\n") == ("un", "deux", "trois")


@given(st.text(max_size=12), st.text(max_size=12))
def test_levenshtein_is_a_symmetric_distance(a, b):
    d = levenshtein(a, b)
    assert d == levenshtein(b, a)
    assert (d == 0) == (a == b)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))


def test_correct_answer_is_accepted_for_every_challenge_of_the_shipped_bank():
    from cadenas.resources import load_shipped_bank
    from engine.validation import correct_answer, evaluate

    bank = load_shipped_bank()
    challenges = list(bank.challenges)
    assert len(challenges) >= 200
    for challenge in challenges:
        value = correct_answer(challenge)
        text = value if isinstance(value, str) else yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
        assert evaluate(challenge, text).status == "ok", challenge.id
