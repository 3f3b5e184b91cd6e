"""Configuration: one typed `Settings` read from the environment (and `.env`).

Development generates `SECRET_KEY` and `DATA_KEY` once into `./var/`; production refuses to start
without them, so a deployment can never run on a key that lives only on one container's disk, and
without `PUBLIC_BASE_URL`, so no printed QR code ever points at a development address. It also
refuses weak or malformed secrets (every key at least 32 varied characters, `SECRET_KEY` unlike
every `DATA_KEY` key), a `PUBLIC_BASE_URL` that is not a public https:// address, and
`FORWARDED_ALLOW_IPS=*` (which would let any client choose the address its limits count against).
"""

import ipaddress
import logging
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32
# A random 32-character key has 20 or more different characters; "aaaa..." or "abab..." has few.
MIN_DISTINCT_SECRET_CHARACTERS = 10
# Host names that only ever mean this machine or a private network.
PRIVATE_NAMES = ("localhost", ".localhost", ".local", ".internal", ".lan", ".home.arpa")


class ConfigurationError(Exception):
    """The configuration cannot be used; the message is one line for a person to act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr | None = None
    data_key: SecretStr | None = None
    # Required in production. Unset in development: the address `serve` listens on (see
    # `development_base_url`), this default in the other commands.
    public_base_url: str = "http://127.0.0.1:8000"
    exit_url: str = "https://www.bbc.co.uk/weather"
    # Addresses of the load balancer(s) whose X-Forwarded-For is trusted; unset: none.
    forwarded_allow_ips: str | None = None
    content_dir: Path = PROJECT_ROOT / "content"
    # How old this process's copy of the directory revision may get: a listing change saved on
    # another instance shows here within this many seconds (on this instance, at once).
    directory_refresh_seconds: float = Field(default=1.0, ge=0, le=60)

    sms_backend: Literal["console", "twilio"] = "console"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str | None = None

    # Callback requests and texting.
    callback_countries: str = (
        "GB"  # where a callback number may be from (ISO codes, comma-separated)
    )
    callback_mobile_only: bool = True
    callback_overdue_hours: int = Field(default=24, ge=1, le=24 * 14)
    # Texts per hour: team alerts have their own budget, so a flood of requests (and their
    # confirmations) can never hold back an alert. Callback keywords are in content/languages.yaml.
    sms_hourly_cap: int = Field(default=200, ge=1)
    sms_alert_hourly_cap: int = Field(default=100, ge=1)
    retention_closed_days: int = Field(default=30, ge=1)
    retention_open_days: int = Field(default=90, ge=1)
    sender_in_serve: bool = True

    # A field validator, so only a given value is checked, and `model_fields_set` still tells a
    # given address from the default (an assignment in `_check` would count as given).
    @field_validator("public_base_url")
    @classmethod
    def _check_public_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'app.db'}"
        if not self.exit_url.startswith("https://"):
            raise ValueError("EXIT_URL must be an https:// address")
        if self.app_env == "production":
            self._check_production()
        if self.sms_backend == "twilio":
            if not (self.twilio_account_sid and self.twilio_auth_token):
                raise ValueError(
                    "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
                )
            if not (self.twilio_from_number or self.twilio_messaging_service_sid):
                raise ValueError(
                    "SMS_BACKEND=twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"
                )
        return self

    def _check_production(self) -> None:
        keys: dict[str, list[str]] = {}
        for name in ("secret_key", "data_key"):
            value = getattr(self, name)
            text = "" if value is None else value.get_secret_value()
            # DATA_KEY may hold several keys for rotation: the first encrypts, all decrypt.
            parts = [part.strip() for part in text.split(",")] if name == "data_key" else [text]
            if not parts or any(weak_secret(part) for part in parts):
                raise ValueError(
                    f"{name.upper()} must be set to at least {MIN_SECRET_LENGTH} random "
                    "characters (each key, if several) when APP_ENV=production"
                )
            keys[name] = parts
        if keys["secret_key"][0] in keys["data_key"]:
            raise ValueError("SECRET_KEY must differ from every DATA_KEY key (APP_ENV=production)")
        if not self.public_base_url_given:
            raise ValueError(
                "PUBLIC_BASE_URL must be set to the public address when APP_ENV=production"
            )
        problem = base_url_problem(self.public_base_url)
        if problem:
            raise ValueError(f"PUBLIC_BASE_URL: {problem} (APP_ENV=production)")
        if self.forwarded_allow_ips and "*" in self.forwarded_allow_ips:
            raise ValueError(
                "FORWARDED_ALLOW_IPS must list the proxy's addresses, not *, when "
                "APP_ENV=production (with *, any client can choose its own address)"
            )

    @property
    def public_base_url_given(self) -> bool:
        """Whether PUBLIC_BASE_URL was set (environment, `.env` or argument), not defaulted."""
        return "public_base_url" in self.model_fields_set

    @property
    def drama_numbers_ok(self) -> bool:
        """Ofcom's drama numbers (07700 900xxx) are accepted for testing, never in production."""
        return self.app_env != "production"

    @property
    def is_https(self) -> bool:
        return self.public_base_url.startswith("https://")

    @property
    def callback_country_list(self) -> list[str]:
        return [code.strip().upper() for code in self.callback_countries.split(",") if code.strip()]

    # Who may read /metrics (addresses and networks, comma-separated); everyone else gets a 404.
    metrics_allow: str = "127.0.0.1,::1"
    # `json`: one JSON object a line (time, level, logger, message), still no addresses.
    log_format: Literal["text", "json"] = "text"

    @field_validator("metrics_allow")
    @classmethod
    def _check_metrics_allow(cls, value: str) -> str:
        for item in value.split(","):
            if not item.strip():
                continue
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item.strip()!r} is not an address or network") from None
        return value


def weak_secret(value: str) -> bool:
    """Too short, or too few different characters to be random (one letter repeated, say)."""
    return len(value) < MIN_SECRET_LENGTH or len(set(value)) < MIN_DISTINCT_SECRET_CHARACTERS


def base_url_problem(url: str) -> str | None:
    """Why a public address cannot go on a printed card or in a text, or None if it can."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return f"{url} does not start with https://"
    if not host:
        return f"{url} has no host name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == PRIVATE_NAMES[0] or host.endswith(PRIVATE_NAMES[1:]):
            return f"{url} only works on this machine or a private network"
        return None
    if not address.is_global:
        return f"{url} is a loopback or private address that phones cannot reach"
    return None


def development_base_url(host: str, port: int) -> str:
    """Where a browser on this machine reaches a development server listening on host:port."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name, such as localhost
        return f"http://{host}:{port}"
    if address.is_unspecified:  # every address: this machine's loopback is one of them
        return f"http://127.0.0.1:{port}"
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"


def _dev_secret(var_dir: Path, name: str) -> SecretStr:
    path = var_dir / name
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
        log.warning(
            "Generated a development %s in %s. Set %s in the environment for production.",
            name.upper(),
            path,
            name.upper(),
        )
    return SecretStr(path.read_text().strip())


def load_settings(**overrides: object) -> Settings:
    """Read the settings, filling missing development secrets from `./var/`.

    Raises `ConfigurationError` with a one-line reason when the configuration is unusable.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper()
        reason = first["msg"].removeprefix("Value error, ")
        raise ConfigurationError(f"{field}: {reason}" if field else reason) from None
    for name in ("secret_key", "data_key"):
        if getattr(settings, name) is None:
            setattr(settings, name, _dev_secret(settings.var_dir, name))
    return settings


@lru_cache
def get_settings() -> Settings:
    return load_settings()
