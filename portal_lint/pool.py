"""Work sharing across CPUs for long runs: forked processes take numbered units of work from a
shared counter, this process works along, and results come back in unit order.

Forking (not spawning) keeps a worker's start at a few milliseconds: it inherits the loaded
rules, the run's configuration and the list of work, so nothing but results is pickled. A
unit a worker did not report (it crashed, or a check raised there) is done again in this
process, which then fails or reports exactly as a one-process run would. (The engine freezes
the garbage collector's view of what exists before a long run, so inherited objects also stay
shared pages: no collection in a worker rewrites their headers.)
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")


def map_chunks(fn: Callable[[int], T], count: int, workers: int) -> list[T]:
    """[fn(0), …, fn(count - 1)], computed by `workers` processes (this one included)."""
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)

    def work(out: dict[int, T]) -> None:
        while True:
            with counter.get_lock():
                i = counter.value
                counter.value = i + 1
            if i >= count:
                return
            out[i] = fn(i)

    children: list[tuple[Any, Connection]] = []
    for _ in range(workers - 1):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(work, send), daemon=True)
        try:
            proc.start()
        except OSError:  # no process to be had (a container's limit): fewer workers do the work
            recv.close()
            send.close()
            break
        send.close()
        children.append((proc, recv))
    results: dict[int, T] = {}
    try:
        work(results)
    finally:
        for proc, recv in children:
            with contextlib.suppress(EOFError, OSError):  # a worker died: its units are done below
                results.update(recv.recv())
            recv.close()
            proc.join()
    for i in range(count):
        if i not in results:
            results[i] = fn(i)
    return [results[i] for i in range(count)]


def _child(work: Callable[[dict[int, T]], None], send: Connection) -> None:
    out: dict[int, T] = {}
    try:
        with contextlib.suppress(BaseException):  # the parent redoes the unit and reports it itself
            work(out)
    finally:
        send.send(out)
        send.close()
