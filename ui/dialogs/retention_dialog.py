"""Deleting the scans and audio of works whose retention period is over, with the act.

Offered at start (MainWindow.offer_purge) and from the «Сканы» page («Удалить просроченные…»).
The coordinator sees every work and what will be deleted, confirms, the purge runs in the
background work by work (each one atomic, its act written first), and the acts open in the PDF
viewer.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from coordinator_app.changes import Changes, Topic
from coordinator_app.errors import UserError
from coordinator_app.scans.retention import PurgeCandidate, PurgeResult, purge_candidates, purge_work
from coordinator_app.words import plural as _plural

from .. import context
from ..context import AppContext
from ..messages import confirm, inform, show_error
from ..ops import ChangeOp
from ..tasks import TaskContext


def describe(expired: list[PurgeCandidate]) -> str:
    """The confirmation text: every work with what will be deleted."""
    lines = []
    for held in expired:
        parts = [f"страниц: {held.pages}", f"файлов сканов: {held.scan_files}"]
        if held.audio:
            parts.append(f"аудиозаписей: {held.audio}")
        lines.append(f"• {held.work.title} — {', '.join(parts)} (хранение закончилось "
                     f"{held.deletable_from:%d.%m.%Y})")
    count = len(expired)
    return ("Срок хранения сканов истёк у " + f"{count} {_plural(count, 'работы', 'работ', 'работ')}:\n\n"
            + "\n".join(lines)
            + "\n\nУдалить эти сканы и аудиозаписи? На каждую работу будет составлен «Акт об уничтожении» "
              "(PDF откроется после удаления). Удалённое восстановить нельзя. "
              "Баллы, протоколы и коды участников останутся.")


def offer_purge(ctx: AppContext, parent: QWidget | None, *, at_start: bool = False,
                on_finished: Callable[[list[PurgeResult]], None] | None = None) -> bool:
    """Ask and purge. At start, says nothing when there is nothing to delete. True if started.

    The candidates are counted in the database (tens of milliseconds for a year's scans); the
    files themselves are listed and deleted in the background, work by work."""
    expired = purge_candidates(ctx.store)
    if not expired:
        if not at_start:
            inform(parent, "Работ с истёкшим сроком хранения сканов нет.", "Удаление сканов")
        return False
    if not confirm(parent, describe(expired), "Срок хранения сканов истёк", yes="Удалить и составить акт",
                   no="Не сейчас", destructive=True):
        return False
    work_ids = [held.work.id for held in expired]

    def job(task: TaskContext) -> tuple[list[PurgeResult], Changes]:
        store = task.open_store()
        results: list[PurgeResult] = []
        for number, work_id in enumerate(work_ids):
            if task.cancelled:
                break
            task.progress(number, len(work_ids), f"Работа {number + 1} из {len(work_ids)}")
            results.append(purge_work(store, work_id))
        return results, Changes.of(Topic.SCANS)

    def done(outcome: tuple[list[PurgeResult], Changes]) -> None:
        results = outcome[0]
        for result in results:
            if result.act_path is not None:
                context.open_path(result.act_path)
        if results:
            text = "\n".join(f"• {r.work_title}: удалено страниц {r.pages}, файлов {r.files}; акт: {r.act_path}"
                             for r in results)
            inform(parent, "Сканы удалены, акты об уничтожении составлены.\n\n" + text, "Удаление сканов")
        if on_finished is not None:
            on_finished(results)

    def failed(err: BaseException) -> None:
        # Works purged before the failure stay purged; the lists must show it.
        ctx.publish(Changes.of(Topic.SCANS))
        show_error(parent, err if isinstance(err, UserError)
                   else f"Не удалось удалить сканы: {err}\nПодробности записаны в журнал.")

    ChangeOp(ctx, parent, job).success(done).failure(failed) \
        .run_in_background("Удаление сканов с истёкшим сроком хранения")
    return True
