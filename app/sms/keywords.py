"""The words a text to the service number may be: opt-out and opt-in words, callback keywords.

Callback keywords live in content (`keywords:` of each language in content/languages.yaml), so a
translator adds them with the language; this module reads a text the one way both the webhook and
`content-check` need: the whole message is the word, in any case, with spaces and punctuation
around it ignored.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from app.callbacks.phones import display_number
from app.content import Language
from app.settings import Settings

# Twilio's standard opt-out and opt-in words; the whole message must be the word.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
OPT_WORDS = OPT_OUT_WORDS | OPT_IN_WORDS


def _is_edge(char: str) -> bool:
    # Punctuation, symbols (emoji too), separators and control or format characters.
    return unicodedata.category(char)[0] in "PSZC"


def normalise(text: str) -> str:
    """The word a text is, for comparing: "  help! " and "Help." both read HELP."""
    word = unicodedata.normalize("NFKC", text)
    start, end = 0, len(word)
    while start < end and _is_edge(word[start]):
        start += 1
    while end > start and _is_edge(word[end - 1]):
        end -= 1
    return word[start:end].upper()


def keyword_language(languages: Iterable[Language], body: str) -> str | None:
    """The code of the language whose callback keyword the text is, if it is one."""
    word = normalise(body)
    for language in languages:
        if word and word in {normalise(keyword) for keyword in language.keywords}:
            return language.code
    return None


@dataclass(frozen=True)
class TextKeyword:
    """What a reader can text to ask for a callback: the word in their language, and the number."""

    keyword: str
    number: str  # as people see it: 07700 900123
    href: str  # sms: link with the keyword already typed


def text_offer(settings: Settings, language: Language) -> TextKeyword | None:
    """The keyword to offer, only when texts really reach us (Twilio, with a from number)."""
    number = settings.twilio_from_number
    if settings.sms_backend != "twilio" or not number or not language.keywords:
        return None
    keyword = language.keywords[0]
    return TextKeyword(keyword, display_number(number), f"sms:{number}?&body={keyword}")


def keyword_problems(languages: Iterable[Language]) -> list[str]:
    """What is wrong with the keywords: one in two languages, an opt word, a blank one."""
    problems: list[str] = []
    owner: dict[str, str] = {}
    for language in languages:
        for keyword in language.keywords:
            word = normalise(keyword)
            if not word or " " in word:
                problems.append(f"keyword {keyword!r} of {language.code} must be one word")
            elif word in OPT_WORDS:
                problems.append(
                    f"keyword {keyword!r} of {language.code} is a STOP or START word: "
                    "texts saying it opt in or out"
                )
            elif owner.setdefault(word, language.code) != language.code:
                problems.append(
                    f"keyword {keyword!r} is in both {owner[word]} and {language.code}: "
                    "a reply can only be in one language"
                )
    return problems
