"""Regenerates `messages_api_v2010.json` from a full copy of Twilio's `twilio_api_v2010.json`.

Keeps the Messages paths and every component they reference (directly or through other
components), with the document's info, servers, security and the tags those paths use, so the
result is still an OpenAPI document that Prism can serve. Run from the repository root:

    python tests/reference/twilio/extract.py path/to/twilio_api_v2010.json
"""

import json
import sys
from pathlib import Path
from typing import Any

PATHS = [
    "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
]
OUT = Path(__file__).with_name("messages_api_v2010.json")


def references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(references(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(references(value) for value in node))
    return set()


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    paths = {path: spec["paths"][path] for path in PATHS}
    security = [*spec.get("security", [])]
    for item in paths.values():
        security += [
            s for op in item.values() if isinstance(op, dict) for s in op.get("security", [])
        ]
    wanted = {("securitySchemes", name) for entry in security for name in entry}
    pending = references(paths)
    while pending:
        ref = pending.pop()
        kind, name = ref.removeprefix("#/components/").split("/")
        if (kind, name) not in wanted:
            wanted.add((kind, name))
            pending |= references(spec["components"][kind][name])
    components: dict[str, dict[str, Any]] = {}
    for kind, name in sorted(wanted):
        components.setdefault(kind, {})[name] = spec["components"][kind][name]
    used_tags = {
        tag
        for item in paths.values()
        for op in item.values()
        if isinstance(op, dict)
        for tag in op.get("tags", [])
    }
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec["servers"],
        "security": spec["security"],
        "tags": [tag for tag in spec["tags"] if tag["name"] in used_tags],
        "paths": paths,
        "components": components,
    }


if __name__ == "__main__":
    full = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(extract(full), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
