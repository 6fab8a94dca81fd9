"""The data store: one SQLite database plus files in one data dir.

Layout of a data dir:
    coordinator.sqlite3      the database (WAL mode)
    templates/<key>.xlsx     the ФИС ОКО templates kept with their works
    backups/                 automatic copies taken before migrations
    logs/                    rotating log file and crash reports
    .lock                    held by the running GUI (one instance per data dir)

`Store` owns the connection and the transactions: every multi-row write is one
`with store.atomic():` block; nothing above this layer calls commit().

Reads (`query`, `one`, `scalar`) run on the plain sqlite3 connection. The sqlite-utils `Database`
over that same connection (`store.db`, and what `atomic()` yields) is made on first use: importing
sqlite-utils costs more than a whole read command (it pulls in click, dateutil, pluggy and, when
installed, numpy), so a command or a window that only reads never pays for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StorageError
from ..fsutil import disk_full_message, is_disk_full
from ..resources import schema_path
from .migrations import BASELINE_VERSION, MIGRATIONS, _split_sql, latest_version

if TYPE_CHECKING:
    import sqlite_utils

log = logging.getLogger(__name__)

DB_NAME = "coordinator.sqlite3"
BACKUPS_KEPT = 5


#: How long a write waits for the lock held by another process before «база данных занята».
BUSY_TIMEOUT_MS = 60_000


def now_iso() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")


class Store:
    """An open data dir. Not thread-safe: a worker thread opens its own Store."""

    def __init__(self, data_dir: Path, conn: sqlite3.Connection, actor: str) -> None:
        self.data_dir = data_dir
        self.conn = conn
        self.actor = actor
        self._db: sqlite_utils.Database | None = None

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the store's connection, made (and sqlite-utils imported) on first use."""
        if self._db is None:
            import sqlite_utils  # start-up: sqlite-utils (and numpy) only on the first write

            # No plugins: whatever sqlite-utils plugin happens to be installed must not change the
            # store's connection (and looking for them scans every installed package).
            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    # -- transactions -----------------------------------------------------------------
    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction (a savepoint when nested). The outermost takes the write lock at
        its start (BEGIN IMMEDIATE): a second writer — the GUI and a command line, two command
        lines — then waits for its turn (the busy timeout) instead of failing the moment a
        transaction that began by reading wants to write."""
        db = self.db
        try:
            if self.conn.in_transaction:
                with db.atomic():
                    yield db
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as err:
            raise _environment_error(err, self.data_dir) from err
        except sqlite3.IntegrityError as err:
            if CLOSED_YEAR in str(err):       # a write the use-case's own check did not stop
                raise _environment_error(err, self.data_dir) from err
            raise
        except OSError as err:        # a file written inside the transaction
            if is_disk_full(err):
                raise StorageError(disk_full_message(self.data_dir)) from err
            raise

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """The rows of a SELECT (or a row-returning PRAGMA) as dicts keyed by column name."""
        cursor = self.conn.execute(sql, () if params is None else params)
        if cursor.description is None:
            raise ValueError("query() is for statements that return rows; write inside store.atomic()")
        keys = [d[0] for d in cursor.description]
        if len(set(keys)) != len(keys):  # `SELECT a.*, b.*`: same renaming as sqlite-utils (id, id_2)
            from sqlite_utils.utils import dedupe_keys

            keys = dedupe_keys(keys)
        return [dict(zip(keys, row)) for row in cursor]

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.conn.execute(sql, () if params is None else params).fetchone()
        return row[0] if row else None

    def path(self, relative: str) -> Path:
        return self.data_dir / relative

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.scalar("PRAGMA user_version"))


#: Free space below which a failed database write is put down to a full disk: SQLite reports
#: some out-of-space writes (the WAL index, a sync) as «disk I/O error», not «disk is full».
LOW_SPACE_BYTES = 16 << 20


def _low_on_space(data_dir: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(data_dir).free < LOW_SPACE_BYTES
    except OSError:
        return False


#: The message of the triggers that keep a closed school year read-only (migration 12).
CLOSED_YEAR = "closed school year: read-only"


def _environment_error(err: sqlite3.Error, data_dir: Path) -> StorageError:
    text = str(err).lower()
    if CLOSED_YEAR in text:
        return StorageError("Учебный год этой работы закрыт: его работы, участники и баллы только для просмотра.")
    code = getattr(err, "sqlite_errorcode", 0) & 0xFF
    if "locked" in text or "busy" in text:
        return StorageError("База данных занята другой программой. Подождите и повторите.")
    if code == sqlite3.SQLITE_FULL or ("disk" in text and ("full" in text or "space" in text)):
        return StorageError(disk_full_message(data_dir))
    if code == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
        if _low_on_space(data_dir):
            return StorageError(disk_full_message(data_dir))
        return StorageError(f"Не удалось записать данные на диск (папка {data_dir}): ошибка чтения или записи. "
                            "Проверьте диск или носитель и повторите.")
    if "readonly" in text or "read-only" in text:
        return StorageError(f"Папка данных ({data_dir}) доступна только для чтения.")
    if "not a database" in text or "malformed" in text:
        return StorageError(
            f"Файл базы данных в {data_dir} повреждён. Восстановите его из резервной копии."
        )
    return StorageError(f"Ошибка базы данных: {err}")


def _ru_key(text: str) -> str:
    return text.casefold().replace("ё", "е")


def _collate_ru(a: str, b: str) -> int:
    """Russian alphabetical order: case-insensitive, «ё» sorts as «е» (SQLite's binary order
    puts «Ё» before «А»). Used as `ORDER BY surname COLLATE RU`."""
    ka, kb = _ru_key(a), _ru_key(b)
    return (ka > kb) - (ka < kb) or (a > b) - (a < b)


def _apply_pragmas(conn: sqlite3.Connection) -> None:
    conn.create_collation("RU", _collate_ru)
    # One place for all pragmas. FULL sync: a score typed a second before a power cut must survive.
    # recursive_triggers is what sqlite-utils turns on when it wraps a connection: set here, reads
    # and writes see the same connection whether or not sqlite-utils has been loaded yet.
    conn.execute("PRAGMA recursive_triggers=on")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    # A writer waits up to this long for another's transaction (a big import's) to end.
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def backup_database(store: Store, target: Path) -> Path:
    """Copy the live database with SQLite's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    dst = sqlite3.connect(target)
    try:
        store.conn.backup(dst)
    finally:
        dst.close()
    return target


def _rotate_backups(folder: Path, prefix: str, keep: int = BACKUPS_KEPT) -> None:
    old = sorted(folder.glob(f"{prefix}*.sqlite3"))
    for path in old[:-keep]:
        with contextlib.suppress(OSError):
            path.unlink()


def _migrate(store: Store) -> None:
    version = store.schema_version
    latest = latest_version()
    if version > latest:
        raise StorageError(
            f"База данных в {store.data_dir} создана более новой версией ВПР-Координатора "
            f"(версия схемы {version}, эта программа знает до {latest}). "
            "Установите новую версию программы; данные не изменены."
        )
    if version == 0:
        tables = [r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if tables:
            raise StorageError(
                f"Файл {store.data_dir / DB_NAME} не похож на базу ВПР-Координатора. "
                "Укажите другую папку данных."
            )
        with store.atomic() as db:
            for statement in _split_sql(schema_path().read_text(encoding="utf-8")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {BASELINE_VERSION}")
        version = BASELINE_VERSION
    elif version < latest:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = store.data_dir / "backups" / f"pre-migration-v{version}-{stamp}.sqlite3"
        backup_database(store, backup)
        _rotate_backups(backup.parent, "pre-migration-")
        log.info("database backed up to %s before migration", backup)
    for migration in MIGRATIONS[version - BASELINE_VERSION :]:
        with store.atomic() as db:
            migration.apply(db)
            db.execute(f"PRAGMA user_version = {migration.target}")
        log.info("migrated database to version %s: %s", migration.target, migration.description)


def open_store(data_dir: Path | str, actor: str = "координатор") -> Store:
    """Open (creating if needed) the data dir's database, migrated to the latest schema."""
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"Не удалось создать папку данных {data_dir}: {err.strerror}.") from err
    try:
        conn = sqlite3.connect(data_dir / DB_NAME, isolation_level=None)
        _apply_pragmas(conn)
        store = Store(data_dir, conn, actor)
        _migrate(store)
    except sqlite3.DatabaseError as err:
        raise _environment_error(err, data_dir) from err
    return store
