"""The application context: one typed object made by `create_app`, and the dependencies routes use.

Routes never read `request.app.state`. They declare what they need with the `Annotated` aliases
below (`SettingsDep`, `NowDep`, `KeysDep`, `SessionDep`, ...), so every collaborator is typed, and
tests swap one with `app.dependency_overrides` (for example `get_clock` to freeze time).

The time of a request is read once (`NowDep`, cached per request by FastAPI), so a handler and the
audit entry it writes agree to the microsecond.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlmodel import Session

from app.content import Content
from app.directory.cache import PageCache, ResponseCache
from app.directory.files import NeedsFile
from app.directory.revision import DirectoryRevision
from app.pages import CachedResponse, Renderer, Site
from app.review.live import LiveTranslations
from app.security import Keys
from app.settings import Settings

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SignInDelay:
    """How long a failed sign-in waits before answering: each failure in a row costs more.

    The wait is awaited on the event loop: a blocking sleep would hold a worker thread, and a
    few wrong-password posts a second would then stall every other page.
    """

    step: float = 0.5
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def after(self, failures: int) -> None:
        await self.sleep(min(failures, 5) * self.step)


@dataclass
class AppContext:
    """Everything a request may need, made once per process from the settings."""

    settings: Settings
    engine: Engine
    content: Content
    site: Site
    needs: NeedsFile
    keys: Keys
    directory_revision: DirectoryRevision
    directory_cache: PageCache = field(default_factory=PageCache)
    api_cache: ResponseCache[CachedResponse] = field(default_factory=ResponseCache)
    clock: Clock = system_clock
    sign_in_delay: SignInDelay = field(default_factory=SignInDelay)
    translations: LiveTranslations = field(default_factory=LiveTranslations)  # reviewers' work
    # Whether staff who must have a second factor are sent to set one up before anything else.
    # Always, but with APP_ENV=test (see create_app), where tests sign staff in without one.
    second_factor_setup: bool = True

    @property
    def renderer(self) -> Renderer:
        return self.site.renderer

    @cached_property
    def language_codes(self) -> list[str]:
        return list(self.content.languages)


def context_of(app: object) -> AppContext:
    """The context stored on a FastAPI app by `create_app`."""
    return cast(AppContext, app.state.context)  # type: ignore[attr-defined]


# Each getter is `async def`: it only reads memory, so it need not take a thread-pool slot.
async def get_context(request: Request) -> AppContext:
    return context_of(request.app)


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_settings(context: ContextDep) -> Settings:
    return context.settings


async def get_engine(context: ContextDep) -> Engine:
    return context.engine


async def get_clock(context: ContextDep) -> Clock:
    return context.clock


async def get_now(clock: Annotated[Clock, Depends(get_clock)]) -> datetime:
    return clock()


async def get_keys(context: ContextDep) -> Keys:
    return context.keys


async def get_sign_in_delay(context: ContextDep) -> SignInDelay:
    return context.sign_in_delay


async def get_second_factor_setup(context: ContextDep) -> bool:
    return context.second_factor_setup


async def get_renderer(context: ContextDep) -> Renderer:
    return context.site.renderer


async def get_needs(context: ContextDep) -> NeedsFile:
    return context.needs


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ClockDep = Annotated[Clock, Depends(get_clock)]
NowDep = Annotated[datetime, Depends(get_now)]
KeysDep = Annotated[Keys, Depends(get_keys)]
RendererDep = Annotated[Renderer, Depends(get_renderer)]
NeedsDep = Annotated[NeedsFile, Depends(get_needs)]
SignInDelayDep = Annotated[SignInDelay, Depends(get_sign_in_delay)]
SecondFactorSetupDep = Annotated[bool, Depends(get_second_factor_setup)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    """A database session for the request; the handler commits what it changes."""
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_public_renderer(lang: str, renderer: RendererDep) -> Renderer:
    """The public renderer for a `/{lang}/...` route, or a 404 when `lang` is not ours."""
    if lang not in renderer.content.languages:
        raise HTTPException(status_code=404)
    return renderer


PublicRendererDep = Annotated[Renderer, Depends(get_public_renderer)]
