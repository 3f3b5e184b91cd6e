"""Re-encrypting stored personal data under the first key of DATA_KEY (`rotate-data-key`).

DATA_KEY may hold several comma-separated keys: the first encrypts, all decrypt. To retire a key,
the new key goes first, every stored value is re-encrypted under it, then the old key is dropped.
`ENCRYPTED` lists every column holding a value encrypted with DATA_KEY. Each table is walked in id
order, a batch at a time; the caller commits each batch. A value that no key decrypts is counted
and left exactly as it is: it may still be readable with a key left out of DATA_KEY by mistake.
"""

from dataclasses import dataclass, field

from sqlalchemy import Connection, Table, and_, or_, select, update

from app.models import metadata
from app.security import DataCipher


@dataclass(frozen=True)
class Encrypted:
    """A table's columns encrypted with DATA_KEY, and what to call its rows in the report."""

    table: str
    columns: tuple[str, ...]
    one: str
    many: str


ENCRYPTED = (
    Encrypted(
        "callback_request",
        ("phone_encrypted", "name_encrypted"),
        "callback request",
        "callback requests",
    ),
    Encrypted("outbound_sms", ("to_encrypted",), "text", "texts"),
    Encrypted("staff_user", ("totp_secret",), "sign-in secret", "sign-in secrets"),
)


@dataclass
class Tally:
    """What a rotation did: rows re-encrypted per kind, and each value that could not be read."""

    rotated: dict[Encrypted, int] = field(default_factory=lambda: dict.fromkeys(ENCRYPTED, 0))
    unreadable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(
            f"{count} {kind.one if count == 1 else kind.many}"
            for kind, count in self.rotated.items()
        )
        return f"re-encrypted {counts}; {len(self.unreadable)} could not be read"


def rotate_batch(
    db: Connection, cipher: DataCipher, kind: Encrypted, after: int, size: int, tally: Tally
) -> int | None:
    """Re-encrypt the values of up to `size` rows with an id above `after`, under the first key.

    Returns the last id looked at, or None when there are no more rows. The caller commits.
    """
    table: Table = metadata.tables[kind.table]
    columns = [table.c[name] for name in kind.columns]
    rows = db.execute(
        select(table.c.id, *columns)
        .where(table.c.id > after, or_(*(column.is_not(None) for column in columns)))
        .order_by(table.c.id)
        .limit(size)
    ).all()
    for row in rows:
        old = {name: value for name, value in zip(kind.columns, row[1:], strict=True) if value}
        new: dict[str, str] = {}
        for name, value in old.items():
            try:
                new[name] = cipher.rotate(value)
            except ValueError:
                tally.unreadable.append(f"{kind.one} {row.id}: {name}")
        if not new:
            continue
        # Only if unchanged since read: a value wiped by retention meanwhile must stay wiped.
        unchanged = and_(*(table.c[name] == old[name] for name in new))
        written = db.execute(
            update(table).where(table.c.id == row.id, unchanged).values(**new)
        ).rowcount
        tally.rotated[kind] += written
    return rows[-1].id if rows else None
