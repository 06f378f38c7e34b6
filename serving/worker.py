"""What one worker process serves with, once its models are loaded.

The service registers its Predictor and its single-film micro-batchers here (``register``);
the middleware (``serving.middleware``) answers the columnar and single-film routes with them,
before BentoML's routes. ``settle_gc`` tunes the garbage collector for a process whose models
live as long as it does. ``Siblings`` is what the service's liveness reads: whether every worker
started with this one still runs.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from typing import Any

import psutil

logger = logging.getLogger("boxoffice.service")


@dataclass
class Worker:
    """This worker's Predictor, and its micro-batchers by API name (``predict_hit``)."""

    predictor: Any = None
    single: dict[str, Any] = field(default_factory=dict)


WORKER = Worker()


def register(predictor: Any, single: dict[str, Any] | None = None) -> None:
    """``single``: the micro-batcher of each single-film API, by its name (``predict_hit``)."""
    WORKER.predictor = predictor
    WORKER.single = dict(single or {})


def settle_gc() -> None:
    """Everything loaded so far lives as long as the worker: freeze it out of the garbage
    collector's passes, and collect the young generation less often. Measured with wrk: the
    default thresholds cut single-film throughput by a third and put p99 at 80 ms
    (bench.inprocess does the same)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


class Siblings:
    """The workers the server (this worker's parent process) runs for this service: every one
    started with this worker still running, or the worker's liveness fails. In a container
    BentoML restarts no worker (``bentoml.serving.create_watcher``: ``respawn`` is off when
    ``BENTOML_CONTAINERIZED`` is set, as the image sets it: the container is the unit to
    restart), and the workers left answer every probe: without this, a worker killed (for its
    memory) would leave the pod at half its capacity, unseen. The number expected is the number
    `bentoml serve` started (``started``), not the number running when this worker looks: it
    looks once its models are loaded, and a sibling gone before then (one that loaded first and
    was killed while this one still loaded) would never be missed."""

    def __init__(self, service: Any) -> None:
        self.expected = max(started(service), self.running())
        self._said = False

    @staticmethod
    def running() -> int:
        """How many of the parent's processes run this worker's command (any worker id)."""
        me = psutil.Process()
        own = _command(me)
        parent = me.parent()
        if parent is None or own is None:
            return 1
        try:
            children = parent.children()
        except psutil.Error:
            return 1
        return sum(1 for child in children if child.pid == me.pid or _command(child) == own)

    def alive(self) -> bool:
        running = self.running()
        self.expected = max(self.expected, running)
        if running < self.expected and not self._said:
            self._said = True
            logger.error(
                "%d of the %d workers are running: a worker has gone and none is started in "
                "its place; this worker's liveness now fails so that the container restarts",
                running,
                self.expected,
            )
        return running >= self.expected


def started(service: Any) -> int:
    """How many workers `bentoml serve` started for ``service`` (a ``bentoml.Service``): BentoML's
    own count (``_bentoml_impl/server/serving.py``: the watcher's ``numprocesses`` is
    ``ResourceAllocator().get_worker_env(svc)``'s), from the configuration every worker loads
    too (the service's ``workers``, with any BENTOML_CONFIG overrides). 1 in a process that is no
    worker of `bentoml serve`."""
    import bentoml
    from _bentoml_impl.server.allocator import ResourceAllocator

    if bentoml.server_context.worker_index is None:
        return 1
    return ResourceAllocator().get_worker_env(service)[0]


def _command(process: psutil.Process) -> list[str] | None:
    """The process's command without its worker id (None: gone, or not a worker to count)."""
    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        args = process.cmdline()
    except psutil.Error:
        return None
    if "--worker-id" in args:
        at = args.index("--worker-id")
        args = args[:at] + args[at + 2 :]
    return args
