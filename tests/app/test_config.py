"""Tests of app.config: policy + command line precedence, validation errors, defaults, env scrubbing, Chromium flags.

The machine policy is a fake :class:`app.policy_sources.PolicySource` (a class with ``read()``), or a real
:class:`JsonPolicySource` over a temporary file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.config import (
    COMMAND_LINE_SOURCE,
    POLICY_SOURCE,
    KioskConfig,
    KioskConfigError,
    chromium_flags,
    default_data_dir,
    load_config,
    scrubbed_environment,
)
from app.policy_sources import JsonPolicySource
from lockdown.policy import UrlPolicy, UrlRule
from lockdown.preflight import forbidden_variables

LINUX_ENV = {"HOME": "/home/candidat"}
SERVER = "https://cadenas.example.fr"


class FakePolicySource:
    """A PolicySource returning a fixed dict (a fake registry or file)."""

    def __init__(self, values: dict[str, object] | None = None):
        self.values = values or {}

    def read(self) -> dict[str, object]:
        return dict(self.values)


def load(policy: dict[str, object] | None = None, argv: list[str] | None = None, **kwargs) -> KioskConfig:
    return load_config(
        policy=FakePolicySource(policy),
        argv=argv or [],
        environ=kwargs.get("environ", LINUX_ENV),
        platform=kwargs.get("platform", "linux"),
    )


def error_of(policy: dict[str, object] | None = None, argv: list[str] | None = None, **kwargs) -> KioskConfigError:
    with pytest.raises(KioskConfigError) as info:
        load(policy, argv, **kwargs)
    return info.value


FULL_POLICY = {
    "ServerUrl": SERVER,
    "KioskId": "Salle B - poste 12",
    "UrlRules": [
        {"id": "wiki", "action": "allow", "kind": "simplified", "pattern": "fr.wikipedia.org"},
        {"id": "ai", "action": "block", "kind": "regex", "pattern": r"^https?://([a-z0-9-]+\.)*openai\.com/"},
    ],
    "AllowLocalAdditions": True,
    "Strictness": "relaxed",
    "Language": "en",
    "DataDir": "/var/lib/cadenas",
    "HeartbeatSeconds": 10,
    "Spellcheck": True,
    "Clipboard": True,
    "LogFullUrls": True,
}


def test_full_json_policy_file_is_read_into_typed_config(tmp_path: Path):
    path = tmp_path / "kiosk.json"
    path.write_text(json.dumps(FULL_POLICY), encoding="utf-8")
    config = load_config(policy=JsonPolicySource(path), argv=[], environ=LINUX_ENV, platform="linux")
    assert config.server_url == SERVER
    assert config.kiosk_id == "Salle B - poste 12"
    assert [rule.id for rule in config.url_rules] == ["wiki", "ai"]
    assert config.url_rules[1] == UrlRule("ai", "block", "regex", r"^https?://([a-z0-9-]+\.)*openai\.com/")
    assert config.allow_local_additions is True
    assert config.strictness == "relaxed"
    assert config.language == "en"
    assert config.data_dir == Path("/var/lib/cadenas")
    assert config.heartbeat_seconds == 10
    assert (config.spellcheck, config.clipboard, config.log_full_urls) == (True, True, True)


def test_registry_shaped_policy_maps_dwords_and_multi_sz_rule_lines():
    config = load(
        {
            "ServerUrl": SERVER,
            "UrlRules": [
                "block simplified *.openai.com",
                "",
                "# comment",
                "allow regex ^https://fr\\.wikipedia\\.org/",
            ],
            "AllowLocalAdditions": 1,
            "HeartbeatSeconds": 7,
            "Spellcheck": 0,
            "LogFullUrls": 1,
        }
    )
    assert config.url_rules == (
        UrlRule("machine-1", "block", "simplified", "*.openai.com"),
        UrlRule("machine-4", "allow", "regex", "^https://fr\\.wikipedia\\.org/"),
    )
    assert (config.allow_local_additions, config.heartbeat_seconds, config.spellcheck, config.log_full_urls) == (
        True,
        7,
        False,
        True,
    )


def test_k57_block_and_allow_rule_lists_become_simplified_rules_usable_by_merge():
    config = load({"ServerUrl": SERVER, "BlockRules": ["chatgpt.com"], "AllowRules": ["fr.wikipedia.org"]})
    assert config.url_rules == (
        UrlRule("machine-block-1", "block", "simplified", "chatgpt.com"),
        UrlRule("machine-allow-1", "allow", "simplified", "fr.wikipedia.org"),
    )
    policy = UrlPolicy.merge([], config.url_rules, allow_local_additions=False)
    assert not policy.evaluate("https://chatgpt.com/").allowed
    assert not policy.evaluate("https://fr.wikipedia.org/").allowed  # machine allow ignored without permission


def test_defaults_when_policy_sets_only_the_server():
    config = load({"ServerUrl": SERVER})
    assert config.kiosk_id is None
    assert config.url_rules == ()
    assert config.allow_local_additions is False
    assert config.strictness == "exam"
    assert config.language == "fr"
    assert config.heartbeat_seconds == 5
    assert (config.spellcheck, config.clipboard, config.log_full_urls) == (False, False, False)
    assert config.data_dir == Path("/home/candidat/.local/share/cadenas/kiosk")


def test_policy_names_are_matched_ignoring_case_like_registry_value_names():
    config = load({"serverurl": SERVER, "HEARTBEATSECONDS": 3})
    assert (config.server_url, config.heartbeat_seconds) == (SERVER, 3)


def test_same_name_twice_in_different_case_is_an_error():
    error = error_of({"ServerUrl": SERVER, "serverURL": SERVER})
    assert (error.setting, error.source) == ("ServerUrl", POLICY_SOURCE)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ServerUrl", "ftp://cadenas.example.fr"),
        ("ServerUrl", "cadenas.example.fr"),
        ("ServerUrl", "https://user:pw@cadenas.example.fr"),
        ("ServerUrl", "https://cadenas.example.fr:99999"),
        ("ServerUrl", "http://cadenas.example.fr"),  # http to a remote host in exam strictness
        ("ServerUrl", 42),
        ("KioskId", "x" * 65),
        ("Strictness", "lenient"),
        ("Language", "de"),
        ("DataDir", "relative/dir"),
        ("HeartbeatSeconds", 0),
        ("HeartbeatSeconds", 61),
        ("HeartbeatSeconds", True),
        ("HeartbeatSeconds", "five"),
        ("AllowLocalAdditions", 2),
        ("Spellcheck", "maybe"),
        ("Clipboard", None),
        ("LogFullUrls", [1]),
        ("UrlRules", 12),
        ("UrlRules", ["block simplified"]),
        ("BlockRules", [3]),
    ],
)
def test_invalid_policy_value_names_the_setting_and_the_machine_policy(setting: str, value: object):
    policy = {"ServerUrl": SERVER, setting: value}
    error = error_of(policy)
    assert (error.setting, error.source) == (setting, POLICY_SOURCE)
    assert setting in error.message("en") and "stratégie machine" in error.message("fr")
    assert error.english and error.french and error.english != error.french


def test_http_server_is_accepted_for_loopback_and_in_relaxed_strictness():
    assert load({"ServerUrl": "http://127.0.0.1:8000"}).server_url == "http://127.0.0.1:8000"
    assert load({"ServerUrl": "http://localhost:8000"}).server_url == "http://localhost:8000"
    relaxed = load({"ServerUrl": "http://cadenas.lan", "Strictness": "relaxed"})
    assert relaxed.server_url == "http://cadenas.lan"


def test_language_accepts_os_locale_forms():
    assert load({"ServerUrl": SERVER, "Language": "en-GB"}).language == "en"
    assert load({"ServerUrl": SERVER, "Language": "FR_fr"}).language == "fr"


def test_invalid_url_rule_names_its_id():
    rules = [
        {"id": "ok", "action": "block", "kind": "simplified", "pattern": "example.org"},
        {"id": "bad-regex", "action": "block", "kind": "regex", "pattern": "(unclosed"},
    ]
    error = error_of({"ServerUrl": SERVER, "UrlRules": rules})
    assert (error.setting, error.source) == ("UrlRules", POLICY_SOURCE)
    assert "bad-regex" in error.english and "bad-regex" in error.french


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"id": "act", "action": "permit", "kind": "simplified", "pattern": "a.org"}, "'act'"),
        ({"id": "nokind", "action": "block", "pattern": "a.org"}, "'nokind'"),
        ({"id": "dot", "action": "block", "kind": "simplified", "pattern": "."}, "'dot'"),
        ("block simplified .", "'machine-1'"),
        (["not", "a", "rule"], "#1"),
    ],
)
def test_each_kind_of_invalid_rule_is_reported_with_its_name(rule: object, named: str):
    error = error_of({"ServerUrl": SERVER, "UrlRules": [rule]})
    assert error.setting == "UrlRules"
    assert named in error.english


def test_duplicate_rule_ids_are_refused():
    rule = {"id": "same", "action": "block", "kind": "simplified", "pattern": "a.org"}
    error = error_of({"ServerUrl": SERVER, "UrlRules": [rule, rule]})
    assert error.setting == "UrlRules" and "same" in error.english


def test_unknown_policy_name_is_an_error_naming_it():
    error = error_of({"ServerUrl": SERVER, "HeartbeatSecond": 5})
    assert (error.setting, error.source) == ("HeartbeatSecond", POLICY_SOURCE)
    assert "HeartbeatSecond" in error.french


def test_several_unknown_names_are_all_listed():
    error = error_of({"ServerUrl": SERVER, "Foo": 1, "Bar": 2})
    assert error.setting == "(policy)"
    assert "Bar" in error.english and "Foo" in error.english


def test_other_k57_names_are_passed_through_untouched():
    config = load({"ServerUrl": SERVER, "AllowedDisplays": 2, "KioskMode": "Fullscreen"})
    assert dict(config.passthrough) == {"AllowedDisplays": 2, "KioskMode": "Fullscreen"}


def test_missing_server_url_is_an_error_naming_it():
    error = error_of({"Language": "fr"})
    assert (error.setting, error.source) == ("ServerUrl", POLICY_SOURCE)


# ------------------------------------------------------------------------------------------- command line


def test_flags_configure_a_development_machine_without_policy():
    config = load(
        None,
        [
            "--server-url=http://192.0.2.7:8000",
            "--strictness",
            "relaxed",
            "--kiosk-id",
            "dev",
            "--data-dir",
            "/tmp/kiosk",
            "--language",
            "en",
            "--block-rule",
            "chatgpt.com",
            "--allow-rule",
            "fr.wikipedia.org",
            "--block-rule",
            "*.openai.com",
        ],
    )
    assert config.strictness == "relaxed"
    assert (config.server_url, config.kiosk_id, config.data_dir, config.language) == (
        "http://192.0.2.7:8000",
        "dev",
        Path("/tmp/kiosk"),
        "en",
    )
    assert [(rule.id, rule.action, rule.pattern) for rule in config.url_rules] == [
        ("cli-block-1", "block", "chatgpt.com"),
        ("cli-block-2", "block", "*.openai.com"),
        ("cli-allow-1", "allow", "fr.wikipedia.org"),
    ]


def test_in_exam_strictness_flags_fill_settings_the_policy_leaves_unset():
    config = load({"ServerUrl": SERVER}, ["--kiosk-id", "poste-3", "--language", "en"])
    assert (config.server_url, config.kiosk_id, config.language) == (SERVER, "poste-3", "en")


@pytest.mark.parametrize(
    ("setting", "argv"),
    [
        ("ServerUrl", ["--server-url", "https://attacker.example"]),
        ("Language", ["--language", "en"]),
        ("DataDir", ["--data-dir", "/tmp/elsewhere"]),
        ("KioskId", ["--kiosk-id", "other"]),
    ],
)
def test_in_exam_strictness_a_flag_cannot_override_a_policy_value(setting: str, argv: list[str]):
    policy = {"ServerUrl": SERVER, "Language": "fr", "DataDir": "/var/lib/cadenas", "KioskId": "poste-1"}
    error = error_of(policy, argv)
    assert (error.setting, error.source) == (setting, COMMAND_LINE_SOURCE)


def test_relaxed_flag_is_refused_on_a_machine_with_a_policy():
    error = error_of({"ServerUrl": SERVER}, ["--strictness", "relaxed"])
    assert (error.setting, error.source) == ("Strictness", COMMAND_LINE_SOURCE)


def test_strictness_flag_cannot_override_the_policy_strictness():
    assert load({"ServerUrl": SERVER, "Strictness": "exam"}, ["--strictness", "relaxed"]).strictness == "exam"


def test_in_policy_relaxed_strictness_flags_override_the_policy():
    config = load({"ServerUrl": SERVER, "Strictness": "relaxed", "Language": "fr"}, ["--language", "en"])
    assert config.language == "en"


def test_allow_rule_flag_is_refused_on_a_managed_exam_machine_but_block_rule_is_added():
    policy = {"ServerUrl": SERVER, "BlockRules": ["chatgpt.com"]}
    error = error_of(policy, ["--allow-rule", "*"])
    assert (error.setting, error.source) == ("UrlRules", COMMAND_LINE_SOURCE)
    config = load(policy, ["--block-rule", "mistral.ai"])
    assert [rule.id for rule in config.url_rules] == ["machine-block-1", "cli-block-1"]


def test_invalid_rule_flag_is_reported_from_the_command_line():
    error = error_of(None, ["--server-url", SERVER, "--block-rule", "."])
    assert (error.setting, error.source) == ("UrlRules", COMMAND_LINE_SOURCE)
    assert "cli-block-1" in error.english


@pytest.mark.parametrize(
    ("argv", "setting"),
    [
        (["--server-url", "nope"], "ServerUrl"),
        (["--server-url", SERVER, "--language", "es"], "Language"),
        (["--server-url", SERVER, "--strictness", "off"], "Strictness"),
        (["--server-url", SERVER, "--data-dir", "rel"], "DataDir"),
        (["--server-url", SERVER, "--remote-debugging-port=9222"], "(arguments)"),
        (["--server-url", SERVER, "--help"], "(arguments)"),
        (["--server-url"], "(arguments)"),
    ],
)
def test_invalid_command_line_is_an_error_not_an_exit(argv: list[str], setting: str):
    error = error_of(None, argv)
    assert (error.setting, error.source) == (setting, COMMAND_LINE_SOURCE)


def test_unreadable_policy_file_error_reaches_the_caller(tmp_path: Path):
    path = tmp_path / "kiosk.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(KioskConfigError) as info:
        load_config(policy=JsonPolicySource(path), argv=[], environ=LINUX_ENV, platform="linux")
    assert (info.value.setting, info.value.source) == ("(file)", POLICY_SOURCE)
    assert str(path) in info.value.english


def test_missing_policy_file_is_an_empty_policy(tmp_path: Path):
    config = load_config(
        policy=JsonPolicySource(tmp_path / "absent.json"),
        argv=["--server-url", SERVER],
        environ=LINUX_ENV,
        platform="linux",
    )
    assert config.server_url == SERVER


# ------------------------------------------------------------------------------------------- data directory


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("win32", {"LOCALAPPDATA": r"C:\Users\eleve\AppData\Local"}, r"C:\Users\eleve\AppData\Local\Cadenas\Kiosk"),
        ("win32", {"USERPROFILE": r"C:\Users\eleve"}, r"C:\Users\eleve\AppData\Local\Cadenas\Kiosk"),
        ("linux", {"XDG_DATA_HOME": "/data/x", "HOME": "/home/a"}, "/data/x/cadenas/kiosk"),
        ("linux", {"XDG_DATA_HOME": "relative", "HOME": "/home/a"}, "/home/a/.local/share/cadenas/kiosk"),
        ("linux", {"HOME": "/home/a"}, "/home/a/.local/share/cadenas/kiosk"),
    ],
)
def test_default_data_dir_per_platform(platform: str, environ: dict[str, str], expected: str):
    assert str(default_data_dir(environ, platform)) == expected
    assert str(load({"ServerUrl": SERVER}, environ=environ, platform=platform).data_dir) == expected


@pytest.mark.parametrize("platform", ["win32", "linux"])
def test_no_usable_home_is_an_error_naming_data_dir(platform: str):
    error = error_of({"ServerUrl": SERVER}, environ={}, platform=platform)
    assert error.setting == "DataDir"


def test_windows_data_dir_policy_must_be_a_windows_absolute_path():
    config = load({"ServerUrl": SERVER, "DataDir": r"D:\Cadenas"}, environ={}, platform="win32")
    assert str(config.data_dir) == r"D:\Cadenas"
    assert error_of({"ServerUrl": SERVER, "DataDir": "/var/lib"}, platform="win32").setting == "DataDir"


# ------------------------------------------------------------------------------------------- direct construction


@pytest.mark.parametrize(
    "overrides",
    [
        {"strictness": "Exam"},
        {"heartbeat_seconds": 0},
        {"language": "de"},
        {"server_url": "http://remote.example"},
        {"url_rules": (UrlRule("r", "block", "regex", "("),)},
        {"data_dir": "/not/a/path/object"},
    ],
)
def test_building_kiosk_config_directly_validates_fields(overrides: dict[str, object]):
    arguments = {"server_url": SERVER, "data_dir": Path("/d"), **overrides}
    with pytest.raises(KioskConfigError):
        KioskConfig(**arguments)  # type: ignore[arg-type]


def test_error_message_is_bilingual_and_names_setting_and_source():
    error = KioskConfigError("ServerUrl", COMMAND_LINE_SOURCE, english="bad", french="mauvais")
    assert error.message("fr") == "Paramètre ServerUrl invalide (ligne de commande) : mauvais"
    assert error.message("en") == "Invalid setting ServerUrl (command line): bad"
    assert isinstance(error, ValueError)


# ------------------------------------------------------------------------------------------- environment (A7)

DANGEROUS = [
    "QTWEBENGINE_CHROMIUM_FLAGS",
    "QTWEBENGINE_REMOTE_DEBUGGING",
    "QTWEBENGINE_DICTIONARIES_PATH",
    "QTWEBENGINE_DISABLE_SANDBOX",
    "QT_PLUGIN_PATH",
    "QT_QPA_PLATFORM_PLUGIN_PATH",
    "QT_QUICK_BACKEND",
    "QT_QPA_PLATFORM",
    "QML2_IMPORT_PATH",
    "QML_IMPORT_PATH",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "qt_plugin_path",
]
HARMLESS = {"PATH": "/usr/bin", "HOME": "/home/a", "LANG": "fr_FR.UTF-8", "XDG_DATA_HOME": "/x", "MYQT_X": "1"}


def test_scrubbing_removes_exactly_the_forbidden_variables_and_keeps_the_others():
    environ = {**HARMLESS, **{name: "x" for name in DANGEROUS}}
    assert scrubbed_environment(environ) == HARMLESS
    assert forbidden_variables(environ) == sorted(DANGEROUS)


def test_scrubbing_does_not_modify_its_argument():
    environ = {"QT_PLUGIN_PATH": "/evil", "PATH": "/usr/bin"}
    scrubbed_environment(environ)
    assert environ == {"QT_PLUGIN_PATH": "/evil", "PATH": "/usr/bin"}


def test_clean_environment_has_no_forbidden_variables():
    assert forbidden_variables(HARMLESS) == []


def test_chromium_flags_contain_the_fixed_privacy_switches_and_no_debugging():
    flags = chromium_flags(load({"ServerUrl": SERVER}))
    for required in ("--disable-background-networking", "--disable-component-update"):
        assert required in flags
    assert not any(flag.startswith("--remote-debugging") for flag in flags)
    assert "--no-sandbox" not in flags


def test_no_sandbox_is_only_granted_in_relaxed_strictness():
    relaxed = load({"ServerUrl": SERVER, "Strictness": "relaxed"})
    assert chromium_flags(relaxed, no_sandbox=True)[-1] == "--no-sandbox"
    with pytest.raises(KioskConfigError) as info:
        chromium_flags(load({"ServerUrl": SERVER}), no_sandbox=True)
    assert info.value.setting == "Strictness"
