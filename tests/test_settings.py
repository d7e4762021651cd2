"""Settings: TOML file + environment, precedence one step per test, errors naming the key."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from calendar_audit.errors import ConfigError
from calendar_audit.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config.example.toml"


@pytest.fixture
def write_config(tmp_path):
    def write(text: str) -> Path:
        path = tmp_path / "calendar-audit.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_defaults(in_tmp):
    s = load_settings()
    assert s.timezone == "Europe/London"
    assert s.team_hours().days == (0, 1, 2, 3, 4)
    assert (s.team_hours().start, s.team_hours().end) == (time(9), time(17))
    assert s.privacy.min_group_size == 5


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, field in model.model_fields.items():
        out.add(prefix + name)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out |= _keys(ann, f"{prefix}{name}.")
    return out


def _file_keys(table: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in table.items():
        out.add(prefix + key)
        if isinstance(value, dict) and key not in ("people", "weights", "templates"):
            out |= _file_keys(value, f"{prefix}{key}.")
    return out


def test_example_config_loads_and_documents_every_setting():
    s = load_settings(EXAMPLE)
    assert s.teams[0].name == "evolve"
    assert s.person_hours()["daniel.hughes@council.gov.uk"].days == (0, 1, 2, 3)
    documented = _file_keys(tomllib.loads(EXAMPLE.read_text()))
    assert _keys(Settings) <= documented, f"undocumented: {_keys(Settings) - documented}"


def test_example_values_are_the_defaults():
    example = load_settings(EXAMPLE)
    default = Settings()
    for section in ("graph", "store", "holds", "suggest", "privacy", "enforce", "digest", "service"):
        got, want = getattr(example, section).model_dump(), getattr(default, section).model_dump()
        if section == "graph":
            got.pop("tenant_id"), got.pop("client_id"), want.pop("tenant_id"), want.pop("client_id")
        assert got == want, section
    for key in ("timezone", "working_hours", "rules", "output_dir", "counted_responses", "audit_log",
                "visit_block_minutes"):
        assert getattr(example, key) == getattr(default, key), key


def test_file_beats_default(write_config):
    assert load_settings(write_config('timezone = "Europe/Dublin"\n')).timezone == "Europe/Dublin"


def test_environment_beats_file(write_config, monkeypatch):
    monkeypatch.setenv("CALENDAR_AUDIT_TIMEZONE", "Europe/Paris")
    assert load_settings(write_config('timezone = "Europe/Dublin"\n')).timezone == "Europe/Paris"


def test_nested_environment_key(write_config, monkeypatch):
    monkeypatch.setenv("CALENDAR_AUDIT_GRAPH__CLIENT_SECRET", "s3cret-value")
    s = load_settings(write_config("[graph]\nclient_id = 'abc'\n"))
    assert s.graph.client_id == "abc"
    assert s.graph.client_secret.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(s)


def test_code_beats_environment(monkeypatch, in_tmp):
    monkeypatch.setenv("CALENDAR_AUDIT_OUTPUT_DIR", "from-env")
    assert load_settings(None, output_dir="from-code").output_dir == "from-code"


def test_working_directory_file_is_read(in_tmp):
    (in_tmp / "calendar-audit.toml").write_text('output_dir = "here"\n')
    assert load_settings().output_dir == "here"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('timezone = "Mars/Olympus"\n', "timezone: unknown time zone 'Mars/Olympus'"),
        ("colour = 1\n", "colour: unknown setting"),
        ('working_hours = { days = ["mon", "funday"] }\n', "working_hours.days: unknown day 'funday'"),
        ('working_hours = { start = "9am" }\n', "working_hours.start: '9am' is not a time of day (use HH:MM)"),
        ('[graph]\ncloud = "mars"\n', "graph.cloud: Input should be 'global', 'usgov', 'usgov-dod' or 'china'"),
        ('counted_responses = ["maybe"]\n', "counted_responses: unknown response 'maybe'"),
    ],
)
def test_bad_settings_name_the_file_and_key(write_config, text, message):
    path = write_config(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_malformed_toml_names_the_file_and_line(write_config):
    path = write_config('timezone = "Europe/London\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and "line 1" in str(err.value)


def test_bad_environment_value_names_the_variable(monkeypatch, in_tmp):
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__MIN_GROUP_SIZE", "many")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value).startswith("$CALENDAR_AUDIT_PRIVACY__MIN_GROUP_SIZE: privacy.min_group_size: ")


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_working_hours_end_before_start_is_refused(write_config):
    s = load_settings(write_config('working_hours = { start = "17:00", end = "09:00" }\n'))
    with pytest.raises(ConfigError, match="working_hours: end 09:00 is not after start 17:00"):
        s.team_hours()


def test_enforce_templates_take_only_their_own_placeholders(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[enforce]\ntemplates = { decline = "Sorry about {subject}. {proposal}" }\n')
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    assert str(err.value) == (f"{config}: enforce.templates: template 'decline': unknown placeholder {{subject}} "
                              "(allowed: {policy}, {proposal})")
    config.write_text('[enforce]\ntemplates = { named_time = "How about {time}?" }\n[digest]\nday = "someday"\n')
    with pytest.raises(ConfigError, match=r"digest.day: unknown day 'someday'"):
        load_settings(config)
