"""Everything the GUI takes from ``guardpaint.core``, named in one place: the types it shows, the wording it
prints, the declarations its fields are built from, and the entry points its jobs call. GUI modules reach
core only through here or through the document (an import-linter contract keeps it so), so what the GUI
depends on is this list."""
from guardpaint.core.batch import (
    DONE,
    FAILED,
    BatchItem,
    BatchTally,
    batch_inputs,
    find_items,
    prepare_output_folder,
    protect_item,
)
from guardpaint.core.editor.editors import labels as editor_labels
from guardpaint.core.editor.geometry import Box
from guardpaint.core.editor.inpaint import Editor, editors_for
from guardpaint.core.editor.masks import validate_mask
from guardpaint.core.evaluation.outcome import ProtectedImage
from guardpaint.core.evaluation.report import advice, made_with_demo, offers_maximum, protection_report, summary
from guardpaint.core.evaluation.suite import CaseResult, SuiteReport, case_count, run_suite
from guardpaint.core.evaluation.verify import each_check, failing_editors, shown_boxes
from guardpaint.core.evaluation.wording import DEMO_CAVEAT, joined, region_state, regions_named
from guardpaint.core.generator.settings import GeneratorUse
from guardpaint.core.io.conventions import (
    DEFAULT_JPEG_QUALITY,
    MASK_SUFFIXES,
    MASK_THRESHOLD,
    PROTECTION,
    SUFFIXES,
    TEST,
)
from guardpaint.core.io.files import same_file, write_atomic
from guardpaint.core.io.formats import OutputFormat, encode_image, format_for
from guardpaint.core.io.images import LoadedImage, load_image, load_mask, mask_role, open_image, save_mask
from guardpaint.core.protection.loop import IterationReport
from guardpaint.core.protection.loss_terms import ROBUST_TERM, STANDARD_TERMS
from guardpaint.core.protection.request import ProtectionRequest
from guardpaint.core.protection.settings import MAXIMUM, Knob, ProtectionSettings, default_of, knobs
from guardpaint.core.protection.sources import OPTIMISER, GeneratorSource
from guardpaint.core.workflow import protect_request

__all__ = [
    "DEFAULT_JPEG_QUALITY",
    "DEMO_CAVEAT",
    "DONE",
    "FAILED",
    "MASK_SUFFIXES",
    "MASK_THRESHOLD",
    "MAXIMUM",
    "OPTIMISER",
    "PROTECTION",
    "ROBUST_TERM",
    "STANDARD_TERMS",
    "SUFFIXES",
    "TEST",
    "BatchItem",
    "BatchTally",
    "Box",
    "CaseResult",
    "Editor",
    "GeneratorSource",
    "GeneratorUse",
    "IterationReport",
    "Knob",
    "LoadedImage",
    "OutputFormat",
    "ProtectedImage",
    "ProtectionRequest",
    "ProtectionSettings",
    "SuiteReport",
    "advice",
    "batch_inputs",
    "case_count",
    "default_of",
    "each_check",
    "editor_labels",
    "editors_for",
    "encode_image",
    "failing_editors",
    "find_items",
    "format_for",
    "joined",
    "knobs",
    "load_image",
    "load_mask",
    "made_with_demo",
    "mask_role",
    "offers_maximum",
    "open_image",
    "prepare_output_folder",
    "protect_item",
    "protect_request",
    "protection_report",
    "region_state",
    "regions_named",
    "run_suite",
    "same_file",
    "save_mask",
    "shown_boxes",
    "summary",
    "validate_mask",
    "write_atomic",
]
