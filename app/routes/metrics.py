"""`/metrics`: Prometheus' text format, for the addresses in METRICS_ALLOW only (others: 404)."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from app.context import EngineDep, NowDep, SettingsDep
from app.metrics import address_allowed, exposition

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, settings: SettingsDep, engine: EngineDep, now: NowDep) -> Response:
    # A 404, not a 403: to anyone else the address does not exist.
    if not address_allowed(request.client.host if request.client else None, settings.metrics_allow):
        raise HTTPException(status_code=404)
    return Response(
        exposition(engine, now),
        media_type=CONTENT_TYPE_PLAIN_0_0_4,  # what every Prometheus version reads
        headers={"Cache-Control": "no-store"},
    )
