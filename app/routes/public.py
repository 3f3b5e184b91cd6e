"""Public routes that are not cached pages: language choice, card codes and health checks."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from app.database import is_reachable
from app.i18n import negotiate

router = APIRouter()


def _language_for(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"), request.app.state.language_codes)


def _to_card(request: Request) -> Response:
    # The language is chosen per request, so neither a browser nor a proxy may reuse the answer.
    return RedirectResponse(
        f"/{_language_for(request)}/",
        status_code=302,
        headers={"Cache-Control": "no-store", "Vary": "Accept-Language"},
    )


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    return _to_card(request)


@router.get("/c/{code}", include_in_schema=False)
def card_code(code: str, request: Request) -> Response:
    """A printed QR code lands on the card whatever the code: a card in a pocket never breaks."""
    return _to_card(request)


@router.get("/healthz", include_in_schema=False)
async def healthz() -> Response:
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> Response:
    if is_reachable(request.app.state.engine):
        return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})
    return PlainTextResponse("database unreachable", status_code=503)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


# Last: this pattern would otherwise catch every one-segment path above.
@router.get("/{lang}", include_in_schema=False)
def language_without_slash(lang: str, request: Request) -> Response:
    if lang not in request.app.state.language_codes:
        raise HTTPException(status_code=404)
    return RedirectResponse(f"/{lang}/", status_code=301)
