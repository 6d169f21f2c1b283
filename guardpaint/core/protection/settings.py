"""Every knob of a protection, declared once: its name, type, default, range and help.

:class:`ProtectionSettings` holds every setting. The ones people set carry a :class:`Knob` in their
field's metadata (:func:`knob`): the command line's options (``guardpaint.cli.options``) and the app's
settings panel (``guardpaint.gui.panels.settings_panel``) are built from these declarations, and
:meth:`ProtectionSettings.validated` checks their ranges and choices. Adding a setting is one field here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from typing import Any

from guardpaint.core.editor.editors import DEFAULT_EDITORS, EDITORS, describe, parse_editors, show_editors
from guardpaint.core.protection.target import colour_choice, parse_colour_choice
from guardpaint.errors import InputError

#: Protection levels: the reference objective, or hardened against imprecise masks, crops, JPEG and resizing.
LEVEL_NAMES = ("standard", "robust")
#: Where the noise may go (core/protection/budget.py): where it acts, scaled by how much (the default); by texture,
#: where it acts; the full strength where it acts; and the reference's full strength on every pixel (for comparison).
BUDGETS = ("adaptive", "texture", "uniform", "reference")
#: The default cap, in levels of 255: invisible on the held-out photos (docs: *Invisible by default*).
DEFAULT_STRENGTH = 5.0
#: The reference's strength: 0.025 on the [0, 1] scale, everywhere; visible on smooth areas.
MAXIMUM_STRENGTH = 0.025
LEVELS = 255.0
#: The metadata key under which a field declares its knob.
KNOB = "knob"


@dataclass(frozen=True, order=True)
class Strength:
    """The largest change a pixel may get, with its unit: stored as the method's eps on the [0, 1] scale (what
    the noise is bounded by), shown in levels of 255 (what people read)."""

    fraction: float

    @property
    def levels(self) -> float:
        return self.fraction * LEVELS

    def __str__(self) -> str:
        return f"{self.levels:.1f} levels"


#: No change at all (an iteration report's strength before a ladder step names one).
NO_CHANGE = Strength(0.0)


@dataclass(frozen=True)
class Knob:
    """How one setting is offered to people, in the app and on the command line alike.

    The kind follows from the default (a switch for a bool, a number for an int or a float) unless
    ``choices`` or ``parse`` say otherwise; with ``multiple`` the value is a tuple of the ``choices`` (a
    checklist in the app, a comma-separated list on the command line, read by ``parse``). Numbers are
    shown multiplied by ``scale`` (the strength is stored on the [0, 1] scale and shown in levels of 255).
    """

    label: str  # the app's label; its lower case starts the validation messages
    help: str  # the command line's help and the app's tooltip
    minimum: float | None = None  # as shown (after ``scale``)
    maximum: float | None = None
    scale: float = 1.0
    unit: str = ""  # after a shown number: "levels", "px"
    step: float = 1.0
    decimals: int = 0
    choices: tuple[str, ...] = ()
    multiple: bool = False  # the value is a tuple of several of the choices
    describe: Callable[[str], tuple[str, str]] | None = None  # a choice -> its label and help, for a checklist
    parse: Callable[[str], Any] | None = None  # text -> value, for values a choice list cannot hold
    show: Callable[[Any], str] = str  # value -> text, the inverse of ``parse``
    suggestions: tuple[str, ...] = ()  # texts offered for a ``parse`` knob
    flag: str = ""  # the option; "" means --name-with-dashes (a switch on by default: --no-name)
    basic: bool = False  # in the app's first section rather than under Advanced

    def option(self, name: str, default: object) -> str:
        """The command line's option for the field ``name``."""
        if self.flag:
            return self.flag
        dashed = name.replace("_", "-")
        return f"--no-{dashed}" if default is True else f"--{dashed}"


def knob(default: object, **declaration: Any) -> Any:
    """A settings field with ``default`` and the :class:`Knob` built from ``declaration``."""
    return field(default=default, metadata={KNOB: Knob(**declaration)})


def knobs(settings_type: type | None = None) -> list[tuple[Field, Knob]]:
    """The fields of ``settings_type`` (ProtectionSettings by default) that people set, with their knobs,
    in declaration order."""
    return [(f, f.metadata[KNOB]) for f in fields(settings_type or ProtectionSettings) if KNOB in f.metadata]


def default_of(settings_field: Field) -> object:
    return settings_field.default if settings_field.default is not MISSING else settings_field.default_factory()


def at_maximum_strength(settings: ProtectionSettings) -> ProtectionSettings:
    """``settings`` at the reference's strength, 6.4 levels, on every pixel that acts on the edit (visible on
    smooth areas)."""
    return replace(settings, epsilon=MAXIMUM_STRENGTH, budget="uniform", auto_strength=False)


@dataclass(frozen=True)
class Preset:
    """A named set of values offered as one choice (a check box in the app, a flag on the command line)."""

    flag: str
    label: str
    help: str
    apply: Callable[[ProtectionSettings], ProtectionSettings]
    overrides: tuple[str, ...]  # the settings it sets (the app disables their fields while it is chosen)


MAXIMUM = Preset("--maximum-strength",
                 f"Maximum strength ({MAXIMUM_STRENGTH * LEVELS:.1f} levels everywhere; visible on smooth areas)",
                 f"the reference's budget: {MAXIMUM_STRENGTH * LEVELS:.1f} levels on every pixel, no auto "
                 "strength (stronger; visible on skies and skin)",
                 at_maximum_strength, ("epsilon", "budget", "auto_strength"))


@dataclass(frozen=True)
class ProtectionSettings:
    """Every knob of the method; the defaults are the reference's (docs/method.md) except the strength."""

    epsilon: float = knob(
        DEFAULT_STRENGTH / LEVELS, label="Strength", flag="--strength", scale=LEVELS, unit="levels", minimum=0.5,
        maximum=127.5, step=0.5, decimals=1, basic=True,
        help="the most any pixel may change, in levels of 255; auto strength tries half of it first and raises "
             "it only for the regions that do not hold")
    iterations: int = knob(
        20, label="Iterations", minimum=1, maximum=1000, basic=True,
        help="optimisation steps per strength step: more take longer and protect better")
    auto_strength: bool = knob(
        True, label="Auto strength: half the strength first, more only where needed",
        help="try half the strength first and raise it, region by region, only where a region does not hold")
    stop_when_held: bool = knob(
        True, label="Stop a step once every region holds with a margin",
        help="judge the written file every few iterations and stop a step once every region holds with a margin "
             "(each step keeps the iterate the verdict prefers either way)")
    budget: str = knob(
        "adaptive", label="Noise budget", choices=BUDGETS,
        help="where the noise may go: adaptive = only where it acts on the edit, as much as it acts, less on smooth "
             "areas; texture = where it acts, less on smooth areas; uniform = the full strength wherever it acts; "
             "reference = the paper's full strength on every pixel, for comparison")
    level: str = knob(
        "standard", label="Level", choices=LEVEL_NAMES,
        help="standard: the reference method; robust: also against imprecise masks, IOPaint's crop, JPEG and "
             "resizing (about twice the time)")
    editors: tuple[str, ...] = knob(
        DEFAULT_EDITORS, label="Protect against", flag="--against", choices=tuple(EDITORS), multiple=True,
        describe=describe, parse=parse_editors, show=show_editors,
        help="the editors an attacker may run the model in, comma-separated: each one's edit is optimised and "
             "judged (iopaint = IOPaint's default, comfyui = ComfyUI's inpaint node at 256 px (MAT: 512), "
             "lama-512-resize and lama-512-crop = the 512 px ONNX apps; iopaint:full, iopaint:crop, iopaint:resize; "
             "the older auto, full and crop name IOPaint's); each one adds its model passes to every iteration")
    hide_weight: float = knob(
        2.0, label="Hide weight", minimum=0.0, maximum=100.0, step=0.5, decimals=2,
        help="weight of the term that keeps edits of the ring around a region normal (the reference's 2)")
    expansion: int = knob(
        17, label="Expansion", unit="px", minimum=3, maximum=257, step=2,
        help="side of the square kernel that grows a region into its dilation and ring")
    target_colour: tuple[int, int, int] | None = knob(
        None, label="Target colour", parse=parse_colour_choice, show=colour_choice,
        suggestions=("auto", "green", "red", "blue"),
        help="the flat colour a defeated edit fills with: auto (the one of green, red and blue farthest from "
             "the image's mean colour), a name, #rrggbb or r,g,b")
    seed: int = knob(0, label="Seed", minimum=0, maximum=2**32 - 1, help="seed of the initial noise")
    precision: str = knob(
        "auto", label="Precision", choices=("auto", "fp32", "bf16"),
        help="the gradients' precision: auto = bf16 where it is native (recent GPUs and CPUs), else fp32; "
             "iterates are scored and verified in fp32 either way")
    memory_saving: str = knob(
        "auto", label="Memory saving", choices=("auto", "on", "off"),
        help="recompute LaMa's residual blocks in the backward pass (about a third more time, a fraction of "
             "the memory); auto: above 1 megapixel per view")
    learning_rate: float = 0.1
    betas: tuple[float, float] = (0.5, 0.5)
    adam_eps: float = 1e-10
    init_scale: float = 0.01  # noise starts uniform in [0, init_scale)
    attack_weight: float = 1.0
    incomplete_weight: float = 1.0
    keep_best: bool = True  # keep the iterate whose 8-bit image has the lowest loss
    batch_edits: bool = True  # run views of one size through the model together
    robust_samples: int = 2  # random attacks per iteration at the robust level
    robust_weight: float = 1.0  # of all the random attacks of one iteration together
    strength_steps: int = 2  # auto strength: strengths tried, from half the cap to the cap
    jpeg_quality: int | None = None  # JPEG output: optimise through a differentiable JPEG at this quality

    def validated(self) -> ProtectionSettings:
        """Self, or an InputError naming the first bad value."""
        check_knobs(self)
        for name in ("attack_weight", "incomplete_weight", "robust_weight"):
            if getattr(self, name) < 0:
                raise InputError(f"{name.replace('_', ' ')} must be >= 0, got {getattr(self, name)}")
        if self.strength_steps < 1:
            raise InputError(f"strength steps must be at least 1, got {self.strength_steps}")
        if self.robust_samples < 1:
            raise InputError(f"robust samples must be at least 1, got {self.robust_samples}")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            raise InputError(f"JPEG quality must be 1-100, got {self.jpeg_quality}")
        editors = parse_editors(show_editors(self.editors))  # the editors' own names, each once
        return self if editors == self.editors else replace(self, editors=editors)


def check_knobs(settings: object) -> None:
    """An InputError naming the first of ``settings``' knobs outside its choices or range."""
    for settings_field, declared in knobs(type(settings)):
        _check(declared, getattr(settings, settings_field.name))


def _check(declared: Knob, value: object) -> None:
    """An InputError when ``value`` is outside its knob's choices or range."""
    name = declared.label.split(":")[0].split(" (")[0].lower()
    if declared.multiple:
        declared.parse(declared.show(value))  # an InputError naming an unknown choice, or none chosen
        return
    if declared.choices and value not in declared.choices:
        raise InputError(f"{name} must be one of {', '.join(declared.choices)}, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    shown = value * declared.scale
    unit = f" {declared.unit}" if declared.unit else ""
    low = -float("inf") if declared.minimum is None else declared.minimum
    high = float("inf") if declared.maximum is None else declared.maximum
    if not low <= shown <= high:
        raise InputError(f"{name} must be from {_number(low)} to {_number(high)}{unit}, got {_number(shown)}{unit}")


def _number(value: float) -> str:
    """A number as people write it: whole numbers in full (a seed's 4294967295), others to 4 digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"
