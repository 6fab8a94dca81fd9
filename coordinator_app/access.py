"""The coordinator's PIN that guards leaving expert mode (stored salted and hashed, optional).

Expert mode itself is a state of the GUI (no name reachable anywhere); this module only keeps and
checks the PIN. PBKDF2-SHA256 with a random salt: the PIN is never stored in clear.
"""

from __future__ import annotations

import re

from . import audit, settings
from .changes import Changes
from .errors import UserError
from .storage import Store

KEY = "coordinator_pin"
ITERATIONS = 200_000


def _hash(pin: str, salt: bytes, iterations: int = ITERATIONS) -> str:
    import hashlib

    return hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations).hex()


def has_pin(store: Store) -> bool:
    return bool(settings.get(store, KEY))


def set_pin(store: Store, pin: str | None) -> Changes:
    """Set (or with None/"" remove) the PIN. 4–12 digits."""
    if not pin:
        value = None
    else:
        if not re.fullmatch(r"\d{4,12}", pin):
            raise UserError("PIN — от 4 до 12 цифр.")
        import secrets

        salt = secrets.token_bytes(16)
        value = {"salt": salt.hex(), "iterations": ITERATIONS, "hash": _hash(pin, salt)}
    changes = settings.set_value(store, KEY, value)
    with store.atomic():
        audit.record(store, "pin.set" if value else "pin.remove", "settings", KEY)
    return changes


def check_pin(store: Store, pin: str) -> bool:
    stored = settings.get(store, KEY)
    if not stored:
        return True
    import hmac

    digest = _hash(pin or "", bytes.fromhex(stored["salt"]), int(stored["iterations"]))
    return hmac.compare_digest(digest, stored["hash"])
