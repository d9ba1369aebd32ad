r"""URL normalisation before matching (kiosk.md K14), the same for the URLs the kiosk sees and for rules.

:func:`normalise_url` turns a URL string into a :class:`NormalisedUrl` whose parts are compared by the rule
matchers, or raises :class:`~lockdown.errors.InvalidUrlError` (the policy then blocks the URL). What it does,
in order, following the WHATWG URL parser where a browser would disagree with a naive split:

1. strip leading/trailing C0 controls and spaces, remove every tab, CR and LF (as browsers do);
2. scheme: ``[A-Za-z][A-Za-z0-9+.-]*:``, lower-cased; a URL without one is not absolute, hence invalid;
3. split the fragment at the first ``#`` and the query at the first ``?`` *before* any decoding, so an encoded
   ``%23``/``%3F``/``%2F``/``%40`` can never change the URL's structure;
4. special schemes (``http``, ``https``, ``ws``, ``wss``, ``ftp``, ``file``): backslashes before the query are
   slashes, and any number of slashes may follow the scheme (``http:\\evil.com`` is host ``evil.com``);
5. authority: user info ends at the **last** ``@`` and is kept apart (``http://allowed.org@evil.com/`` is host
   ``evil.com``), the port must be decimal and at most 65535, the scheme's default port is dropped;
6. host (:func:`canonical_host`): percent-decoded once, IDNA to punycode (standard-library IDNA 2003 codec), lower
   case, one trailing dot removed, labels non-empty and at most 63 characters, no forbidden code point; IPv4 in any
   WHATWG form (``2130706433``, ``0x7f.1``, ``0177.0.0.1``) becomes dotted decimal; IPv6 is compressed in
   brackets, and an IPv4-mapped IPv6 literal (``[::ffff:7f00:1]``) becomes its IPv4 address;
7. path, query, fragment and user info: percent-decoded **exactly once** (``%252e`` stays ``%2e``); byte sequences
   that are not UTF-8 stay percent-encoded (upper-case hex); the path's dot segments are removed *after*
   decoding (``/a/%2e%2e/b`` and ``/a/..%2fb`` both become ``/b``); an empty path after an authority is ``/``.

URLs without an authority (``data:``, ``javascript:``, ``about:blank``, ``mailto:``, ``blob:``) keep an empty
host and their opaque path, so rules can still block them by scheme (simplified ``data://*``, regex ``^data:``).
A ``blob:`` URL also carries its :attr:`NormalisedUrl.inner` URL when that is an ``http(s)`` URL (the blob's
origin), parsed from the raw text so that it is decoded only once too.

Known difference with Chromium: the standard-library IDNA codec implements IDNA 2003, Chromium UTS #46 without
transitional processing; they disagree on a handful of characters (``ß`` becomes ``ss`` here, ``xn--zca`` there).
Chromium hands the kiosk URLs whose host is already punycode, so this affects only hand-written rules and tests.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from typing import NamedTuple

from lockdown.errors import InvalidUrlError

__all__ = [
    "DEFAULT_PORTS",
    "MAX_URL_LENGTH",
    "SPECIAL_SCHEMES",
    "NormalisedUrl",
    "canonical_host",
    "normalise_url",
    "percent_decode_once",
    "remove_dot_segments",
]

logger = logging.getLogger(__name__)

#: Default port of each scheme that has one; an explicit default port is dropped (``https://a.org:443/``).
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
#: WHATWG "special" schemes: backslash is a path separator and the host is mandatory (except for ``file``).
SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
#: Chromium refuses longer URLs (``url::kMaxURLChars``), so nothing longer can ever be loaded.
MAX_URL_LENGTH = 2 * 1024 * 1024

_STRIPPED = "".join(chr(code) for code in range(0x21))  # C0 controls and space
_REMOVED = str.maketrans("", "", "\t\n\r")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# WHATWG forbidden domain code points (after decoding), checked on the ASCII form of the host.
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_DOTS = re.compile("[.\u3002\uff0e\uff61]")  # the label separators of IDNA 2003
_PORT = re.compile(r"[0-9]{1,5}")
_BLOB_ORIGIN_SCHEMES = frozenset({"http", "https"})


class NormalisedUrl(NamedTuple):
    """A URL split into normalised parts (kiosk.md K14); build it with :func:`normalise_url`.

    An immutable named tuple (cheaper to build than a frozen dataclass: the evaluator builds one per request).

    Attributes
    ----------
    scheme : str
        Lower case, without ``:``.
    host : str
        ASCII (punycode), lower case, no trailing dot; IPv4 dotted decimal, IPv6 compressed in brackets;
        ``""`` for URLs without an authority (``data:``) or with an empty one (``file:///C:/x``).
    port : int or None
        The explicit port, ``None`` when absent or equal to the scheme's default.
    path : str
        Decoded once, dot segments removed; starts with ``/`` after an authority. For opaque URLs
        (``data:text/plain,x``) everything between the scheme and the query.
    query, fragment : str or None
        Decoded once; ``None`` when the URL has no ``?`` (``#``), ``""`` when it has an empty one.
    username, password : str or None
        The user info, decoded once; ``None`` when absent.
    has_authority : bool
        Whether the URL has a ``//`` authority (``http:``, ``ws:``, ``kiosk:``) rather than an opaque path.
    text : str
        The whole normalised URL **without user info and fragment**: what regex rules (K13) are searched in
        and what implicit-allow prefixes are compared with. User info is left out so that a rule written for
        ``https://allowed.org`` cannot be fooled by ``https://allowed.org@evil.com``; the fragment never
        reaches a server, hence is "ignored for matching" (K14).
    inner : NormalisedUrl or None
        For ``blob:`` URLs whose inner URL is ``http(s)``: that inner URL (the blob's origin), else ``None``.
    """

    scheme: str
    host: str
    port: int | None
    path: str
    query: str | None
    fragment: str | None
    username: str | None
    password: str | None
    has_authority: bool
    text: str
    inner: NormalisedUrl | None = None

    @property
    def effective_port(self) -> int | None:
        """The port a connection would use: the explicit one, else the scheme's default (None if it has none)."""
        return self.port if self.port is not None else DEFAULT_PORTS.get(self.scheme)


def percent_decode_once(text: str) -> str:
    """Decode ``%XX`` escapes exactly once, as UTF-8.

    Escapes that do not form valid UTF-8 are kept, re-encoded with upper-case hex, so that distinct invalid bytes
    stay distinct; a ``%`` not followed by two hex digits is kept as is. The output is never decoded again:
    ``"%252e"`` becomes ``"%2e"``.
    """
    if "%" not in text:
        return text
    return _ESCAPE_RUN.sub(_decode_escape_run, text)


def _decode_escape_run(match: re.Match[str]) -> str:
    decoded = bytes.fromhex(match.group().replace("%", "")).decode("utf-8", "surrogateescape")
    return _ESCAPED_BYTE.sub(lambda byte: f"%{ord(byte.group()) - 0xDC00:02X}", decoded)


def remove_dot_segments(path: str) -> str:
    """Resolve the ``.`` and ``..`` segments of an absolute path (RFC 3986 section 5.2.4).

    ``..`` never climbs above the root; empty segments (``//``) are kept, as browsers do.
    """
    if "." not in path:
        return path
    out: list[str] = []
    ends_in_dot = False
    for segment in path.split("/")[1:]:
        ends_in_dot = segment in (".", "..")
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    result = "/" + "/".join(out)
    return result + "/" if ends_in_dot and out else result


def canonical_host(raw: str) -> str:
    """Canonical form of a URL's host (kiosk.md K14), ``""`` for an empty host.

    Raises
    ------
    InvalidUrlError
        If the host cannot be a host: a forbidden code point after decoding (``%``, ``/``, ``@``, spaces...),
        an empty or over-long label, an IDNA failure, an invalid IP literal, more than 253 characters.
    """
    if raw.startswith("["):
        return _canonical_ipv6(raw)
    host = percent_decode_once(raw)
    if not host.isascii():
        host = _to_punycode(host)
    host = host.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        return ""
    if _FORBIDDEN_HOST.search(host):
        raise InvalidUrlError(raw, "the host contains a forbidden character")
    labels = host.split(".")
    if len(host) > 253 or any(not label or len(label) > 63 for label in labels):
        raise InvalidUrlError(raw, "the host is too long or has an empty or over-long label")
    ipv4 = _parse_ipv4(labels)
    return host if ipv4 is None else ipv4


def _to_punycode(host: str) -> str:
    # IDNA 2003 (nameprep) also maps full-width letters and dots: "ＥＸＡＭＰＬＥ．org" is example.org.
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidUrlError(host, "the host is not a valid internationalised domain name") from exc


def _canonical_ipv6(raw: str) -> str:
    if not raw.endswith("]") or "%" in raw:  # zone ids are refused by browsers too
        raise InvalidUrlError(raw, "invalid IPv6 literal")
    try:
        address = ipaddress.IPv6Address(raw[1:-1])
    except ValueError as exc:
        raise InvalidUrlError(raw, "invalid IPv6 literal") from exc
    # A dual-stack socket reaches ::ffff:a.b.c.d at a.b.c.d: match it as that IPv4 host.
    mapped = address.ipv4_mapped
    return str(mapped) if mapped is not None else f"[{address.compressed}]"


def _parse_ipv4_number(text: str) -> int | None:
    """WHATWG "IPv4 number parser": decimal, ``0x`` hexadecimal or ``0``-prefixed octal; None if not a number."""
    radix = 10
    if text[:2] in ("0x", "0X"):
        text, radix = text[2:], 16
        if not text:
            return 0
    elif len(text) > 1 and text[0] == "0":
        text, radix = text[1:], 8
    try:
        return int(text, radix) if text.isascii() and text.isalnum() else None
    except ValueError:
        return None


def _parse_ipv4(labels: list[str]) -> str | None:
    """The dotted-decimal form if the host "ends in a number" (WHATWG), None for a domain name."""
    last = labels[-1]
    if not (last.isascii() and last.isdigit()) and _parse_ipv4_number(last) is None:
        return None
    numbers = [_parse_ipv4_number(label) for label in labels]
    if len(labels) > 4 or any(number is None for number in numbers):
        raise InvalidUrlError(".".join(labels), "invalid IPv4 address")
    *head, tail = numbers
    if any(number > 255 for number in head) or tail >= 256 ** (5 - len(numbers)):
        raise InvalidUrlError(".".join(labels), "IPv4 address out of range")
    value = tail
    for index, number in enumerate(head):
        value += number * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(value))


def _split_host_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        end = hostport.find("]") + 1
        if end == 0:
            raise InvalidUrlError(hostport, "unterminated IPv6 literal")
        host, rest = hostport[:end], hostport[end:]
        if rest and not rest.startswith(":"):
            raise InvalidUrlError(hostport, "garbage after the IPv6 literal")
        return host, rest[1:]
    host, _, port = hostport.partition(":")
    return host, port


def _parse_port(text: str, scheme: str) -> int | None:
    if not text:
        return None
    if not _PORT.fullmatch(text) or int(text) > 65535:
        raise InvalidUrlError(text, "the port is not a number from 0 to 65535")
    port = int(text)
    return None if DEFAULT_PORTS.get(scheme) == port else port


def normalise_url(url: str, *, host_normaliser: Callable[[str], str] = canonical_host) -> NormalisedUrl:
    """Normalise ``url`` for matching (kiosk.md K14; the steps are in the module docstring).

    Parameters
    ----------
    url : str
        An absolute URL, as a browser or a rule author would write it.
    host_normaliser : callable
        :func:`canonical_host` or a cached wrapper of it (the policy caches hosts, K16).

    Returns
    -------
    NormalisedUrl

    Raises
    ------
    InvalidUrlError
        If ``url`` is not a string, is longer than :data:`MAX_URL_LENGTH`, has no scheme, or has an invalid
        authority (host, port, IP literal); also for a special scheme other than ``file`` without a host.
    """
    if not isinstance(url, str):
        raise InvalidUrlError(url, "the URL is not a string")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrlError(url, "the URL is longer than a browser accepts")
    url = url.strip(_STRIPPED)
    if "\t" in url or "\n" in url or "\r" in url:
        url = url.translate(_REMOVED)
    match = _SCHEME.match(url)
    if match is None:
        raise InvalidUrlError(url, "not an absolute URL (no scheme)")
    scheme = match.group()[:-1].lower()
    rest, has_fragment, fragment = url[match.end() :].partition("#")
    raw, has_query, query = rest.partition("?")
    if scheme in SPECIAL_SCHEMES:
        raw = raw.replace("\\", "/")
        if scheme != "file":
            raw = "//" + raw.lstrip("/")
    parts = _split_authority(raw, scheme, host_normaliser) if raw.startswith("//") else None
    if parts is None:
        username = password = None
        host, port, path = "", None, percent_decode_once(raw)
    else:
        username, password, host, port, path = parts
    query = percent_decode_once(query) if has_query else None
    fragment = percent_decode_once(fragment) if has_fragment else None
    authority = f"//{host}" + (f":{port}" if port is not None else "") if parts is not None else ""
    text = f"{scheme}:{authority}{path}" + (f"?{query}" if query is not None else "")
    inner = _blob_origin(rest) if scheme == "blob" else None
    return NormalisedUrl(scheme, host, port, path, query, fragment, username, password, parts is not None, text, inner)


def _split_authority(
    raw: str, scheme: str, host_normaliser: Callable[[str], str]
) -> tuple[str | None, str | None, str, int | None, str]:
    authority, slash, path = raw[2:].partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = percent_decode_once(user)
        password = percent_decode_once(secret) if colon else None
    raw_host, raw_port = _split_host_port(hostport)
    host = host_normaliser(raw_host)
    if not host and scheme in SPECIAL_SCHEMES and scheme != "file":
        raise InvalidUrlError(raw, f"a {scheme} URL needs a host")
    port = _parse_port(raw_port, scheme)
    path = remove_dot_segments(percent_decode_once(slash + path)) if slash else "/"
    return username, password, host, port, path


def _blob_origin(raw_rest: str) -> NormalisedUrl | None:
    """The inner URL of a ``blob:`` URL when it is http(s), parsed from the raw (undecoded) text."""
    scheme = _SCHEME.match(raw_rest.strip(_STRIPPED))
    if scheme is None or scheme.group()[:-1].lower() not in _BLOB_ORIGIN_SCHEMES:
        return None  # checked first: "blob:blob:blob:..." must not recurse
    try:
        inner = normalise_url(raw_rest)
    except InvalidUrlError:
        return None
    return inner if inner.scheme in _BLOB_ORIGIN_SCHEMES else None
