"""The Open Referral UK schemas our API's answers follow, as OpenAPI `components/schemas`.

The service schemas are our copies in `oruk_schema/` (see its README for their source and
licence), read once at import. The UK profile's other schemas are not in that copy: they are
assembled from the parts of `service.json` that define the same objects, or written out from the
UK profile (taxonomy). Each is named after its UK profile file, and refers to the others by
`#/components/schemas/<name>`, so the document needs nothing from outside itself.
"""

import json
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent / "oruk_schema"
COMPONENTS = "#/components/schemas/"


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return loaded


def ref(name: str) -> dict[str, Any]:
    """A reference to the schema `name` in the document's components."""
    return {"$ref": COMPONENTS + name}


UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
SERVICE = _load("service.json")
SERVICE_LIST = _load("service_list.json")

_service_parts = SERVICE["properties"]
LOCATION: dict[str, Any] = _service_parts["service_at_locations"]["items"]["properties"]["location"]
# The UK profile's organization.json: the same object a service nests.
ORGANIZATION: dict[str, Any] = _service_parts["organization"]
# The UK profile's taxonomy_term.json also requires `taxonomy`.
TAXONOMY_TERM: dict[str, Any] = {
    **_service_parts["attributes"]["items"]["properties"]["taxonomy_term"],
    "required": ["id", "name", "description", "taxonomy"],
}
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
SERVICE_AT_LOCATION_LIST: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": UUID,
        "service_id": UUID,
        "location_id": UUID,
        "location": ref("location"),
        "service": ref("service_list"),
    },
    "required": ["id", "service_id", "location_id", "location", "service"],
}
SERVICE_AT_LOCATION: dict[str, Any] = {
    **SERVICE_AT_LOCATION_LIST,
    "properties": {**SERVICE_AT_LOCATION_LIST["properties"], "service": ref("service")},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "service": SERVICE,
    "service_list": SERVICE_LIST,
    "location": LOCATION,
    "organization": ORGANIZATION,
    "taxonomy": TAXONOMY,
    "taxonomy_term": TAXONOMY_TERM,
    "service_at_location_list": SERVICE_AT_LOCATION_LIST,
    "service_at_location": SERVICE_AT_LOCATION,
}
