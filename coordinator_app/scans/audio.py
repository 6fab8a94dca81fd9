"""Audio files of the oral part of foreign-language works, kept under the same retention rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import audit
from ..changes import Changes, Topic
from ..errors import UserError
from ..fsutil import sha256_file
from ..school_years import require_open
from ..storage import Store, now_iso
from ..works import get_work
from . import filestore

MAX_AUDIO_BYTES = 512 << 20


def sniff_audio(head: bytes) -> str | None:
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "m4a"
    return None


@dataclass
class AudioFile:
    id: int
    work_id: int
    participant_id: int
    code: str
    original_name: str
    stored_path: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "name": self.original_name, "size": self.size, "sha256": self.sha256}


def attach_audio(store: Store, work_id: int, code: str, path: Path | str) -> tuple[int, Changes]:
    work = get_work(store, work_id)
    require_open(store, work_id)
    participant = store.one("SELECT id, code FROM participants WHERE work_id = ? AND code = ?", [work_id, code.strip()])
    if participant is None:
        raise UserError(f"В протоколе работы «{work.title}» нет участника с кодом {code.strip()}.")
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as stream:
            head = stream.read(16)
    except OSError as err:
        raise UserError(f"Не удалось прочитать «{path.name}»: {err.strerror or err}.") from err
    if size > MAX_AUDIO_BYTES:
        raise UserError(f"Файл «{path.name}» больше 512 МБ — это не запись устного ответа.")
    kind = sniff_audio(head)
    if kind is None:
        raise UserError(f"«{path.name}» — не аудиофайл MP3, WAV, OGG или M4A.")
    sha = sha256_file(path)
    if store.scalar("SELECT 1 FROM audio_files WHERE participant_id = ? AND sha256 = ?", [participant["id"], sha]):
        raise UserError(f"Этот аудиофайл уже прикреплён к участнику {participant['code']}.")
    rel = filestore.rel_path("audio", sha, kind)
    with filestore.unfinished_writes(store.data_dir, store.db):   # the file is stored before its row
        filestore.put(store.data_dir, rel, path.read_bytes())
        with store.atomic() as db:
            audio_id = db["audio_files"].insert({
                "work_id": work_id, "participant_id": participant["id"], "sha256": sha,
                "original_name": path.name, "stored_path": rel, "size": size, "imported_at": now_iso(),
            }).last_pk
            audit.record(store, "audio.attach", "audio_files", audio_id, work_id=work_id, code=participant["code"],
                         sha256=sha, size=size)
    return int(audio_id), Changes.of(Topic.SCANS)


def list_audio(store: Store, work_id: int, participant_id: int | None = None) -> list[AudioFile]:
    sql = """SELECT a.id, a.work_id, a.participant_id, p.code, a.original_name, a.stored_path, a.size, a.sha256
             FROM audio_files a JOIN participants p ON p.id = a.participant_id WHERE a.work_id = ?"""
    params: list[Any] = [work_id]
    if participant_id is not None:
        sql += " AND a.participant_id = ?"
        params.append(participant_id)
    return [AudioFile(**r) for r in store.query(sql + " ORDER BY CAST(p.code AS INTEGER), a.id", params)]
