"""A test app's typed context, and swapping its collaborators the way FastAPI intends.

Tests read the engine or settings through `context(client)` and replace a collaborator (the clock,
the sign-in delay, the engine) with `app.dependency_overrides`, never by writing to app state.
"""

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.context import (
    AppContext,
    SignInDelay,
    context_of,
    get_clock,
    get_engine,
    get_second_factor_setup,
)
from app.context import get_sign_in_delay as get_sign_in_delay

Clock = Callable[[], datetime]


def fastapi_app(client: TestClient) -> FastAPI:
    app: FastAPI = client.app.app  # type: ignore[attr-defined]  # under the PublicSite layer
    return app


def context(client: TestClient) -> AppContext:
    return context_of(fastapi_app(client))


def set_clock(client: TestClient, clock: Clock | datetime) -> None:
    """Every handler of `client`'s app reads the time from `clock` (or a fixed moment)."""
    tick: Clock = clock if callable(clock) else (lambda: clock)
    fastapi_app(client).dependency_overrides[get_clock] = lambda: tick


def clock_of(client: TestClient) -> Clock:
    override = fastapi_app(client).dependency_overrides.get(get_clock)
    return override() if override else context(client).clock


def no_sign_in_delay(client: TestClient) -> None:
    fastapi_app(client).dependency_overrides[get_sign_in_delay] = lambda: SignInDelay(step=0)


def use_engine(app: FastAPI, engine: Engine) -> None:
    """Handlers of `app` use `engine` (for example one whose database is down)."""
    app.dependency_overrides[get_engine] = lambda: engine


def enforce_second_factor_setup(client: TestClient) -> None:
    """Staff who must have a second factor are sent to set one up, as outside APP_ENV=test."""
    fastapi_app(client).dependency_overrides[get_second_factor_setup] = lambda: True
