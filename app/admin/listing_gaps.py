"""What a listing still needs before young people can see it, in the admin's words.

The public sees a listing only when it is published, not archived and confirmed by staff
(`app.directory.search.public`); a confirmed listing always has a way in (`Listing._reachable`).
Staff see the rest: unconfirmed listings stay internal, and this says what is missing.
"""

from app.models import Service

NOT_CONFIRMED = (
    "Details not confirmed: hidden from the public until someone ticks “Details verified”"
)
NO_WAY_IN = "No way to reach the service: add a phone or text number, a website, an email, a chat "
NO_WAY_IN += "link or an address you can visit"
NOT_PUBLISHED = "Not published"
ARCHIVED = "Archived"


def ways_in(service: Service) -> bool:
    """The listing has a way to reach it the public can see (needs contacts and places loaded)."""
    shown_place = any(not link.location.address_hidden for link in service.service_at_locations)
    phones = any(contact.phones for contact in service.contacts)
    return bool(
        phones
        or service.url
        or service.email
        or service.chat_url
        or shown_place
        or service.offers_callback
    )


def missing(service: Service) -> list[str]:
    """Why the public does not see this listing; empty when it is public."""
    gaps = []
    if service.archived:
        gaps.append(ARCHIVED)
    elif not service.published:
        gaps.append(NOT_PUBLISHED)
    if not service.verified:
        gaps.append(NOT_CONFIRMED)
    if not ways_in(service):
        gaps.append(NO_WAY_IN)
    return gaps


# Status actions that would put a listing in front of the public (with `verified`).
SHOWING_ACTIONS = ("publish", "checked-today")
CANNOT_SHOW = (
    "This listing has no way to reach the service, so it cannot be published or marked as "
    "checked: add a phone or text number, a website, an email, a chat link or an address you "
    "can visit, and save"
)


def refusal(service: Service, action: str) -> tuple[str, str] | None:
    """The form field and message refusing a status action, or None when it may go ahead."""
    if action in SHOWING_ACTIONS and not ways_in(service):
        return ("phone-0-number", CANNOT_SHOW)
    return None
