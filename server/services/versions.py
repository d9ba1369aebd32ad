"""Certification versions: which bank and configuration a course uses, and their parsed forms.

A version row names a bank folder and an engine configuration (spec §4). :class:`VersionCatalog`
loads each bank once per process and keeps its pools per locale; it holds no request state, so
every worker can build its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import Session

from cadenas.resources import DEFAULT_BANK, load_shipped_bank
from engine.bank import Challenge, Pool
from engine.bankfile import Bank
from engine.config import EngineConfig
from server.errors import NotFoundError
from server.models import CertificationVersion

logger = logging.getLogger(__name__)

DEFAULT_VERSION_ID = "v3"
DEFAULT_START = dt.date(2020, 1, 1)


class VersionCatalog:
    """Parsed banks, pools and configurations of the versions, loaded on first use."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._banks: dict[str, Bank] = {}
        self._challenges: dict[str, dict[str, Challenge]] = {}
        self._pools: dict[tuple[str, str], Pool] = {}
        self._configs: dict[str, EngineConfig] = {}

    def bank(self, version: CertificationVersion) -> Bank:
        """The version's bank (loaded strictly: a broken bank fails loudly)."""
        with self._lock:
            if version.id not in self._banks:
                bank = load_shipped_bank(Path(version.bank_dir))
                self._banks[version.id] = bank
                self._challenges[version.id] = {c.id: c for c in bank.challenges}
                logger.info("bank of version %s loaded: %d challenges", version.id, len(bank.entries))
            return self._banks[version.id]

    def challenge(self, version: CertificationVersion, challenge_id: str) -> Challenge:
        """One challenge of the version's bank.

        Raises
        ------
        NotFoundError
            No such challenge in the bank.
        """
        self.bank(version)
        try:
            return self._challenges[version.id][challenge_id]
        except KeyError as exc:
            raise NotFoundError(f"challenge {challenge_id} is not in version {version.id}") from exc

    def pool(self, version: CertificationVersion, locale: str) -> Pool:
        """The selection pool of the version for ``locale``."""
        bank = self.bank(version)
        key = (version.id, locale)
        with self._lock:
            if key not in self._pools:
                self._pools[key] = Pool(bank.challenges, locale=locale)
            return self._pools[key]

    def config(self, version: CertificationVersion) -> EngineConfig:
        """The version's engine configuration (defaults for the keys it does not set)."""
        with self._lock:
            if version.id not in self._configs:
                self._configs[version.id] = EngineConfig.from_mapping(version.config or {})
            return self._configs[version.id]


def ensure_default_version(db: Session, bank_dir: Path | None) -> CertificationVersion:
    """Create the default version (the shipped bank, production configuration) if none exists."""
    existing = db.scalars(select(CertificationVersion).order_by(CertificationVersion.start_date)).first()
    if existing is not None:
        return existing
    version = CertificationVersion(
        id=DEFAULT_VERSION_ID, start_date=DEFAULT_START, bank_dir=str(bank_dir or DEFAULT_BANK), config={}
    )
    db.add(version)
    db.flush()
    return version


def version_for(db: Session, day: dt.date) -> CertificationVersion:
    """The newest version whose start date is not after ``day`` (spec §4).

    Raises
    ------
    NotFoundError
        No version was in force on ``day``.
    """
    version = db.scalars(
        select(CertificationVersion)
        .where(CertificationVersion.start_date <= day)
        .order_by(CertificationVersion.start_date.desc())
    ).first()
    if version is None:
        raise NotFoundError(f"no certification version is in force on {day.isoformat()}")
    return version
