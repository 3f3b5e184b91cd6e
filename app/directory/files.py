"""Listing files in `content/services/`: their schema, and reading them with clear errors.

Each service file is validated by a pydantic model, so a typo in a file names the file, the field
and what is wrong, and nothing is imported until every file is right.
"""

import re
import uuid
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.days import Day
from app.settings import ConfigurationError

POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ]{1,20}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganizationFile(Strict):
    id: uuid.UUID
    name: str = Field(min_length=1, max_length=255)
    description: str = ""
    website: Annotated[str, Field(pattern=r"^https://")] | None = None


class PhoneFile(Strict):
    number: str
    type: Literal["voice", "sms"] = "voice"
    description: str | None = None

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        if not PHONE_NUMBER.match(value):
            raise ValueError("a phone number has digits and spaces only, like '0800 1111'")
        return value


class HoursFile(Strict):
    """Opening hours for some days. `closes` before `opens` runs past midnight; equal: 24 hours."""

    days: list[Day] = Field(min_length=1)
    opens: time
    closes: time
    description: str | None = None


class AreaFile(Strict):
    code: str
    name: str | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return value.upper().replace(" ", "")


class TranslationFile(Strict):
    name: str | None = None
    summary: str | None = None
    description: str | None = None


class ServiceFile(Strict):
    id: uuid.UUID
    organization: OrganizationFile
    name: str = Field(min_length=1, max_length=255)
    summary: str = Field(min_length=1, max_length=300)
    description: str = ""
    url: Annotated[str, Field(pattern=r"^https://")] | None = None
    verified: bool
    assured_date: date | None = None
    verification_source: str | None = None
    minimum_age: int | None = Field(default=None, ge=0, le=120)
    maximum_age: int | None = Field(default=None, ge=0, le=120)
    needs: list[str] = Field(default_factory=list)
    areas: list[AreaFile | str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    phones: list[PhoneFile] = Field(default_factory=list)
    hours: list[HoursFile] = Field(default_factory=list)
    translations: dict[str, TranslationFile] = Field(default_factory=dict)
    published: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> "ServiceFile":
        if self.verified and not (self.assured_date and self.verification_source):
            raise ValueError("a verified listing needs assured_date and verification_source")
        if not self.verified and (self.phones or self.hours):
            raise ValueError("an unverified listing must not give phone numbers or hours")
        ages = (self.minimum_age, self.maximum_age)
        if ages[0] is not None and ages[1] is not None and ages[0] > ages[1]:
            raise ValueError("minimum_age is above maximum_age")
        return self

    @property
    def area_codes(self) -> list[AreaFile]:
        return [area if isinstance(area, AreaFile) else AreaFile(code=area) for area in self.areas]


class TermFile(Strict):
    id: uuid.UUID
    code: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str
    description: str
    names: dict[str, str] = Field(default_factory=dict)


class TaxonomyFile(Strict):
    id: uuid.UUID
    name: str
    description: str
    version: str | None = None


class NeedsFile(Strict):
    taxonomy: TaxonomyFile
    terms: list[TermFile] = Field(min_length=1)


class ListingFileError(ConfigurationError):
    """One or more listing files are invalid; the message lists each file and problem."""


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        problems.append(
            f"{where}: {item['msg'].removeprefix('Value error, ')}" if where else item["msg"]
        )
    return "; ".join(problems)


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ValueError(f"not valid YAML{f' (line {mark.line + 1})' if mark else ''}") from None


def read_listing_files(services_dir: Path) -> tuple[NeedsFile, list[ServiceFile]]:
    """Read and validate every listing file. Raises ListingFileError naming each bad file."""
    problems: list[str] = []
    needs: NeedsFile | None = None
    try:
        needs = NeedsFile.model_validate(_read_yaml(services_dir / "needs.yaml"))
    except (OSError, ValueError) as error:
        detail = _describe(error) if isinstance(error, ValidationError) else str(error)
        problems.append(f"{services_dir / 'needs.yaml'}: {detail}")
    services: list[ServiceFile] = []
    for path in sorted(services_dir.glob("*.yaml")):
        if path.name == "needs.yaml":
            continue
        try:
            services.append(ServiceFile.model_validate(_read_yaml(path)))
        except ValueError as error:
            detail = _describe(error) if isinstance(error, ValidationError) else str(error)
            problems.append(f"{path}: {detail}")
    if needs is not None:
        codes = {term.code for term in needs.terms}
        for service in services:
            unknown = sorted(set(service.needs) - codes)
            if unknown:
                problems.append(f"service {service.name}: unknown needs {unknown}")
    seen: dict[uuid.UUID, str] = {}
    for service in services:
        if service.id in seen:
            problems.append(f"service {service.name}: id already used by {seen[service.id]}")
        seen[service.id] = service.name
    if problems or needs is None:
        raise ListingFileError("\n".join(problems))
    return needs, services


def is_postcode_district(value: str) -> bool:
    return bool(POSTCODE_DISTRICT.match(value.upper().replace(" ", "")))
