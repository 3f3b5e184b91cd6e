"""Short card codes: unguessable, URL-safe and easy to type from a printed card.

The alphabet leaves out characters that look alike in print or handwriting (0/O, 1/I/L), and
uses one case only, so a code typed in lower case still finds its batch. Eight characters from 31
give about 40 bits: nobody can guess another school's code to skew its numbers.
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_CODE_LENGTH = 16  # the column size


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise(raw: str) -> str | None:
    """The code as stored, or None when `raw` cannot be one of our codes (no database look-up)."""
    code = raw.strip().upper()
    if not 1 <= len(code) <= MAX_CODE_LENGTH:
        return None
    return code if all(character in ALPHABET for character in code) else None
