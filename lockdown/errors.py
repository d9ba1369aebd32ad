"""Exceptions of the lockdown package: one root, every subclass ends in ``Error``.

The tree::

    LockdownError               root: catch it to handle any lockdown failure
    ├── InvalidRuleError        (also ValueError) a URL rule that cannot be compiled; names the rule and why
    └── InvalidUrlError         (also ValueError) a URL that cannot be normalised, hence never matchable;
                                the URL policy turns it into a "blocked" verdict instead of raising

Foreign errors (``re.error``, ``UnicodeError`` from the IDNA codec, ``ValueError`` from ``ipaddress``) are
re-raised as one of these with ``raise ... from exc``.
"""

from __future__ import annotations

__all__ = ["InvalidRuleError", "InvalidUrlError", "LockdownError"]


class LockdownError(Exception):
    """Root of every error raised by the lockdown package."""


class InvalidRuleError(ValueError, LockdownError):
    """A URL rule (kiosk.md K11-K13) that cannot be compiled, or a policy that cannot be built from its rules.

    Parameters
    ----------
    expression : object
        The offending expression as written (a pattern, or the value of a bad field such as ``action``).
    reason : str
        Why it was rejected, in plain words.
    rule_id : str or None
        The id of the rule it belongs to, when known (``rule_matches`` compiles rules that have no id).
    kind : str or None
        ``"simplified"`` or ``"regex"`` when known.

    Attributes
    ----------
    expression, reason, rule_id, kind
        The parameters, for callers that report the rule (the pre-flight error screen names it).
    """

    def __init__(self, expression: object, reason: str, *, rule_id: str | None = None, kind: str | None = None):
        self.expression = expression
        self.reason = reason
        self.rule_id = rule_id
        self.kind = kind
        what = f"{kind} rule" if kind else "rule"
        name = f" {rule_id!r}" if rule_id is not None else ""
        super().__init__(f"invalid {what}{name} {expression!r}: {reason}")


class InvalidUrlError(ValueError, LockdownError):
    """A URL that cannot be parsed or normalised (kiosk.md K14), so no rule can match it.

    The message gives only the reason: the URL itself is kept in :attr:`url` and never put into the message,
    because full URLs are logged only when the ``LogFullUrls`` policy is on (kiosk.md K19).

    Parameters
    ----------
    url : object
        The URL as received.
    reason : str
        Why it cannot be normalised.
    """

    def __init__(self, url: object, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(reason)
