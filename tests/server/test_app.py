"""The application shell: health, error shape, migrations, settings."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from server.config import DEFAULT_SECRET, Settings
from server.errors import ConfigError


def test_health_answers_once_ready_with_the_server_clock(client, clock):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "time": clock().replace(tzinfo=None).isoformat() + "Z"}


def test_unknown_routes_use_the_error_shape(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "Not Found"}


def test_the_schema_is_migrated_on_start(app, client):
    tables = set(inspect(app.state.engine).get_table_names())
    assert {"sessions", "candidates", "courses", "answers", "asked_challenges", "results", "audit_log"} <= tables
    assert "alembic_version" in tables


def test_openapi_is_published(client):
    assert client.get("/openapi.json").json()["info"]["title"] == "Cadenas server"


def test_a_huge_body_is_refused_with_413(client):
    response = client.post("/api/v1/health", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_production_refuses_the_default_secret():
    with pytest.raises(ConfigError, match="CADENAS_SECRET_KEY must be set"):
        Settings(production=True, secret_key=DEFAULT_SECRET)
    with pytest.raises(ConfigError, match="at least 32 characters"):
        Settings(production=True, secret_key="short")
    assert Settings(production=True, secret_key="x" * 40).production


def test_demo_seed_gives_the_log_in_details(demo):
    assert set(demo) == {
        "session_id", "access_code", "invigilator_password", "organiser_email", "organiser_password", "candidates",
    }  # fmt: skip
    assert len(demo["access_code"]) == 6 and len(demo["invigilator_password"]) == 5
    assert len(demo["candidates"]) == 3


def test_seeding_the_demo_twice_opens_a_second_session_for_the_same_organiser(app, client, clock):
    from server.db import session_scope
    from server.seed import seed_demo

    infos = []
    for _ in range(2):
        for db in session_scope(app.state.sessions):
            info = seed_demo(db, today=clock().date())
        infos.append(info)
    assert infos[0]["session_id"] != infos[1]["session_id"]
    assert infos[0]["organiser_email"] == infos[1]["organiser_email"]
    assert infos[0]["organiser_password"] != infos[1]["organiser_password"]
    login = client.post(
        "/organiser/login", data={"email": infos[1]["organiser_email"], "password": infos[1]["organiser_password"]}
    )
    assert login.status_code in (200, 303)
    assert client.get(f"/organiser/sessions/{infos[0]['session_id']}").status_code == 200
