"""The encrypted backup container (format 2): a header, then the backup's ZIP in AES-256-GCM chunks.

A backup holds every pupil's name, class and code (personal data of minors, 152-ФЗ) and goes on
USB sticks, which get lost. So the ZIP that `formats/backup_archive.py` writes is encrypted as it is written: the
writer below sits between zipfile and the file, and no plain byte of the archive reaches the disk.
The layout is in docs/backup_format.md; in short:

    magic (8) | version u16 | header length u32 | header JSON | SHA-256 of all before it (32)
    chunk 0 | chunk 1 | … | chunk n-1          each: ciphertext (chunk_size bytes; the last 0…chunk_size) + tag (16)

The password gives a master key through Argon2id (scrypt where the OpenSSL under `cryptography`
lacks Argon2), with the parameters and salt in the header. HKDF-SHA256 turns the master key and
the file's own random salt into this file's AES key and a password check value (stored in the
header): a wrong password is told apart from a damaged file before anything is decrypted. Chunk i
is sealed with nonce = nonce prefix (4 random bytes) ‖ i (u64) and associated data = header
digest ‖ i (u64) ‖ final flag (u8), so a flipped bit, a chunk moved or dropped, a file cut at a
chunk boundary and an edited header all fail a tag.

`cryptography` is imported only when a backup is encrypted or read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import struct
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import UserError

#: Opens a file for reading (the real `open`, or a test's fake medium).
Opener = Callable[[Path], BinaryIO]


def open_binary(path: Path) -> BinaryIO:
    return open(path, "rb")


MAGIC = b"\x89VPRBAK\n"
VERSION = 2
CIPHER = "AES-256-GCM"
#: Plaintext bytes per chunk; each chunk is sealed (and checked) on its own, so memory stays small
#: whatever the archive's size. The size is written in the header: a reader takes it from there.
CHUNK_SIZE = 1 << 20
TAG = 16
_PREFIX = struct.Struct(">8sHI")         # magic, version, header JSON length
_DIGEST = 32
MAX_HEADER = 64 << 10
MIN_PASSWORD = 8
FILE_SALT = 32
NONCE_PREFIX = 4

# Argon2id as RFC 9106 recommends when memory is short (64 MiB, 3 passes, 4 lanes): about 0.2 s on
# a school PC, and each guess of an attacker costs the same. scrypt (N = 2^17, r = 8, p = 1, 128 MiB)
# where Argon2 is missing.
ARGON2 = {"iterations": 3, "lanes": 4, "memory_kib": 64 * 1024}
SCRYPT = {"n": 1 << 17, "r": 8, "p": 1}
# What a header may ask of the reader (a forged header must not make restore allocate gigabytes).
_ARGON2_LIMITS = {"iterations": (1, 64), "lanes": (1, 64), "memory_kib": (8, 4 << 20)}
_SCRYPT_LIMITS = {"n": (2, 1 << 22), "r": (1, 32), "p": (1, 16)}

#: Seal and open full chunks in buffers reused (`encrypt_into`/`decrypt_into`, cryptography ≥ 46):
#: no 1 MiB allocation per chunk. Without them (older cryptography, or off in tests) the same
#: bytes come from `encrypt`/`decrypt`.
REUSE_BUFFERS = True


def _reuses(aead: Any) -> bool:
    return REUSE_BUFFERS and hasattr(aead, "encrypt_into") and hasattr(aead, "decrypt_into")


PERSONAL_DATA_WARNING = ("Копия без пароля читается любой программой для архивов, а в ней фамилии, классы и коды "
                         "учеников — персональные данные детей (152-ФЗ). Потерянная флешка станет их утечкой.")


class BackupPasswordError(UserError):
    """The password is missing or does not open the backup; asking again may help."""


class PasswordRequired(BackupPasswordError):
    def __init__(self) -> None:
        super().__init__("Резервная копия зашифрована: нужен её пароль.")


class WrongPassword(BackupPasswordError):
    def __init__(self) -> None:
        super().__init__("Неверный пароль резервной копии. Проверьте раскладку клавиатуры и Caps Lock и введите "
                         "пароль, с которым копия создавалась.")


class HeaderError(Exception):
    """The file starts like our container but its header cannot be used; the text is Russian."""


class DamagedChunk(OSError):
    """A chunk does not decrypt (its tag fails) or is missing: the file is damaged or cut."""

    def __init__(self, index: int) -> None:
        super().__init__(f"chunk {index} fails authentication")
        self.index = index


def check_new_password(password: str | None) -> str:
    """The password to encrypt a new backup with, NFC-normalised; a Russian error if it is unusable."""
    if not password:
        raise BackupPasswordError("Задайте пароль резервной копии (или явно выберите копию без пароля).")
    password = normalize(password)
    if len(password) < MIN_PASSWORD:
        raise BackupPasswordError(f"Пароль резервной копии слишком короткий: нужно не меньше {MIN_PASSWORD} символов.")
    return password


def normalize(password: str) -> str:
    """The same letters typed on different systems give the same bytes (й as one code point or two)."""
    return unicodedata.normalize("NFC", password)


# -- key derivation ------------------------------------------------------------------------------


def _argon2_works() -> bool:
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # start-up

        Argon2id(salt=b"\0" * 16, length=32, iterations=1, lanes=1, memory_cost=8).derive(b"probe")
        return True
    except Exception:  # noqa: BLE001 - ImportError or UnsupportedAlgorithm: an OpenSSL without Argon2
        return False


@dataclass(frozen=True)
class Kdf:
    """The password-to-key function and its parameters, as written in the header."""

    name: str
    salt: bytes
    params: dict[str, int]

    @classmethod
    def new(cls) -> "Kdf":
        salt = secrets.token_bytes(16)
        if _argon2_works():
            return cls("argon2id", salt, dict(ARGON2))
        return cls("scrypt", salt, dict(SCRYPT))

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "salt": self.salt.hex(), **self.params}

    @classmethod
    def from_json(cls, data: Any) -> "Kdf":
        if not isinstance(data, dict):
            raise HeaderError("Заголовок резервной копии повреждён (нет параметров ключа).")
        name = data.get("name")
        limits = {"argon2id": _ARGON2_LIMITS, "scrypt": _SCRYPT_LIMITS}.get(name)
        if limits is None:
            raise HeaderError(f"Резервная копия зашифрована неизвестным способом ({name}): обновите программу.")
        params = {}
        for key, (low, high) in limits.items():
            value = data.get(key)
            if not isinstance(value, int) or not low <= value <= high:
                raise HeaderError("Заголовок резервной копии повреждён (параметры ключа вне допустимых).")
            params[key] = value
        try:
            salt = bytes.fromhex(data.get("salt", ""))
        except (TypeError, ValueError):
            salt = b""
        if len(salt) < 16:
            raise HeaderError("Заголовок резервной копии повреждён (соль ключа).")
        return cls(name, salt, params)

    def derive(self, password: str) -> bytes:
        """The 32-byte master key."""
        secret = normalize(password).encode("utf-8")
        if self.name == "argon2id":
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # start-up

            return Argon2id(salt=self.salt, length=32, iterations=self.params["iterations"],
                            lanes=self.params["lanes"], memory_cost=self.params["memory_kib"]).derive(secret)
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt  # start-up

        return Scrypt(salt=self.salt, length=32, n=self.params["n"], r=self.params["r"],
                      p=self.params["p"]).derive(secret)


@dataclass(frozen=True)
class BackupSecret:
    """A master key with the KDF (parameters and salt) it came from. Made from a password once, it
    seals any number of backups, each under its own file key (`_file_keys`); the scheduled backups
    keep one on this computer so they can run with nobody there to type the password."""

    kdf: Kdf
    master: bytes

    @classmethod
    def from_password(cls, password: str) -> "BackupSecret":
        password = check_new_password(password)
        kdf = Kdf.new()
        return cls(kdf, kdf.derive(password))

    def as_json(self) -> dict[str, Any]:
        return {"kdf": self.kdf.as_json(), "master_key": self.master.hex()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "BackupSecret":
        master = bytes.fromhex(data["master_key"])
        if len(master) != 32:
            raise ValueError("master key of a wrong length")
        return cls(Kdf.from_json(data["kdf"]), master)


def _file_keys(master: bytes, file_salt: bytes) -> tuple[bytes, bytes]:
    """This file's AES-256 key and its password check value (both 32 bytes)."""
    from cryptography.hazmat.primitives import hashes  # start-up
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    out = HKDF(algorithm=hashes.SHA256(), length=64, salt=file_salt,
               info=b"vpr-coordinator backup v2: AES-256-GCM key, password check").derive(master)
    return out[:32], out[32:]


# -- the header ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    raw: bytes            # as in the file, its digest included
    chunk_size: int
    kdf: Kdf
    file_salt: bytes
    nonce_prefix: bytes
    key_check: bytes

    @property
    def digest(self) -> bytes:
        return self.raw[-_DIGEST:]

    @property
    def size(self) -> int:
        return len(self.raw)

    @classmethod
    def build(cls, kdf: Kdf, file_salt: bytes, nonce_prefix: bytes, key_check: bytes,
              chunk_size: int) -> "Header":
        fields = {"cipher": CIPHER, "chunk_size": chunk_size, "kdf": kdf.as_json(), "file_salt": file_salt.hex(),
                  "nonce_prefix": nonce_prefix.hex(), "key_check": key_check.hex()}
        body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("ascii")
        head = _PREFIX.pack(MAGIC, VERSION, len(body)) + body
        return cls(head + hashlib.sha256(head).digest(), chunk_size, kdf, file_salt, nonce_prefix, key_check)

    def unlock(self, password: str | None) -> "Unlocked":
        """This file's key from `password`; `WrongPassword` if the password is not the one it was made with."""
        if not password:
            raise PasswordRequired()
        return self.unlock_master(self.kdf.derive(password))

    def unlock_master(self, master: bytes) -> "Unlocked":
        key, check = _file_keys(master, self.file_salt)
        if not hmac.compare_digest(check, self.key_check):
            raise WrongPassword()
        return Unlocked(self, key)


def is_encrypted(path: Path | str) -> bool:
    """Whether `path` starts like our encrypted container (False for a ZIP, or an unreadable file)."""
    try:
        with open(path, "rb") as raw:
            return raw.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _read_prefix(raw: BinaryIO) -> tuple[bytes, int]:
    """The fixed prefix and the header's length; `HeaderError` if it is not ours or not this version."""
    prefix = raw.read(_PREFIX.size)
    if len(prefix) < _PREFIX.size or prefix[: len(MAGIC)] != MAGIC:
        raise HeaderError("Это не зашифрованная резервная копия ВПР-Координатора, или её начало повреждено.")
    _magic, version, length = _PREFIX.unpack(prefix)
    if version != VERSION:
        if version > VERSION:
            raise HeaderError(f"Резервная копия создана более новой версией программы (формат {version}): "
                              "обновите ВПР-Координатор.")
        raise HeaderError(f"Неизвестный формат резервной копии ({version}).")
    if length > MAX_HEADER:
        raise HeaderError("Заголовок резервной копии повреждён.")
    return prefix, length


def _header_fields(body: bytes) -> tuple[Any, bytes, bytes, bytes, Any, dict[str, Any]]:
    """chunk size, file salt, nonce prefix, key check, cipher and all fields of the header's JSON."""
    try:
        fields = json.loads(body)
        return (fields["chunk_size"], bytes.fromhex(fields["file_salt"]), bytes.fromhex(fields["nonce_prefix"]),
                bytes.fromhex(fields["key_check"]), fields["cipher"], fields)
    except (ValueError, KeyError, TypeError) as err:
        raise HeaderError("Заголовок резервной копии повреждён.") from err


def read_header(raw: BinaryIO) -> Header:
    """The header at the start of `raw`. `HeaderError` (Russian) if it is cut, edited or newer than us."""
    prefix, length = _read_prefix(raw)
    body = raw.read(length)
    digest = raw.read(_DIGEST)
    if len(body) != length or len(digest) != _DIGEST or not hmac.compare_digest(
            hashlib.sha256(prefix + body).digest(), digest):
        raise HeaderError("Заголовок резервной копии повреждён: копию нельзя расшифровать.")
    chunk_size, file_salt, nonce_prefix, key_check, cipher, fields = _header_fields(body)
    if cipher != CIPHER:
        raise HeaderError(f"Резервная копия зашифрована неизвестным способом ({cipher}): обновите программу.")
    if (not isinstance(chunk_size, int) or not 1 <= chunk_size <= 64 << 20 or len(file_salt) != FILE_SALT
            or len(nonce_prefix) != NONCE_PREFIX or len(key_check) != 32):
        raise HeaderError("Заголовок резервной копии повреждён.")
    return Header(prefix + body + digest, chunk_size, Kdf.from_json(fields.get("kdf")), file_salt, nonce_prefix,
                  key_check)


def _nonce(header: Header, index: int) -> bytes:
    return header.nonce_prefix + struct.pack(">Q", index)


def _aad(header: Header, index: int, final: bool) -> bytes:
    return header.digest + struct.pack(">QB", index, 1 if final else 0)


@dataclass(frozen=True)
class Unlocked:
    """A header with its file key: what reads (and checks) the file."""

    header: Header
    key: bytes

    def open(self, path: Path | str, opener: Opener = open_binary) -> "DecryptingReader":
        """The file decrypted as it is read; `opener` opens it (a test's fake medium)."""
        return DecryptingReader(opener(Path(path)), self)


# -- writing -------------------------------------------------------------------------------------


class EncryptingWriter:
    """A write-only stream that seals what is written to it into `raw` chunk by chunk. `tell()`
    counts the plain bytes (what zipfile needs); `flush()` hands sealed chunks to `raw` but never
    seals a short chunk; `finish()` seals the last one, with the final flag, and must be called
    once after the last write."""

    def __init__(self, raw: BinaryIO, secret: BackupSecret, chunk_size: int | None = None) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # start-up

        self.raw = raw
        self.chunk_size = chunk_size or CHUNK_SIZE
        file_salt = secrets.token_bytes(FILE_SALT)
        key, check = _file_keys(secret.master, file_salt)
        self.header = Header.build(secret.kdf, file_salt, secrets.token_bytes(NONCE_PREFIX), check, self.chunk_size)
        self.unlocked = Unlocked(self.header, key)
        self._aead = AESGCM(key)
        # One chunk's worth of plain bytes, filled in place (no reallocation, no copy to seal it).
        self._buffer = bytearray(self.chunk_size)
        self._view = memoryview(self._buffer)
        # A full chunk is sealed into this buffer, reused (see REUSE_BUFFERS).
        self._sealed = bytearray(self.chunk_size + TAG) if _reuses(self._aead) else None
        self._filled = 0
        self._index = 0
        self._position = 0
        self._finished = False
        raw.write(self.header.raw)

    def _seal(self, data, final: bool) -> None:
        nonce, aad = _nonce(self.header, self._index), _aad(self.header, self._index, final)
        if len(data) == self.chunk_size and self._sealed is not None:
            self._aead.encrypt_into(nonce, data, aad, self._sealed)      # no new 1 MiB buffer per chunk
            self.raw.write(self._sealed)
        else:
            self.raw.write(self._aead.encrypt(nonce, data, aad))
        self._index += 1

    def write(self, data) -> int:
        if self._finished:
            raise ValueError("write after finish")
        view = memoryview(data).cast("B")
        size = len(view)
        self._position += size
        chunk, filled = self.chunk_size, self._filled
        # A chunk is sealed only once more data follows it: the last one carries the final flag.
        if filled + size <= chunk:
            self._view[filled: filled + size] = view
            self._filled = filled + size
            return size
        if filled:
            take = chunk - filled
            self._view[filled:] = view[:take]
            self._seal(self._buffer, False)
            view = view[take:]
        while len(view) > chunk:                # whole chunks straight from the caller's bytes
            self._seal(view[:chunk], False)
            view = view[chunk:]
        self._view[: len(view)] = view
        self._filled = len(view)
        return size

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        self.raw.flush()

    def finish(self) -> None:
        if not self._finished:
            self._seal(self._view[: self._filled], True)
            self._filled = 0
            self._finished = True
        self.raw.flush()

    @property
    def chunks(self) -> int:
        return self._index


# -- reading -------------------------------------------------------------------------------------


class DecryptingReader:
    """The plain archive of an encrypted backup as a seekable read-only stream (what zipfile reads).
    Each chunk is decrypted, and so checked, when it is first read; one is kept at a time. A chunk
    that fails raises `DamagedChunk` (an OSError: zipfile's callers treat it as a read error)."""

    def __init__(self, raw: BinaryIO, unlocked: Unlocked) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # start-up

        self.raw = raw
        self.header = unlocked.header
        self._aead = AESGCM(unlocked.key)
        self.chunk_size = self.header.chunk_size
        self._step = self.chunk_size + TAG
        self._start = self.header.size
        body = os.fstat(raw.fileno()).st_size - self._start
        self.chunks = max(1, math.ceil(body / self._step))
        last = body - (self.chunks - 1) * self._step
        self.size = max(0, (self.chunks - 1) * self.chunk_size + last - TAG)
        self._short = last < TAG          # cut inside the last tag: that chunk cannot be checked
        self._cached: tuple[int, bytes | memoryview] | None = None
        if _reuses(self._aead):
            self._sealed, self._plain = bytearray(self._step), bytearray(self.chunk_size)
            self._plain_view = memoryview(self._plain)
        else:
            self._plain = None
        self._position = 0
        self.checked: set[int] = set()

    # the stream
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: self.size}[whence]
        if base + offset < 0:
            raise OSError("seek before the start")
        self._position = base + offset
        return self._position

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self._position + n)
        parts = []
        while self._position < end:
            index, offset = divmod(self._position, self.chunk_size)
            plain = self.chunk(index)
            piece = plain[offset: offset + end - self._position]
            if not len(piece):
                raise DamagedChunk(index)
            parts.append(bytes(piece))      # copied now: the next chunk reuses the buffer
            self._position += len(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> "DecryptingReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # the chunks
    def chunk(self, index: int) -> bytes | memoryview:
        """The plain bytes of chunk `index` (valid until another chunk is read)."""
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        plain = self._decrypt(index)
        self._cached = (index, plain)
        return plain

    def _decrypt(self, index: int) -> bytes:
        from cryptography.exceptions import InvalidTag  # start-up

        final = index == self.chunks - 1
        if index >= self.chunks or (final and self._short):
            raise DamagedChunk(index)
        self.raw.seek(self._start + index * self._step)
        nonce, aad = _nonce(self.header, index), _aad(self.header, index, final)
        try:
            if not final and self._plain is not None:
                # A full chunk: read and decrypted into buffers reused (no 1 MiB allocation each).
                if self.raw.readinto(self._sealed) != self._step:
                    raise InvalidTag()
                self._aead.decrypt_into(nonce, self._sealed, aad, self._plain)
                plain = self._plain_view
            else:
                plain = self._aead.decrypt(nonce, self.raw.read(self._step), aad)
        except InvalidTag:
            self._cached = None          # the buffer may hold a part of the failed chunk
            raise DamagedChunk(index) from None
        self.checked.add(index)
        return plain

    def bad_chunks(self, indices: range | list[int]) -> list[int]:
        """Those of `indices` whose chunk does not decrypt. Only the tags matter here: full chunks
        are read into and decrypted into two buffers reused (where cryptography has `decrypt_into`)."""
        from cryptography.exceptions import InvalidTag  # start-up

        bad = []
        sealed, plain = bytearray(self._step), bytearray(self.chunk_size)
        reuse = _reuses(self._aead)
        for index in indices:
            if index in self.checked:
                continue
            if not reuse or index == self.chunks - 1:
                try:
                    self._decrypt(index)
                except DamagedChunk:
                    bad.append(index)
                continue
            self.raw.seek(self._start + index * self._step)
            try:
                if self.raw.readinto(sealed) != self._step:
                    raise InvalidTag()
                self._aead.decrypt_into(_nonce(self.header, index), sealed, _aad(self.header, index, False), plain)
            except InvalidTag:
                bad.append(index)
            else:
                self.checked.add(index)
        return bad


def bad_chunks(unlocked: Unlocked, path: Path | str, opener: Opener = open_binary) -> list[int]:
    """Every chunk of the file checked, split between this thread and a second one, each with its
    own handle on the file (AES-GCM and the reads release the GIL); the chunks that fail."""
    with unlocked.open(path, opener) as probe:
        total = probe.chunks
    halves = (range(0, total // 2), range(total // 2, total))
    found: list[list[int]] = [[], []]
    failures: list[BaseException] = []

    def check(index: int) -> None:
        try:
            with unlocked.open(path, opener) as reader:
                found[index] = reader.bad_chunks(halves[index])
        except BaseException as err:  # noqa: BLE001 - raised again by the caller's thread
            failures.append(err)

    helper = threading.Thread(target=check, args=(1,), name="backup-decrypt-check", daemon=True)
    helper.start()
    check(0)
    helper.join()
    if failures:
        raise failures[0]
    return found[0] + found[1]
