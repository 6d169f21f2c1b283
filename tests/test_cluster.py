"""``guardpaint batch --ray`` on a real local Ray cluster (started here, stopped after): the same outputs
and reports as ``guardpaint batch``, resume, a killed actor, and Ray imported only on this path."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from guardpaint.cli import main
from guardpaint.core.batch import is_complete

from conftest import batch_argv

ACTOR = b"ray::ImageProtector"
pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None or importlib.util.find_spec("pyarrow") is None,
                                reason='the cluster extra is not installed: pip install -e ".[test,cluster]"')


@pytest.fixture(scope="module")
def cluster():
    """A local cluster with more logical CPUs than the two actors, so nothing waits for a slot (Ray is
    imported here, by the tests that use it, not when the suite is collected)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=4, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def _reports(text: str, out: Path) -> dict[str, dict]:
    """JSON lines by image name, without what differs between two runs: when (the creation time, the
    timings) and where (the output folder)."""
    reports = {}
    for line in text.splitlines():
        report = json.loads(line.replace(str(out), "OUT"))
        report.pop("timings", None)
        if report["status"] == "done":
            del report["provenance"]["created"], report["optimisation"]["final_losses"]["elapsed"]
        reports[Path(report["input"]["image"]).name] = report
    return reports


def test_the_cluster_writes_what_one_machine_writes(cluster, cluster_folder, capsys):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each actor runs, with one CPU: the same float sums, the same bytes
    try:
        assert main(batch_argv(cluster_folder, "local", "--json")) == 2  # the corrupt file fails
    finally:
        torch.set_num_threads(threads)
    local = _reports(capsys.readouterr().out, cluster_folder / "local")
    assert main(batch_argv(cluster_folder, "ray", "--json", "--ray", "--actors", "2")) == 2
    captured = capsys.readouterr()
    clustered = _reports(captured.out, cluster_folder / "ray")
    assert clustered == local
    assert [local[name]["status"] for name in sorted(local)] == ["failed", "skipped", "done", "done", "done", "done",
                                                                 "done"]
    written = sorted(p.name for p in (cluster_folder / "local").iterdir())
    assert written == sorted(p.name for p in (cluster_folder / "ray").iterdir()) and len(written) == 5
    for name in written:
        assert (cluster_folder / "local" / name).read_bytes() == (cluster_folder / "ray" / name).read_bytes(), name
    assert "images/s written" in captured.err and "5 written (0 protected, 5 not holding), 1 skipped, 1 failed" \
        in captured.err

    mtimes = {p.name: p.stat().st_mtime_ns for p in (cluster_folder / "ray").iterdir()}
    assert main(batch_argv(cluster_folder, "ray", "--json", "--ray", "--actors", "2")) == 2  # a rerun rewrites nothing
    again = _reports(capsys.readouterr().out, cluster_folder / "ray")
    assert {p.name: p.stat().st_mtime_ns for p in (cluster_folder / "ray").iterdir()} == mtimes
    assert sorted(report["status"] for report in again.values()) == ["failed"] + ["skipped"] * 6


def _actor_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(ACTOR):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_a_killed_actor_has_its_image_retried_and_every_output_is_whole(cluster, cluster_folder, capsys):
    out = cluster_folder / "killed"
    killed: list[int] = []

    def kill_one_mid_batch() -> None:
        deadline = time.time() + 120
        while time.time() < deadline and not (out.is_dir() and any(out.glob("*.png"))):
            time.sleep(0.05)
        time.sleep(0.3)  # both actors are on their next image
        pids = _actor_pids()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    killer = threading.Thread(target=kill_one_mid_batch)
    killer.start()
    code = main(batch_argv(cluster_folder, "killed", "--json", "--ray", "--actors", "2", "--iterations", "6"))
    killer.join()
    reports = _reports(capsys.readouterr().out, out)
    assert killed, "no actor process was found to kill"
    statuses = {name: report["status"] for name, report in reports.items()}
    assert code == 2 and statuses.pop("a-corrupt.png") == "failed"  # the bad image alone, with its own reason
    assert statuses.pop("b-no-mask.png") == "skipped"
    # The others are written; one whose actor died after its output was renamed is retried, finds the
    # output complete and reports it as already there.
    assert len(statuses) == 5 and list(statuses.values()).count("done") >= 4
    assert all(reports[name]["status"] == "done" or "already there" in reports[name]["summary"] for name in statuses)
    outputs = sorted(out.iterdir())
    assert [p.name for p in outputs] == ["c-rgba.png", "d-grey.png", "e-colour.png", "f-photo.png", "g-small.png"]
    assert all(is_complete(p) for p in outputs)


def test_an_output_folder_shared_with_the_images_is_refused(cluster, cluster_folder, capsys):
    argv = ["batch", str(cluster_folder / "in"), "-o", str(cluster_folder / "in"), "--model",
            str(cluster_folder / "tiny.pth"), "--ray"]
    assert main(argv) == 2
    assert "need a folder of their own" in capsys.readouterr().err


def test_a_local_batch_never_imports_ray(cluster_folder):
    probe = ("import sys\nfrom guardpaint.cli import main\n"
             f"main(['batch', {str(cluster_folder / 'in')!r}, '--masks', {str(cluster_folder / 'masks')!r}, '-o', "
             f"{str(cluster_folder / 'plain')!r}, '--model', {str(cluster_folder / 'tiny.pth')!r}, "
             "'--iterations', '1', '--quiet'])\n"
             "print('ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr


def test_object_store_locations_go_through_pyarrow_and_write_whole_objects(cluster_folder):
    """The remote path (scratch copies in, one whole object out, URIs in the report), on pyarrow's own
    file:// filesystem standing in for s3:// or gs://; no Ray needed for one actor's work."""
    from guardpaint.cluster.run import listing, rows
    from guardpaint.cluster.storage import Location
    from guardpaint.cluster.worker import ImageProtector, Job
    from guardpaint.core.batch import BatchItem, protect_item
    from guardpaint.core.io.formats import PNG
    from guardpaint.core.protection.settings import ProtectionSettings

    def remote(name: str) -> Location:
        (cluster_folder / name).mkdir(exist_ok=True)
        return Location(f"file://{cluster_folder / name}", None)  # pyarrow for every read and write

    settings = ProtectionSettings(iterations=1)
    job = Job(remote("in"), remote("masks"), remote("remote-out"), True, (str(cluster_folder / "tiny.pth"),), "cpu",
              settings, PNG, False)
    worker = ImageProtector(job)
    by_name = {row.image: row for row in rows(job, *listing(job))}
    report = worker.protect(by_name["f-photo.png"])
    assert report["status"] == "done" and report["output"]["path"] == f"file://{cluster_folder}/remote-out/f-photo.png"
    assert report["input"]["mask"] == f"file://{cluster_folder}/masks/f-photo.png"
    local = protect_item(worker.models, BatchItem(cluster_folder / "in" / "f-photo.png",
                                                  cluster_folder / "masks" / "f-photo.png",
                                                  cluster_folder / "f-local.png",
                                                  cluster_folder / "masks" / "f-photo.png"),
                         settings, PNG)
    assert local["status"] == "done"
    assert (cluster_folder / "remote-out" / "f-photo.png").read_bytes() == (cluster_folder / "f-local.png").read_bytes()
    assert worker.protect(by_name["f-photo.png"])["status"] == "skipped"  # complete: not redone
    missing = worker.protect(by_name["b-no-mask.png"])
    assert missing["status"] == "skipped" and f"file://{cluster_folder}/masks/b-no-mask.png" in missing["summary"]


def test_ctrl_c_on_the_driver_stops_and_says_what_finished(cluster_folder):
    argv = [sys.executable, "-m", "guardpaint", *batch_argv(cluster_folder, "stopped", "--json", "--ray", "--actors",
                                                            "1", "--iterations", "8")]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = cluster_folder / "stopped"
    deadline = time.time() + 180
    while time.time() < deadline and not (out.is_dir() and any(out.glob("*.png"))):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "stopped: the images in progress are redone on the next run" in stderr
    written = sorted(p.name for p in out.iterdir())
    assert written and len(written) < 5 and all(is_complete(out / name) for name in written)
    assert len(stdout.splitlines()) >= 1 and "written (" in stderr  # the reports of what finished, the tally


@pytest.mark.parametrize("extra, message", [
    (["--actors", "9"], "cannot hold 9 actors"),  # more than the cluster's 4 CPUs: it would wait for ever
    (["--gpus-per-actor", "0.5"], "cannot hold"),  # no GPU here
])
def test_a_pool_the_cluster_cannot_hold_is_refused(cluster, cluster_folder, capsys, extra, message):
    assert main(batch_argv(cluster_folder, "unplaced", "--json", "--ray", *extra)) == 2
    assert message in capsys.readouterr().err


def test_weights_the_actors_cannot_load_are_one_error(cluster, cluster_folder, capsys):
    (cluster_folder / "bad.pth").write_bytes(b"not a weight file")
    argv = batch_argv(cluster_folder, "bad", "--json", "--ray", "--actors", "1")
    argv[argv.index(str(cluster_folder / "tiny.pth"))] = str(cluster_folder / "bad.pth")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any(line.startswith("error: the actors could not start") for line in err)
    assert not list((cluster_folder / "bad").glob("*.png"))


def test_pool_flags_without_ray_are_refused(cluster_folder, capsys):
    assert main(batch_argv(cluster_folder, "plain", "--json", "--actors", "2")) == 2
    assert "add --ray" in capsys.readouterr().err
