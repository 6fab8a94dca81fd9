"""Expert mode and the coordinator's PIN that guards leaving it (stored salted and hashed).

Expert mode is a state of the data dir (`settings.expert_mode`), so the GUI and the command line
see the same: while it is on, no name is reachable in the GUI, and the commands that show or
export names refuse without the PIN (`require_coordinator`). PBKDF2-SHA256 with a random salt:
the PIN is never stored in clear. Wrong PINs slow down: after `FREE_TRIES` wrong tries in a row
each further try waits 30 s, then twice as long each time (kept in the data dir, so a restart does
not reset it); every wrong try is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from . import audit, settings
from .changes import Changes
from .errors import UserError
from .storage import Store
from .words import plural

KEY = "coordinator_pin"
MODE_KEY = "expert_mode"
FAILURES_KEY = "pin_failures"         # {"count": wrong tries in a row, "until": ISO time of the next allowed try}
ITERATIONS = 200_000
FREE_TRIES = 5
FIRST_WAIT_S = 30
MAX_WAIT_S = 3600


class PinLocked(UserError):
    """Too many wrong PINs: the next try is allowed in `wait` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"Слишком много неверных попыток ввода PIN. Следующая попытка — через {_wait_text(wait)}.")
        self.wait = wait


def _wait_text(seconds: int) -> str:
    if seconds >= 120:
        minutes = (seconds + 59) // 60
        return f"{minutes} {plural(minutes, 'минуту', 'минуты', 'минут')}"
    return f"{seconds} {plural(seconds, 'секунду', 'секунды', 'секунд')}"


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


def _now() -> dt.datetime:
    return dt.datetime.now()


def pin_wait(store: Store, now: dt.datetime | None = None) -> int:
    """Seconds until the next PIN try is allowed (0: now)."""
    state = settings.get(store, FAILURES_KEY) or {}
    until = state.get("until")
    if not until:
        return 0
    left = (dt.datetime.fromisoformat(until) - (now or _now())).total_seconds()
    return max(0, int(left + 0.999))


def verify_pin(store: Store, pin: str | None, now: dt.datetime | None = None) -> bool:
    """Check the coordinator's PIN, counting wrong tries; raises `PinLocked` while a wait runs.
    True if no PIN is set."""
    if not has_pin(store):
        return True
    wait = pin_wait(store, now)
    if wait:
        raise PinLocked(wait)
    state = settings.get(store, FAILURES_KEY) or {}
    if check_pin(store, pin or ""):
        if state:
            with store.atomic() as db:
                db.execute("DELETE FROM settings WHERE key = ?", [FAILURES_KEY])
        return True
    count = int(state.get("count", 0)) + 1
    delay = min(FIRST_WAIT_S * 2 ** (count - FREE_TRIES), MAX_WAIT_S) if count >= FREE_TRIES else 0
    until = ((now or _now()) + dt.timedelta(seconds=delay)).isoformat(timespec="seconds") if delay else None
    with store.atomic() as db:
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                   [FAILURES_KEY, json.dumps({"count": count, "until": until})])
        audit.record(store, "pin.failed", "settings", KEY, tries=count, wait_s=delay)
    return False


def expert_mode(store: Store) -> bool:
    return bool(settings.get(store, MODE_KEY))


def set_expert_mode(store: Store, on: bool, pin: str | None = None, *, verified: bool = False) -> Changes:
    """Turn expert mode on (nothing asked) or off (the coordinator's PIN, if one is set;
    `verified`: the caller has just checked it through `verify_pin`)."""
    if bool(on) == expert_mode(store):
        return Changes()
    if not on and not verified and not verify_pin(store, pin):
        raise UserError("Неверный PIN координатора. Режим эксперта не снят.")
    changes = settings.set_value(store, MODE_KEY, bool(on))
    with store.atomic():
        audit.record(store, "expert_mode.on" if on else "expert_mode.off", "settings", MODE_KEY)
    return changes


def require_coordinator(store: Store, pin: str | None, what: str) -> None:
    """Refuse `what` (a command that shows or exports pupils' names, or changes what only the
    coordinator may) while expert mode is on, unless the coordinator's PIN is given."""
    if not expert_mode(store) or not has_pin(store):
        return
    if pin is None:
        raise UserError(f"Включён режим эксперта: {what} доступно только координатору. "
                        "Укажите PIN координатора: --pin PIN (или введите его по запросу).")
    if not verify_pin(store, pin):
        raise UserError("Неверный PIN координатора: команда не выполнена.")


def change_pin(store: Store, new: str, old: str | None = None) -> Changes:
    """Set the PIN; when one is already set, the current one (`old`) is checked first (counted as a
    try, like any other)."""
    if has_pin(store):
        if old is None:
            raise UserError("PIN координатора уже задан: укажите нынешний (--old-pin), чтобы сменить его.")
        if not verify_pin(store, old):
            raise UserError("Нынешний PIN координатора неверен: PIN не изменён.")
    return set_pin(store, new)
