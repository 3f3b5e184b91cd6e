"""Small things every HTTP handler shares: the current time and the public page renderer."""

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import HTTPException, Request

from app.pages import Renderer


def current_time(request: Request) -> datetime:
    """The current time, or the app's clock when one is set (tests freeze time this way)."""
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock else datetime.now(UTC)


def renderer_for(request: Request, lang: str) -> Renderer:
    """The public renderer, or a 404 when `lang` is not one of our languages."""
    renderer: Renderer = request.app.state.site.renderer
    if lang not in renderer.content.languages:
        raise HTTPException(status_code=404)
    return renderer
