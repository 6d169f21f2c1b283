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


def listing(job: Job) -> tuple[list[str], set[str]]:
    """The names in the images' folder and in the masks' folder, after checking that the outputs have a
    folder of their own: done before a cluster starts, so bad folders are one-line errors at once."""
    for folder in (job.inputs, job.masks):
        if job.outputs.uri == folder.uri:
            raise InputError(f"{job.outputs.uri}: the protected images need a folder of their own on a cluster "
                             "(it is the folder of the images or the masks)")
    return job.inputs.names(), set(job.masks.names())


def rows(job: Job, names: list[str], masks: set[str]) -> Iterator[Row]:
    """The batch's images in name order, with the masks found by name (the rule of ``guardpaint batch``)."""
    seen: set[str] = set()
    for image, mask, output in plan_names(names, job.fmt, job.mask_folder):
        yield Row(image, mask if mask in masks else None, mask, output, duplicate=output in seen)
        seen.add(output)


def pool_size(pool: Pool, resources: dict[str, float]) -> tuple[int, float]:
    """How many actors, and the GPUs each holds; a pool the cluster cannot hold is refused (its actors
    would wait for resources for ever)."""
    gpus, cpus = resources.get("GPU", 0.0), resources.get("CPU", 0.0)
    per_gpu = pool.gpus_per_actor if pool.gpus_per_actor is not None else (1.0 if gpus else 0.0)
    if pool.actors is not None and pool.actors < 1:
        raise InputError(f"--actors must be at least 1, got {pool.actors}")
    count = pool.actors or (int(gpus // per_gpu) if per_gpu else int(cpus // pool.cpus_per_actor))
    if count < 1 or count * per_gpu > gpus or count * pool.cpus_per_actor > cpus:
        raise InputError(f"the cluster has {cpus:g} CPUs and {gpus:g} GPUs: it cannot hold {max(count, 1)} actors "
                         f"of {pool.cpus_per_actor:g} CPUs and {per_gpu:g} GPUs each (see --actors, "
                         "--cpus-per-actor, --gpus-per-actor)")
    return count, per_gpu


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

    names, masks = listing(job)
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(address=pool.address, include_dashboard=False, logging_level="WARNING")
        except ConnectionError as exc:
            raise InputError(f"no Ray cluster at {pool.address} ({exc}); start one with `ray start --head`, "
                             "or use --ray without an address for a local one") from None
    actors: list = []
    running: dict = {}  # object ref -> (row, actor): the images in progress
    try:
        count, gpus = pool_size(pool, ray.cluster_resources())
        actor_class = ray.remote(num_cpus=pool.cpus_per_actor, num_gpus=gpus, max_restarts=-1,
                                 max_task_retries=RETRIES)(ImageProtector)
        actors = [actor_class.remote(job) for _ in range(count)]
        try:  # each actor loads the model(s): a model that cannot load is one error, not a failure per image
            ray.get([actor.__ray_ready__.remote() for actor in actors])
        except ray.exceptions.RayActorError as exc:
            raise InputError(f"the actors could not start: {_last_line(exc)}") from None
        progress.actors = count
        job.outputs.prepare()  # everything checked: now the output folder may be created
        _stream(ray, job, rows(job, names, masks), actors, running, on_report, progress)
    finally:
        for actor in actors:
            ray.kill(actor)
        if started_here:
            ray.shutdown()  # ends the local cluster's worker processes, so their claims read as stale at once
        job.outputs.release([row.output for row, _ in running.values()])  # a stop: the killed workers' claims


def _last_line(exc: BaseException) -> str:
    """The last non-empty line of an actor's error (the exception its constructor raised), shortened."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def _stream(ray, job: Job, pending: Iterator[Row], actors: list, running: dict, on_report: Callable[[dict], None],
            progress: Progress) -> None:
    """Keep every actor busy with one image, the next taken from the listing as one finishes; ``running``
    holds the images in progress (object ref -> (row, actor))."""
    idle = deque(actors)
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
