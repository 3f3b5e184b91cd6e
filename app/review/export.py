"""`python -m app translations export --lang ur`: approved corrections back into the content files.

Writes what the live site shows for the language (`app/review/live.py`) into the repository's
files: corrected page sections and front-matter words, `reviewed: true` on pages whose every item
is checked, and corrected `msgstr`s in the language's .po catalog. Each file is edited in place,
line by line, so the diff shows only what reviewers changed (comments and layout stay). Listing
texts live in the database and are not written here.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from app.content import Page, load_content, split_front_matter
from app.review.items import page_groups
from app.review.live import corrected
from app.review.store import ReviewState, review_states

QUOTED = re.compile(r'^(msgid|msgstr|msgctxt)?\s*("(?:[^"\\]|\\.)*")\s*$')


@dataclass
class Exported:
    pages: list[str] = field(default_factory=list)
    strings: int = 0

    def __str__(self) -> str:
        pages = ", ".join(self.pages) or "none"
        return f"pages written: {pages}; interface strings corrected: {self.strings}"


def _texts(meta: object, path: str = "") -> dict[str, object]:
    """Every leaf value of the front matter by its path ("lines.0.label")."""
    if isinstance(meta, dict):
        return {
            k: v for key, item in meta.items() for k, v in _texts(item, _join(path, key)).items()
        }
    if isinstance(meta, list):
        return {
            k: v
            for index, item in enumerate(meta)
            for k, v in _texts(item, _join(path, index)).items()
        }
    return {path: meta}


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _edit_line(head: str, path: str, old: object, new: object) -> str | None:
    """The front matter with the one line holding `old` at `path` now holding `new`, or None."""
    key = path.rsplit(".", 1)[-1]
    indent = "" if "." not in path else r"[ \t]+(?:-[ \t]+)?"
    pattern = re.compile(rf"^({indent}{re.escape(key)}:[ \t]*)(.*)$", re.MULTILINE)
    found = []
    for match in pattern.finditer(head):
        try:
            if yaml.safe_load(match[2]) == old:
                found.append(match)
        except yaml.YAMLError:
            continue
    if len(found) != 1:
        return None
    match = found[0]
    value = new if isinstance(new, bool) else json.dumps(new, ensure_ascii=False)
    text = str(value).lower() if isinstance(new, bool) else str(value)
    return head[: match.start()] + match[1] + text + head[match.end() :]


def _front_matter(head: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    before, after = _texts(old), _texts(new)
    for path, value in after.items():
        if before.get(path) == value:
            continue
        edited = _edit_line(head, path, before.get(path), value) if path in before else None
        if edited is None:  # not one plain line: write the whole front matter again
            dumped = yaml.safe_dump(new, allow_unicode=True, sort_keys=False, width=1000)
            return f"---\n{dumped}---\n"
        head = edited
    return head


def write_page(old: Page, new: Page) -> None:
    text = old.path.read_text(encoding="utf-8")
    head = text[: len(text) - len(old.markdown)] if text.endswith(old.markdown) else None
    if head is None:
        raise ValueError(f"{old.path}: the body could not be found; was the file edited?")
    written = _front_matter(head, old.meta, new.meta) + new.markdown
    if split_front_matter(written) != (new.meta, new.markdown):
        # Defensive: a value that a line edit could not express; write the front matter afresh.
        dumped = yaml.safe_dump(new.meta, allow_unicode=True, sort_keys=False, width=1000)
        written = f"---\n{dumped}---\n{new.markdown}"
    old.path.write_text(written, encoding="utf-8")


def _unquote(parts: list[str]) -> str:
    return "".join(json.loads(part) for part in parts)


def po_with(text: str, corrections: dict[str, str]) -> tuple[str, int]:
    """The .po text with the msgstr of each corrected msgid replaced; how many were replaced."""
    blocks, done = text.split("\n\n"), 0
    for number, block in enumerate(blocks):
        lines = block.split("\n")
        keys = [(index, QUOTED.match(line)) for index, line in enumerate(lines)]
        msgid, msgstr_at, current = [], None, ""
        for index, match in keys:
            if match is None:
                continue
            current = match[1] or current
            if current == "msgid":
                msgid.append(match[2])
            elif current == "msgstr" and msgstr_at is None:
                msgstr_at = index
        try:
            wanted = corrections.get(_unquote(msgid)) if msgid and msgstr_at is not None else None
        except json.JSONDecodeError:
            continue
        if wanted is None or msgstr_at is None:
            continue
        kept = [line for line in lines[:msgstr_at] if line != "#, fuzzy"]
        ending = [line for line in lines[msgstr_at + 1 :] if not line.startswith('"')]
        line = "msgstr " + json.dumps(wanted, ensure_ascii=False)
        blocks[number] = "\n".join([*kept, line, *ending])
        done += 1
    return "\n\n".join(blocks), done


def export_language(db: Session, content_dir: Path, lang: str) -> Exported:
    """Write the language's approved corrections and checked pages into `content_dir`."""
    content = load_content(content_dir)
    state = review_states(db, lang).get(lang) or ReviewState()
    shown, _ = corrected(content, {lang: state})
    exported = Exported()
    for slug in page_groups(content):
        old, new = content.pages.get((lang, slug)), shown.pages.get((lang, slug))
        if old is not None and new is not None and new is not old:
            write_page(old, new)
            exported.pages.append(slug)
    fixes = shown.catalog_corrections.get(lang, {})
    if fixes:
        path = content_dir / "locales" / lang / "LC_MESSAGES" / "messages.po"
        text, exported.strings = po_with(path.read_text(encoding="utf-8"), fixes)
        path.write_text(text, encoding="utf-8")
    return exported
