"""Settings: every knob the sandbox has, read from `SANDBOX_*` environment variables or CLI flags."""

from __future__ import annotations

import ipaddress
import json
import os
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_PARTNERS = {"demo": "demo-secret", "acme": "acme-secret"}
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # `sqlite://`, `postgresql+psycopg://`
PUBLIC_URL = re.compile(r"https?://[^/\s?#]+(/[^\s?#]*)?")  # scheme and authority, maybe a path prefix
HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")  # a DNS name (or an IPv4 address)
# The repository's top-level fixtures/ folder, shipped inside the wheel as this package (setup.py).
FIXTURES_PACKAGE = "sandbox.fixtures"
# What the sandbox reads from a fixtures folder: the documented orders, the scenarios, the legal texts.
RUNTIME_FIXTURES = ("golden/get-order-alternative.json", "golden/documented-world.json", "scenarios", "legal")


def packaged_fixtures() -> Path:
    """The fixtures this install ships (in a checkout's editable install: its fixtures/ folder)."""
    try:
        return Path(str(resources.files(FIXTURES_PACKAGE)))
    except ModuleNotFoundError:
        raise ValueError(
            f"this install of minted-sandbox lacks its data files (the package {FIXTURES_PACKAGE}: "
            "golden order, scenarios, legal texts); reinstall it, or set SANDBOX_FIXTURES_DIR"
        ) from None


class WorldSettings(BaseSettings):
    """The database and the seeded world it holds (prefix `SANDBOX_`, e.g. `SANDBOX_SEED=7`): what every
    command that opens the database uses. `Settings` adds what only the running server uses."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite:///./.sandbox/sandbox.db",
        description="SQLAlchemy URL of the store, or the path of a SQLite file (`sandbox.db` is "
        "`sqlite:///sandbox.db`); `sqlite://` keeps everything in memory (tests).",
    )
    database_wait: float = Field(
        60,
        ge=0,
        le=3600,
        description="Seconds a command waits for a PostgreSQL server that does not answer yet (one "
        "started beside the sandbox); 0 fails at once.",
    )
    seed: int = Field(42, description="Seed of the world builder and of every id the sandbox makes.")
    orders: int = Field(
        400, ge=0, le=1_000_000, description="Orders in the seeded world (spread over the partners)."
    )
    customers: int = Field(50, ge=1, le=100_000, description="Customers per partner in the seeded world.")
    scenario: str = Field(
        "default",
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
        description="Named world from fixtures/scenarios/ (default, empty, every-status, busy); "
        "`default` takes ORDERS and CUSTOMERS, the others carry their own sizes.",
    )
    partners: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_PARTNERS),
        description="Partner Digest credentials as `user:password,user:password` (or a JSON object).",
    )
    buy_spread: Decimal = Field(Decimal("0.0423"), description="Markup of the buy price over spot.")
    sell_spread: Decimal = Field(Decimal("0.0150"), description="Discount of the sell price under spot.")
    fixtures_dir: Path = Field(
        default_factory=packaged_fixtures,
        validate_default=True,
        description="Folder of the golden example order, the scenarios and the legal texts "
        "(default: the copy the package ships).",
    )
    webhook_url: str = Field(
        "", description="Webhook endpoint for every partner (PUT /_sandbox/webhooks overrides)."
    )
    webhook_secret: str = Field(
        "", description="Signing secret for webhook_url (empty = generated per partner)."
    )

    @field_validator("database_url", mode="before")
    @classmethod
    def _path_means_sqlite(cls, value: object) -> object:
        # `--db sandbox.db`, `--db ./x/y.db`: what people type first. Anything with a scheme stays a URL.
        if isinstance(value, str) and value.strip() and not URL_SCHEME.match(value):
            return f"sqlite:///{os.path.expanduser(value)}"
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not URL_SCHEME.match(value):
            raise ValueError("expected a database URL (sqlite:///path) or the path of a SQLite file")
        return value

    @field_validator("fixtures_dir")
    @classmethod
    def _check_fixtures(cls, value: Path) -> Path:
        # A folder without these would serve a world without the golden order, know no scenario but
        # `default` and answer Partner Legal with a 500: refuse it up front, naming what is missing.
        missing = [name for name in RUNTIME_FIXTURES if not (value / name).exists()]
        if missing:
            raise ValueError(f"{value} is not a fixtures folder: it lacks {', '.join(missing)}")
        return value

    @field_validator("partners", mode="before")
    @classmethod
    def _parse_partners(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("{"):
                return json.loads(value)
            pairs = [item.split(":", 1) for item in value.split(",") if item.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError("expected user:password pairs separated by commas")
            return {user.strip(): password for user, password in pairs}
        return value

    @field_validator("partners")
    @classmethod
    def _check_partners(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("at least one partner is required")
        for user, password in value.items():
            if not user or not password or any(c in user for c in '":, '):
                raise ValueError(f"invalid partner credentials for {user!r}")
        return value

    @property
    def in_memory(self) -> bool:
        return self.database_url in ("sqlite://", "sqlite:///:memory:")


class Settings(WorldSettings):
    """Sandbox configuration: the world's settings, then those only the running server uses."""

    host: str = Field("127.0.0.1", description="Address `serve` binds.")
    port: int = Field(8000, ge=0, le=65535, description="Port `serve` binds (0 = any free port).")
    # After host and port: its default is derived from them.
    public_base_url: str = Field(
        "",
        validate_default=True,
        description="Where browsers and partners reach the sandbox, for the links it hands out (a card "
        "payment's `redirect_url`, in answers and webhooks), e.g. `https://sandbox.example.com` behind a "
        "proxy (empty = `http://HOST:PORT`, with 127.0.0.1 for an all-addresses HOST).",
    )
    digest_realm: str = Field(
        "minted-sandbox", pattern=r"^[A-Za-z0-9._@-]{1,64}$", description="Digest realm."
    )
    digest_secret: str = Field(
        "",
        description="HMAC key of Digest nonces; set it when running more than one worker (empty = random).",
    )
    digest_algorithms: Annotated[tuple[str, ...], NoDecode] = Field(
        ("MD5",),
        description="Digest challenge lines in order, e.g. `MD5` or `SHA-256,MD5`.",
    )
    digest_nonce_ttl: int = Field(300, ge=5, le=86_400, description="Seconds a Digest nonce stays fresh.")
    digest_allow_legacy: bool = Field(True, description="Accept RFC 2069 answers without qop.")
    price_fix_ttl: int = Field(240, ge=5, le=3600, description="Seconds a price-fix token stays valid.")
    timezone: Literal["Europe/Istanbul"] = Field(
        "Europe/Istanbul", description="Time zone of every rendered date (the partner's)."
    )
    profile: Literal["lenient", "strict"] = Field(
        "lenient",
        description="How rules the partner's docs do not state are applied: `lenient` lets a request "
        "through with an X-Sandbox-Notice header, `strict` refuses it (per partner: PUT /_sandbox/profile).",
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted (413 above).")

    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Origins browsers may call the sandbox from, comma separated (`*` = any; empty = none).",
    )
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="More names the sandbox answers to (the Host header), comma separated (`*` = any); "
        "localhost, IP addresses and HOST always are.",
    )

    journal_size: int = Field(1000, ge=0, le=1_000_000, description="Partner requests kept in the journal.")
    control_token: str = Field(
        "", description="Bearer token the /_sandbox control API and dashboard require (empty = open)."
    )
    webhook_max_attempts: int = Field(6, ge=1, le=50, description="Delivery attempts before an event fails.")
    webhook_backoff_seconds: int = Field(
        30, ge=1, le=86_400, description="First retry delay; doubles per attempt, on the sandbox clock."
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=120, description="How long one delivery may take.")
    webhook_log_size: int = Field(
        10_000, ge=1, le=1_000_000, description="Delivered webhook events kept (older ones are pruned)."
    )

    @field_validator("public_base_url")
    @classmethod
    def _check_public_base_url(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return public_url(info.data.get("host", "127.0.0.1"), info.data.get("port", 8000))
        if not PUBLIC_URL.fullmatch(value):
            raise ValueError(f"{value!r}: an http:// or https:// URL, such as https://sandbox.example.com")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _parse_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            names = (str(item).strip().lower().rstrip(".") for item in value)
            return tuple(name.removeprefix("[").removesuffix("]") for name in names if name)
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _check_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name != "*" and not HOST_NAME.fullmatch(name) and not is_ip(name):
                raise ValueError(f"{name!r}: a host name or IP address, without scheme, port or path")
        return value

    @field_validator("digest_algorithms", mode="before")
    @classmethod
    def _parse_algorithms(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("digest_algorithms")
    @classmethod
    def _check_algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = {"MD5", "MD5-sess", "SHA-256", "SHA-256-sess"}
        if not value or any(item not in allowed for item in value):
            raise ValueError(f"choose from {sorted(allowed)}")
        return value


class IsolatedSettings(Settings):
    """Settings from the given values and the defaults only, reading no `SANDBOX_*` variable: for a
    sandbox of its own that the shell's configuration must not reach (the pytest plugin's server)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def public_url(host: str, port: int) -> str:
    """`http://HOST:PORT` as a browser on this machine reaches it (loopback for an all-addresses bind)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
