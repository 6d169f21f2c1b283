"""Driving a batch on a Ray cluster: list the folders, stream the images through a pool of actors that
each load the model(s) once, and hand back one report per image as it finishes.

Ray places the actors (``num_gpus`` each where the cluster has GPUs, ``num_cpus`` otherwise), restarts
an actor whose process dies and retries the image it held (on the restarted actor, wherever Ray puts
it). Each actor holds one image at a time and asks for the next when it is done, so a big photo never
holds small ones up behind it; only the folder's listing (the file names) is read up front, the
images stream.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from guardpaint.cluster.worker import ImageProtector, Job, Row
from guardpaint.core.batch import FAILED, BatchTally, plan_names
from guardpaint.core.evaluation.report import item_report
from guardpaint.errors import InputError

#: How many times an image is tried again after the actor holding it died (then it fails alone).
RETRIES = 3


@dataclass(frozen=True)
class Pool:
    """The actor pool: where the cluster is, how many actors, what each one holds."""

    address: str | None = None  # None: start a local cluster; "auto" or "ray://host:10001": join one
    actors: int | None = None  # None: as many as the cluster's GPUs (or CPUs) allow
    cpus_per_actor: float = 1.0
    gpus_per_actor: float | None = None  # None: 1 where the cluster has GPUs, else 0


def rows(job: Job) -> Iterator[Row]:
    """The batch's images in name order, with the masks found by name (the rule of ``guardpaint batch``)."""
    for folder in (job.inputs, job.masks):
        if job.outputs.uri == folder.uri:
            raise InputError(f"{job.outputs.uri}: the protected images need a folder of their own on a cluster "
                             "(it is the folder of the images or the masks)")
    masks = set(job.masks.names())
    seen: set[str] = set()
    for image, mask, output in plan_names(job.inputs.names(), job.fmt, job.mask_folder):
        yield Row(image, mask if mask in masks else None, mask, output, duplicate=output in seen)
        seen.add(output)


def pool_size(pool: Pool, resources: dict[str, float]) -> tuple[int, float]:
    """How many actors, and the GPUs each holds."""
    gpus = resources.get("GPU", 0.0)
    per_gpu = pool.gpus_per_actor if pool.gpus_per_actor is not None else (1.0 if gpus else 0.0)
    if pool.actors is not None:
        if pool.actors < 1:
            raise InputError(f"--actors must be at least 1, got {pool.actors}")
        return pool.actors, per_gpu
    if per_gpu:
        return max(1, int(gpus // per_gpu)), per_gpu
    return max(1, int(resources.get("CPU", 1.0) // pool.cpus_per_actor)), per_gpu


class Progress:
    """A cluster batch so far: the tally of reports, and the throughput."""

    def __init__(self, tally: BatchTally) -> None:
        self.tally, self.actors, self.started = tally, 0, time.perf_counter()

    def throughput(self) -> str:
        seconds = time.perf_counter() - self.started
        return f"{self.tally.done / seconds:.3f} images/s written ({seconds:.1f} s, {self.actors} actors)"


def run(job: Job, pool: Pool, on_report: Callable[[dict], None], progress: Progress) -> None:
    """Protect every row of ``job`` on the cluster, calling ``on_report`` with each report as it finishes.
    Starts a local cluster (and stops it after) unless one is running or ``pool.address`` names one."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=pool.address, include_dashboard=False, logging_level="WARNING")
    actors: list = []
    try:
        count, gpus = pool_size(pool, ray.cluster_resources())
        actor_class = ray.remote(num_cpus=pool.cpus_per_actor, num_gpus=gpus, max_restarts=-1,
                                 max_task_retries=RETRIES)(ImageProtector)
        actors = [actor_class.remote(job) for _ in range(count)]
        progress.actors = count
        _stream(ray, job, actors, on_report, progress)
    finally:
        for actor in actors:
            ray.kill(actor)
        if started_here:
            ray.shutdown()


def _stream(ray, job: Job, actors: list, on_report: Callable[[dict], None], progress: Progress) -> None:
    """Keep every actor busy with one image, the next taken from the listing as one finishes."""
    idle, pending = deque(actors), rows(job)
    running: dict = {}  # object ref -> (row, actor)
    while True:
        while idle and (row := next(pending, None)) is not None:
            actor = idle.popleft()
            running[actor.protect.remote(row)] = (row, actor)
        if not running:
            return
        (ref,), _ = ray.wait(list(running), num_returns=1)
        row, actor = running.pop(ref)
        idle.append(actor)
        try:
            report = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            report = item_report(FAILED, f"the worker protecting it died {RETRIES + 1} times "
                                         f"({type(exc).__name__})", job.inputs.child(row.image))
        except ray.exceptions.RayTaskError as exc:  # a bug, not a bad image (those are reports)
            report = item_report(FAILED, f"unexpected error: {exc.cause!r}", job.inputs.child(row.image))
        progress.tally.add(report)
        on_report(report)
