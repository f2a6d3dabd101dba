"""Work sharing across CPUs for long runs: the standard library's process pool, with workers
forked after the run is set up, so each inherits the loaded rules, the configuration and the
list of work, and only unit numbers and results are pickled. A unit a worker did not report
(it crashed, or a check raised there) is done again in this process, which then fails or
reports exactly as a one-process run would."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_work: Callable[[int], Any] | None = None  # the run's unit of work, inherited by the forked workers


def _unit(i: int) -> Any:
    assert _work is not None
    return _work(i)


def map_chunks(fn: Callable[[int], T], count: int, workers: int) -> list[T]:
    """[fn(0), …, fn(count - 1)], computed by `workers` forked processes."""
    global _work
    _work = fn
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        futures = [pool.submit(_unit, i) for i in range(count)]
    except OSError:  # not every worker could start (a container's process limit): no pool, then
        for child in set(multiprocessing.active_children()) - before:
            child.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        _work = None
        return [fn(i) for i in range(count)]
    try:
        return [_result(future, fn, i) for i, future in enumerate(futures)]
    finally:
        pool.shutdown()
        _work = None


def _result(future: Future[Any], fn: Callable[[int], T], i: int) -> T:
    try:
        got: T = future.result()
    except Exception:  # the unit raised in its worker, or the worker died: do it here
        got = fn(i)
    return got
