"""URL policy of the kiosk (kiosk.md K11-K16): rules, their evaluation order, and the rule sources.

Pure functions over plain data, no I/O, no Qt. The pieces:

* :func:`rule_matches` - the contract of issue 6 section 9: does one rule expression match one URL?
* :class:`UrlRule` - one rule as configured, ``{id, action: block|allow, kind: simplified|regex, pattern}``;
* :class:`UrlPolicy` - the rules compiled once at load, :meth:`UrlPolicy.evaluate` returning a :class:`Verdict`;
  :meth:`UrlPolicy.merge` combines the exam's (server) rules with the machine's (GPO) rules.

URLs and simplified expressions are normalised by :mod:`lockdown.urls` (K14); the simplified syntax (K12) is
:mod:`lockdown.simplified`; regex rules (K13) are Python ``re`` with ``IGNORECASE``, searched in
:attr:`lockdown.urls.NormalisedUrl.text` (the normalised URL without user info and fragment).

Evaluation (K11), for a URL that normalises:

1. implicit allows: ``about:blank``, any ``kiosk:`` URL, and the configured prefixes (the exam start URL or
   origin). They come first, so that no rule list, even a GPO ``*`` block, can lock the kiosk out of its own
   pages (K8: "always allowed");
2. any **block** rule matches: blocked (a block always wins);
3. any **allow** rule matches: allowed;
4. the default (block during an exam).

A URL that cannot be normalised is blocked with reason ``invalid_url``. A ``blob:`` URL is evaluated as its
inner origin (``blob:https://allowed.org/uuid`` as ``https://allowed.org/uuid``: a blob is content created by
that origin), except that block rules are also tried on the ``blob:`` URL itself, so a policy can forbid blobs
altogether (regex ``^blob:`` or simplified ``blob://*``). A ``blob:`` URL without an http(s) origin
(``blob:null/...``) is evaluated as it is, hence blocked unless a rule allows it.

Performance (K16: the evaluator runs on Chromium's IO thread): rules are compiled once; simplified rules with a
literal host are indexed by host, so a URL only tries the few rules whose host can match it; the candidate list,
the canonical form of each host and the verdict of each URL (up to 2048 characters) are cached per policy
(``functools.lru_cache``: bounded, no lock of ours, safe under the GIL). The policy is immutable once built, so
one instance can be shared by the IO and GUI threads. :meth:`UrlPolicy.evaluate` neither logs nor blocks. Cost
of an uncached call: about 3 µs of normalisation, next to nothing per simplified rule, about 0.3 µs per anchored
regex rule and 1-3 µs per unanchored one (``bench/lockdown.py``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lockdown.errors import InvalidRuleError, InvalidUrlError
from lockdown.simplified import HOST_ANY, HOST_EXACT, HOST_SUBDOMAINS, SimplifiedRule
from lockdown.urls import NormalisedUrl, canonical_host, normalise_url

__all__ = [
    "ALLOW",
    "BLOCK",
    "HOST_CACHE_SIZE",
    "REASON_ALLOW_RULE",
    "REASON_BLOCK_RULE",
    "REASON_DEFAULT",
    "REASON_IMPLICIT_ALLOW",
    "REASON_INVALID_URL",
    "REGEX",
    "SIMPLIFIED",
    "VERDICT_CACHE_SIZE",
    "RegexRule",
    "UrlPolicy",
    "UrlRule",
    "Verdict",
    "compile_rule",
    "rule_matches",
]

logger = logging.getLogger(__name__)

BLOCK = "block"
ALLOW = "allow"
SIMPLIFIED = "simplified"
REGEX = "regex"
_ACTIONS = (BLOCK, ALLOW)
_KINDS = (SIMPLIFIED, REGEX)

#: :attr:`Verdict.reason` values; callers branch on these, never on :attr:`Verdict.detail`.
REASON_BLOCK_RULE = "block_rule"
REASON_ALLOW_RULE = "allow_rule"
REASON_IMPLICIT_ALLOW = "implicit_allow"
REASON_DEFAULT = "default"
REASON_INVALID_URL = "invalid_url"

#: Hosts remembered per policy (canonical form, candidate rules); a page uses a few dozen.
HOST_CACHE_SIZE = 1024
#: Verdicts remembered per policy by default: a page load repeats scripts, styles, fonts and images.
VERDICT_CACHE_SIZE = 4096
#: Longer URLs are evaluated every time rather than kept in the verdict cache (bounded memory).
_CACHEABLE_URL_LENGTH = 2048
_IMPLICIT_ALLOW_SCHEMES = frozenset({"kiosk"})


class RegexRule:
    r"""One compiled K13 regex rule: ``re.search`` with ``IGNORECASE`` in the normalised URL's text.

    Parameters
    ----------
    pattern : str
        A Python regular expression; authors anchor it themselves (``^https://exam\.example/``).
    rule_id : str or None
        Named in the error when the pattern does not compile.

    Raises
    ------
    InvalidRuleError
        If ``pattern`` is not a string or does not compile.
    """

    __slots__ = ("pattern", "regex")

    def __init__(self, pattern: str, *, rule_id: str | None = None):
        if not isinstance(pattern, str):
            raise InvalidRuleError(pattern, "the pattern is not a string", rule_id=rule_id, kind=REGEX)
        self.pattern = pattern
        try:
            self.regex = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise InvalidRuleError(
                pattern, f"not a valid regular expression ({exc})", rule_id=rule_id, kind=REGEX
            ) from exc

    def __repr__(self) -> str:
        return f"RegexRule({self.pattern!r})"

    def matches(self, url: NormalisedUrl) -> bool:
        """Whether the pattern is found in ``url.text`` (the normalised URL without user info and fragment)."""
        return self.regex.search(url.text) is not None


def compile_rule(kind: str, expression: str, *, rule_id: str | None = None) -> SimplifiedRule | RegexRule:
    """Compile one rule expression of ``kind`` ``"simplified"`` (K12) or ``"regex"`` (K13).

    Raises
    ------
    InvalidRuleError
        If the kind is unknown or the expression is invalid; the error names the expression (and ``rule_id``).
    """
    if kind == SIMPLIFIED:
        return SimplifiedRule(expression, rule_id=rule_id)
    if kind == REGEX:
        return RegexRule(expression, rule_id=rule_id)
    raise InvalidRuleError(
        expression, f"unknown rule kind {kind!r} (expected 'simplified' or 'regex')", rule_id=rule_id
    )


def rule_matches(kind: str, expression: str, url: str) -> bool:
    """Whether the rule ``expression`` of ``kind`` matches ``url`` (issue 6, section 9: keep this exact).

    Parameters
    ----------
    kind : str
        ``"simplified"`` (kiosk.md K12, compatible with Safe Exam Browser rule lists) or ``"regex"`` (K13).
    expression : str
        The rule's pattern.
    url : str
        The URL; it is normalised first (K14). A URL that cannot be normalised is matched by no rule
        (``False``); the policy blocks it.

    Raises
    ------
    InvalidRuleError
        (a :class:`~lockdown.errors.LockdownError`) if ``kind`` is unknown or ``expression`` is invalid; the
        message names the expression. Compiled on every call: build a :class:`UrlPolicy` to compile once.
    """
    matcher = compile_rule(kind, expression)
    try:
        normalised = normalise_url(url)
    except InvalidUrlError:
        return False
    return matcher.matches(normalised)


@dataclass(frozen=True, slots=True)
class UrlRule:
    """One URL rule as configured (kiosk.md K11).

    Attributes
    ----------
    id : str
        Unique within a policy; reported with every verdict it decides (K19).
    action : str
        ``"block"`` or ``"allow"``.
    kind : str
        ``"simplified"`` (K12) or ``"regex"`` (K13).
    pattern : str
        The expression. It is compiled when a :class:`UrlPolicy` is built, not here.

    Raises
    ------
    InvalidRuleError
        If a field has the wrong type or ``action``/``kind`` an unknown value.
    """

    id: str
    action: str
    kind: str
    pattern: str

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidRuleError(self.id, "a rule id must be a non-empty string")
        if self.action not in _ACTIONS:
            raise InvalidRuleError(self.action, "the action must be 'block' or 'allow'", rule_id=self.id)
        if self.kind not in _KINDS:
            raise InvalidRuleError(self.kind, "the kind must be 'simplified' or 'regex'", rule_id=self.id)
        if not isinstance(self.pattern, str):
            raise InvalidRuleError(self.pattern, "the pattern must be a string", rule_id=self.id, kind=self.kind)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> UrlRule:
        """Build a rule from a mapping with the keys ``id``, ``action``, ``kind`` and ``pattern`` (server JSON).

        Raises
        ------
        InvalidRuleError
            If a key is missing or a value is invalid.
        """
        missing = [key for key in ("id", "action", "kind", "pattern") if key not in data]
        if missing:
            raise InvalidRuleError(dict(data), f"missing key(s) {', '.join(missing)}", rule_id=data.get("id"))
        return cls(data["id"], data["action"], data["kind"], data["pattern"])

    def to_dict(self) -> dict[str, str]:
        """The rule as a plain dict, the inverse of :meth:`from_mapping`."""
        return {"id": self.id, "action": self.action, "kind": self.kind, "pattern": self.pattern}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one URL.

    Attributes
    ----------
    allowed : bool
        Whether the URL may load.
    rule_id : str or None
        The rule that decided (the first matching one, in list order), ``None`` for implicit allows, the
        default and invalid URLs.
    reason : str
        One of ``REASON_*``: ``"block_rule"``, ``"allow_rule"``, ``"implicit_allow"``, ``"default"``,
        ``"invalid_url"``. Stable: callers branch on it.
    detail : str
        Human-readable precision (why the URL is invalid, that a blob was judged by its origin); never the URL.
    """

    allowed: bool
    rule_id: str | None
    reason: str
    detail: str = ""


_Entry = tuple[int, UrlRule, SimplifiedRule]
_RegexEntry = tuple[int, UrlRule, re.Pattern[str]]
_NO_MATCH = 1 << 62  # an order after every rule


class _RuleGroup:
    """The compiled rules of one action, indexed for :meth:`first_match`.

    Simplified rules are indexed by host (exact hosts, host suffixes for the implicit subdomains, the few host
    globs tried one by one), with the candidate list cached per host. Regex rules are searched one by one: merging
    them into one alternation was measured no faster (the cost is the matching itself, about 0.3 µs per anchored
    rule and 1-2 µs per unanchored one on a 60-character URL, not the call).
    """

    def __init__(self, compiled: list[tuple[int, UrlRule, SimplifiedRule | RegexRule]]):
        self._any_host: list[_Entry] = []
        self._exact: dict[str, list[_Entry]] = {}
        self._suffix: dict[str, list[_Entry]] = {}
        self._pattern: list[_Entry] = []
        self._regex: list[_RegexEntry] = []
        for order, rule, matcher in compiled:
            if isinstance(matcher, RegexRule):
                self._regex.append((order, rule, matcher.regex))
            elif matcher.host_mode == HOST_ANY:
                self._any_host.append((order, rule, matcher))
            elif matcher.host_mode == HOST_EXACT:
                self._exact.setdefault(matcher.host, []).append((order, rule, matcher))
            elif matcher.host_mode == HOST_SUBDOMAINS:
                self._suffix.setdefault(matcher.host, []).append((order, rule, matcher))
            else:  # HOST_PATTERN
                self._pattern.append((order, rule, matcher))
        self.candidates = functools.lru_cache(maxsize=HOST_CACHE_SIZE)(self._candidates_for_host)

    def _candidates_for_host(self, host: str) -> tuple[_Entry, ...]:
        """The simplified rules whose host part matches ``host``, in list order."""
        found = [*self._any_host, *self._exact.get(host, ())]
        suffix = host
        while True:
            found.extend(self._suffix.get(suffix, ()))
            dot = suffix.find(".")
            if dot < 0:
                break
            suffix = suffix[dot + 1 :]
        found.extend(entry for entry in self._pattern if entry[2].matches_host(host))
        found.sort(key=lambda entry: entry[0])
        return tuple(found)

    def first_match(self, url: NormalisedUrl) -> UrlRule | None:
        """The first rule (in list order) matching ``url``, or None."""
        best_order, best = _NO_MATCH, None
        for order, rule, matcher in self.candidates(url.host):
            if matcher.matches_except_host(url):
                best_order, best = order, rule
                break
        text = url.text
        for order, rule, regex in self._regex:
            if order > best_order:
                break
            if regex.search(text) is not None:
                return rule
        return best


class UrlPolicy:
    """The URL rules of one exam session, compiled once at load (kiosk.md K11, K13).

    Parameters
    ----------
    rules : iterable of UrlRule
        In list order; ids must be unique. Every rule is compiled here.
    default : str
        ``"block"`` (during an exam) or ``"allow"``: the verdict when no rule matches.
    implicit_allow : iterable of str
        URL prefixes always allowed, before any rule: the exam start URL, or its origin
        (``"https://exam.example/"``) to allow the whole origin as K8 asks. They are normalised like URLs; a
        prefix matches the same URL, or a longer one that continues after a ``/`` (a prefix ending in ``/``
        matches everything under it, ``https://exam.example/s/1`` matches ``/s/1/``, ``/s/1?x``, not ``/s/12``).
        ``about:blank`` and ``kiosk:`` URLs are always implicitly allowed.
    cache_size : int
        How many verdicts to remember, by URL (URLs up to 2048 characters); 0 evaluates every call.

    Raises
    ------
    InvalidRuleError
        If a rule is invalid (the error names its id), two rules share an id, ``default`` is neither ``"block"``
        nor ``"allow"``, or an implicit-allow prefix is not a URL.
    """

    def __init__(
        self,
        rules: Iterable[UrlRule],
        *,
        default: str = BLOCK,
        implicit_allow: Iterable[str] = (),
        cache_size: int = VERDICT_CACHE_SIZE,
    ):
        if default not in _ACTIONS:
            raise InvalidRuleError(default, "the default must be 'block' or 'allow'")
        self._rules = tuple(rules)
        self._default = default
        compiled: dict[str, list[tuple[int, UrlRule, SimplifiedRule | RegexRule]]] = {BLOCK: [], ALLOW: []}
        seen: set[str] = set()
        for order, rule in enumerate(self._rules):
            if not isinstance(rule, UrlRule):
                raise InvalidRuleError(rule, "not a UrlRule")
            if rule.id in seen:
                raise InvalidRuleError(rule.pattern, "duplicate rule id", rule_id=rule.id, kind=rule.kind)
            seen.add(rule.id)
            compiled[rule.action].append((order, rule, compile_rule(rule.kind, rule.pattern, rule_id=rule.id)))
        self._block = _RuleGroup(compiled[BLOCK])
        self._allow = _RuleGroup(compiled[ALLOW])
        self._implicit_exact, self._implicit_prefixes = _compile_implicit_allow(implicit_allow)
        self._host = functools.lru_cache(maxsize=HOST_CACHE_SIZE)(canonical_host)
        self._digest = _digest(self._rules)
        self._cached_evaluate = functools.lru_cache(maxsize=cache_size)(self._evaluate) if cache_size > 0 else None
        logger.debug(
            "url policy loaded", extra={"event": "url_policy_loaded", "rules": len(self._rules), "digest": self._digest}
        )

    @classmethod
    def merge(
        cls,
        server_rules: Iterable[UrlRule],
        machine_rules: Iterable[UrlRule],
        *,
        allow_local_additions: bool = False,
        default: str = BLOCK,
        implicit_allow: Iterable[str] = (),
    ) -> UrlPolicy:
        """The policy of the exam's (server) rules merged with the machine's (GPO, K57) rules.

        Block rules come from both sources; machine **allow** rules only if the exam config permits local
        additions (kiosk.md A4 "Rule sources"; default no). Since blocks are evaluated first, no machine allow
        can override a block anyway. Order: server rules, then machine rules, each in its own order.

        Raises
        ------
        InvalidRuleError
            As the constructor, in particular when a machine rule reuses a server rule's id.
        """
        machine = list(machine_rules)
        kept = [rule for rule in machine if rule.action == BLOCK or allow_local_additions]
        if len(kept) < len(machine):
            logger.info(
                "machine allow rules ignored: the exam does not permit local additions",
                extra={"event": "url_local_allow_ignored", "count": len(machine) - len(kept)},
            )
        return cls([*server_rules, *kept], default=default, implicit_allow=implicit_allow)

    @property
    def rules(self) -> tuple[UrlRule, ...]:
        """The rules, in evaluation order."""
        return self._rules

    @property
    def default(self) -> str:
        """``"block"`` or ``"allow"``."""
        return self._default

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the rules, reported at session start (A4 "Rule sources").

        The JSON is a list of ``{"action", "id", "kind", "pattern"}`` objects in rule order, keys sorted, no
        whitespace, UTF-8 without escaping (RFC 8785 JCS gives the same bytes for such string-only data). The
        default and the implicit allows are not part of it: they are not rules.
        """
        return self._digest

    def evaluate(self, url: str) -> Verdict:
        """Decide whether ``url`` may load (the order is in the module docstring). Never raises, never logs."""
        if self._cached_evaluate is not None and type(url) is str and len(url) <= _CACHEABLE_URL_LENGTH:
            return self._cached_evaluate(url)
        return self._evaluate(url)

    def _evaluate(self, url: str) -> Verdict:
        try:
            normalised = normalise_url(url, host_normaliser=self._host)
        except InvalidUrlError as exc:
            return Verdict(False, None, REASON_INVALID_URL, exc.reason)
        origin = normalised.inner
        if origin is None:
            return self._decide(normalised)
        rule = self._block.first_match(normalised)
        if rule is not None:
            return Verdict(False, rule.id, REASON_BLOCK_RULE, "blob: URL blocked as such")
        verdict = self._decide(origin)
        return Verdict(verdict.allowed, verdict.rule_id, verdict.reason, "blob: URL judged by its origin")

    def _decide(self, url: NormalisedUrl) -> Verdict:
        if self._is_implicitly_allowed(url):
            return Verdict(True, None, REASON_IMPLICIT_ALLOW)
        rule = self._block.first_match(url)
        if rule is not None:
            return Verdict(False, rule.id, REASON_BLOCK_RULE)
        rule = self._allow.first_match(url)
        if rule is not None:
            return Verdict(True, rule.id, REASON_ALLOW_RULE)
        return Verdict(self._default == ALLOW, None, REASON_DEFAULT)

    def _is_implicitly_allowed(self, url: NormalisedUrl) -> bool:
        if url.scheme in _IMPLICIT_ALLOW_SCHEMES or (url.scheme == "about" and url.path == "blank"):
            return True
        text = url.text
        return text in self._implicit_exact or text.startswith(self._implicit_prefixes)


def _compile_implicit_allow(prefixes: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Normalised implicit-allow prefixes: the exact texts, and the prefixes a longer URL must start with."""
    exact: set[str] = set()
    starts: list[str] = []
    for prefix in prefixes:
        try:
            text = normalise_url(prefix).text
        except InvalidUrlError as exc:
            raise InvalidRuleError(prefix, f"not a URL prefix: {exc.reason}", rule_id="implicit_allow") from exc
        exact.add(text)
        starts.extend([text] if text.endswith("/") else [text + "/", text + "?"])
    return frozenset(exact), tuple(starts)


def _digest(rules: tuple[UrlRule, ...]) -> str:
    canonical = json.dumps(
        [rule.to_dict() for rule in rules], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
