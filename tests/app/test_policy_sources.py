"""Tests of app.policy_sources: the JSON file reader, and the Windows registry reader against a fake ``winreg``.

There is no Windows here: the registry reader is exercised with a fake ``winreg`` module injected into
``sys.modules`` (monkeypatch), which is what the reader's lazy ``import winreg`` then picks up. The fake models
only the calls the reader makes (OpenKey, QueryInfoKey, EnumValue, EnumKey, ExpandEnvironmentStrings).
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import pytest

from app.config import POLICY_SOURCE, KioskConfigError, load_config
from app.policy_sources import (
    LINUX_POLICY_PATH,
    WINDOWS_POLICY_KEY,
    JsonPolicySource,
    WindowsRegistryPolicySource,
    default_policy_source,
)

# --------------------------------------------------------------------------------------------------- JSON


def test_json_source_returns_the_object(tmp_path: Path):
    path = tmp_path / "kiosk.json"
    path.write_text(json.dumps({"ServerUrl": "https://a.fr", "HeartbeatSeconds": 5}), encoding="utf-8")
    assert JsonPolicySource(path).read() == {"ServerUrl": "https://a.fr", "HeartbeatSeconds": 5}


def test_json_source_accepts_a_utf8_bom(tmp_path: Path):
    path = tmp_path / "kiosk.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"KioskId": "Salle é"}).encode())
    assert JsonPolicySource(path).read() == {"KioskId": "Salle é"}


def test_missing_file_is_an_empty_policy(tmp_path: Path):
    assert JsonPolicySource(tmp_path / "absent.json").read() == {}


@pytest.mark.parametrize(
    ("content", "mentions"),
    [
        (b"{", "line 1"),
        (b"[1, 2]", "one JSON object"),
        (b'{"ServerUrl": "a", "ServerUrl": "b"}', "ServerUrl"),
        (b"\xff\xfe{}", "UTF-8"),
    ],
)
def test_bad_file_content_is_a_file_error_naming_the_path(tmp_path: Path, content: bytes, mentions: str):
    path = tmp_path / "kiosk.json"
    path.write_bytes(content)
    with pytest.raises(KioskConfigError) as info:
        JsonPolicySource(path).read()
    assert (info.value.setting, info.value.source) == ("(file)", POLICY_SOURCE)
    assert str(path) in info.value.english and str(path) in info.value.french
    assert mentions in info.value.english


def test_unreadable_file_is_a_file_error(tmp_path: Path):
    # A directory in place of the file fails to read on every platform, even as root (chmod would not).
    with pytest.raises(KioskConfigError) as info:
        JsonPolicySource(tmp_path).read()
    assert info.value.setting == "(file)"
    assert str(tmp_path) in info.value.english


# --------------------------------------------------------------------------------------------------- registry


class FakeKey:
    """A registry key: values ``{name: (data, type)}`` and subkeys ``{name: FakeKey}``; a context manager."""

    def __init__(self, values: dict[str, tuple[object, int]] | None = None, subkeys: dict | None = None):
        self.values = list((values or {}).items())
        self.subkeys = subkeys or {}
        self.closed = False

    def __enter__(self) -> FakeKey:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True


def fake_winreg(root: dict[str, FakeKey], *, open_error: OSError | None = None) -> types.ModuleType:
    """A fake ``winreg`` module over ``root`` ({key path under HKLM: FakeKey}); records the OpenKey accesses."""
    module = types.ModuleType("winreg")
    module.HKEY_LOCAL_MACHINE = "HKLM"
    module.KEY_READ, module.KEY_WOW64_64KEY = 0x20019, 0x0100
    module.REG_NONE, module.REG_SZ, module.REG_EXPAND_SZ, module.REG_BINARY = 0, 1, 2, 3
    module.REG_DWORD, module.REG_MULTI_SZ, module.REG_QWORD = 4, 7, 11
    module.accesses = []

    def open_key(parent, sub_key, reserved=0, access=module.KEY_READ):
        module.accesses.append(access)
        if open_error is not None:
            raise open_error
        if parent == "HKLM":
            if sub_key not in root:
                raise FileNotFoundError(2, "The system cannot find the file specified")
            return root[sub_key]
        return parent.subkeys[sub_key]

    module.OpenKey = open_key
    module.QueryInfoKey = lambda key: (len(key.subkeys), len(key.values), 0)
    module.EnumValue = lambda key, index: (key.values[index][0], *key.values[index][1])
    module.EnumKey = lambda key, index: list(key.subkeys)[index]
    module.ExpandEnvironmentStrings = lambda text: text.replace("%ProgramData%", r"C:\ProgramData")
    return module


def install(monkeypatch: pytest.MonkeyPatch, module: types.ModuleType) -> None:
    monkeypatch.setitem(sys.modules, "winreg", module)


def test_registry_values_map_to_python_types(monkeypatch: pytest.MonkeyPatch):
    w = fake_winreg({})
    key = FakeKey(
        {
            "ServerUrl": ("https://cadenas.example.fr", w.REG_SZ),
            "DataDir": (r"%ProgramData%\Cadenas", w.REG_EXPAND_SZ),
            "HeartbeatSeconds": (10, w.REG_DWORD),
            "LogFullUrls": (1, w.REG_QWORD),
            "UrlRules": (["block simplified chatgpt.com", "allow simplified fr.wikipedia.org"], w.REG_MULTI_SZ),
        }
    )
    w = fake_winreg({WINDOWS_POLICY_KEY: key})
    install(monkeypatch, w)
    assert WindowsRegistryPolicySource().read() == {
        "ServerUrl": "https://cadenas.example.fr",
        "DataDir": r"C:\ProgramData\Cadenas",
        "HeartbeatSeconds": 10,
        "LogFullUrls": 1,
        "UrlRules": ["block simplified chatgpt.com", "allow simplified fr.wikipedia.org"],
    }
    assert key.closed
    assert all(access & w.KEY_WOW64_64KEY for access in w.accesses)  # the 64-bit view, where the ADMX writes


def test_admx_list_subkey_becomes_a_list_in_numeric_order(monkeypatch: pytest.MonkeyPatch):
    w = fake_winreg({})
    block = FakeKey({"10": ("ten.org", w.REG_SZ), "2": ("two.org", w.REG_SZ), "1": ("one.org", w.REG_SZ)})
    install(monkeypatch, fake_winreg({WINDOWS_POLICY_KEY: FakeKey(subkeys={"BlockRules": block})}))
    assert WindowsRegistryPolicySource().read() == {"BlockRules": ["one.org", "two.org", "ten.org"]}
    assert block.closed


def test_missing_registry_key_is_an_empty_policy(monkeypatch: pytest.MonkeyPatch):
    install(monkeypatch, fake_winreg({}))
    assert WindowsRegistryPolicySource().read() == {}


def test_registry_key_that_cannot_be_opened_is_a_registry_error(monkeypatch: pytest.MonkeyPatch):
    install(monkeypatch, fake_winreg({}, open_error=PermissionError(5, "Access is denied")))
    with pytest.raises(KioskConfigError) as info:
        WindowsRegistryPolicySource().read()
    assert (info.value.setting, info.value.source) == ("(registry)", POLICY_SOURCE)
    assert WINDOWS_POLICY_KEY in info.value.english


def test_binary_registry_value_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch):
    w = fake_winreg({})
    install(monkeypatch, fake_winreg({WINDOWS_POLICY_KEY: FakeKey({"Clipboard": (b"\x01", w.REG_BINARY)})}))
    with pytest.raises(KioskConfigError) as info:
        WindowsRegistryPolicySource().read()
    assert info.value.setting == "Clipboard"


def test_registry_policy_loads_into_a_config(monkeypatch: pytest.MonkeyPatch):
    w = fake_winreg({})
    key = FakeKey(
        {
            "ServerUrl": ("https://cadenas.example.fr", w.REG_SZ),
            "Spellcheck": (1, w.REG_DWORD),
            "UrlRules": (["block simplified chatgpt.com"], w.REG_MULTI_SZ),
        },
        subkeys={"AllowRules": FakeKey({"1": ("fr.wikipedia.org", w.REG_SZ)})},
    )
    install(monkeypatch, fake_winreg({WINDOWS_POLICY_KEY: key}))
    config = load_config(
        policy=WindowsRegistryPolicySource(),
        argv=[],
        environ={"LOCALAPPDATA": r"C:\Users\e\AppData\Local"},
        platform="win32",
    )
    assert config.spellcheck is True
    assert [rule.id for rule in config.url_rules] == ["machine-1", "machine-allow-1"]
    assert str(config.data_dir) == r"C:\Users\e\AppData\Local\Cadenas\Kiosk"


def test_registry_reader_imports_without_winreg_until_read():
    # Constructing it on Linux must not import winreg (style.md section 3).
    source = WindowsRegistryPolicySource()
    assert source.key == WINDOWS_POLICY_KEY
    if os.name != "nt":
        assert "winreg" not in sys.modules


@pytest.mark.parametrize(("platform", "kind"), [("win32", WindowsRegistryPolicySource), ("linux", JsonPolicySource)])
def test_default_policy_source_per_platform(platform: str, kind: type):
    source = default_policy_source(platform)
    assert isinstance(source, kind)
    if kind is JsonPolicySource:
        assert source.path == LINUX_POLICY_PATH == Path("/etc/cadenas/kiosk.json")
