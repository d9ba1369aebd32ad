"""The adaptive test engine: 2PL model, EAP estimation, rule-based selection, scoring, simulation.

Pure numpy: no Qt, no I/O, no clock. Randomness, files and time come in as arguments
(``numpy.random.Generator``, parsed banks, timestamps). Errors derive from
:class:`engine.errors.EngineError`.

Modules
-------
irt         the 2PL model and the capacity grid
flash       sequential EAP estimation (``estimate``, ``estimate_history``)
scoring     pix score ↔ capacity, competence levels
config      per-version configuration with the production defaults
bank        challenges and the selection pool
selection   rule chain, ranking, binary-tree pick, course state
results     scoring of a course: degradation and status rules
synthetic   a synthetic bank shaped like the reference bank
simulation  vectorised simulator and its report
"""

from engine.errors import EngineError

__all__ = ["EngineError"]
