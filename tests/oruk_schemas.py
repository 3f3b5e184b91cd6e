"""The shared Open Referral UK schemas (`../shared/oruk/`), ready for jsonschema.

The ORUK OpenAPI document refers to its schemas by their GitHub addresses: a registry serves those
addresses from the local copies, so tests never go to the network. The schemas not shipped in the
shared folder are assembled from the parts of `service.json` that define the same objects, or
written out from the UK profile (taxonomy).
"""

import json
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.settings import PROJECT_ROOT

ORUK_DIR = PROJECT_ROOT.parent / "shared" / "oruk"
PROFILE_SCHEMAS = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
FORMATS = Draft202012Validator.FORMAT_CHECKER


def _load(name: str) -> dict[str, Any]:
    path = ORUK_DIR / name
    assert path.exists(), f"the ORUK schemas are expected in {ORUK_DIR}"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
OPENAPI = _load("openapi.json")
SERVICE = _load("service.json")
SERVICE_LIST_ITEM = _load("service_list.json")
PAGE_KEYS = [*OPENAPI["components"]["schemas"]["Page"]["properties"], "contents"]

_service_parts = SERVICE["properties"]
LOCATION: dict[str, Any] = _service_parts["service_at_locations"]["items"]["properties"]["location"]
# The UK profile's taxonomy_term.json also requires `taxonomy`.
TAXONOMY_TERM: dict[str, Any] = {
    **_service_parts["attributes"]["items"]["properties"]["taxonomy_term"],
    "required": ["id", "name", "description", "taxonomy"],
}
# The UK profile's taxonomy.json, which the shared folder does not carry.
TAXONOMY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": UUID,
        "name": {"type": "string"},
        "description": {"type": "string"},
        "uri": {"type": "string", "format": "uri"},
        "version": {"type": "string"},
    },
    "required": ["id", "name", "description"],
}
# The UK profile's service_at_location: ids, the location and the service it links.
SERVICE_AT_LOCATION_LIST_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": UUID,
        "service_id": UUID,
        "location_id": UUID,
        "location": LOCATION,
        "service": SERVICE_LIST_ITEM,
    },
    "required": ["id", "service_id", "location_id", "location", "service"],
}
SERVICE_AT_LOCATION: dict[str, Any] = {
    **SERVICE_AT_LOCATION_LIST_ITEM,
    "properties": {**SERVICE_AT_LOCATION_LIST_ITEM["properties"], "service": SERVICE},
}

REGISTRY: Registry[Any] = Registry().with_resources(
    (PROFILE_SCHEMAS + name, DRAFT202012.create_resource(schema))
    for name, schema in [
        ("compiled/service.json", SERVICE),
        ("compiled/service_list.json", SERVICE_LIST_ITEM),
        ("compiled/service_at_location_list.json", SERVICE_AT_LOCATION_LIST_ITEM),
        ("taxonomy.json", TAXONOMY),
        ("taxonomy_term.json", TAXONOMY_TERM),
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


def assert_valid_page(body: dict[str, Any], path: str) -> None:
    """A paginated answer against the OpenAPI document's response schema for `path`."""
    response = OPENAPI["paths"][path]["get"]["responses"]["200"]
    schema = {
        **response["content"]["application/json"]["schema"],
        "components": OPENAPI["components"],  # so "#/components/schemas/Page" resolves
    }
    assert set(PAGE_KEYS) <= set(body), f"missing {set(PAGE_KEYS) - set(body)}"
    _check(body, Draft202012Validator(schema, registry=REGISTRY, format_checker=FORMATS))
