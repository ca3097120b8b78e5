"""Running tasks the one way ``newsprov run`` and ``newsprov eval pairs`` both do.

One Luigi build per task list, with the local scheduler, while this process holds the output
folder's lock; every task in this process runs without cyclic garbage collection and gives back
what it freed when it ends (pipeline.runtime.memory). A failed build maps to the exit code of
luigi.cfg's ``[retcode]`` section; a task failed by an error a user can act on (a bad input, a full
disk) is kept for the command's one line, and Luigi's traceback of it left out of the log. Ctrl-C
stops the run wherever it comes (pipeline.runtime.interrupts), the pool's workers with it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import luigi
import luigi.retcodes
from luigi.execution_summary import LuigiRunResult, LuigiStatusCode

from pipeline.core.errors import NewsprovError, debugging
from pipeline.runtime.interrupts import ctrl_c_noted, raise_if_interrupted
from pipeline.runtime.locking import output_lock
from pipeline.runtime.parallel import abandon


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
    """Every task runs in this process: no cyclic garbage collection while a task runs, large
    blocks given back as soon as they are freed, and what a finished task freed given back before
    the next starts (see pipeline.runtime.memory); a task that fails is noted with its error
    (``Outcome.failure``). Registered once per process."""
    from pipeline.runtime.memory import map_large_blocks, task_ended, task_started

    map_large_blocks()
    luigi.Task.event_handler(luigi.Event.START)(lambda task: task_started())
    luigi.Task.event_handler(luigi.Event.SUCCESS)(lambda task: task_ended())
    luigi.Task.event_handler(luigi.Event.FAILURE)(lambda task, exception: task_ended())
    luigi.Task.event_handler(luigi.Event.FAILURE)(lambda task, exception: _failures.append((task, exception)))


# The tasks that failed in this process during the current build, with their errors.
_failures: list[tuple[luigi.Task, BaseException]] = []


def user_error(exception: BaseException | None) -> bool:
    """Whether a task's error is one a user can act on (a bad input or setting, a full disk, an
    unwritable folder): it is one ``newsprov:`` line, not a traceback."""
    return isinstance(exception, (NewsprovError, OSError))


class _QuietUserErrors(logging.Filter):
    """Luigi logs every task failure with its traceback ("[pid ...] Worker ... failed"): for an
    error a user can act on, the run's one line says it all (unless ``debugging``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        failed = record.funcName == "_handle_run_exception"  # luigi.worker.TaskProcess
        return debugging() or not (failed and record.exc_info and user_error(record.exc_info[1]))


@dataclass(frozen=True)
class Outcome:
    """How a run ended: the last task built (the one that failed, when one did), its build's
    result, and the task that failed in this process and its error (None with ``--workers`` above 1,
    where tasks run in processes of their own)."""

    task: luigi.Task
    result: LuigiRunResult
    failure: tuple[luigi.Task, BaseException] | None = None

    @property
    def exit_code(self) -> int:
        return exit_code(self.result.status)

    @property
    def user_error(self) -> BaseException | None:
        """The error a user can act on that failed the run, if that is what failed it."""
        if self.exit_code and self.failure is not None and user_error(self.failure[1]):
            return self.failure[1]
        return None


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
    # Ctrl-C stops the run wherever it lands (Luigi drops one raised in an event handler: see
    # pipeline.runtime.interrupts), and the pool's workers with it, waiting for none of them.
    quiet = _QuietUserErrors()
    luigi_log = logging.getLogger("luigi-interface")
    luigi_log.addFilter(quiet)
    with ctrl_c_noted(), output_lock(Path(out)):
        try:
            if before is not None:
                before()
            for task in batches:
                _failures.clear()
                result = luigi.build(
                    [task], local_scheduler=True, workers=workers, detailed_summary=True, log_level="WARNING"
                )
                raise_if_interrupted()
                outcome = Outcome(task, result, _failures[0] if _failures else None)
                if outcome.exit_code:
                    break
        except KeyboardInterrupt:
            abandon()
            raise
        finally:
            luigi_log.removeFilter(quiet)
    return outcome
