"""Who runs the service: the operator read from `content/site.yaml`, and the rules it must follow.

The header, the footer, the privacy notice and the print card read the operator from here, so
its name and contact are written in one place. Like the pages, loading never raises: bad values
become `Problem`s, which `content-check` reports and which stop `serve` from starting. The shipped
file is a clearly marked demo (`demo: true`); the readiness check flags it until it is filled in.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from app.content import Problem

SITE_FILE = "site.yaml"
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED = ("name", "short_name", "logo", "website", "colour", "contact", "data_protection")
CONTACT_KEYS = ("email", "phone", "address")


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str
    address: str


@dataclass(frozen=True)
class DataProtection:
    name: str
    email: str


@dataclass(frozen=True)
class Operator:
    """The organisation responsible for the service (the data controller in the privacy notice)."""

    name: str
    short_name: str
    logo: Path
    website: str
    colour: str
    contact: Contact
    data_protection: DataProtection
    demo: bool

    @property
    def phone_href(self) -> str:
        return "tel:" + re.sub(r"[^0-9+]", "", self.contact.phone)


# Shown when site.yaml cannot be read, so pages still render while content-check reports why.
UNKNOWN = Operator(
    name="(operator not set)",
    short_name="(operator not set)",
    logo=Path(),
    website="",
    colour="#1d70b8",
    contact=Contact("", "", ""),
    data_protection=DataProtection("", ""),
    demo=True,
)


def _text(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""


def load_operator(content_dir: Path, problems: list[Problem]) -> Operator:
    """The operator from site.yaml; every rule it breaks is added to `problems`."""
    path = content_dir / SITE_FILE
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        problems.append(Problem(where, f"cannot read who runs the service ({error})"))
        return UNKNOWN
    if not isinstance(data, dict):
        problems.append(Problem(where, "must be a set of 'key: value' lines"))
        return UNKNOWN
    found = len(problems)
    for key in REQUIRED:
        if data.get(key) in (None, "", {}):
            problems.append(Problem(where, f"needs '{key}'"))
    contact = _section(data, "contact", CONTACT_KEYS, where, problems)
    protection = _section(data, "data_protection", ("name", "email"), where, problems)
    for label, email in (("contact", contact["email"]), ("data_protection", protection["email"])):
        if email and not EMAIL.match(email):
            problems.append(Problem(where, f"{label} email '{email}' is not an email address"))
    website = _text(data.get("website"))
    if website and not (website.startswith("https://") and urlsplit(website).hostname):
        problems.append(Problem(where, f"website '{website}' must be an https:// address"))
    colour = _text(data.get("colour"))
    if colour and not COLOUR.match(colour):
        problems.append(Problem(where, f"colour '{colour}' must be like #1d70b8"))
    logo = content_dir / _text(data.get("logo"))
    if data.get("logo"):
        problems.extend(Problem(where, message) for message in _logo_problems(content_dir, logo))
    if not isinstance(data.get("demo", False), bool):
        problems.append(Problem(where, "'demo' must be true or false"))
    if len(problems) > found:
        return UNKNOWN
    return Operator(
        name=_text(data["name"]),
        short_name=_text(data["short_name"]),
        logo=logo,
        website=website,
        colour=colour,
        contact=Contact(**contact),
        data_protection=DataProtection(**protection),
        demo=data.get("demo", False) is True,
    )


def _section(
    data: dict[str, Any], key: str, fields: tuple[str, ...], where: str, problems: list[Problem]
) -> dict[str, str]:
    section = data.get(key)
    values = dict.fromkeys(fields, "")
    if section is None:
        return values
    if not isinstance(section, dict):
        problems.append(Problem(where, f"'{key}' must hold {', '.join(fields)}"))
        return values
    for name in fields:
        values[name] = _text(section.get(name))
        if not values[name]:
            problems.append(Problem(where, f"'{key}' needs '{name}'"))
    return values


def _logo_problems(content_dir: Path, logo: Path) -> list[str]:
    if content_dir.resolve() not in logo.resolve().parents:
        return [f"logo '{logo.name}' must be a file in content/"]
    if logo.suffix.lower() != ".svg":
        return [f"logo '{logo.name}' must be an SVG file (.svg)"]
    try:
        start = logo.read_text(encoding="utf-8")[:1000]
    except (OSError, UnicodeDecodeError):
        return [f"logo file '{logo.name}' does not exist or cannot be read"]
    if "<svg" not in start:
        return [f"logo '{logo.name}' is not an SVG image"]
    return []
