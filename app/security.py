"""Security primitives: password hashing, session and CSRF tokens, encryption of personal data.

Passwords use Argon2id. Session tokens are random and stored only as a SHA-256 hash, so a copy of
the database cannot be used to sign in. Personal data is encrypted with keys derived from DATA_KEY
(several comma-separated keys allow rotation: the first encrypts, all decrypt).
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from zxcvbn import zxcvbn

from app.settings import ConfigurationError, Settings

MIN_PASSWORD_LENGTH = 12
MIN_DISTINCT_PASSWORD_CHARACTERS = 5
# zxcvbn's score from 0 to 4: 3 is "safely unguessable" (about 10^8 guesses or more).
MIN_PASSWORD_SCORE = 3
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths take the same time.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _UNKNOWN_USER_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new staff password is not good enough, or None.

    Long enough, not one or two characters repeated, and not common or guessable: zxcvbn checks
    it against lists of leaked passwords, words and names (and the person's own email address).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1000:
        return "Enter a password of 1000 characters or fewer"
    if len(set(password)) < MIN_DISTINCT_PASSWORD_CHARACTERS:
        return "Choose a password that is not the same few characters repeated"
    # zxcvbn's time grows with length; the first 100 characters decide whether it is guessable.
    result = zxcvbn(password[:100], user_inputs=[email, *email.split("@")] if email else [])
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = result["feedback"]["warning"] or "It would be easy to guess."
        return f"Choose a password that is harder to guess. {warning} A few unusual words work well"
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def keyed_hash(secret: str, value: str) -> str:
    """A stable, keyed hash of a value (e.g. a phone number) for look-ups without storing it."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


class DataCipher:
    """Authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256) with key rotation."""

    def __init__(self, data_key: str) -> None:
        keys = [key.strip() for key in data_key.split(",") if key.strip()]
        self._fernet = MultiFernet([Fernet(_fernet_key(key)) for key in keys])

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt: wrong DATA_KEY or damaged data") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt with the current (first) key; ValueError if no key decrypts it."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt: wrong DATA_KEY or damaged data") from None


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(b"data-key:" + secret.encode()).digest())


@dataclass(frozen=True)
class Keys:
    """Every key derived from the settings' secrets, made once per process (`Keys.of`).

    `hash_secret` (SECRET_KEY) signs sessions, CSRF and form tokens and keys the hashes used for
    limits and opt-outs; `cipher` (DATA_KEY) encrypts personal data. Every part of the service
    derives them here, or a hash written by one part would not match another's.
    """

    cipher: DataCipher
    hash_secret: str

    @classmethod
    def of(cls, settings: Settings) -> "Keys":
        if settings.secret_key is None or settings.data_key is None:
            raise ConfigurationError("SECRET_KEY and DATA_KEY must be set")
        return cls(
            DataCipher(settings.data_key.get_secret_value()), settings.secret_key.get_secret_value()
        )
