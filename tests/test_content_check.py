"""`content-check` catches broken content, and the service refuses to start on it."""

import shutil
from pathlib import Path

import pytest

from app.__main__ import main
from app.content import load_content
from app.main import InvalidContentError, create_app
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings


def copy_of_content(tmp_path: Path) -> Path:
    content_dir = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content_dir)
    return content_dir


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_check(
    content_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("VAR_DIR", str(content_dir.parent / "var"))
    try:
        main(["content-check"])
        code = 0
    except SystemExit as exit_info:
        code = int(exit_info.code or 0)
    return code, capsys.readouterr().out


def test_the_shipped_content_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_check(PROJECT_ROOT / "content", monkeypatch, capsys)

    assert code == 0, output
    assert "No problems found." in output
    assert "Reading grade" in output
    assert "interface strings" in output
    assert "en " in output


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("pages/en/the-law.md", "sources:", "not_sources:", "front matter needs 'sources'"),
        ("pages/en/card.md", "](the-law)", "](the-lawz)", "points to a page that does not exist"),
        ("pages/en/if-someone-is-stabbed.md", "(tel:999)", "(tel:99-9)", "must be digits only"),
        ("pages/en/your-body.md", "---\n", "", "missing front matter"),
        ("pages/en/your-body.md", "title:", "title: [unclosed", "not valid YAML"),
        ("pages/en/the-law.md", "\n## ", "\n# ", "do not use '# ' headings"),
        (
            "pages/en/card.md",
            "reviewed: true",
            "reviewed: maybe",
            "'reviewed' must be true or false",
        ),
        ("pages/en/help-now.md", 'tel: "08001111"', 'tel: "0800 1111"', "tel must be digits only"),
        # The privacy notice states the retention settings: it must say them, by name.
        ("pages/en/privacy.md", "{retention_open_days} days", "90 days", "{retention_open_days}"),
        (
            "pages/pl/privacy.md",
            "{retention_closed_days}",
            "{retention_days}",
            "{retention_days} is not",
        ),
        ("pages/en/privacy.md", "description:", "summary:", "front matter needs 'description'"),
        # "What we count" states the code's threshold and the operator, never typed-in copies.
        ("pages/pt/what-we-count.md", "{threshold}", "5", "must show {threshold}"),
        ("pages/ro/what-we-count.md", "{operator_name}", "{operator}", "{operator} is not a value"),
        ("pages/en/privacy.md", "](what-we-count)", "](what-we-counts)", "does not exist"),
        # Who runs the service (content/site.yaml).
        ("site.yaml", "name: Example council ", "title: Example council ", "needs 'name'"),
        ("site.yaml", "website: https://www.example.org/", "website: http://x.org/", "https://"),
        ("site.yaml", 'colour: "#1d70b8"', 'colour: "blue"', "must be like #1d70b8"),
        ("site.yaml", "logo: operator-logo.svg", "logo: missing.svg", "does not exist"),
        ("site.yaml", "logo: operator-logo.svg", "logo: languages.yaml", "must be an SVG file"),
        ("site.yaml", "logo: operator-logo.svg", "logo: ../pyproject.toml", "a file in content/"),
        ("site.yaml", "email: dpo@example.org", "email: dpo", "is not an email address"),
        ("site.yaml", "  phone:", "  telephone:", "'contact' needs 'phone'"),
        ("site.yaml", "demo: true", "demo: maybe", "'demo' must be true or false"),
        # Callback keywords: each answered in one language, never an opt-out or opt-in word.
        ("languages.yaml", "keywords: [POMOC]", "keywords: [POMOC, help]", "in both en and pl"),
        ("languages.yaml", "keywords: [AJUDA]", "keywords: [AJUDA, Stop]", "STOP or START word"),
        ("languages.yaml", "keywords: [AJUTOR]", "keywords: [AJUTOR, start!]", "STOP or START"),
        ("languages.yaml", "keywords: [AJUTOR]", "keywords: [ajutor acum]", "must be one word"),
        ("languages.yaml", "keywords: [AJUTOR]", "keywords: AJUTOR", "of ro must be a list"),
        # Help-now lines: one way in each, https chat, the word to text.
        (
            "pages/en/help-now.md",
            '    sms: "85258"\n',
            '    sms: "85258"\n    tel: "999"\n',
            "needs one of tel",
        ),
        (
            "pages/en/help-now.md",
            "url: https://www.childline.org.uk/",
            "url: http://www.childline.org.uk/",
            "https://",
        ),
        ("pages/en/help-now.md", "body: SHOUT", "body: shout now", "the word to text"),
    ],
)
def test_broken_content_is_reported_with_its_file_and_the_problem(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    file: str,
    old: str,
    new: str,
    expected: str,
) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / file, old, new)

    code, output = run_check(content_dir, monkeypatch, capsys)

    assert code == 1
    assert expected in output
    assert Path(file).name in output


@pytest.mark.parametrize("page", ["help-now.md", "privacy.md"])
def test_a_missing_required_page_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], page: str
) -> None:
    content_dir = copy_of_content(tmp_path)
    (content_dir / "pages" / "en" / page).unlink()

    code, output = run_check(content_dir, monkeypatch, capsys)

    assert code == 1
    assert f"{page}: required page is missing" in output


def test_a_translation_with_a_changed_phone_number_is_caught(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    translation = content_dir / "pages" / "pl" / "feeling-unsafe.md"
    translation.parent.mkdir(exist_ok=True)
    english = (content_dir / "pages" / "en" / "feeling-unsafe.md").read_text(encoding="utf-8")
    translation.write_text(english.replace("0800 1111", "0800 1112"), encoding="utf-8")

    problems = [str(problem) for problem in load_content(content_dir).problems]

    assert any(
        "pl/feeling-unsafe.md" in p and "numbers differ" in p and "1112" in p for p in problems
    )


def test_a_translation_with_a_changed_link_is_caught(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    translation = content_dir / "pages" / "pl" / "card.md"
    translation.parent.mkdir(exist_ok=True)
    english = (content_dir / "pages" / "en" / "card.md").read_text(encoding="utf-8")
    translation.write_text(english.replace("(tel:999)", "(tel:998)"), encoding="utf-8")

    problems = [str(problem) for problem in load_content(content_dir).problems]

    assert any("pl/card.md" in p and "links differ" in p for p in problems)


def test_a_translation_written_in_its_own_digits_keeps_the_same_numbers(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    translation = content_dir / "pages" / "bn" / "your-future.md"
    translation.parent.mkdir(exist_ok=True)
    english = (content_dir / "pages" / "en" / "your-future.md").read_text(encoding="utf-8")
    bengali_digits = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
    meta, _, body = english.partition("\n---\n")
    translation.write_text(
        meta + "\n---\n" + body.translate(bengali_digits).replace("(tel:০", "(tel:0"),
        encoding="utf-8",
    )

    problems = [
        str(problem)
        for problem in load_content(content_dir).problems
        if "bn/your-future" in str(problem)
    ]

    assert not any("numbers differ" in problem for problem in problems)


def test_the_service_refuses_to_start_on_broken_content(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / "pages" / "en" / "the-law.md", "title:", "titel:")

    with pytest.raises(InvalidContentError, match=r"the-law\.md: front matter needs 'title'"):
        create_app(make_settings(tmp_path, content_dir=content_dir))
