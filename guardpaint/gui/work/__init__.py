"""Work off the GUI thread: the protection worker, the short background jobs, and the jobs themselves as plain
functions over the facade."""
from guardpaint.gui.work.background import Background
from guardpaint.gui.work.jobs import ModelCache, run_attack_suite, run_batch, run_protection, run_test_edit
from guardpaint.gui.work.worker import MAX_WAIT_MS, TaskRunner, describe_failure

__all__ = [
    "MAX_WAIT_MS", "Background", "ModelCache", "TaskRunner", "describe_failure", "run_attack_suite", "run_batch",
    "run_protection", "run_test_edit"
]
