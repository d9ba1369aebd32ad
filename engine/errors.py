"""The engine's exceptions: one root, one subclass per kind of failure.

::

    EngineError                      every error raised on purpose by ``engine``
    ├── ConfigurationError (ValueError)   a version configuration that breaks a rule of spec §4
    ├── ItemParameterError (ValueError)   NaN/inf item parameters, mismatched array lengths
    ├── EstimationError                   the posterior cannot be normalised (spec §5.3 rule 6)
    ├── ScoringError (ValueError)         non-monotonic bounds, a score outside the scale, ...
    ├── AnswerCountError (ValueError)     more kept answers than the test length (spec §6.2 step 5)
    ├── LackOfChallengesError             the rule chain leaves no challenge (spec §6.4 rule 4)
    └── BankError (ValueError)            an item bank that cannot be used (duplicate ids, ...)

Subclasses that describe bad input also derive from :class:`ValueError`, so generic callers
that already catch ``ValueError`` keep working.
"""

from __future__ import annotations


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""


class ConfigurationError(ValueError, EngineError):
    """A certification-version configuration is invalid (spec §4)."""


class ItemParameterError(ValueError, EngineError):
    """Item parameters or response vectors are malformed (lengths, NaN, infinities)."""


class EstimationError(EngineError):
    """The capacity posterior cannot be normalised (underflow; spec §5.3 rule 6)."""


class ScoringError(ValueError, EngineError):
    """Scoring input is invalid: bounds, score range, missing abort reason (spec §8)."""


class AnswerCountError(ValueError, EngineError):
    """A course holds more kept answers than the test length allows (spec §6.2 step 5)."""


class LackOfChallengesError(EngineError):
    """No challenge is left after the pool filters and the rule chain (spec §6.4 rule 4, §6.8)."""


class BankError(ValueError, EngineError):
    """An item bank or pool cannot be built (duplicate ids, unknown competence, ...)."""
