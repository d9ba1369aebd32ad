"""Pre-flight checks (kiosk.md A16): the result shape of K60, the runner of K61, and the pure checks.

Every check returns a :class:`CheckResult` ``{id, status: ok|warn|fail, message (fr, en), fix_hint, detail}``;
a ``fail`` blocks the exam start, a ``warn`` is shown and reported. :func:`run_checks` runs a list of
:class:`Check` and turns any exception a check raises into a ``warn`` that carries the error (K61: a check that
cannot run never produces a false "fail"; SEB's WMI errors showed "0 displays detected", #599, #1255).

The checks here are pure functions of their arguments (the caller reads the OS through the Protocols of
:mod:`lockdown.os` and passes the values in):

=====================  =============================  ========================  ============================
Check                  Function                       fail                      warn
=====================  =============================  ========================  ============================
Active displays        :func:`check_displays`         more than allowed (K32)   none reported (query broken)
Environment / argv     :func:`check_environment`      forbidden variable/flag   -
Journal disk space     :func:`check_journal_space`    < 50 MiB                  < 200 MiB
Server, clock skew     :func:`check_server`           unreachable after retry   skew > 2 min
Version vs pinned      :func:`check_version`          older than pinned         newer, or another build
Remote session / VM    :func:`check_remote_vm`        -                         remote, or VM score >= 0.5
=====================  =============================  ========================  ============================

The environment rule (K23, K25) lives here as :func:`is_forbidden_variable`, :func:`forbidden_variables` and
:func:`forbidden_arguments`, so that the launcher's environment scrubbing and this check share one definition.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
import shutil
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lockdown.os import Display
from lockdown.vm import VmReport

__all__ = [
    "JOURNAL_FAIL_BYTES",
    "JOURNAL_WARN_BYTES",
    "MAX_CLOCK_SKEW",
    "VM_WARN_SCORE",
    "Check",
    "CheckResult",
    "CheckStatus",
    "check_displays",
    "check_environment",
    "check_journal_space",
    "check_remote_vm",
    "check_server",
    "check_version",
    "forbidden_arguments",
    "forbidden_variables",
    "is_forbidden_variable",
    "run_checks",
    "worst_status",
]

logger = logging.getLogger(__name__)

_MIB = 1024 * 1024
#: Free space on the journal's volume below which the exam cannot start (K60).
JOURNAL_FAIL_BYTES = 50 * _MIB
#: Free space below which pre-flight warns (K60).
JOURNAL_WARN_BYTES = 200 * _MIB
#: Clock skew against the server above which pre-flight warns (K60).
MAX_CLOCK_SKEW = dt.timedelta(minutes=2)
#: VM score (:func:`lockdown.vm.score_vm`) from which the remote/VM check warns.
VM_WARN_SCORE = 0.5

#: Stable :attr:`CheckResult.fix_hint` keys; the UI maps each to a button or a translated hint.
FIX_RETRY = "retry"
FIX_DISCONNECT_DISPLAY = "disconnect_display"
FIX_RESTART_KIOSK = "restart_kiosk"
FIX_FREE_DISK_SPACE = "free_disk_space"
FIX_UPDATE_KIOSK = "update_kiosk"
FIX_CALL_PROCTOR = "call_proctor"


class CheckStatus(enum.StrEnum):
    """The outcome of one check, ordered ``ok < warn < fail``."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


_RANK = {CheckStatus.OK: 0, CheckStatus.WARN: 1, CheckStatus.FAIL: 2}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The K60 result of one check.

    Attributes
    ----------
    id : str
        Stable check id (``"displays"``, ``"environment"``...), the same for every outcome.
    status : CheckStatus
    message_fr, message_en : str
        One human sentence per language.
    fix_hint : str
        A stable key (``"retry"``, ``"free_disk_space"``...) the UI turns into a button or hint; ``""`` if none.
    detail : str
        The technical detail, shown collapsed and sent to the server.
    """

    id: str
    status: CheckStatus
    message_fr: str
    message_en: str
    fix_hint: str = ""
    detail: str = ""

    @property
    def blocks_start(self) -> bool:
        """True for a ``fail``."""
        return self.status is CheckStatus.FAIL

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict for the server (``status`` as its string value)."""
        data = asdict(self)
        data["status"] = self.status.value
        return data


@dataclass(frozen=True, slots=True)
class Check:
    """One pre-flight check: its id (used when it raises) and the function that runs it."""

    id: str
    run: Callable[[], CheckResult]


def run_checks(checks: Iterable[Check]) -> list[CheckResult]:
    """Run every check in order and return their results; one failing check never stops the others.

    A check that raises any :class:`Exception`, or returns something other than a :class:`CheckResult`, yields a
    ``warn`` carrying the error in its detail (K61: a check that cannot run is never a false ``fail``).
    """
    results = []
    for check in checks:
        try:
            result = check.run()
        except Exception as exc:
            logger.warning(
                "pre-flight check could not run",
                exc_info=True,
                extra={"event": "preflight_check_error", "check": check.id},
            )
            result = _could_not_run(check.id, f"{type(exc).__name__}: {exc}")
        if not isinstance(result, CheckResult):
            result = _could_not_run(check.id, f"the check returned {type(result).__name__}, not a CheckResult")
        results.append(result)
    return results


def _could_not_run(check_id: str, detail: str) -> CheckResult:
    return CheckResult(
        check_id,
        CheckStatus.WARN,
        "Cette vérification n'a pas pu être effectuée.",
        "This check could not be run.",
        FIX_RETRY,
        detail,
    )


def worst_status(results: Iterable[CheckResult]) -> CheckStatus:
    """The most severe status of ``results`` (``ok`` when empty)."""
    return max((result.status for result in results), key=_RANK.__getitem__, default=CheckStatus.OK)


# ------------------------------------------------------------------------------------------------ displays


def check_displays(displays: Sequence[Display], allowed: int = 1) -> CheckResult:
    """K32: fail when more than ``allowed`` displays are active (``AllowedDisplays``, default 1).

    An empty list cannot be true on a running kiosk, so it means the query is broken: ``warn``, never ``fail``
    (K61).
    """
    detail = "; ".join(f"{d.name} {d.width}x{d.height}{' primary' if d.primary else ''}" for d in displays)
    count = len(displays)
    if count == 0:
        return CheckResult(
            "displays",
            CheckStatus.WARN,
            "Aucun écran n'a été détecté : la vérification des écrans n'a pas abouti.",
            "No display was detected: the display check did not work.",
            FIX_RETRY,
            "0 active displays reported",
        )
    if count > allowed:
        return CheckResult(
            "displays",
            CheckStatus.FAIL,
            f"{count} écrans sont actifs, {allowed} autorisé(s) : débranchez les écrans en trop.",
            f"{count} displays are active, {allowed} allowed: disconnect the extra displays.",
            FIX_DISCONNECT_DISPLAY,
            detail,
        )
    return CheckResult(
        "displays", CheckStatus.OK, f"{count} écran(s) actif(s).", f"{count} active display(s).", "", detail
    )


# ------------------------------------------------------------------------------------------------ environment

_FORBIDDEN_PREFIXES = ("QT_", "QTWEBENGINE_", "PYTHON")
#: Not QT_-prefixed, but they load code into Qt Quick all the same.
_FORBIDDEN_NAMES = frozenset({"QML2_IMPORT_PATH", "QML_IMPORT_PATH"})
# Chromium reads switches as --name, and on Windows also -name and /name.
_SWITCH_PREFIXES = ("--", "-", "/")
_FORBIDDEN_SWITCHES = ("remote-debugging",)


def is_forbidden_variable(name: str) -> bool:
    """Whether K23 forbids the environment variable ``name``: ``QT_*``, ``QTWEBENGINE_*``, ``PYTHON*``, QML paths.

    Names are compared case-insensitively: Windows environment names ignore case, which closes
    ``qt_plugin_path`` too.
    """
    upper = name.upper()
    return upper.startswith(_FORBIDDEN_PREFIXES) or upper in _FORBIDDEN_NAMES


def forbidden_variables(environ: Mapping[str, str], *, allowed: Collection[str] = ()) -> list[str]:
    """The variables of ``environ`` that K23 forbids, sorted, except those in ``allowed`` (compared upper-case).

    ``allowed`` is for the dev/CI exceptions of K26 (``QTWEBENGINE_DISABLE_SANDBOX`` on Linux as root).
    """
    exempt = {name.upper() for name in allowed}
    return sorted(name for name in environ if is_forbidden_variable(name) and name.upper() not in exempt)


def forbidden_arguments(argv: Sequence[str]) -> list[str]:
    """The arguments of ``argv`` (program name excluded) that K25 forbids: any ``--remote-debugging-*`` switch.

    Matched case-insensitively with any switch prefix Chromium accepts (``--``, ``-``, ``/``).
    """
    found = []
    for argument in argv[1:]:
        switch = argument.lower()
        for prefix in _SWITCH_PREFIXES:
            if switch.startswith(prefix):
                switch = switch[len(prefix) :]
                break
        else:
            continue
        if switch.startswith(_FORBIDDEN_SWITCHES):
            found.append(argument)
    return found


def check_environment(
    environ: Mapping[str, str], argv: Sequence[str], *, allowed_variables: Collection[str] = ()
) -> CheckResult:
    """K25: fail on any forbidden environment variable (K23) or ``--remote-debugging-*`` argument.

    Values are never put in the result (they may hold paths or secrets); only names and switches are.
    """
    variables = forbidden_variables(environ, allowed=allowed_variables)
    arguments = forbidden_arguments(argv)
    if not variables and not arguments:
        return CheckResult("environment", CheckStatus.OK, "Environnement conforme.", "Environment is clean.", "", "")
    detail = "; ".join(
        part
        for part in (
            f"variables: {', '.join(variables)}" if variables else "",
            f"arguments: {', '.join(arguments)}" if arguments else "",
        )
        if part
    )
    return CheckResult(
        "environment",
        CheckStatus.FAIL,
        "Le kiosque a été lancé avec des réglages interdits : relancez-le depuis son raccourci officiel.",
        "The kiosk was started with forbidden settings: start it again from its official shortcut.",
        FIX_RESTART_KIOSK,
        detail,
    )


# ------------------------------------------------------------------------------------------------ disk space


def _existing_ancestor(path: Path) -> Path:
    # The journal folder may not exist before the first exam; its volume is what matters.
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def check_journal_space(
    journal_dir: str | Path, *, disk_usage: Callable[[Path], Any] = shutil.disk_usage
) -> CheckResult:
    """K60: fail below 50 MiB free on the journal's volume, warn below 200 MiB.

    ``journal_dir`` may not exist yet: its nearest existing parent is measured. ``disk_usage`` returns an object
    with a ``free`` attribute in bytes (:func:`shutil.disk_usage`, injectable for tests); its ``OSError``
    propagates, and :func:`run_checks` reports it as ``warn``.
    """
    measured = _existing_ancestor(Path(journal_dir))
    free = int(disk_usage(measured).free)
    mib = free // _MIB
    detail = f"{free} bytes free on the volume of {measured}"
    if free < JOURNAL_FAIL_BYTES:
        return CheckResult(
            "journal_space",
            CheckStatus.FAIL,
            f"Espace disque insuffisant pour le journal des réponses ({mib} Mio libres, 50 requis).",
            f"Not enough disk space for the answer journal ({mib} MiB free, 50 required).",
            FIX_FREE_DISK_SPACE,
            detail,
        )
    if free < JOURNAL_WARN_BYTES:
        return CheckResult(
            "journal_space",
            CheckStatus.WARN,
            f"Peu d'espace disque pour le journal des réponses ({mib} Mio libres).",
            f"Little disk space left for the answer journal ({mib} MiB free).",
            FIX_FREE_DISK_SPACE,
            detail,
        )
    return CheckResult("journal_space", CheckStatus.OK, "Espace disque suffisant.", "Enough disk space.", "", detail)


# ------------------------------------------------------------------------------------------------ server


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_server(
    server_time: Callable[[], dt.datetime],
    *,
    now: Callable[[], dt.datetime] = _utc_now,
    attempts: int = 2,
    max_skew: dt.timedelta = MAX_CLOCK_SKEW,
) -> CheckResult:
    """K60: fail when the server stays unreachable after a retry, warn when the clocks differ by more than 2 min.

    Parameters
    ----------
    server_time : callable
        Asks the server for its time (an aware :class:`datetime.datetime`); any exception means unreachable.
        It runs off the GUI thread, like the whole pre-flight.
    now : callable
        The local clock (aware). The skew is measured against the middle of the request.
    attempts : int
        Calls to ``server_time`` before giving up (2: one retry). The result offers "Retry", never a crash.
    max_skew : datetime.timedelta
        The tolerated difference.
    """
    errors = []
    for _ in range(max(1, attempts)):
        before = now()
        try:
            remote = server_time()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        after = now()
        skew = remote - (before + (after - before) / 2)
        return _skew_result(skew, max_skew)
    return CheckResult(
        "server",
        CheckStatus.FAIL,
        "Le serveur d'examen est injoignable. Vérifiez la connexion puis réessayez.",
        "The exam server cannot be reached. Check the connection, then retry.",
        FIX_RETRY,
        " | ".join(errors),
    )


def _skew_result(skew: dt.timedelta, max_skew: dt.timedelta) -> CheckResult:
    seconds = skew.total_seconds()
    detail = f"server clock minus local clock: {seconds:+.1f} s"
    if abs(skew) > max_skew:
        return CheckResult(
            "server",
            CheckStatus.WARN,
            f"L'horloge de ce poste diffère de celle du serveur de {abs(seconds):.0f} s.",
            f"This computer's clock differs from the server's by {abs(seconds):.0f} s.",
            FIX_CALL_PROCTOR,
            detail,
        )
    return CheckResult("server", CheckStatus.OK, "Serveur joignable.", "Server reachable.", "", detail)


# ------------------------------------------------------------------------------------------------ version


_VERSION = re.compile(r"v?(\d+(?:\.\d+)*)(.*)", re.IGNORECASE)


def _parse_version(version: str) -> tuple[tuple[int, ...], str]:
    """``(release, suffix)`` of a PEP 440-style version: ``"1.4.0rc1"`` gives ``((1, 4), "rc1")``.

    Trailing zero components are dropped (``1.4`` equals ``1.4.0``); the suffix is case-folded.

    Raises
    ------
    ValueError
        If ``version`` does not start with a number.
    """
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    release = [int(part) for part in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    return tuple(release), match.group(2).casefold()


def check_version(current: str, pinned: str | None) -> CheckResult:
    """K60: fail when the kiosk's release is older than the pinned one; warn when newer or another build of it.

    ``pinned`` None (no ``PinnedVersion`` policy) is ``ok``. ``1.4`` and ``1.4.0`` are the same version;
    ``1.4.2rc1`` against ``1.4.2`` is a ``warn`` (same release, another build). An unparsable version raises
    ``ValueError``, which :func:`run_checks` reports as ``warn``.
    """
    detail = f"running {current}, pinned {pinned}"
    if pinned is None or _parse_version(current) == _parse_version(pinned):
        return CheckResult(
            "version", CheckStatus.OK, "Version du kiosque conforme.", "Kiosk version is as pinned.", "", detail
        )
    if _parse_version(current)[0] < _parse_version(pinned)[0]:
        return CheckResult(
            "version",
            CheckStatus.FAIL,
            f"Cette version du kiosque ({current}) n'est pas autorisée : la version {pinned} est requise.",
            f"This kiosk version ({current}) is not allowed: version {pinned} is required.",
            FIX_UPDATE_KIOSK,
            detail,
        )
    return CheckResult(
        "version",
        CheckStatus.WARN,
        f"Cette version du kiosque ({current}) diffère de la version épinglée ({pinned}).",
        f"This kiosk version ({current}) differs from the pinned version ({pinned}).",
        "",
        detail,
    )


# ------------------------------------------------------------------------------------------------ remote / VM


def check_remote_vm(remote: bool | None, vm: VmReport, *, warn_score: float = VM_WARN_SCORE) -> CheckResult:
    """K33: a remote session or a VM score of at least ``warn_score`` is a ``warn`` for the proctor, never a fail."""
    remote_text = {True: "yes", False: "no", None: "unknown"}[remote]
    detail = f"remote session: {remote_text}; VM score {vm.score} (heuristics v{vm.version})"
    if vm.reasons:
        detail += ": " + "; ".join(vm.reasons)
    if remote or vm.score >= warn_score:
        return CheckResult(
            "remote_vm",
            CheckStatus.WARN,
            "Session à distance ou machine virtuelle possible : le surveillant est prévenu.",
            "Possible remote session or virtual machine: the proctor is informed.",
            FIX_CALL_PROCTOR,
            detail,
        )
    return CheckResult("remote_vm", CheckStatus.OK, "Poste local, physique.", "Local, physical computer.", "", detail)
