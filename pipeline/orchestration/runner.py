"""Running tasks the one way ``newsprov run`` and ``newsprov eval pairs`` both do.

One Luigi build per task list, with the local scheduler, while this process holds the output
folder's lock; every task in this process runs without cyclic garbage collection and gives back
what it freed when it ends (pipeline.runtime.memory). A failed build maps to the exit code of
luigi.cfg's ``[retcode]`` section.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import luigi
import luigi.retcodes
from luigi.execution_summary import LuigiRunResult, LuigiStatusCode

from pipeline.runtime.locking import output_lock


def exit_code(status: LuigiStatusCode) -> int:
    """Exit code for a finished build, from luigi.cfg's [retcode] section; never 0 for a failure."""
    if status in (LuigiStatusCode.SUCCESS, LuigiStatusCode.SUCCESS_WITH_RETRY):
        return 0
    codes = luigi.retcodes.retcode()
    code = {
        LuigiStatusCode.FAILED: codes.task_failed,
        LuigiStatusCode.FAILED_AND_SCHEDULING_FAILED: max(codes.task_failed, codes.scheduling_error),
        LuigiStatusCode.SCHEDULING_FAILED: codes.scheduling_error,
        LuigiStatusCode.NOT_RUN: codes.not_run,
        LuigiStatusCode.MISSING_EXT: codes.missing_data,
    }.get(status, codes.unhandled_exception)
    return code or 1


@functools.lru_cache(maxsize=1)
def _manage_memory_around_each_task() -> None:
    """Every task runs in this process: no cyclic garbage collection while a task runs, and what
    a finished task freed given back before the next starts (see pipeline.runtime.memory). Registered
    once per process."""
    from pipeline.runtime.memory import task_ended, task_started

    luigi.Task.event_handler(luigi.Event.START)(lambda task: task_started())
    luigi.Task.event_handler(luigi.Event.SUCCESS)(lambda task: task_ended())
    luigi.Task.event_handler(luigi.Event.FAILURE)(lambda task, exception: task_ended())


@dataclass(frozen=True)
class Outcome:
    """How a run ended: the last task built (the one that failed, when one did) and its build's result."""

    task: luigi.Task
    result: LuigiRunResult

    @property
    def exit_code(self) -> int:
        return exit_code(self.result.status)


def run_batches(
    batches: list[luigi.Task], out: Path, workers: int = 1, before: Callable[[], object] | None = None
) -> Outcome | None:
    """Build each of ``batches`` (each a batch's last task, oldest first) in turn, one Luigi build
    each, as a daily schedule runs them, under ``out``'s lock (``before`` called first under it);
    stop at the first that fails. None when ``batches`` is empty.

    One build per batch: a build of a long range gives the same tables, but Luigi's scheduler
    looks at every pending task for each task it hands out.
    """
    _manage_memory_around_each_task()
    Path(out).mkdir(parents=True, exist_ok=True)
    outcome = None
    with output_lock(Path(out)):
        if before is not None:
            before()
        for task in batches:
            outcome = Outcome(
                task,
                luigi.build([task], local_scheduler=True, workers=workers, detailed_summary=True, log_level="WARNING"),
            )
            if outcome.exit_code:
                break
    return outcome
