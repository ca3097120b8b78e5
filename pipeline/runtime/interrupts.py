"""Ctrl-C in the process that runs the tasks, honoured whenever it comes.

Python turns SIGINT into a KeyboardInterrupt wherever the main thread happens to be, and Luigi
drops one raised inside an event handler (``luigi.Task.trigger_event``: the memory handlers, the
runs table's row, a stage's log line) and some of its own set-up: the run went on to its end and
exited 0. While ``ctrl_c_noted`` is active a SIGINT is also noted, and ``raise_if_interrupted``
raises it again where the tasks look (each event of a task, each completeness check, after each
build), so a swallowed Ctrl-C stops the run at the next of those, a moment later.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_noted = False


def _on_sigint(signum: int, frame: object) -> None:
    global _noted
    _noted = True
    raise KeyboardInterrupt


@contextmanager
def ctrl_c_noted() -> Iterator[None]:
    """While inside, a SIGINT is noted as well as raised (and ``raise_if_interrupted`` raises it
    again); the previous handler is put back after.
    Only the main thread may set a signal handler: elsewhere this does nothing."""
    global _noted
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _noted = False
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _noted = False


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt again when Ctrl-C came and something swallowed it."""
    if _noted:
        raise KeyboardInterrupt


@contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """A Ctrl-C that comes inside waits, and is raised (by the handler it would have met) as the
    block ends: for steps that must not be cut in half (a worker process half started, not yet
    known to the pool that would stop it). Only the main thread ever raises KeyboardInterrupt:
    elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[object] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: came.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if came and callable(previous):
            previous(signal.SIGINT, came[0])
        elif came and previous == signal.SIG_DFL:
            raise KeyboardInterrupt
