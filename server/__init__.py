"""The central server: sessions, candidates, the adaptive test API, portals, scoring, certificates.

FastAPI + SQLAlchemy 2 + Alembic; SQLite (a file under the data directory) by default, PostgreSQL
through ``CADENAS_DATABASE_URL``. Workers keep no state between requests: everything is in the
database, so several workers can share one PostgreSQL (architecture §1).
"""
