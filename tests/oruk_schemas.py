"""The Open Referral UK schemas (our copy in `app/directory/oruk_schema/`), ready for jsonschema.

The schemas are the ones the API's OpenAPI document embeds (`app/directory/oruk_schemas.py`).
The ORUK OpenAPI document refers to them by their GitHub addresses: a registry serves those
addresses from the local copies, so tests never go to the network.
"""

import json
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.directory.oruk_schemas import SCHEMA_DIR, SCHEMAS

PROFILE_SCHEMAS = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
FORMATS = Draft202012Validator.FORMAT_CHECKER


def standalone(name: str) -> dict[str, Any]:
    """The schema `name`, with the components its `#/components/schemas/...` references need."""
    return {"$ref": f"#/components/schemas/{name}", "components": {"schemas": SCHEMAS}}


OPENAPI: dict[str, Any] = json.loads((SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8"))
PAGE_KEYS = [*OPENAPI["components"]["schemas"]["Page"]["properties"], "contents"]
SERVICE = standalone("service")
SERVICE_LIST_ITEM = standalone("service_list")
LOCATION = standalone("location")
TAXONOMY = standalone("taxonomy")
TAXONOMY_TERM = standalone("taxonomy_term")
SERVICE_AT_LOCATION = standalone("service_at_location")
SERVICE_AT_LOCATION_LIST_ITEM = standalone("service_at_location_list")
ORGANIZATION = standalone("organization")

REGISTRY: Registry[Any] = Registry().with_resources(
    (PROFILE_SCHEMAS + path, DRAFT202012.create_resource(standalone(name)))
    for path, name in [
        ("compiled/service.json", "service"),
        ("compiled/service_list.json", "service_list"),
        ("compiled/service_at_location_list.json", "service_at_location_list"),
        ("taxonomy.json", "taxonomy"),
        ("taxonomy_term.json", "taxonomy_term"),
        ("organization.json", "organization"),
    ]
)


def _check(instance: object, validator: Draft202012Validator) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    _check_timestamps(instance)


def _check_timestamps(instance: object) -> None:
    """jsonschema checks date-time only with an extra package: check `last_modified` here."""
    if isinstance(instance, dict):
        if "last_modified" in instance:
            assert datetime.fromisoformat(instance["last_modified"]).tzinfo is not None
        for value in instance.values():
            _check_timestamps(value)
    elif isinstance(instance, list):
        for value in instance:
            _check_timestamps(value)


def assert_valid(instance: object, schema: dict[str, Any]) -> None:
    _check(instance, Draft202012Validator(schema, format_checker=FORMATS))


def assert_valid_list(body: dict[str, Any], item: dict[str, Any]) -> None:
    """A paginated answer for a path the ORUK OpenAPI document leaves out (organizations): the
    envelope against its `Page` schema, each item against `item`."""
    page = {"$ref": "#/components/schemas/Page", "components": OPENAPI["components"]}
    assert set(PAGE_KEYS) <= set(body), f"missing {set(PAGE_KEYS) - set(body)}"
    _check({key: value for key, value in body.items() if key != "contents"}, _validator(page))
    for content in body["contents"]:
        assert_valid(content, item)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FORMATS)


def assert_valid_page(body: dict[str, Any], path: str) -> None:
    """A paginated answer against the OpenAPI document's response schema for `path`."""
    response = OPENAPI["paths"][path]["get"]["responses"]["200"]
    schema = {
        **response["content"]["application/json"]["schema"],
        "components": OPENAPI["components"],  # so "#/components/schemas/Page" resolves
    }
    assert set(PAGE_KEYS) <= set(body), f"missing {set(PAGE_KEYS) - set(body)}"
    _check(body, Draft202012Validator(schema, registry=REGISTRY, format_checker=FORMATS))
