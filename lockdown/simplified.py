r"""The simplified URL rule syntax of kiosk.md K12, compatible with Safe Exam Browser's "simplified" rules.

An expression ``[scheme://][user[:password]@][host][:port][/path][?query][#fragment]`` is split into its parts
once, each part is normalised like the same part of a URL (:mod:`lockdown.urls`, K14) and compiled to an anchored,
case-insensitive regular expression (or to a plain string for the common literal host), in a
:class:`SimplifiedRule`. A part absent from the expression matches anything.

Globs compile the way :func:`fnmatch.translate` does: every ``*`` but the last becomes an atomic lazy group
``(?>.*?literal)``, so matching is linear in the URL's length however many ``*`` a rule has, and a very long URL
cannot make a rule backtrack for minutes. The implicit subdomain prefix is ``(?:[^.]+\.)*`` (one way to split a
host into labels), never the ambiguous ``(.+?\.)*``, for the same reason.

Where K12 says nothing, the choices are stricter than Safe Exam Browser and are documented in
:class:`SimplifiedRule`.
"""

from __future__ import annotations

import logging
import re
from typing import NoReturn

from lockdown.errors import InvalidRuleError, InvalidUrlError
from lockdown.urls import NormalisedUrl, canonical_host, percent_decode_once, remove_dot_segments

__all__ = ["HOST_ANY", "HOST_EXACT", "HOST_PATTERN", "HOST_SUBDOMAINS", "SimplifiedRule", "glob_to_regex"]

logger = logging.getLogger(__name__)

#: :attr:`SimplifiedRule.host_mode` values.
HOST_ANY = "any"
HOST_EXACT = "exact"
HOST_SUBDOMAINS = "subdomains"
HOST_PATTERN = "pattern"

# Safe Exam Browser's delimiter pattern, made unambiguous: user info cannot span "/", "?" or "#", a bracketed
# IPv6 host may contain ":", the port is what follows the host's ":" up to the path.
_EXPRESSION = re.compile(
    r"""
    (?:(?P<scheme>[^:/?#@]*)://)?
    (?:(?P<user>[^:@/?#]*)(?::(?P<password>[^@/?#]*))?@)?
    (?P<host>\[[^\]/?#@]*\]|[^/:?#@]*)
    (?::(?P<port>[^/?#]*))?
    (?P<path>/[^?#]*)?
    (?:\?(?P<query>[^#]*))?
    (?:\#(?P<fragment>.*))?
    """,
    re.VERBOSE | re.DOTALL,
)
_MEANINGFUL = re.compile(r"[A-Za-z0-9*]")  # K12: at least one ASCII letter, digit or "*"
_SCHEME = re.compile(r"[A-Za-z0-9+.\-*]+")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_LABEL_SEPARATORS = re.compile("[.\u3002\uff0e\uff61]")
_SUBDOMAIN_PREFIX = r"(?:[^.]+\.)*"
_FORBIDDEN_IN_PATTERN = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")


def glob_to_regex(glob: str) -> str:
    """Regex source matching ``glob`` in full (with ``fullmatch``).

    ``*`` is any run of characters, also empty; everything else is literal. Matching is linear-time: each ``*``
    but the last becomes an atomic lazy group, as in :func:`fnmatch.translate`.
    """
    if "*" not in glob:
        return re.escape(glob)
    head, *middle, tail = re.sub(r"\*+", "*", glob).split("*")
    atoms = "".join(f"(?>.*?{re.escape(literal)})" for literal in middle)
    return f"{re.escape(head)}{atoms}.*{re.escape(tail)}"


def _compile(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE | re.DOTALL)


class SimplifiedRule:
    """One compiled K12 expression.

    Parameters
    ----------
    expression : str
        The expression as written in the rule list; surrounding whitespace is ignored.
    rule_id : str or None
        Named in the error when the expression is invalid.

    Raises
    ------
    InvalidRuleError
        If the expression has no ASCII letter, digit or ``*`` (K12: ``.``, ``+``, ``?``, ``@``, ``/``, ``ç``), or
        if one of its parts cannot be what it claims to be: a scheme with characters other than letters, digits,
        ``+ . - *``; a port other than a number up to 65535 or ``*`` (SEB silently ignores such a port); a host with
        a forbidden character, an empty label or an invalid IP literal; a ``*`` inside a non-ASCII host label
        (there is no punycode for a glob).

    Attributes
    ----------
    expression : str
        The expression as given.
    host_mode : str
        How the host part matches: ``HOST_ANY`` (no host, or ``*``), ``HOST_EXACT`` (a literal host, exactly),
        ``HOST_SUBDOMAINS`` (a literal host and its subdomains) or ``HOST_PATTERN`` (a glob); the policy indexes
        rules by it.
    host : str
        The canonical host (or host glob) of the expression, ``""`` for ``HOST_ANY``.

    Notes
    -----
    Host semantics (K12): ``.example.org`` is that exact host; a host made only of ASCII letters and digits
    (``intranet``) and an IP literal (``10.0.0.1``, ``[::1]``) match exactly; any other host matches itself and
    its subdomains, with ``*`` globbing across labels. A literal host is normalised like a URL's host (IDNA,
    lower case, trailing dot, IPv4 forms: ``2130706433`` is ``127.0.0.1``).

    Path and query are percent-decoded once like a URL's, and the path's dot segments are removed. An empty
    ``?`` in the expression (``host.org?``) puts no condition on the query, ``?.`` requires no or an empty query.
    """

    __slots__ = (
        "expression",
        "fragment",
        "host",
        "host_mode",
        "host_regex",
        "host_suffix",
        "password",
        "path",
        "port",
        "query",
        "query_must_be_empty",
        "scheme",
        "username",
    )

    def __init__(self, expression: str, *, rule_id: str | None = None):
        if not isinstance(expression, str):
            raise InvalidRuleError(expression, "the expression is not a string", rule_id=rule_id, kind="simplified")
        self.expression = expression
        text = expression.strip()
        if not _MEANINGFUL.search(text):
            self._reject("an expression needs at least one ASCII letter, digit or '*'", rule_id)
        parts = _EXPRESSION.fullmatch(text)
        if parts is None:  # e.g. "a@b@c": a second "@" fits in no part
            self._reject("the expression cannot be split into URL parts", rule_id)
        self.scheme = self._compile_scheme(parts["scheme"], rule_id)
        self.username = self._compile_optional(parts["user"])
        self.password = self._compile_optional(parts["password"])
        self._compile_host(parts["host"] or "", rule_id)
        self.port = self._parse_port(parts["port"] or "", rule_id)
        self.path = self._compile_path(parts["path"] or "")
        query = parts["query"] or ""
        self.query_must_be_empty = query == "."
        self.query = None if self.query_must_be_empty else self._compile_optional(query)
        self.fragment = self._compile_optional(parts["fragment"])

    def __repr__(self) -> str:
        return f"SimplifiedRule({self.expression!r})"

    def _reject(self, reason: str, rule_id: str | None) -> NoReturn:
        raise InvalidRuleError(self.expression, reason, rule_id=rule_id, kind="simplified")

    def _compile_scheme(self, scheme: str | None, rule_id: str | None) -> re.Pattern[str] | None:
        if not scheme:
            return None
        if not _SCHEME.fullmatch(scheme):
            self._reject("the scheme may hold only letters, digits, '+', '.', '-' and '*'", rule_id)
        return _compile(glob_to_regex(scheme.lower()))

    @staticmethod
    def _compile_optional(part: str | None) -> re.Pattern[str] | None:
        """User, password, query or fragment: decoded once like the URL's, then a glob (None when absent)."""
        if not part:
            return None
        return _compile(glob_to_regex(percent_decode_once(part)))

    def _compile_host(self, host: str, rule_id: str | None) -> None:
        self.host = ""
        self.host_suffix = "."
        self.host_regex = None
        exact = host.startswith(".")
        if exact:
            host = host[1:]
        if exact and not host:
            self._reject("a lone '.' is not a host", rule_id)
        if host in ("", "*"):
            self.host_mode = HOST_ANY
            return
        try:
            canonical = self._canonical_host_pattern(host)
        except InvalidUrlError as exc:
            raise InvalidRuleError(
                self.expression, f"invalid host: {exc.reason}", rule_id=rule_id, kind="simplified"
            ) from exc
        literal = "*" not in canonical
        is_ip = literal and (canonical.startswith("[") or canonical.replace(".", "").isdigit())
        if exact or is_ip or _ALPHANUMERIC.fullmatch(host):
            self.host_mode = HOST_EXACT if literal else HOST_PATTERN
            source = glob_to_regex(canonical)
        else:
            self.host_mode = HOST_SUBDOMAINS if literal else HOST_PATTERN
            source = _SUBDOMAIN_PREFIX + glob_to_regex(canonical)
        self.host = canonical
        self.host_suffix = "." + canonical
        self.host_regex = _compile(source)

    @staticmethod
    def _canonical_host_pattern(host: str) -> str:
        """Normalise a host pattern like a URL's host; with a ``*``, IP forms are left alone."""
        if "*" not in host:
            return canonical_host(host)
        pattern = percent_decode_once(host)
        if not pattern.isascii():
            if any("*" in label and not label.isascii() for label in _LABEL_SEPARATORS.split(pattern)):
                raise InvalidUrlError(host, "a '*' cannot be part of an internationalised label")
            try:  # the IDNA 2003 codec leaves ASCII labels such as "*" untouched
                pattern = pattern.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise InvalidUrlError(host, "not a valid internationalised domain name") from exc
        pattern = pattern.lower().removesuffix(".")
        if any(not label for label in pattern.split(".")) or _FORBIDDEN_IN_PATTERN.search(pattern):
            raise InvalidUrlError(host, "the host has an empty label or a forbidden character")
        return pattern

    def _parse_port(self, port: str, rule_id: str | None) -> int | None:
        if port in ("", "*"):
            return None
        if not port.isascii() or not port.isdigit() or int(port) > 65535:
            self._reject("the port must be a number from 0 to 65535 or '*'", rule_id)
        return int(port)

    @staticmethod
    def _compile_path(path: str) -> re.Pattern[str] | None:
        path = remove_dot_segments(percent_decode_once(path)) if path else ""
        if path in ("", "/"):
            return None
        # K12: "/url/path" and "/url/path/" both match /url/path with or without a trailing slash.
        return _compile(glob_to_regex(path.removesuffix("/")) + "/?")

    def matches_host(self, host: str) -> bool:
        """Whether the host part of the expression matches a normalised host."""
        mode = self.host_mode
        if mode == HOST_ANY:
            return True
        if mode == HOST_EXACT:
            return host == self.host
        if mode == HOST_SUBDOMAINS:
            return host == self.host or host.endswith(self.host_suffix)
        return self.host_regex.fullmatch(host) is not None

    def matches_except_host(self, url: NormalisedUrl) -> bool:
        """Whether every part of the expression other than the host matches ``url``."""
        if self.scheme is not None and self.scheme.fullmatch(url.scheme) is None:
            return False
        if self.port is not None and self.port != url.effective_port:
            return False
        if self.username is not None and self.username.fullmatch(url.username or "") is None:
            return False
        if self.password is not None and self.password.fullmatch(url.password or "") is None:
            return False
        if self.path is not None and self.path.fullmatch(url.path) is None:
            return False
        if self.query_must_be_empty:
            if url.query:
                return False
        elif self.query is not None and self.query.fullmatch(url.query or "") is None:
            return False
        return self.fragment is None or self.fragment.fullmatch(url.fragment or "") is not None

    def matches(self, url: NormalisedUrl) -> bool:
        """Whether the expression matches a normalised URL (every part present in it matches in full)."""
        return self.matches_host(url.host) and self.matches_except_host(url)
