"""Request and response models of the candidate and kiosk JSON API (``/api/v1``).

Every string that reaches the database is bounded by its column's size and may not hold a NUL
character (PostgreSQL refuses both, and a refusal there would be a 500), every integer by its
column's range. Responses to the kiosk never carry a solution, tolerances, a calibration, a
skill, a tube or an answer format (architecture §1): :meth:`ChallengePublic.from_challenge`
copies only what the candidate page displays.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from engine.bank import Challenge
from engine.validation import proposal_options, template_fields

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
#: Largest JSON document accepted in a kiosk's ``state`` or an event's ``data``.
MAX_JSON_CHARS = 16_000
INSTALL_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
_EMBED_KEYS = ("url", "title", "height")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(value, ensure_ascii=True)
    if "\\u0000" in text:
        raise ValueError("must not contain a NUL character")
    if len(text) > MAX_JSON_CHARS:
        raise ValueError(f"must be at most {MAX_JSON_CHARS} characters of JSON")
    return value


def naive_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as a naive UTC datetime (the storage convention); naive values are taken as UTC."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError as exc:
        raise ValueError("date and time out of range") from exc


Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]
ChallengeId = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]
InstallId = Annotated[str, Field(pattern=INSTALL_ID_PATTERN)]
SmallJson = Annotated[dict[str, Any], AfterValidator(_small_json)]
UtcDateTime = Annotated[dt.datetime, AfterValidator(naive_utc)]


# --- join and course -------------------------------------------------------------------------


class JoinCreate(BaseModel):
    """What the candidate types on the kiosk's sign-in page (architecture §2 step 2)."""

    session_id: int = Field(ge=1, le=INT32_MAX, description="The session number.")
    access_code: Annotated[str, Field(min_length=1, max_length=20), AfterValidator(_no_nul)]
    last_name: Name
    first_name: Name
    birth_date: dt.date
    install_id: InstallId | None = Field(default=None, description="The kiosk's install id, to bind the device.")


class SessionPublic(BaseModel):
    """The session data the kiosk needs."""

    id: int
    date: dt.date
    time: str
    room: str
    url_rules: dict[str, Any]


class CandidatePublic(BaseModel):
    """The candidate as the kiosk shows them."""

    id: int
    display_name: str
    extra_time_percentage: float
    accessibility_adjustment: bool


class CoursePublic(BaseModel):
    """A course's state as the candidate may see it: never anything about the score."""

    state: str
    answered: int
    finished: bool


class JoinPublic(BaseModel):
    """A candidate bearer token and what the kiosk needs to go on."""

    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
    session: SessionPublic
    candidate: CandidatePublic
    has_course: bool
    course: CoursePublic | None


class AuthorisationPublic(BaseModel):
    """Whether the invigilator has authorised the candidate to start (or resume)."""

    authorised: bool
    course: CoursePublic | None


class StartPublic(BaseModel):
    """The course after a start or a resume."""

    resumed: bool
    course: CoursePublic
    question_number: int
    question_count: int
    deadline: dt.datetime
    seconds_left: int


# --- challenges ------------------------------------------------------------------------------


class FieldPublic(BaseModel):
    """One input of a QROC/QROCM template: free text, or a drop-down list with its choices."""

    key: str
    kind: Literal["text", "select"]
    choices: list[str]


class AttachmentPublic(BaseModel):
    """A file of the challenge, downloaded with the candidate token."""

    name: str
    url: str


class ChallengePublic(BaseModel):
    """What the candidate page displays of a challenge, and nothing more (engine.md §1 rule 1)."""

    id: str
    type: str
    statement: str
    proposals: str
    options: list[str]
    fields: list[FieldPublic]
    focused: bool
    timer: int | None
    attachments: list[AttachmentPublic]
    embed: dict[str, Any] | None

    @classmethod
    def from_challenge(cls, challenge: Challenge, *, attachment_url: str) -> ChallengePublic:
        """The displayable part of ``challenge``; ``attachment_url`` is the prefix of its files' links."""
        is_choice = challenge.type in ("QCU", "QCM")
        names = [PurePosixPath(path).name for path in challenge.attachments]
        embed = None
        if challenge.embed:
            embed = {key: challenge.embed[key] for key in _EMBED_KEYS if key in challenge.embed}
        return cls(
            id=challenge.id,
            type=challenge.type,
            statement=challenge.statement,
            proposals=challenge.proposals,
            options=list(proposal_options(challenge.proposals)) if is_choice else [],
            fields=[]
            if is_choice
            else [
                FieldPublic(key=f.key, kind="select" if f.is_select else "text", choices=list(f.choices))
                for f in template_fields(challenge.proposals)
            ],
            focused=challenge.focused,
            timer=challenge.timer,
            attachments=[AttachmentPublic(name=name, url=f"{attachment_url}/{name}") for name in names],
            embed=embed,
        )


class LiveAlertPublic(BaseModel):
    """A candidate's report on a question and the invigilator's decision."""

    id: int
    challenge_id: str
    question_number: int
    status: str = Field(description="ongoing, validated or dismissed.")
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class CurrentChallengePublic(BaseModel):
    """The pending question with the course's progress, or ``finished`` with the final state."""

    finished: bool
    state: str
    question_number: int
    question_count: int
    seconds_left: int
    timer_seconds_left: int | None = Field(description="Seconds left on the question's own timer, if it is timed.")
    live_alert: LiveAlertPublic | None = Field(description="The ongoing report on this question, if any.")
    challenge: ChallengePublic | None


class CurrentLiveAlertPublic(BaseModel):
    """The course's latest report, or none."""

    alert: LiveAlertPublic | None


class LiveAlertCreate(BaseModel):
    """Report a problem on the pending question; ``challenge_id`` guards against a stale page."""

    challenge_id: ChallengeId | None = None


# --- answers and focus -----------------------------------------------------------------------


class AnswerCreate(BaseModel):
    """An answer as the kiosk journals it (architecture §2 step 6).

    ``value`` is the text typed or the option number(s); a QROCM may send a mapping field → text
    instead of its YAML form. ``skip`` (or the value ``#ABAND#``) skips the question.
    ``timeout`` is the seconds left on a timed question's timer, negative once it ran out.
    """

    uuid: uuid.UUID
    challenge_id: ChallengeId
    value: (
        Annotated[str, Field(max_length=10_000), AfterValidator(_no_nul)]
        | Annotated[
            dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=2_000)]], Field(max_length=50)
        ]
        | None
    ) = None
    skip: bool = False
    timeout: int | None = Field(default=None, ge=-INT32_MAX, le=INT32_MAX)
    focused_out: bool = False
    elapsed: float | None = Field(default=None, ge=0, le=7 * 24 * 3600, allow_inf_nan=False)

    @field_validator("value")
    @classmethod
    def _mapping_without_nul(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, text in value.items():
                _no_nul(key)
                _no_nul(text)
        return value


class AnswerPublic(BaseModel):
    """The answer was kept; what comes next. The status (right or wrong) stays on the server."""

    accepted: Literal[True] = True
    uuid: str
    challenge_id: str
    answered: int
    next: Literal["challenge", "end"]


class FocusOutCreate(BaseModel):
    """The kiosk saw the candidate leave a focused question (engine.md §7.9)."""

    uuid: uuid.UUID
    challenge_id: ChallengeId
    at: UtcDateTime


class FocusOutPublic(BaseModel):
    """Whether the loss was recorded against the pending question (only focused questions count)."""

    recorded: bool
    challenge_id: str


# --- kiosk devices -----------------------------------------------------------------------------


class DeviceCreate(BaseModel):
    """A kiosk enrols its install id and Ed25519 public key (kiosk.md K49)."""

    install_id: InstallId
    public_key: Annotated[str, Field(min_length=40, max_length=100, description="Raw Ed25519 key, base64.")]
    name: Annotated[str, Field(max_length=200), AfterValidator(_no_nul)] = ""

    @field_validator("public_key")
    @classmethod
    def _base64_text(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9+/=_-]+", value):
            raise ValueError("must be base64")
        return value


class DevicePublic(BaseModel):
    """The nonce the next signed request must carry, and the last counter the server accepted."""

    install_id: str
    nonce: str
    counter: int


class KioskEventIn(BaseModel):
    """One kiosk event (focus lost, blocked URL, lock...), de-duplicated on its ``id`` (K51)."""

    id: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_no_nul)]
    kind: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")]
    at: UtcDateTime
    data: SmallJson = Field(default_factory=dict)


class SignedRequest(BaseModel):
    """The fields every signed kiosk request carries (K50): monotonic counter and the server's nonce."""

    model_config = ConfigDict(extra="ignore")

    install_id: InstallId
    counter: int = Field(ge=1, le=INT64_MAX)
    nonce: Annotated[str, Field(max_length=64)]


class HeartbeatCreate(SignedRequest):
    """A heartbeat: the kiosk's state, its new events, and the instructions it carried out."""

    ts: UtcDateTime
    state: SmallJson = Field(default_factory=dict)
    events: list[KioskEventIn] = Field(default_factory=list, max_length=200)
    acks: list[Annotated[int, Field(ge=1, le=INT32_MAX)]] = Field(default_factory=list, max_length=200)


class InstructionPublic(BaseModel):
    """An instruction for the kiosk (K45): ``unlock``, ``force_lock``, ``notify``, ``quit``, ``authorise_resume``."""

    id: int
    kind: str
    payload: dict[str, Any]


class HeartbeatPublic(BaseModel):
    """The nonce for the next signed request, the instructions not yet acknowledged, the offline unlock secret.

    ``unlock_secret`` (K44) is the hex per-(session, kiosk) secret the one-time unlock codes derive
    from, while a candidate is signed in on the kiosk (else null); only this signed reply carries it.
    """

    nonce: str
    instructions: list[InstructionPublic]
    unlock_secret: str | None = None


class UnlockCreate(SignedRequest):
    """A one-time unlock code typed on the lock screen (K44), for the kiosk's current lock."""

    code: Annotated[str, Field(min_length=1, max_length=20), AfterValidator(_no_nul)]
    lock_counter: int = Field(ge=0, le=INT64_MAX)


class UnlockPublic(BaseModel):
    """The code was right: the kiosk may unlock."""

    unlocked: Literal[True] = True
    nonce: str
