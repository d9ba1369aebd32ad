"""K12 simplified rules: Safe Exam Browser's own test cases (tests/data/seb_simplified_rules.json), then one test
group per bullet of kiosk.md K12."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from lockdown.errors import InvalidRuleError, LockdownError
from lockdown.policy import rule_matches
from lockdown.simplified import HOST_ANY, HOST_EXACT, HOST_PATTERN, HOST_SUBDOMAINS, SimplifiedRule, glob_to_regex
from lockdown.urls import normalise_url

CORPUS_PATH = Path(__file__).resolve().parents[1] / "data" / "seb_simplified_rules.json"
CORPUS = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))


def _url_cases() -> list:
    cases = []
    for case in CORPUS["cases"]:
        for expected, key in ((True, "match"), (False, "no_match")):
            for url in case[key]:
                cases.append(pytest.param(case["expression"], url, expected, id=f"{case['test']}-{key}-{url}"))
    return cases


URL_CASES = _url_cases()


def matches(expression: str, url: str) -> bool:
    return rule_matches("simplified", expression, url)


# --- the conformance corpus -------------------------------------------------------------------------------------


def test_corpus_copy_is_complete_and_names_its_source_and_licence():
    assert len(CORPUS["cases"]) == 37
    assert len(URL_CASES) == 383
    assert "SafeExamBrowser" in CORPUS["source"] and "MPL-2.0" in CORPUS["source"]
    assert len(CORPUS["invalid_expressions"]) == 32 and len(CORPUS["valid_expressions"]) == 5


@pytest.mark.parametrize(("expression", "url", "expected"), URL_CASES)
def test_rule_matches_agrees_with_safe_exam_browser(expression, url, expected):
    assert matches(expression, url) is expected


@pytest.mark.parametrize("expression", CORPUS["invalid_expressions"])
def test_invalid_expression_is_rejected_with_a_lockdown_error_naming_it(expression):
    with pytest.raises(LockdownError) as caught:
        matches(expression, "https://host.org/")
    assert isinstance(caught.value, InvalidRuleError)
    assert repr(expression) in str(caught.value)


@pytest.mark.parametrize("expression", CORPUS["valid_expressions"])
def test_valid_expression_compiles(expression):
    assert SimplifiedRule(expression).expression == expression


def test_compiled_rule_can_be_reused_for_many_urls():
    rule = SimplifiedRule("host.org/url/path")
    assert rule.matches(normalise_url("https://www.host.org/url/path/"))
    assert not rule.matches(normalise_url("https://www.host.org/url/path.txt"))


# --- host -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/", True),
        ("https://www.example.org/", True),
        ("https://a.b.example.org/", True),
        ("https://example.org.com/", False),
        ("https://notexample.org/", False),
    ],
)
def test_host_matches_itself_and_subdomains_only(url, expected):
    assert matches("example.org", url) is expected


def test_leading_dot_matches_the_exact_host_only():
    assert matches(".example.org", "https://example.org/x")
    assert not matches(".example.org", "https://www.example.org/x")


def test_alphanumeric_host_matches_exactly():
    assert matches("intranet", "http://intranet/")
    assert not matches("intranet", "http://www.intranet/")
    assert not matches("intranet", "http://intranet.lycee.fr/")


def test_wildcard_tld_needs_at_least_one_label():
    assert matches("*.org", "https://a.org/")
    assert not matches("*.org", "https://org/")


def test_host_globs_as_written_with_implicit_subdomains():
    assert matches("test.*.org", "https://sub.test.host.domain.org/")
    assert not matches("test.*.org", "https://test.org/")
    assert matches("test.host.*", "https://x.test.host.co.uk/")
    assert not matches("test.host.*", "https://test.host/")


@pytest.mark.parametrize(
    ("expression", "mode"),
    [
        ("*", HOST_ANY),
        ("/path", HOST_ANY),
        (".www.host.org", HOST_EXACT),
        ("intranet", HOST_EXACT),
        ("10.0.0.1", HOST_EXACT),
        ("host.org", HOST_SUBDOMAINS),
        ("*.host.org", HOST_PATTERN),
    ],
)
def test_host_mode_is_classified_for_the_policy_index(expression, mode):
    assert SimplifiedRule(expression).host_mode == mode


def test_rule_host_is_normalised_like_a_url_host():
    assert matches("EXAMPLE.org.", "https://www.example.org/")
    assert matches("bücher.de", "https://xn--bcher-kva.de/")
    assert matches("*.bücher.de", "https://www.bücher.de/")
    assert matches("2130706433", "http://127.0.0.1/")
    assert matches("10.0.0.1", "http://10.0.0.1/") and not matches("10.0.0.1", "http://x.10.0.0.1.example/")
    assert matches("[::1]", "http://[0:0::1]:8080/")


def test_ip_literal_rule_host_matches_exactly():
    assert matches("127.0.0.1", "http://0x7f.1/")
    assert not matches("127.0.0.1", "http://127.0.0.2/")


@pytest.mark.parametrize("expression", ["ex ample.org", "host.org\\path", "a..b.org", "b*ü.de", "[::zz]"])
def test_impossible_host_is_rejected(expression):
    with pytest.raises(InvalidRuleError, match="host"):
        SimplifiedRule(expression)


# --- user info --------------------------------------------------------------------------------------------------


def test_user_matches_any_or_no_password():
    assert matches("user@host.org", "ftp://user@host.org/")
    assert matches("user@host.org", "ftp://user:secret@host.org/")
    assert not matches("user@host.org", "ftp://host.org/")


def test_user_and_password_need_exactly_that_pair():
    assert matches("user:pw@host.org", "ftp://user:pw@host.org/")
    assert not matches("user:pw@host.org", "ftp://user:pw2@host.org/")
    assert not matches("user:pw@host.org", "ftp://user@host.org/")


def test_wildcard_user_also_matches_a_url_without_user_info():
    assert matches("*@host.org", "https://host.org/")
    assert matches("*@host.org", "https://anyone@host.org/")


def test_user_info_is_compared_after_one_decoding():
    assert matches("jean.dupont@host.org", "ftp://jean%2Edupont@host.org/")


# --- port -------------------------------------------------------------------------------------------------------


def test_port_must_equal_the_url_port():
    assert matches("host.org:8080", "http://host.org:8080/")
    assert not matches("host.org:8080", "http://host.org:8081/")


@pytest.mark.parametrize(
    ("expression", "url"),
    [
        ("host.org:443", "https://host.org/"),
        ("host.org:443", "https://host.org:443/"),
        ("host.org:80", "http://host.org/"),
        ("host.org:80", "ws://host.org/"),
        ("host.org:443", "wss://host.org/"),
        ("host.org:21", "ftp://host.org/"),
    ],
)
def test_port_matches_the_scheme_default_port_when_the_url_has_none(expression, url):
    assert matches(expression, url)


def test_default_port_of_another_scheme_does_not_match():
    assert not matches("host.org:443", "http://host.org/")


def test_wildcard_or_absent_port_matches_any_port():
    assert matches("host.org:*", "https://host.org:9999/")
    assert matches("host.org", "https://host.org:9999/")


@pytest.mark.parametrize("expression", ["host.org:http", "host.org:65536", "host.org:80*"])
def test_port_that_is_not_a_number_is_rejected(expression):
    with pytest.raises(InvalidRuleError, match="port"):
        SimplifiedRule(expression)


# --- path -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://host.org/url/path", True),
        ("https://host.org/url/path/", True),
        ("https://host.org/url/path.txt", False),
        ("https://host.org/url/path/2", False),
        ("https://host.org/url", False),
    ],
)
def test_path_matches_in_full_with_optional_trailing_slash(url, expected):
    assert matches("host.org/url/path", url) is expected


def test_slash_or_no_path_matches_any_path():
    assert matches("host.org/", "https://host.org/any/thing")
    assert matches("host.org", "https://host.org/any/thing")


def test_path_star_globs():
    assert matches("host.org/*/path", "https://host.org/a/b/path")
    assert not matches("host.org/*/path", "https://host.org/a/b/path/more")


def test_path_is_decoded_once_and_dot_segments_resolved_on_both_sides():
    assert matches("host.org/secret", "https://host.org/%73ecret")
    assert matches("host.org/secret", "https://host.org/public/%2e%2e/secret")
    assert matches("host.org/a/../secret", "https://host.org/secret")
    assert not matches("host.org/secret", "https://host.org/%2573ecret")


# --- query and fragment -----------------------------------------------------------------------------------------


def test_query_must_equal_the_whole_query():
    assert matches("host.org?param=123", "https://host.org/?param=123")
    assert not matches("host.org?param=123", "https://host.org/?param=1234")
    assert not matches("host.org?param=123", "https://host.org/")


def test_query_star_globs():
    assert matches("host.org?*param=123", "https://host.org/?a=1&param=123")


def test_question_mark_dot_means_no_query():
    assert matches("host.org?.", "https://host.org/")
    assert matches("host.org?.", "https://host.org/?")
    assert not matches("host.org?.", "https://host.org/?a")


def test_empty_question_mark_puts_no_condition_on_the_query():
    assert matches("host.org?", "https://host.org/?anything=1")


def test_fragment_must_equal_the_whole_fragment_with_globs():
    assert matches("host.org#top", "https://host.org/#top")
    assert not matches("host.org#top", "https://host.org/#top2")
    assert matches("host.org#sec*", "https://host.org/#section-2")


# --- scheme, case, validity -------------------------------------------------------------------------------------


def test_scheme_matches_in_full_with_globs():
    assert matches("http*://host.org", "https://host.org/")
    assert not matches("http://host.org", "https://host.org/")


def test_non_network_scheme_can_be_matched_with_a_host_wildcard():
    assert matches("data://*", "data:text/html,<script>alert(1)</script>")
    assert matches("javascript://*", "javascript:alert(1)")
    assert not matches("data://*", "https://host.org/")


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://WWW.HOST.ORG/URL/PATH?Q=ABC#FRAG",
        "https://www.host.org/url/path?q=abc#frag",
        "hTtPs://wWw.HoSt.OrG/UrL/pAtH?q=AbC#fRaG",
    ],
)
def test_every_part_is_case_insensitive(url):
    assert matches("https://host.org/url/path?q=abc#frag", url)


@pytest.mark.parametrize("expression", [".", "+", "?", "@", "/", "ç", "", "   ", "://", ".?/#"])
def test_expression_without_letter_digit_or_star_is_invalid(expression):
    with pytest.raises(InvalidRuleError, match="at least one ASCII letter"):
        SimplifiedRule(expression, rule_id="r9")


def test_invalid_expression_error_names_the_rule_id():
    with pytest.raises(InvalidRuleError) as caught:
        SimplifiedRule("@", rule_id="gpo-3")
    assert caught.value.rule_id == "gpo-3" and "gpo-3" in str(caught.value)


def test_non_string_expression_is_rejected():
    with pytest.raises(InvalidRuleError, match="not a string"):
        SimplifiedRule(42)  # type: ignore[arg-type]


def test_invalid_scheme_is_rejected():
    with pytest.raises(InvalidRuleError, match="scheme"):
        SimplifiedRule("ht tp://host.org")


def test_expression_that_fits_no_url_shape_is_rejected():
    with pytest.raises(InvalidRuleError, match="cannot be split"):
        SimplifiedRule("a@b@c")


def test_surrounding_whitespace_in_an_expression_is_ignored():
    assert matches("  host.org\t", "https://host.org/")


# --- globs ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glob", "text", "expected"),
    [
        ("a*b*c", "axxbyyc", True),
        ("a*b*c", "axxbyy", False),
        ("*ab*b", "abab", True),
        ("a*a", "a", False),
        ("**", "", True),
        ("a.b", "axb", False),
    ],
)
def test_glob_to_regex_matches_like_a_glob(glob, text, expected):
    import re

    assert (re.fullmatch(glob_to_regex(glob), text) is not None) is expected


def test_many_stars_against_a_long_url_stay_fast():
    url = "https://host.org/" + "a" * 200_000
    start = time.perf_counter()
    assert not matches("host.org/*a*a*a*a*a*a*b", url)
    assert not matches("*.*.*.*.*.*.org", "https://" + "a." * 120 + "net/")
    assert time.perf_counter() - start < 1.0
