"""Listing files in `content/services/`: their schema, and reading them with clear errors.

Each service file is a `Listing` (`app.directory.listing`, the rules the editor keeps too) with its
id and organisation, so a typo in a file names the file, the field and what is wrong, and nothing
is imported until every file is right.
"""

import uuid
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from app.directory.listing import MAX_TEXT, Listing, Strict, WebAddress
from app.settings import ConfigurationError


class OrganizationFile(Strict):
    id: uuid.UUID
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=MAX_TEXT)
    website: WebAddress | None = None


class ListedIn(Strict):
    """What a file says about a listing beyond the listing itself: its id and organisation."""

    id: uuid.UUID
    organization: OrganizationFile


# Bases in this order keep the fields in the order they have always been dumped in: `id` and
# `organization` first, then the listing, then `published`. The dump is the file's fingerprint.
class ServiceFile(Listing, ListedIn):
    published: bool = True


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
    context = {} if needs is None else {"needs": {term.code for term in needs.terms}}
    services: list[ServiceFile] = []
    for path in sorted(services_dir.glob("*.yaml")):
        if path.name == "needs.yaml":
            continue
        try:
            services.append(ServiceFile.model_validate(_read_yaml(path), context=context))
        except ValueError as error:
            detail = _describe(error) if isinstance(error, ValidationError) else str(error)
            problems.append(f"{path}: {detail}")
    seen: dict[uuid.UUID, str] = {}
    for service in services:
        if service.id in seen:
            problems.append(f"service {service.name}: id already used by {seen[service.id]}")
        seen[service.id] = service.name
    if problems or needs is None:
        raise ListingFileError("\n".join(problems))
    return needs, services
