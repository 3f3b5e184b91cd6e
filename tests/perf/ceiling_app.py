"""The least an ASGI app can do: send one fixed response. The benchmark's ceiling row.

Served by the same server and worker count as the service, it shows how much of the gap to nginx
is the Python server itself rather than our code. The body and headers are the card's gzip bytes
and response headers, read from the files named by CEILING_BODY and CEILING_HEADERS.
"""

import json
import os
from pathlib import Path
from typing import Any

BODY = Path(os.environ["CEILING_BODY"]).read_bytes()
HEADERS = [
    (name.encode(), value.encode())
    for name, value in json.loads(Path(os.environ["CEILING_HEADERS"]).read_text()).items()
] + [(b"content-length", str(len(BODY)).encode())]
START = {"type": "http.response.start", "status": 200, "headers": HEADERS}
BODY_MESSAGE = {"type": "http.response.body", "body": BODY}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(START)
    await send(BODY_MESSAGE)
