"""The live server and the real browser work together (the portals' tests build on this)."""

from __future__ import annotations


def test_chromium_reaches_the_live_server(live_server, page):
    response = page.goto(f"{live_server}/api/v1/health")
    assert response.status == 200
    assert '"status":"ok"' in page.content().replace(" ", "")


def test_the_portal_stylesheet_is_served(live_server, page):
    response = page.goto(f"{live_server}/static/portal.css")
    assert response.status == 200
    assert "--accent" in response.text()
