"""Helpers for translation review tests: a reviewer, an app with pages of its own, the items of a
page, and the forms a reviewer and an admin post."""

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.pages import Site
from app.review.items import Item
from app.review.store import all_items
from tests.admin_helpers import add_user, database, sign_in, token_from
from tests.app_context import context

NOTICE = "This translation has not been checked by a fluent speaker yet."


def own_pages(client: TestClient) -> None:
    """Give the app its own copy of the pages the suite shares between apps, so what reviewers
    change in this test is not seen by the others."""
    ctx = context(client)
    site = Site(ctx.site.renderer, dict(ctx.site.responses), dict(ctx.site.not_found))
    ctx.site = site
    client.app.site = site  # type: ignore[attr-defined]  # the PublicSite layer serving pages


def reviewer(client: TestClient, email: str = "rukhsana@example.org", langs: str = "ur") -> str:
    """A reviewer of `langs`, signed in on `client`; the session's CSRF token."""
    add_user(client, email, "reviewer", languages=langs)
    assert sign_in(client, email).status_code == 303
    return token_from(client)


def items_of(client: TestClient, lang: str, group: str) -> list[Item]:
    with database(client) as db:
        return [
            item for item in all_items(db, context(client).content, lang) if item.group == group
        ]


def item(client: TestClient, lang: str, key: str) -> Item:
    with Session(context(client).engine) as db:
        return next(
            found for found in all_items(db, context(client).content, lang) if found.key == key
        )


def check(client: TestClient, csrf: str, lang: str, found: Item) -> Response:
    return client.post(
        f"/admin/translations/{lang}/{found.group}/check",
        data={"csrf_token": csrf, "item": found.key, "seen": found.text_hash, "number": "1"},
    )


def suggest(
    client: TestClient, csrf: str, lang: str, found: Item, proposed: str, note: str = ""
) -> Response:
    return client.post(
        f"/admin/translations/{lang}/{found.group}/suggest",
        data={
            "csrf_token": csrf,
            "item": found.key,
            "seen": found.text_hash,
            "number": "1",
            "proposed": proposed,
            "note": note,
        },
    )


def notice_in(client: TestClient, lang: str) -> str:
    return context(client).renderer.gettext[lang](NOTICE)
