"""``guardpaint batch --ray``: the same batch on a Ray cluster (``pip install "guardpaint[cluster]"``).
Nothing here imports Ray or torch until the cluster path runs."""
from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from typing import TextIO

from guardpaint.errors import InputError

LOCAL = "local"


def add_cluster_args(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("cluster (pip install \"guardpaint[cluster]\")")
    group.add_argument("--ray", nargs="?", const=LOCAL, metavar="ADDRESS",
                       help="protect on a Ray cluster: without ADDRESS one is started on this machine; 'auto' "
                            "joins the cluster `ray start` runs here, ray://HOST:10001 a remote one")
    group.add_argument("--actors", type=int, metavar="N",
                       help="actors, each loading the model once (default: one per GPU of the cluster, else "
                            "one per --cpus-per-actor CPUs)")
    group.add_argument("--cpus-per-actor", type=float, default=1.0, metavar="C",
                       help="CPUs each actor holds (default 1; its torch threads)")
    group.add_argument("--gpus-per-actor", type=float, metavar="G",
                       help="GPUs each actor holds (default 1 where the cluster has GPUs, else 0)")


def cluster_batch(args: argparse.Namespace, fmt, settings, tally,
                  show: Callable[[dict, object, TextIO], None]) -> tuple[bool, int | None]:
    """Run the batch on the cluster; (stopped by Ctrl+C, None: the total is what was handled). Standard
    output carries only the reports: what Ray prints (its workers' lines, retries) goes to standard error."""
    if importlib.util.find_spec("ray") is None:
        raise InputError('--ray needs Ray: pip install "guardpaint[cluster]"')
    from guardpaint.cli.options import demo_warning
    from guardpaint.cli.progress import Progress as Bar
    from guardpaint.cluster.run import Pool, Progress, run
    from guardpaint.cluster.storage import Location
    from guardpaint.cluster.worker import Job
    from guardpaint.models import registry

    specs = tuple(args.model or [None])
    for spec in specs:
        if spec is not None:
            registry.resolve(spec)  # a missing model fails here, before a cluster starts
    if all(spec in (None, registry.DEMO_MODEL) for spec in specs):
        tally.demo = True
        demo_warning()  # every actor will load the demo model: said before the cluster starts
    inputs = Location.parse(args.input_dir)
    masks = Location.parse(args.masks) if args.masks else inputs
    outputs = Location.parse(args.output)
    if args.generator is not None:
        from guardpaint.models.noise_generator import read_generator

        read_generator(args.generator)  # a missing or crafted file fails here; each actor checks it on its models
    job = Job(inputs, masks, outputs, args.masks is not None, specs, args.device, settings, fmt, args.overwrite,
              None if args.generator is None else str(args.generator.resolve()), args.refine)
    pool = Pool(None if args.ray == LOCAL else args.ray, args.actors, args.cpus_per_actor, args.gpus_per_actor)
    progress, reports = Progress(tally), sys.stdout
    sys.stdout = sys.stderr  # Ray prints its workers' lines to sys.stdout
    try:
        with Bar("batch on Ray", unit="image", quiet=args.quiet) as bar:
            def report(value: dict) -> None:
                bar.update(1)
                show(value, bar, reports)

            run(job, pool, report, progress)
    except KeyboardInterrupt:
        print(f"\nstopped: the images in progress are redone on the next run; {progress.throughput()}",
              file=sys.stderr)
        return True, None
    finally:
        sys.stdout = reports
    print(progress.throughput(), file=sys.stderr)
    return False, None
