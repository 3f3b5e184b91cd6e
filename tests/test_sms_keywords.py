"""Callback keywords live in content/languages.yaml, one language each, checked by content-check."""

import pytest

from app.content import load_content
from app.settings import PROJECT_ROOT
from app.sms.keywords import keyword_language, normalise


def test_every_language_offers_a_keyword_and_english_keeps_help_and_call() -> None:
    languages = load_content(PROJECT_ROOT / "content").languages
    assert all(language.keywords for language in languages.values())
    assert languages["en"].keywords == ("HELP", "CALL")
    # Languages written in another script take the word in it and in Latin letters.
    for code in ("ur", "bn", "pa", "ar"):
        assert any(word.isascii() for word in languages[code].keywords), code
        assert any(not word.isascii() for word in languages[code].keywords), code


@pytest.mark.parametrize(
    ("body", "lang"),
    [("help", "en"), ("  Call!! ", "en"), ("«pomoc»", "pl"), ("Madad 🙏", "ur"), ("help me", None)],
)
def test_a_keyword_is_matched_whatever_its_case_and_the_punctuation_around_it(
    body: str, lang: str | None
) -> None:
    languages = load_content(PROJECT_ROOT / "content").languages.values()
    assert keyword_language(languages, body) == lang


def test_stop_is_read_as_stop_however_it_is_written() -> None:
    assert normalise(" stop. ") == normalise("STOP") == "STOP"
