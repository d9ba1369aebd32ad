"""Composition-root helpers: UI options, the session's URL policy, the browsing pane's start page."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import KioskConfig, KioskConfigError
from app.main import search_engines, session_policy, split_ui_options
from app.ui.window import browsing_start_page
from lockdown.policy import UrlRule

CONFIG = KioskConfig(server_url="https://exam.example", data_dir=Path("/tmp/kiosk-test"))


def test_ui_options_are_split_from_the_settings():
    options, rest = split_ui_options(["--platform", "offscreen", "--server-url", "https://x", "--windowed"])
    assert (options.platform, options.windowed) == ("offscreen", True)
    assert (options.no_sandbox, options.autopilot) == (False, None)
    assert rest == ["--server-url", "https://x"]


def test_before_sign_in_only_the_machine_rules_apply_and_everything_else_is_blocked():
    machine = KioskConfig(
        server_url="https://exam.example",
        data_dir=Path("/tmp/kiosk-test"),
        url_rules=(UrlRule("m1", "block", "simplified", "triche.example"),),
    )
    policy = session_policy(machine, None)
    assert policy.default == "block"
    assert not policy.evaluate("https://fr.wikipedia.org/").allowed
    assert policy.evaluate("kiosk://app/index.html").allowed


def test_the_session_rules_are_merged_with_the_machine_blocks_first():
    machine = KioskConfig(
        server_url="https://exam.example",
        data_dir=Path("/tmp/kiosk-test"),
        url_rules=(UrlRule("m1", "block", "simplified", "fr.wikipedia.org/wiki/Triche"),),
    )
    session = {
        "url_rules": {
            "default": "block",
            "rules": [{"id": "s1", "action": "allow", "kind": "simplified", "pattern": "fr.wikipedia.org"}],
        }
    }
    policy = session_policy(machine, session)
    assert policy.evaluate("https://fr.wikipedia.org/wiki/Licence").allowed
    assert not policy.evaluate("https://fr.wikipedia.org/wiki/Triche").allowed  # a block always wins
    assert not policy.evaluate("https://example.org/").allowed


def test_an_invalid_session_rule_is_an_error_not_an_open_door():
    session = {"url_rules": {"rules": [{"id": "s1", "action": "allow", "kind": "simplified", "pattern": "."}]}}
    with pytest.raises(ValueError):
        session_policy(CONFIG, session)


def test_start_page_offers_the_session_search_engine_only_when_it_is_an_http_template():
    assert browsing_start_page("fr") == "kiosk://app/start.html?lang=fr"
    assert browsing_start_page("en", "https://qwant.example/?q={q}") == (
        "kiosk://app/start.html?lang=en&search=https%3A%2F%2Fqwant.example%2F%3Fq%3D%7Bq%7D"
    )
    assert browsing_start_page("fr", "javascript:alert(1)//{q}") == "kiosk://app/start.html?lang=fr"
    assert browsing_start_page("fr", "https://no-placeholder.example/") == "kiosk://app/start.html?lang=fr"


def test_search_engines_are_read_from_the_resources():
    engines = search_engines()
    assert {"duckduckgo-html", "qwant", "google", "bing", "cadenas-demo"} <= {e["name"] for e in engines}
    assert all({"results_url", "link_selector"} <= set(e) for e in engines)


def test_an_invalid_setting_shows_a_window_naming_it_in_both_languages(qtbot):
    from app.config import load_config
    from app.main import ConfigErrorWindow

    class NoPolicy:
        def read(self):
            return {}

    with pytest.raises(KioskConfigError) as caught:
        load_config(policy=NoPolicy(), argv=["--server-url", "ftp://exam.example"], environ={}, platform="linux")
    window = ConfigErrorWindow(caught.value)
    qtbot.addWidget(window)
    assert "ServerUrl" in window.detail.text()
    assert "réglage" in window.title.text() and "setting" in window.title.text()
    assert window.quit_button.accessibleName() == "Quitter / Quit"


@pytest.mark.parametrize(
    ("extras", "expected"),
    [
        ({}, (1, "Allow")),
        ({"AllowedDisplays": 2, "ClipboardPolicy": "block"}, (2, "Block")),
        ({"AllowedDisplays": "3"}, (3, "Allow")),
    ],
)
def test_policy_extras(extras, expected):
    from app.main import policy_extras

    config = KioskConfig(server_url="https://exam.example", data_dir=Path("/tmp/k"), passthrough=extras)
    displays, clipboard = policy_extras(config)
    assert (displays, clipboard.value) == expected


@pytest.mark.parametrize(
    ("extras", "setting"),
    [
        ({"AllowedDisplays": 0}, "AllowedDisplays"),
        ({"AllowedDisplays": "two"}, "AllowedDisplays"),
        ({"ClipboardPolicy": "Sometimes"}, "ClipboardPolicy"),
    ],
)
def test_invalid_policy_extras_name_the_setting(extras, setting):
    from app.main import policy_extras

    config = KioskConfig(server_url="https://exam.example", data_dir=Path("/tmp/k"), passthrough=extras)
    with pytest.raises(KioskConfigError) as caught:
        policy_extras(config)
    assert caught.value.setting == setting
