"""The words of the automatic replies to texts sent to the service number.

Each reply is in one language (the keyword's, or that of the number's last request) and is made
of gettext strings from content/locales, so translators own the words. Replies are discreet: no
knife, crime, police, council or service name (a request by text has not said we may say who we
are). In English they stay within two SMS segments (306 GSM characters) with a short base URL.

Outside the team's working hours a reply also says when someone will answer, that this number is
not a crisis line, and where to get help now (999, Childline, Shout: numbers from
shared/content-facts.md).
"""

from collections.abc import Callable
from datetime import datetime, time

from babel.dates import format_time, get_day_names

from app.directory.hours import OpeningState, babel_locale

Gettext = Callable[[str], str]


def clock_time(value: time, lang: str) -> str:
    """A time as people read it in the language: "9:00 am" in English, "09:00" in Polish."""
    # en_GB's short format is the 24-hour clock; young people in the UK read am and pm.
    pattern = "h:mm a" if lang == "en" else "short"
    return str(format_time(value, pattern, locale=babel_locale(lang)))


def help_now(_: Gettext) -> str:
    return _("In danger call 999. Childline 0800 1111 (free).")


def card_link(base_url: str, lang: str) -> str:
    return f"{base_url}/{lang}/"


def away_notice(state: OpeningState, lang: str, _: Gettext) -> str:
    """When someone will answer, not a crisis line, and help now: for replies out of hours."""
    if state.next_open is not None:
        opens: datetime = state.next_open  # London time
        day = get_day_names("wide", locale=babel_locale(lang))[opens.weekday()]
        when = _("We are not at work now. Someone will answer from %(day)s at %(time)s.") % {
            "day": day,
            "time": clock_time(opens.time(), lang),
        }
    else:  # a team with no working hours set
        when = _("We are not at work now. Someone will answer as soon as they can.")
    return " ".join(
        [
            when,
            _("This number is not a crisis line."),
            help_now(_),
            _("Or text SHOUT to 85258."),
        ]
    )


def request_taken(
    confirmed: str,
    reference: str,
    away: OpeningState | None,
    base_url: str,
    lang: str,
    _: Gettext,
) -> str:
    """The reply to a keyword that made a callback request.

    `confirmed`: the request's usual confirmation, for when the team is at work; `away`: the
    team's hours when it is not.
    """
    if away is None:
        return f"{confirmed} {card_link(base_url, lang)}"
    thanks = _("Thanks, we got your message. Ref %(reference)s.") % {"reference": reference}
    return f"{thanks} {away_notice(away, lang, _)} {card_link(base_url, lang)}"


def already_asked(away: OpeningState | None, lang: str, _: Gettext) -> str:
    """The reply to a keyword from a number that asked often enough already today."""
    limited = _("We already have your request and will be in touch soon.")
    if away is None:
        return f"{limited} {help_now(_)}"
    return f"{limited} {away_notice(away, lang, _)}"


def other_text(base_url: str, lang: str, _: Gettext) -> str:
    """The reply to any other text: the card, and help now."""
    return f"{card_link(base_url, lang)} {help_now(_)}"
