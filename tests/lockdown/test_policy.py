"""K11, K13, K16 and the rule sources: lockdown.policy (rule_matches, UrlRule, UrlPolicy), with bypass attempts."""

from __future__ import annotations

import hashlib
import json
import logging
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lockdown.errors import InvalidRuleError, InvalidUrlError, LockdownError
from lockdown.policy import (
    REASON_ALLOW_RULE,
    REASON_BLOCK_RULE,
    REASON_DEFAULT,
    REASON_IMPLICIT_ALLOW,
    REASON_INVALID_URL,
    UrlPolicy,
    UrlRule,
    Verdict,
    compile_rule,
    rule_matches,
)
from lockdown.urls import MAX_URL_LENGTH, normalise_url


def block(rule_id: str, pattern: str, kind: str = "simplified") -> UrlRule:
    return UrlRule(rule_id, "block", kind, pattern)


def allow(rule_id: str, pattern: str, kind: str = "simplified") -> UrlRule:
    return UrlRule(rule_id, "allow", kind, pattern)


BYPASS_POLICY = UrlPolicy(
    [block("block-evil", "evil.com"), block("block-ip", "127.0.0.1"), allow("allow-allowed", "allowed.org")],
    default="block",
)

BLOCKED_BY_EVIL = "block-evil"
BLOCKED_BY_IP = "block-ip"
ALLOWED = "allow-allowed"
DEFAULT = None

# (attempt, url, expected rule id: the rule that must decide, None when the default must decide)
BYPASS_ATTEMPTS = [
    ("plain blocked host", "https://evil.com/", BLOCKED_BY_EVIL),
    ("plain allowed host", "https://allowed.org/", ALLOWED),
    ("encoded dot in host", "http://evil%2ecom/", BLOCKED_BY_EVIL),
    ("encoded dot upper-case hex", "http://evil%2Ecom/", BLOCKED_BY_EVIL),
    ("encoded letter in host", "http://%65vil.com/", BLOCKED_BY_EVIL),
    ("encoded subdomain dot", "https://www%2eevil.com/", BLOCKED_BY_EVIL),
    ("upper-case host", "https://EVIL.com/", BLOCKED_BY_EVIL),
    ("upper-case scheme", "HTTP://evil.com/", BLOCKED_BY_EVIL),
    ("mixed case everywhere", "hTtPs://EvIl.CoM/PaTh", BLOCKED_BY_EVIL),
    ("full-width letters", "https://ｅｖｉｌ.com/", BLOCKED_BY_EVIL),
    ("trailing dot", "https://evil.com./", BLOCKED_BY_EVIL),
    ("trailing dot on subdomain", "https://www.evil.com./x", BLOCKED_BY_EVIL),
    ("allowed host as user info", "http://allowed.org@evil.com/", BLOCKED_BY_EVIL),
    ("allowed host as user and password", "http://allowed.org:allowed.org@evil.com/", BLOCKED_BY_EVIL),
    ("encoded slash in user info", "http://allowed.org%2f@evil.com/", BLOCKED_BY_EVIL),
    ("blocked host as user info of an allowed host", "http://evil.com@allowed.org/", ALLOWED),
    ("allowed host as subdomain of the blocked one", "https://allowed.org.evil.com/", BLOCKED_BY_EVIL),
    ("backslash before at sign", "https://evil.com\\@allowed.org", BLOCKED_BY_EVIL),
    ("backslash as path of an allowed host", "https://allowed.org\\@evil.com", ALLOWED),
    ("backslashes after the scheme", "https:\\\\evil.com\\", BLOCKED_BY_EVIL),
    ("missing slashes after the scheme", "https:evil.com/", BLOCKED_BY_EVIL),
    ("leading and trailing spaces", "   https://evil.com/   ", BLOCKED_BY_EVIL),
    ("leading control characters", "\x00\x01https://evil.com/", BLOCKED_BY_EVIL),
    ("tab inside the host", "https://ev\til.com/", BLOCKED_BY_EVIL),
    ("newline inside the scheme", "ht\ntps://evil.com/", BLOCKED_BY_EVIL),
    ("carriage return inside the host", "https://evil.c\r\nom/", BLOCKED_BY_EVIL),
    ("explicit default https port", "https://evil.com:443/", BLOCKED_BY_EVIL),
    ("explicit default port on allowed host", "https://allowed.org:443/", ALLOWED),
    ("non-default port", "https://evil.com:8443/", BLOCKED_BY_EVIL),
    ("websocket", "ws://evil.com/socket", BLOCKED_BY_EVIL),
    ("secure websocket on a subdomain", "wss://chat.evil.com:443/socket", BLOCKED_BY_EVIL),
    ("websocket to an allowed host", "wss://allowed.org/socket", ALLOWED),
    ("IPv4 dotted", "http://127.0.0.1/", BLOCKED_BY_IP),
    ("IPv4 decimal", "http://2130706433/", BLOCKED_BY_IP),
    ("IPv4 hexadecimal", "http://0x7f000001/", BLOCKED_BY_IP),
    ("IPv4 hexadecimal parts", "http://0x7f.1/", BLOCKED_BY_IP),
    ("IPv4 octal", "http://0177.0.0.1/", BLOCKED_BY_IP),
    ("IPv4 short form", "http://127.1/", BLOCKED_BY_IP),
    ("IPv4 with trailing dot", "http://127.0.0.1./", BLOCKED_BY_IP),
    ("IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]/", BLOCKED_BY_IP),
    ("IPv4-mapped IPv6, hex form", "http://[::ffff:7f00:1]:8080/", BLOCKED_BY_IP),
    ("homograph with a Cyrillic a", "https://аllowed.org/", DEFAULT),
    ("homograph already in punycode", "https://xn--llowed-2nf.org/", DEFAULT),
    ("look-alike with a prefix", "https://notallowed.org/", DEFAULT),
    ("look-alike with a hyphen", "https://evil-allowed.org/", DEFAULT),
    ("data URL", "data:text/html,<script>alert(1)</script>", DEFAULT),
    ("data URL, encoded", "data:text/html;base64,PHNjcmlwdD4=", DEFAULT),
    ("javascript URL", "javascript:alert(document.domain)", DEFAULT),
    ("javascript URL with spaces", "  JavaScript:alert(1)", DEFAULT),
    ("file URL", "file:///etc/passwd", DEFAULT),
    ("blob URL of an allowed origin", "blob:https://allowed.org/6f1c2d9e-1b7a-4c1e", ALLOWED),
    ("blob URL of a blocked origin", "blob:https://evil.com/6f1c2d9e-1b7a-4c1e", BLOCKED_BY_EVIL),
    ("blob URL of an encoded blocked origin", "blob:https://evil%2ecom/6f1c", BLOCKED_BY_EVIL),
    ("blob URL with an opaque origin", "blob:null/6f1c2d9e-1b7a-4c1e", DEFAULT),
    ("view-source of an allowed page", "view-source:https://allowed.org/", DEFAULT),
]


@pytest.mark.parametrize(("attempt", "url", "rule_id"), BYPASS_ATTEMPTS, ids=[case[0] for case in BYPASS_ATTEMPTS])
def test_bypass_attempt_is_decided_by_the_right_rule(attempt, url, rule_id):
    verdict = BYPASS_POLICY.evaluate(url)
    assert verdict.rule_id == rule_id, attempt
    assert verdict.allowed is (rule_id == ALLOWED)
    expected_reason = {ALLOWED: REASON_ALLOW_RULE, DEFAULT: REASON_DEFAULT}.get(rule_id, REASON_BLOCK_RULE)
    assert verdict.reason == expected_reason


@pytest.mark.parametrize(
    "url",
    [
        "http://evil%252ecom/",  # double-encoded dot: the host keeps a "%"
        "http://allowed.org%40evil.com/",  # encoded "@" cannot create user info, and is no host character
        "https://allowed.org:99999/",
        "http://[::1/",
        "//allowed.org/",
        "allowed.org",
        "",
        "https://256.0.0.1/",
    ],
)
def test_url_that_cannot_be_normalised_is_blocked_with_a_reason(url):
    verdict = BYPASS_POLICY.evaluate(url)
    assert verdict == Verdict(False, None, REASON_INVALID_URL, verdict.detail)
    assert verdict.detail


def test_double_encoding_in_the_path_is_decoded_once_only():
    policy = UrlPolicy([block("no-admin", "allowed.org/admin"), allow("ok", "allowed.org")])
    assert policy.evaluate("https://allowed.org/%61dmin").rule_id == "no-admin"
    assert policy.evaluate("https://allowed.org/x/%2e%2e/admin").rule_id == "no-admin"
    assert policy.evaluate("https://allowed.org/%2561dmin").rule_id == "ok"


def test_blob_url_is_blocked_as_such_by_a_blob_rule_even_for_an_allowed_origin():
    policy = UrlPolicy([block("no-blob", "^blob:", "regex"), allow("ok", "allowed.org")])
    verdict = policy.evaluate("blob:https://allowed.org/uuid")
    assert (verdict.allowed, verdict.rule_id) == (False, "no-blob")


def test_blob_url_verdict_says_it_was_judged_by_its_origin():
    assert "origin" in BYPASS_POLICY.evaluate("blob:https://allowed.org/uuid").detail


def test_data_url_can_be_allowed_narrowly_by_a_regex_rule():
    policy = UrlPolicy([allow("images", r"^data:image/(png|jpeg);base64,", "regex")])
    assert policy.evaluate("data:image/png;base64,iVBORw0KGgo=").allowed
    assert not policy.evaluate("data:text/html,<script>").allowed


def test_scheme_can_be_blocked_with_a_simplified_rule():
    policy = UrlPolicy([block("no-js", "javascript://*"), allow("all", "*")])
    assert policy.evaluate("javascript:alert(1)").rule_id == "no-js"
    assert policy.evaluate("https://host.org/").allowed


@pytest.mark.parametrize(
    ("url", "rule_id"),
    [
        ("https://allowed.org/" + "a" * 1_000_000, ALLOWED),
        ("https://evil.com/?" + "%41" * 500_000, BLOCKED_BY_EVIL),
        ("data:text/plain," + "x" * (MAX_URL_LENGTH - 20), DEFAULT),
        ("https://" + "a." * 100_000 + "org/", None),
        ("blob:" * 100_000 + "https://evil.com/", DEFAULT),
    ],
)
def test_very_long_url_is_decided_in_bounded_time(url, rule_id):
    policy = UrlPolicy(
        [block("block-evil", "evil.com"), block("glob", "*/*a*b*c*d*e*f"), allow("allow-allowed", "allowed.org")]
    )
    start = time.perf_counter()
    verdict = policy.evaluate(url)
    assert time.perf_counter() - start < 1.0
    assert verdict.rule_id == rule_id


def test_url_over_the_browser_limit_is_blocked():
    verdict = BYPASS_POLICY.evaluate("https://allowed.org/" + "a" * MAX_URL_LENGTH)
    assert (verdict.allowed, verdict.reason) == (False, REASON_INVALID_URL)


# --- evaluation order (K11) -------------------------------------------------------------------------------------


def test_block_wins_over_an_allow_listed_before_it():
    policy = UrlPolicy([allow("a", "host.org"), block("b", "host.org/exam-answers")])
    assert policy.evaluate("https://host.org/exam-answers").rule_id == "b"
    assert policy.evaluate("https://host.org/other").rule_id == "a"


def test_first_matching_block_in_list_order_is_reported():
    policy = UrlPolicy(
        [
            block("regex-first", r"^https://www\.host\.org/", "regex"),
            block("simplified-second", "host.org"),
            block("simplified-third", "*"),
        ]
    )
    assert policy.evaluate("https://www.host.org/").rule_id == "regex-first"
    assert policy.evaluate("https://host.org/").rule_id == "simplified-second"
    assert policy.evaluate("https://other.org/").rule_id == "simplified-third"


@pytest.mark.parametrize(("default", "allowed"), [("block", False), ("allow", True)])
def test_default_applies_when_no_rule_matches(default, allowed):
    verdict = UrlPolicy([block("b", "evil.com")], default=default).evaluate("https://neutral.org/")
    assert verdict == Verdict(allowed, None, REASON_DEFAULT)


def test_default_is_block():
    assert UrlPolicy([]).default == "block"
    assert not UrlPolicy([]).evaluate("https://host.org/").allowed


@pytest.mark.parametrize("default", ["deny", "", None])
def test_unknown_default_is_rejected(default):
    with pytest.raises(InvalidRuleError, match="default"):
        UrlPolicy([], default=default)


# --- implicit allows --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["about:blank", "ABOUT:blank", "about:blank#x", "kiosk://blocked", "kiosk://app/x?y"])
def test_kiosk_pages_and_about_blank_are_allowed_implicitly(url):
    verdict = UrlPolicy([block("all", "*")]).evaluate(url)
    assert verdict == Verdict(True, None, REASON_IMPLICIT_ALLOW)


def test_other_about_urls_are_not_implicitly_allowed():
    assert not UrlPolicy([]).evaluate("about:settings").allowed


def test_start_url_is_allowed_even_when_a_block_rule_matches():
    policy = UrlPolicy([block("all", "*")], implicit_allow=["https://exam.example/session/1"])
    assert policy.evaluate("https://EXAM.example:443/session/1").reason == REASON_IMPLICIT_ALLOW
    assert policy.evaluate("https://exam.example/session/1/question?id=3").allowed
    assert policy.evaluate("https://exam.example/session/1#top").allowed


@pytest.mark.parametrize(
    "url",
    [
        "https://exam.example/session/12",
        "https://exam.example/session",
        "http://exam.example/session/1",
        "https://exam.example.evil.com/session/1",
        "https://exam.example:8443/session/1",
    ],
)
def test_start_url_prefix_stops_at_a_path_boundary(url):
    policy = UrlPolicy([], implicit_allow=["https://exam.example/session/1"])
    assert not policy.evaluate(url).allowed


def test_origin_prefix_allows_the_whole_origin_only():
    policy = UrlPolicy([], implicit_allow=["https://exam.example"])
    assert policy.evaluate("https://exam.example/any/page").allowed
    assert policy.evaluate("blob:https://exam.example/uuid").allowed
    assert not policy.evaluate("https://exam.example.evil.com/").allowed
    assert not policy.evaluate("https://user@evil.com/https://exam.example/").allowed


def test_invalid_implicit_allow_prefix_is_rejected():
    with pytest.raises(InvalidRuleError, match="implicit_allow"):
        UrlPolicy([], implicit_allow=["exam.example/start"])


# --- regex rules (K13) ------------------------------------------------------------------------------------------


def test_regex_rule_is_case_insensitive_and_searched_anywhere():
    assert rule_matches("regex", "CHEAT", "https://host.org/how-to-cheat")
    assert rule_matches("regex", r"^https://allowed\.org/", "HTTPS://ALLOWED.ORG/x")


def test_regex_rule_sees_the_normalised_url():
    assert rule_matches("regex", r"^https://allowed\.org/$", "https://Allowed.org.:443")
    assert rule_matches("regex", r"evil\.com", "https://host.org/?u=evil%2ecom")
    assert not rule_matches("regex", r"evil\.com", "https://host.org/?u=evil%252ecom")


def test_regex_rule_does_not_see_user_info():
    assert not rule_matches("regex", r"^https?://allowed\.org", "http://allowed.org@evil.com/")
    assert rule_matches("regex", r"^https?://evil\.com/", "http://allowed.org@evil.com/")


def test_regex_rule_does_not_see_the_fragment():
    assert not rule_matches("regex", "secret", "https://host.org/page#secret")


def test_authors_anchor_regex_rules_themselves():
    assert rule_matches("regex", "allowed", "https://evil.com/?allowed")
    assert not rule_matches("regex", r"^https://allowed\.org/", "https://evil.com/?https://allowed.org/")


@pytest.mark.parametrize("pattern", ["(", "[a-", "*", "(?P<x>a)(?P<x>b)", r"\p{L}"])
def test_invalid_regex_is_rejected_naming_the_rule_id(pattern):
    with pytest.raises(InvalidRuleError) as caught:
        UrlPolicy([allow("ok", "host.org"), allow("bad-regex-7", pattern, "regex")])
    assert caught.value.rule_id == "bad-regex-7"
    assert "bad-regex-7" in str(caught.value) and repr(pattern) in str(caught.value)


def test_rule_matches_raises_a_lockdown_error_naming_an_invalid_regex():
    with pytest.raises(LockdownError, match=r"'\('"):
        rule_matches("regex", "(", "https://host.org/")


@pytest.mark.parametrize("kind", ["glob", "Simplified", "", None])
def test_unknown_kind_is_rejected(kind):
    with pytest.raises(InvalidRuleError, match="kind"):
        rule_matches(kind, "host.org", "https://host.org/")
    with pytest.raises(InvalidRuleError, match="kind"):
        UrlRule("r1", "block", kind, "host.org")


def test_rule_matches_is_false_for_a_url_that_cannot_be_normalised():
    assert rule_matches("simplified", "*", "https://evil%252ecom/") is False
    assert rule_matches("regex", ".*", "not a url") is False


def test_compile_rule_returns_a_reusable_matcher():
    matcher = compile_rule("regex", r"^wss://", rule_id="r1")
    assert matcher.matches(normalise_url("WSS://chat.host.org/"))
    assert not matcher.matches(normalise_url("https://chat.host.org/"))


# --- UrlRule ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("", "block", "simplified", "x"), "id"),
        ((7, "block", "simplified", "x"), "id"),
        (("r", "deny", "simplified", "x"), "action"),
        (("r", "block", "simplified", None), "pattern"),
    ],
)
def test_url_rule_rejects_bad_fields(fields, message):
    with pytest.raises(InvalidRuleError, match=message):
        UrlRule(*fields)


def test_url_rule_is_frozen():
    rule = block("r", "evil.com")
    with pytest.raises(AttributeError):
        rule.pattern = "*"  # type: ignore[misc]


def test_url_rule_round_trips_through_a_mapping():
    rule = allow("r1", r"^https://x\.org/", "regex")
    assert UrlRule.from_mapping(rule.to_dict()) == rule


def test_url_rule_from_mapping_names_missing_keys():
    with pytest.raises(InvalidRuleError, match="pattern"):
        UrlRule.from_mapping({"id": "r1", "action": "block", "kind": "regex"})


def test_invalid_simplified_rule_in_a_policy_names_its_id():
    with pytest.raises(InvalidRuleError) as caught:
        UrlPolicy([allow("ok", "host.org"), block("gpo-block-2", "?")])
    assert caught.value.rule_id == "gpo-block-2" and caught.value.kind == "simplified"


def test_duplicate_rule_ids_are_rejected():
    with pytest.raises(InvalidRuleError, match="duplicate"):
        UrlPolicy([allow("r1", "a.org"), block("r1", "b.org")])


def test_policy_accepts_only_url_rules():
    with pytest.raises(InvalidRuleError, match="UrlRule"):
        UrlPolicy([{"id": "r1", "action": "block", "kind": "regex", "pattern": "x"}])  # type: ignore[list-item]


# --- rule sources and digest ------------------------------------------------------------------------------------

SERVER_RULES = [allow("srv-allow", "allowed.org"), block("srv-block", "allowed.org/forum")]
MACHINE_RULES = [block("gpo-block", "games.example"), allow("gpo-allow", "lycee.example")]


def test_merge_keeps_machine_blocks_and_drops_machine_allows_by_default(caplog):
    with caplog.at_level(logging.INFO, logger="lockdown.policy"):
        policy = UrlPolicy.merge(SERVER_RULES, MACHINE_RULES)
    assert [rule.id for rule in policy.rules] == ["srv-allow", "srv-block", "gpo-block"]
    assert policy.evaluate("https://games.example/").rule_id == "gpo-block"
    assert not policy.evaluate("https://lycee.example/").allowed
    assert [record.event for record in caplog.records] == ["url_local_allow_ignored"]


def test_merge_keeps_machine_allows_when_local_additions_are_permitted():
    policy = UrlPolicy.merge(SERVER_RULES, MACHINE_RULES, allow_local_additions=True)
    assert policy.evaluate("https://lycee.example/").rule_id == "gpo-allow"


def test_machine_allow_never_overrides_a_server_block():
    machine = [allow("gpo-allow-forum", "allowed.org/forum")]
    policy = UrlPolicy.merge(SERVER_RULES, machine, allow_local_additions=True)
    assert policy.evaluate("https://allowed.org/forum").rule_id == "srv-block"


def test_merge_passes_default_and_implicit_allows_on():
    policy = UrlPolicy.merge([], [], default="allow", implicit_allow=["https://exam.example/"])
    assert policy.default == "allow"
    assert policy.evaluate("https://exam.example/x").reason == REASON_IMPLICIT_ALLOW


def test_merge_rejects_an_id_used_by_both_sources():
    with pytest.raises(InvalidRuleError, match="duplicate"):
        UrlPolicy.merge([block("r1", "a.org")], [block("r1", "b.org")])


def test_digest_is_the_sha256_of_the_canonical_json_of_the_rules():
    policy = UrlPolicy([block("b", "évil.com"), allow("a", r"^https://x\.org/", "regex")])
    canonical = (
        '[{"action":"block","id":"b","kind":"simplified","pattern":"évil.com"},'
        '{"action":"allow","id":"a","kind":"regex","pattern":"^https://x\\\\.org/"}]'
    )
    assert json.loads(canonical)[1]["pattern"] == r"^https://x\.org/"
    assert policy.digest == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_digest_changes_with_rule_order_and_content_only():
    rules = [block("b", "evil.com"), allow("a", "allowed.org")]
    digest = UrlPolicy(rules).digest
    assert UrlPolicy(rules, default="allow", implicit_allow=["https://x.org/"]).digest == digest
    assert UrlPolicy(rules[::-1]).digest != digest
    assert UrlPolicy([block("b", "evil.org"), rules[1]]).digest != digest


def test_merged_digest_covers_the_rules_actually_applied():
    merged = UrlPolicy.merge(SERVER_RULES, MACHINE_RULES)
    assert merged.digest == UrlPolicy([*SERVER_RULES, MACHINE_RULES[0]]).digest
    assert merged.digest != UrlPolicy.merge(SERVER_RULES, MACHINE_RULES, allow_local_additions=True).digest


# --- IO-thread properties (K16) ---------------------------------------------------------------------------------


def test_evaluate_does_not_log(caplog):
    with caplog.at_level(logging.DEBUG):
        for url in ("https://evil.com/", "https://allowed.org/", "bad url", "blob:https://evil.com/x"):
            BYPASS_POLICY.evaluate(url)
    assert caplog.records == []


def test_cached_and_uncached_policies_agree():
    rules = [block("b", "evil.com"), allow("a", "allowed.org"), block("r", "cheat", "regex")]
    cached, uncached = UrlPolicy(rules), UrlPolicy(rules, cache_size=0)
    urls = [url for _, url, _ in BYPASS_ATTEMPTS] + ["https://allowed.org/cheat", "https://allowed.org/ok"]
    for url in urls * 2:
        assert cached.evaluate(url) == uncached.evaluate(url)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=120), st.none(), st.integers()))
def test_evaluate_never_raises(url):
    verdict = BYPASS_POLICY.evaluate(url)
    assert isinstance(verdict, Verdict)
    assert verdict.allowed is (verdict.reason in (REASON_ALLOW_RULE, REASON_IMPLICIT_ALLOW))


# --- the index agrees with a naive evaluation -------------------------------------------------------------------

_EXPRESSIONS = [
    ("simplified", "host.org"),
    ("simplified", ".www.host.org"),
    ("simplified", "intranet"),
    ("simplified", "*.org"),
    ("simplified", "h*.org/a/*"),
    ("simplified", "https://*"),
    ("simplified", "*:8080"),
    ("simplified", "user@*"),
    ("simplified", "host.org?q=*"),
    ("simplified", "sub.host.org/a"),
    ("simplified", "org"),
    ("simplified", "10.0.0.1"),
    ("regex", r"^https://([a-z]+\.)*host\.org/"),
    ("regex", r"/a/"),
    ("regex", r"q=1"),
    ("regex", r"^ws"),
]
_URLS = st.builds(
    "{}://{}{}{}{}{}".format,
    st.sampled_from(["http", "https", "ws", "ftp"]),
    st.sampled_from(["", "user@", "other:pw@"]),
    st.sampled_from(["host.org", "www.host.org", "sub.host.org", "intranet", "x.intranet", "a.org", "10.0.0.1", "org"]),
    st.sampled_from(["", ":8080", ":443"]),
    st.sampled_from(["/", "/a/", "/a/b", "/b"]),
    st.sampled_from(["", "?q=1", "?"]),
)


def _naive_verdict(rules: list[UrlRule], url: str) -> tuple[bool, str | None]:
    normalised = normalise_url(url)
    for action in ("block", "allow"):
        for rule in rules:
            if rule.action == action and compile_rule(rule.kind, rule.pattern).matches(normalised):
                return action == "allow", rule.id
    return False, None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["block", "allow"]), st.sampled_from(_EXPRESSIONS)), max_size=10),
    st.lists(_URLS, min_size=1, max_size=5),
)
def test_indexed_policy_agrees_with_naive_evaluation_in_list_order(specs, urls):
    rules = [UrlRule(f"r{i}", action, kind, pattern) for i, (action, (kind, pattern)) in enumerate(specs)]
    policy = UrlPolicy(rules)
    for url in urls:
        verdict = policy.evaluate(url)
        assert (verdict.allowed, verdict.rule_id) == _naive_verdict(rules, url)


def test_invalid_url_error_is_what_normalisation_raises_for_the_policy():
    with pytest.raises(InvalidUrlError):
        normalise_url("http://evil%252ecom/")
