"""Callback keywords live in content/languages.yaml, one language each, checked by content-check."""

from pathlib import Path

import pytest

from app.content import load_content
from app.settings import PROJECT_ROOT
from app.sms.keywords import keyword_language, normalise
from tests.test_content_check import copy_of_content, replace_in, run_check


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


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("keywords: [POMOC]", "keywords: [POMOC, help]", "is in both en and pl"),
        ("keywords: [AJUDA]", "keywords: [AJUDA, Stop]", "is a STOP or START word"),
        ("keywords: [AJUTOR]", "keywords: [AJUTOR, start!]", "is a STOP or START word"),
        ("keywords: [AJUTOR]", "keywords: [ajutor acum]", "must be one word"),
        ("keywords: [AJUTOR]", "keywords: AJUTOR", "keywords of ro must be a list"),
    ],
)
def test_content_check_refuses_keywords_that_cannot_be_answered_in_one_language(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    expected: str,
) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / "languages.yaml", old, new)

    code, output = run_check(content_dir, monkeypatch, capsys)

    assert code == 1, output
    assert expected in output
