"""Where each page of a batch goes, decided in batch order (see `scans.importer` for the
precedence): the QR label, the file name, the chain of pages following a title page, or the
«Нераспознанные» queue."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import settings
from ..errors import UserError
from ..qr_payload import LabelFormatError, LabelPayload, decode_label
from ..school import require_school
from ..school_years import closed_work_ids, require_open
from ..storage import Store
from .worker import PageResult

# A code in a file name is a whole segment of the name: `40012`, `40012_2`, `4А_40012`, `40012-1`.
# Digits glued to letters (`scan00001`, `IMG40012`) are a scanner's counter, not a code.
FILENAME_CODE = re.compile(r"(?:^|[_\-\s.])([1-9][0-9]{4})(?=$|[_\-\s.])")
PAGES = "scan_pages"

#: Completed works of a batch needed before their most common page count limits the next ones: one
#: is enough, since a page held back waits in «Нераспознанные» for one click, while a page given to
#: the wrong participant goes unnoticed.
LEARN_FROM_WORKS = 1

#: A page's row as the matcher decides it (the scan_pages columns it sets).
Row = dict[str, Any]


@dataclass
class _Chain:
    work_id: int
    participant_id: int | None     # None: the chain is a conflict without a participant
    status: str                    # assigned | conflict
    rotation: int
    code: str = ""
    pages: int = 1                 # the title page and the pages that followed it so far
    overflow: bool = False         # more pages followed than the work has: the rest wait unassigned


class Matcher:
    """Decides where each page goes, in batch order. Holds the batch's state (the chain)."""

    def __init__(self, store: Store, work_id: int | None) -> None:
        self.store = store
        self.work_id = work_id
        self.login = require_school(store).login
        self.works = {r["work_key"]: r for r in store.query("SELECT id, work_key, subject, grade, work_date FROM works")}
        self.work_by_id = {r["id"]: r for r in self.works.values()}
        self.codes: dict[int, dict[str, int]] = {}
        for r in store.query("SELECT id, work_id, code FROM participants"):
            self.codes.setdefault(r["work_id"], {})[r["code"]] = r["id"]
        # What the store already holds is looked up per participant the batch reaches (through
        # the index on scan_pages(participant_id, position)), so a batch costs the same in a store
        # of 20,000 pages as in an empty one. Both maps then follow the batch's own rows.
        self.titles: dict[int, int | None] = {}          # participant -> assigned title page id
        self.next_position: dict[int, int] = {}
        self.follow = bool(settings.get(store, "follow_unlabelled"))
        self.chain: _Chain | None = None
        self.last_rotation = 0
        # Pages per participant's work: set on the work, else learned from the batch's labelled
        # works (the most common count of those followed by the next title page).
        self.pages_set: dict[int, int | None] = {r["id"]: r["pages_per_work"] for r in store.query(
            "SELECT id, pages_per_work FROM works")}
        self.pages_seen: dict[int, Counter[int]] = {}
        # Rotations of the batch's labelled pages: a page without a label takes the previous
        # label's rotation only when that is what the batch shows (the whole stack fed turned).
        self.rotations: Counter[int] = Counter()
        self.used: set[int] = set()        # works the batch's labels named
        self.implied_work: int | None = work_id
        if work_id is not None and work_id not in self.work_by_id:
            raise UserError(f"Работа № {work_id} не найдена.")
        if work_id is not None:
            require_open(store, work_id)
        self.closed = set(closed_work_ids(store))       # a closed school year's works take no pages

    def _load(self, participant_id: int) -> None:
        if participant_id in self.next_position:
            return
        row = self.store.db.execute(
            f"SELECT MAX(position), (SELECT id FROM {PAGES} WHERE participant_id = ?1 AND is_title = 1"
            f" AND status = 'assigned' LIMIT 1) FROM {PAGES} WHERE participant_id = ?1",
            [participant_id]).fetchone()
        self.next_position[participant_id] = 1 if row[0] is None else int(row[0]) + 1
        self.titles.setdefault(participant_id, row[1])

    def has_title(self, participant_id: int) -> bool:
        self._load(participant_id)
        return self.titles.get(participant_id) is not None

    def _position(self, participant_id: int, title: bool = False) -> int:
        self._load(participant_id)
        if title:
            first = self.store.scalar(f"SELECT MIN(position) FROM {PAGES} WHERE participant_id = ?", [participant_id])
            return 0 if first is None or first > 0 else int(first) - 1
        position = self.next_position[participant_id]
        self.next_position[participant_id] = position + 1
        return position

    def _work_title(self, work_id: int) -> str:
        w = self.work_by_id[work_id]
        day = dt.date.fromisoformat(w["work_date"])
        return f"{w['subject']}, {w['grade']} класс, {day:%d.%m.%Y}"

    def _label_target(self, payload: LabelPayload) -> tuple[int, int, str] | str:
        """A decoded label's (work_id, participant_id, code), or why it is flagged."""
        if payload.login != self.login:
            return f"наклейка другой школы ({payload.login}), код {payload.code}"
        work = self.works.get(payload.work_key)
        if work is None:
            return f"наклейка работы, которой нет в программе (ключ {payload.work_key}), код {payload.code}"
        if work["id"] in self.closed:
            return (f"наклейка работы закрытого учебного года («{self._work_title(work['id'])}»), "
                    f"код {payload.code}")
        if self.work_id is not None and work["id"] != self.work_id:
            return f"наклейка другой работы («{self._work_title(work['id'])}»), код {payload.code}"
        participant = self.codes.get(work["id"], {}).get(payload.code)
        if participant is None:
            return f"кода {payload.code} нет в протоколе работы «{self._work_title(work['id'])}»"
        return work["id"], participant, payload.code

    def _labels(self, page: PageResult) -> tuple[list[tuple[int, int, str]], list[str]]:
        """Valid (work_id, participant_id, code) labels and the reasons of flagged ones."""
        valid, flags = [], []
        for text in page.labels:
            try:
                target = self._label_target(decode_label(text))
            except LabelFormatError as err:
                if err.kind == "foreign":
                    continue          # somebody else's QR (e.g. printed on the variant): not a label
                target = f"наклейка не читается: {err.reason}"
            if isinstance(target, str):
                flags.append(target)
            else:
                valid.append(target)
        distinct = {(w, p) for w, p, _ in valid}
        if len(distinct) > 1:
            flags.append("на странице наклейки разных участников: " + ", ".join(sorted({c for _, _, c in valid})))
            valid = []
        return valid[:1], flags

    def _filename_target(self, name: str) -> tuple[int, int, str] | str | None:
        match = FILENAME_CODE.search(Path(name).stem)
        if not match:
            return None
        code = match.group(1)
        candidates = [self.implied_work] if self.implied_work is not None else [
            w for w, codes in self.codes.items() if code in codes]
        candidates = [w for w in candidates if code in self.codes.get(w, {})]
        if len(candidates) == 1:
            return candidates[0], self.codes[candidates[0]][code], code
        if not candidates:
            return None          # a number that is no participant's code: the name says nothing
        return f"код {code} из имени файла есть в нескольких работах: выберите работу при импорте"

    def expected_pages(self, work_id: int) -> tuple[int | None, bool]:
        """(pages of one participant's work, learned from the batch?) — None while unknown."""
        if self.pages_set.get(work_id):
            return self.pages_set[work_id], False
        seen = self.pages_seen.get(work_id)
        if not seen or sum(seen.values()) < LEARN_FROM_WORKS:
            return None, True
        return seen.most_common(1)[0][0], True

    def _batch_rotation(self, rotation: int) -> int:
        """`rotation` for a page without a label, if most of the batch's labelled pages have it."""
        if not rotation or not self.rotations:
            return 0
        return rotation if self.rotations[rotation] * 2 > sum(self.rotations.values()) else 0

    def _end_chain(self) -> None:
        """The chain ends (a new title, a flagged page): a whole work's page count is learned."""
        chain = self.chain
        if chain is not None and chain.status == "assigned" and not chain.overflow:
            self.pages_seen.setdefault(chain.work_id, Counter())[chain.pages] += 1
        self.chain = None

    def pages_note(self) -> dict[str, str]:
        """The page counts used, per work title, for the import report."""
        notes = {}
        for work_id in sorted(set(self.pages_seen) | {w for w, n in self.pages_set.items() if n and w in self.used}):
            pages, learned = self.expected_pages(work_id)
            if pages is not None:
                notes[self._work_title(work_id)] = f"{pages} (по первым работам пакета)" if learned else str(pages)
        return notes

    # -- the decision, one step per way a page can be placed --------------------------------------

    def _title_page(self, row: Row, page: PageResult, label: tuple[int, int, str]) -> Row:
        """A page with a valid label: the participant's title page (a second one is a conflict)."""
        self.rotations[page.rotation] += 1
        self._end_chain()
        work_id, participant_id, code = label
        self.used.add(work_id)
        self.implied_work = self.work_id or work_id
        row.update(work_id=work_id, participant_id=participant_id, is_title=1, method="qr")
        if self.has_title(participant_id):
            row.update(status="conflict",
                       note=f"второй титульный лист участника {code}: проверьте, какой из них верный")
            self.chain = _Chain(work_id, participant_id, "conflict", page.rotation, code)
        else:
            self.titles[participant_id] = -1
            row.update(status="assigned", position=self._position(participant_id, title=True))
            self.chain = _Chain(work_id, participant_id, "assigned", page.rotation, code)
        return row

    def _by_file_name(self, row: Row, target: tuple[int, int, str] | str) -> Row:
        """A page whose file name names a participant (or names a code ambiguously: then it waits)."""
        if isinstance(target, tuple):
            work_id, participant_id, _ = target
            row.update(work_id=work_id, participant_id=participant_id, status="assigned", method="filename",
                       position=self._position(participant_id))
        else:
            row["note"] = target
        self._end_chain()
        return row

    def _following(self, row: Row, chain: _Chain) -> Row:
        """A page without a label after a title page: the same participant, unless the work is full."""
        expected, _learned = self.expected_pages(chain.work_id)
        if chain.overflow or (expected is not None and chain.pages >= expected):
            # More pages than a work has: most likely the next participant's title page has
            # no readable label. Never guess: the pages wait for the coordinator.
            chain.overflow = True
            row.update(work_id=chain.work_id, rotation=self._batch_rotation(chain.rotation),
                       note=f"лишняя страница после работы {chain.code} (в работе страниц: {expected}) — "
                            "возможно, титульный лист без наклейки")
            return row
        chain.pages += 1
        row.update(work_id=chain.work_id, participant_id=chain.participant_id,
                   rotation=self._batch_rotation(chain.rotation), method="following", status=chain.status)
        if chain.status == "assigned":
            row["position"] = self._position(chain.participant_id)
        else:
            row["note"] = "следует за спорным титульным листом"
        return row

    def match(self, file_name: str, page: PageResult) -> Row:
        row: Row = {"work_id": self.implied_work, "participant_id": None, "status": "unassigned",
                    "method": None, "is_title": 0,
                    "rotation": page.rotation or self._batch_rotation(self.last_rotation),
                    "qr_text": "\n".join(page.labels) or None, "note": None, "position": None}
        valid, flags = self._labels(page)
        if page.labels and (valid or flags):
            self.last_rotation = page.rotation
            row["rotation"] = page.rotation
        if valid:
            return self._title_page(row, page, valid[0])
        if flags:
            row["note"] = "; ".join(flags)
            self._end_chain()
            return row
        target = self._filename_target(file_name)
        if target is not None:
            return self._by_file_name(row, target)
        if self.follow and self.chain is not None:
            return self._following(row, self.chain)
        row["note"] = "на странице нет наклейки, и она не следует за титульным листом"
        return row
