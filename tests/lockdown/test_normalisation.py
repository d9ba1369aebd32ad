"""K14: URL normalisation (lockdown.urls)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lockdown.errors import InvalidUrlError, LockdownError
from lockdown.urls import (
    MAX_URL_LENGTH,
    NormalisedUrl,
    canonical_host,
    normalise_url,
    percent_decode_once,
    remove_dot_segments,
)

# --- percent-decoding -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("evil%2ecom", "evil.com"),
        ("%252e", "%2e"),
        ("%25252e", "%252e"),
        ("caf%C3%A9", "café"),
        ("%ff%FE", "%FF%FE"),
        ("100%", "100%"),
        ("%zz%4", "%zz%4"),
        ("a%20b%2Fc", "a b/c"),
        ("plain", "plain"),
    ],
)
def test_percent_decoding_happens_exactly_once(text, decoded):
    assert percent_decode_once(text) == decoded


def test_double_encoded_path_stays_encoded_once():
    assert normalise_url("https://host.org/%252e%252e/secret").path == "/%2e%2e/secret"


def test_encoded_delimiters_do_not_change_the_url_structure():
    url = normalise_url("https://host.org/a%3Fb%23c%40d?x=%26y#%3F")
    assert url.host == "host.org"
    assert url.path == "/a?b#c@d"
    assert url.query == "x=&y"
    assert url.fragment == "?"


# --- scheme, host, port -----------------------------------------------------------------------------------------


def test_scheme_is_lower_cased():
    assert normalise_url("HtTpS://host.org/").scheme == "https"


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("EXAMPLE.org.", "example.org"),
        ("evil%2Ecom", "evil.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("BÜCHER.DE", "xn--bcher-kva.de"),
        ("ＥＸＡＭＰＬＥ．org", "example.org"),
        ("аllowed.org", "xn--llowed-2nf.org"),
        ("", ""),
    ],
)
def test_host_is_punycode_lower_case_without_trailing_dot(raw, host):
    assert canonical_host(raw) == host


@pytest.mark.parametrize(
    ("raw", "ip"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0x7f.0.0.0x1", "127.0.0.1"),
        ("10.0.513", "10.0.2.1"),
        ("0x", "0.0.0.0"),
        ("[::1]", "[::1]"),
        ("[0:0:0:0:0:0:0:1]", "[::1]"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("[::ffff:127.0.0.1]", "127.0.0.1"),
    ],
)
def test_ip_literals_take_their_canonical_form(raw, ip):
    assert canonical_host(raw) == ip


@pytest.mark.parametrize(
    "raw",
    [
        "evil%252ecom",  # double encoding leaves a "%" in the host
        "a..b",
        ".org",
        "evil.com..",
        "a" * 64 + ".org",
        ("a" * 60 + ".") * 5 + "org",
        "ex ample.org",
        "evil.com/x",
        "256.1.1.1",
        "1.2.3.4.5",
        "09.1.1.1",
        "0x100000000",
        "foo.123",
        "[::1",
        "[fe80::1%25eth0]",
        "[not-ipv6]",
    ],
)
def test_impossible_host_is_an_invalid_url_error(raw):
    with pytest.raises(InvalidUrlError):
        canonical_host(raw)


def test_host_ending_in_a_non_number_label_is_a_domain():
    assert canonical_host("0x7f.example") == "0x7f.example"
    assert canonical_host("foo.0x1g") == "foo.0x1g"
    assert canonical_host("hostname123") == "hostname123"


@pytest.mark.parametrize(
    ("url", "port", "effective"),
    [
        ("http://host.org:80/", None, 80),
        ("https://host.org:443/", None, 443),
        ("ws://host.org:80/", None, 80),
        ("wss://host.org:443/", None, 443),
        ("ftp://host.org:21/", None, 21),
        ("https://host.org:80/", 80, 80),
        ("https://host.org:08443/", 8443, 8443),
        ("https://host.org:/", None, 443),
        ("scheme://host.org/", None, None),
    ],
)
def test_default_port_is_dropped(url, port, effective):
    normalised = normalise_url(url)
    assert (normalised.port, normalised.effective_port) == (port, effective)


@pytest.mark.parametrize("url", ["https://host.org:65536/", "https://host.org:8o/", "https://host.org:-1/"])
def test_invalid_port_is_an_invalid_url(url):
    with pytest.raises(InvalidUrlError, match="port"):
        normalise_url(url)


# --- user info --------------------------------------------------------------------------------------------------


def test_user_info_is_kept_apart_from_the_host():
    url = normalise_url("http://allowed.org@evil.com/")
    assert (url.username, url.password, url.host) == ("allowed.org", None, "evil.com")
    assert url.text == "http://evil.com/"


def test_user_info_ends_at_the_last_at_sign_and_the_password_at_the_first_colon():
    url = normalise_url("http://a@b:c:d@evil.com/")
    assert (url.username, url.password, url.host) == ("a@b", "c:d", "evil.com")


def test_encoded_at_sign_in_user_info_does_not_split_it():
    url = normalise_url("http://allowed.org%40x@evil.com/")
    assert (url.username, url.host) == ("allowed.org@x", "evil.com")


# --- browser parsing quirks -------------------------------------------------------------------------------------


def test_backslash_is_a_slash_in_special_schemes():
    url = normalise_url("https://evil.com\\@allowed.org")
    assert (url.host, url.path, url.username) == ("evil.com", "/@allowed.org", None)


def test_backslash_in_query_is_kept():
    assert normalise_url("https://host.org/?a\\b").query == "a\\b"


@pytest.mark.parametrize("url", ["https:evil.com/", "https:/evil.com/", "https:////evil.com/", "https:\\\\evil.com/"])
def test_special_scheme_tolerates_any_number_of_slashes(url):
    assert normalise_url(url).host == "evil.com"


def test_surrounding_spaces_and_controls_are_stripped_and_tabs_newlines_removed():
    url = normalise_url("\x00  ht\ttps://ev\nil.co\rm/pa\tth  \x1f")
    assert url.text == "https://evil.com/path"


def test_dot_segments_are_resolved_after_decoding():
    assert normalise_url("https://host.org/a/b/../../c").path == "/c"
    assert normalise_url("https://host.org/a/%2E%2e/c").path == "/c"
    assert normalise_url("https://host.org/a/..%2Fc").path == "/c"
    assert normalise_url("https://host.org/../../etc").path == "/etc"


@pytest.mark.parametrize(
    ("path", "resolved"),
    [("/a/./b/", "/a/b/"), ("/a/b/..", "/a/"), ("/..", "/"), ("//x", "//x"), ("/a//../b", "/a/b"), ("/", "/")],
)
def test_remove_dot_segments(path, resolved):
    assert remove_dot_segments(path) == resolved


def test_empty_path_after_authority_is_slash():
    assert normalise_url("https://host.org").path == "/"
    assert normalise_url("https://host.org?q").text == "https://host.org/?q"


def test_fragment_is_kept_apart_and_left_out_of_the_text():
    url = normalise_url("https://host.org/p?q=1#frag")
    assert url.fragment == "frag"
    assert url.text == "https://host.org/p?q=1"


def test_query_absent_and_empty_are_distinguished():
    assert normalise_url("https://host.org/").query is None
    assert normalise_url("https://host.org/?").query == ""


# --- non-network schemes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "scheme", "path"),
    [
        ("data:text/html,%3Cscript%3E", "data", "text/html,<script>"),
        ("JavaScript:alert(1)", "javascript", "alert(1)"),
        ("about:blank", "about", "blank"),
        ("mailto:someone@host.org", "mailto", "someone@host.org"),
        ("view-source:https://host.org/", "view-source", "https://host.org/"),
    ],
)
def test_non_network_urls_are_representable_by_scheme(url, scheme, path):
    normalised = normalise_url(url)
    assert (normalised.scheme, normalised.host, normalised.path, normalised.has_authority) == (scheme, "", path, False)


def test_file_url_has_an_empty_host():
    url = normalise_url("file:///C:/Users/x.txt")
    assert (url.scheme, url.host, url.path) == ("file", "", "/C:/Users/x.txt")


def test_blob_url_carries_its_http_origin_parsed_from_the_raw_text():
    url = normalise_url("blob:https://Allowed.org:443/a%252e")
    assert url.inner is not None
    assert (url.inner.host, url.inner.port, url.inner.path) == ("allowed.org", None, "/a%2e")


@pytest.mark.parametrize("url", ["blob:null/1234", "blob:file:///x", "blob:blob:https://host.org/x", "blob:"])
def test_blob_url_without_http_origin_has_no_inner_url(url):
    assert normalise_url(url).inner is None


def test_deeply_nested_blob_urls_do_not_recurse():
    assert normalise_url("blob:" * 50_000 + "https://host.org/").inner is None


# --- failures ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["", "   ", "//host.org/", "host.org/path", "1http://host.org/", "https://", "https:///", "http://:80/"],
)
def test_url_without_scheme_or_host_is_invalid(url):
    with pytest.raises(InvalidUrlError):
        normalise_url(url)


def test_non_string_url_is_invalid():
    with pytest.raises(InvalidUrlError, match="not a string"):
        normalise_url(None)  # type: ignore[arg-type]


def test_invalid_url_error_is_a_lockdown_error_and_keeps_the_url_out_of_its_message():
    with pytest.raises(LockdownError) as caught:
        normalise_url("http://secret-token-123@%zz/")
    assert isinstance(caught.value, ValueError)
    assert "secret-token-123" not in str(caught.value)


def test_url_longer_than_a_browser_accepts_is_invalid():
    with pytest.raises(InvalidUrlError, match="longer"):
        normalise_url("https://host.org/" + "a" * MAX_URL_LENGTH)


def test_longest_accepted_url_normalises_quickly():
    url = "https://host.org/" + "%41" * ((MAX_URL_LENGTH - 20) // 3)
    start = time.perf_counter()
    assert normalise_url(url).path.startswith("/AAA")
    assert time.perf_counter() - start < 1.0


def test_normalised_url_is_immutable():
    url = normalise_url("https://host.org/")
    assert isinstance(url, NormalisedUrl)
    with pytest.raises(AttributeError):
        url.host = "evil.com"  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_normalises_or_raises_invalid_url_error(text):
    try:
        url = normalise_url(text)
    except InvalidUrlError:
        return
    assert url.scheme == url.scheme.lower()
    assert url.host == url.host.lower() and not url.host.endswith(".")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["http", "https", "ws", "wss", "ftp", "scheme"]),
    st.from_regex(r"[a-z0-9-]{1,10}(\.[a-z0-9-]{1,10}){0,3}", fullmatch=True),
    st.from_regex(r"(/[a-zA-Z0-9._~-]{0,8}){0,4}", fullmatch=True),
)
def test_canonical_text_normalises_to_itself(scheme, host, path):
    try:
        first = normalise_url(f"{scheme}://{host}{path}")
    except InvalidUrlError:  # e.g. a numeric last label that is not an IPv4 address
        return
    assert normalise_url(first.text).text == first.text
