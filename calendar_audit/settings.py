"""Typed settings: a TOML file (``--config`` or ./calendar-audit.toml) plus ``CALENDAR_AUDIT_*`` environment.

Precedence, defined here and only here: values passed in code > environment > TOML file > defaults.
Nested keys come from the environment joined by ``__``: ``CALENDAR_AUDIT_GRAPH__CLIENT_SECRET``.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError
from .frame import RESPONSES, WorkingHours

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_CONFIG_NAME = "calendar-audit.toml"
ENV_PREFIX = "CALENDAR_AUDIT_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def parse_day(value: str) -> int:
    day = str(value).strip().lower()[:3]
    if day not in DAY_NAMES:
        raise ValueError(f"unknown day {value!r} (use {', '.join(DAY_NAMES)})")
    return DAY_NAMES.index(day)


def parse_clock(value: str) -> time:
    if not re.fullmatch(r"\d{1,2}:\d{2}", str(value).strip()):
        raise ValueError(f"{value!r} is not a time of day (use HH:MM)")
    hours, minutes = (int(p) for p in str(value).split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    return time(hours, minutes)


def check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/London)") from None
    return value


class WorkingHoursSettings(_Model):
    days: list[str] = ["mon", "tue", "wed", "thu", "fri"]
    start: str = "09:00"
    end: str = "17:00"

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        for d in v:
            parse_day(d)
        return v

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        parse_clock(v)
        return v

    def to_hours(self, tz: str | None = None) -> WorkingHours:
        start, end = parse_clock(self.start), parse_clock(self.end)
        if end <= start:
            raise ConfigError(f"working_hours: end {self.end} is not after start {self.start}")
        return WorkingHours(tuple(sorted({parse_day(d) for d in self.days})), start, end, tz)


class PersonSettings(_Model):
    working_hours: WorkingHoursSettings | None = None
    timezone: str | None = None

    _zone = field_validator("timezone")(classmethod(lambda cls, v: v if v is None else check_zone(v)))


class TeamSettings(_Model):
    name: str
    group: str = ""  # Entra ID group id or mail address
    members: list[str] = []
    protected_slots: list[dict[str, Any]] = []  # validated by calendar_audit.slots
    managers: list[str] = []  # mailboxes that see and edit this team's pages and get the team digest


class GraphSettings(_Model):
    tenant_id: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    certificate_path: str = ""
    cloud: Literal["global", "usgov", "usgov-dod", "china"] = "global"
    endpoint: str = ""  # Graph's scheme and host (e.g. a reverse proxy); empty: the cloud's own
    login_host: str = ""  # the sign-in host (authority); empty: the cloud's own
    max_concurrency: int = Field(16, ge=1, le=64)
    page_size: int = Field(1000, ge=1, le=1000)
    timeout_seconds: float = Field(60.0, gt=0)
    max_retries: int = Field(6, ge=0, le=20)
    read_agenda: bool = False  # fetch bodyPreview to detect meetings with no stated purpose
    token_cache: str = ""  # device-code sign-in cache; empty: the user's data folder

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if v and not re.fullmatch(r"https://[A-Za-z0-9.\-\[\]:]+", v):
            raise ValueError(f"{v!r} is not an https:// scheme and host (no path), e.g. https://graph.microsoft.com")
        return v

    @field_validator("login_host")
    @classmethod
    def _login_host(cls, v: str) -> str:
        v = v.strip().removeprefix("https://").rstrip("/")
        if v and not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", v):
            raise ValueError(f"{v!r} is not a host name (with an optional :port), e.g. login.microsoftonline.com")
        return v


class StoreSettings(_Model):
    path: str = ""  # SQLite file; empty: the user's data folder
    busy_timeout_seconds: float = Field(30.0, ge=0)  # how long to wait for another process holding the store


class HoldSettings(_Model):
    subject: str = "Protected: direct work"
    show_as: Literal["free", "tentative", "busy", "oof", "workingElsewhere"] = "busy"
    category: str = "Direct work"
    body: str = (
        "This time is protected for direct work with children and families, under our team's protected-slot "
        "policy. Please do not book meetings here; statutory meetings are the exception."
    )


class SuggestSettings(_Model):
    days: int = Field(14, ge=1, le=90)
    large_attendees: int = Field(8, ge=1)
    recurring_heavy_hours_per_month: float = Field(4.0, gt=0)
    vague_subjects: list[str] = [r"\bcatch[ -]?up\b", r"\bquick sync\b", r"\bsync\b", r"\bfyi\b", r"\bcheck[ -]?in\b",
                                 r"\bhuddle\b", r"\bchat\b", r"\bupdate\b", r"^\s*meeting\s*$"]
    weights: dict[str, float] = {}
    templates: dict[str, str] = {}


ENFORCE_TEMPLATE_KEYS = ("decline", "tentative", "proposed", "named_time", "no_time")
ENFORCE_PLACEHOLDERS = {"decline": ("policy", "proposal"), "tentative": ("policy", "proposal"), "proposed": (),
                        "named_time": ("time",), "no_time": ()}


class EnforceSettings(_Model):
    """Enforcement of protected slots as invitations arrive (calendar_audit.enforce)."""

    search_days: int = Field(5, ge=1, le=30)  # working days searched for a proposed better time
    daily_cap: int = Field(5, ge=0, le=100)  # writes (tentative/decline) per person per day; more wait a day
    templates: dict[str, str] = {}  # decline, tentative, proposed, named_time, no_time; see config.example.toml

    @field_validator("templates")
    @classmethod
    def _templates(cls, v: dict[str, str]) -> dict[str, str]:
        import string

        for key, text in v.items():
            if key not in ENFORCE_TEMPLATE_KEYS:
                raise ValueError(f"unknown template {key!r} (use {', '.join(ENFORCE_TEMPLATE_KEYS)})")
            if not str(text).strip():
                raise ValueError(f"template {key!r} is empty")
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as exc:
                raise ValueError(f"template {key!r}: {exc}") from None
            unknown = names - set(ENFORCE_PLACEHOLDERS[key])
            if unknown:
                allowed = ", ".join("{" + n + "}" for n in ENFORCE_PLACEHOLDERS[key]) or "none"
                raise ValueError(f"template {key!r}: unknown placeholder {{{sorted(unknown)[0]}}} "
                                 f"(allowed: {allowed})")
        return v


class DigestSettings(_Model):
    """The weekly digest mail (calendar_audit.digest)."""

    enabled: bool = False  # the service's scheduled run; `calendar-audit digest` works either way
    sender: str = ""  # the mailbox the digest is sent from (application Mail.Send)
    day: str = "mon"
    time: str = "08:00"  # in the team's time zone
    suggestions: int = Field(3, ge=0, le=20)  # next week's top suggestions in a practitioner's digest
    top_organisers: int = Field(5, ge=0, le=50)  # organisers who overran slots most, in a manager's digest

    @field_validator("day")
    @classmethod
    def _day(cls, v: str) -> str:
        parse_day(v)
        return v

    @field_validator("time")
    @classmethod
    def _time(cls, v: str) -> str:
        parse_clock(v)
        return v


class PrivacySettings(_Model):
    pseudonymise: bool = False
    pseudonym_salt: SecretStr = SecretStr("")
    min_group_size: int = Field(5, ge=1)


# --- the service (`calendar-audit serve`) ------------------------------------------------------------------
class ServiceSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    base_url: str = ""  # the address people open (https://... behind a proxy); empty: http://host:port
    session_hours: float = Field(8.0, gt=0, le=24 * 30)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", v):
            raise ValueError(f"{v!r} is not an http(s) address such as https://calendar-audit.council.gov.uk")
        return v.rstrip("/")


class SyncSettings(_Model):
    interval_minutes: float = Field(30.0, gt=0)
    window_weeks_back: int = Field(12, ge=0, le=104)
    window_weeks_ahead: int = Field(4, ge=1, le=52)


class AdminSettings(_Model):
    people: list[str] = []  # mailboxes that see every team and the sync status


class Settings(BaseSettings):
    """Every setting calendar-audit reads; ``config.example.toml`` documents each with its default."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    timezone: str = "Europe/London"
    working_hours: WorkingHoursSettings = WorkingHoursSettings()
    rules: list[str] = ["rules/social-care.toml"]
    output_dir: str = "reports"
    counted_responses: list[str] = ["organizer", "accepted", "tentativelyAccepted", "notResponded", "none"]
    audit_log: str = ""  # JSON lines of every calendar write; empty: the user's data folder
    visit_block_minutes: int = Field(120, ge=1, le=24 * 60)  # shortest free stretch that counts as visit-ready
    graph: GraphSettings = GraphSettings()
    store: StoreSettings = StoreSettings()
    holds: HoldSettings = HoldSettings()
    suggest: SuggestSettings = SuggestSettings()
    privacy: PrivacySettings = PrivacySettings()
    enforce: EnforceSettings = EnforceSettings()
    digest: DigestSettings = DigestSettings()
    people: dict[str, PersonSettings] = {}
    teams: list[TeamSettings] = []
    service: ServiceSettings = ServiceSettings()
    sync: SyncSettings = SyncSettings()
    admins: AdminSettings = AdminSettings()

    _config_file: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return check_zone(v)

    @field_validator("counted_responses")
    @classmethod
    def _responses(cls, v: list[str]) -> list[str]:
        for r in v:
            if r not in RESPONSES:
                raise ValueError(f"unknown response {r!r} (use {', '.join(RESPONSES)})")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        toml_file = settings_cls.model_config.get("toml_file")
        if toml_file:
            sources += (TomlConfigSettingsSource(settings_cls, toml_file=toml_file),)
        return sources

    # --- derived values -------------------------------------------------------------------------------
    @property
    def config_dir(self) -> Path:
        return self._config_file.parent if self._config_file else Path.cwd()

    def rule_paths(self) -> list[Path]:
        """Rule files, relative to the settings file; the shipped defaults are found from anywhere."""
        return [self.resolve_path(p) for p in self.rules]

    def resolve_path(self, value: str) -> Path:
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        for base in (self.config_dir, Path.cwd(), PROJECT_ROOT):
            if (base / path).exists():
                return base / path
        return self.config_dir / path

    def team_hours(self) -> WorkingHours:
        return self.working_hours.to_hours(None)

    def person_hours(self) -> dict[str, WorkingHours]:
        """Per-person working hours from settings (these win over mailbox settings)."""
        out = {}
        for person, p in self.people.items():
            if p.working_hours is not None:
                out[person.lower()] = p.working_hours.to_hours(p.timezone)
        return out

    def team(self, name: str | None) -> TeamSettings:
        if not self.teams:
            raise ConfigError("teams: no team is configured (add a [[teams]] table to the settings file)")
        if name is None:
            return self.teams[0]
        for team in self.teams:
            if team.name == name:
                return team
        known = ", ".join(t.name for t in self.teams)
        raise ConfigError(f"--team {name!r}: no such team in the settings (known: {known})")


def load_settings(config: Path | str | None = None, **overrides: Any) -> Settings:
    """Load settings from ``config`` (or ./calendar-audit.toml when present) and the environment.

    Raises ConfigError naming the file or environment variable and the key.
    """
    path: Path | None = Path(config) if config is not None else None
    if path is None and Path(DEFAULT_CONFIG_NAME).is_file():
        path = Path(DEFAULT_CONFIG_NAME)
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: settings file not found")

    class _FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        settings: Settings = _FileSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except ValueError as exc:  # a TOML syntax error
        raise ConfigError(f"{path}: {exc}") from None
    settings._config_file = path.resolve() if path else None
    return settings


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line per problem, naming the key and where its value came from (the file or a variable)."""
    import os

    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        env_names = [ENV_PREFIX + "__".join(loc[:i]).upper() for i in range(len(loc), 0, -1)]
        from_env = next((name for name in env_names if name in os.environ), None)
        where = f"${from_env}" if from_env else str(path) if path else "settings"
        problems.append(f"{where}: {key}: {msg}")
    return "\n".join(problems)
