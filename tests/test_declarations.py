"""Each concept declared once and shown everywhere from that one declaration: every setting's knob is an
option of ``protect`` and ``batch`` and a field of the app's settings panel, and every option of every
command is in the generated command-line reference of the documentation site."""
import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from guardpaint.cli.main import build_parser
from guardpaint.cli.options import protection_args, settings_from
from guardpaint.core.protection.settings import ProtectionSettings, knob, knobs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "hooks"))
from cli_reference import cli_reference_markdown


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every sub-command (nested ones as ``generator train``) by name."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[prefix + name] = sub
                found |= _commands(sub, f"{prefix}{name} ")
    return found


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def test_every_setting_is_an_option_of_protect_and_batch_and_a_field_of_the_app(qtbot):
    from guardpaint.gui.panels import SettingsPanel

    commands = _commands(build_parser())
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    declared = knobs()
    assert len(declared) >= 10
    for settings_field, declaration in declared:
        option = declaration.option(settings_field.name, settings_field.default)
        for command in ("protect", "batch"):
            assert option in _options(commands[command]), (command, option)
        assert panel.widget(settings_field.name) is not None
        assert declaration.help and declaration.label


@dataclass(frozen=True)
class WithGrain(ProtectionSettings):
    """A new setting, as CONTRIBUTING's recipe adds one: one field with its knob, nothing else."""

    grain: float = knob(0.5, label="Grain", minimum=0.0, maximum=1.0, step=0.1, decimals=1,
                        help="how coarse the noise is (an example setting)")


def test_a_setting_added_in_one_declaration_appears_in_the_cli_and_the_app(qtbot):
    from guardpaint.gui.panels import SettingsPanel

    parser = argparse.ArgumentParser()
    protection_args(parser, WithGrain)
    assert "--grain" in _options(parser)
    assert settings_from(parser.parse_args(["--grain", "0.3"]), WithGrain).grain == 0.3
    assert "how coarse the noise is" in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args(["--grain", "coarse"])
    panel = SettingsPanel(settings_type=WithGrain)
    qtbot.addWidget(panel)
    panel.widget("grain").setValue(0.7)
    assert panel.settings().grain == pytest.approx(0.7) and isinstance(panel.settings(), WithGrain)
    assert panel.widget("grain").toolTip() == "How coarse the noise is (an example setting)."


def _sections(reference: str) -> dict[str, str]:
    """The reference's section of each command, by name (``generator train``), from its heading."""
    sections = {}
    for match in re.finditer(r"^#+ `guardpaint ([^`]+)`$(.*?)(?=^#+ `guardpaint |\Z)", reference, re.M | re.S):
        sections[match.group(1)] = match.group(2)
    return sections


def test_every_option_of_every_command_is_in_the_generated_reference():
    sections = _sections(cli_reference_markdown())
    commands = _commands(build_parser())
    assert {"protect", "verify", "batch", "generator train", "generator evaluate", "models list"} <= set(commands)
    for name, parser in commands.items():
        assert name in sections, name
        rows = [line for line in sections[name].splitlines() if line.startswith("| `")]
        for option in _options(parser):
            pattern = re.compile(rf"^\| `[^`]*(?<![\w-]){re.escape(option)}(?![\w-])")
            assert any(pattern.match(row) for row in rows), (name, option)


@pytest.mark.parametrize("command", ["protect", "generator train"])
def test_the_reference_gives_each_option_its_help_text(command):
    reference = cli_reference_markdown()
    parser = _commands(build_parser())[command]
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS and action.option_strings != ["-h", "--help"]:
            first_words = " ".join(action.help.split()[:4]).split("%(")[0].strip()
            assert first_words in " ".join(reference.split()), (command, action.option_strings, first_words)


def test_the_generator_commands_options_come_from_the_declarations():
    """Training, evaluation and refine are declared once (core/generator/settings.py): each knob is an option
    whose default and help are the declaration's, and the values read back are the settings."""
    from guardpaint.cli.options import knob_values
    from guardpaint.core.generator.settings import EvaluationSettings, GeneratorUse, TrainingSettings
    from guardpaint.core.protection.settings import default_of, knobs

    commands = _commands(build_parser())
    for command, settings_type in (("generator train", TrainingSettings), ("generator evaluate", EvaluationSettings),
                                   ("protect", GeneratorUse), ("batch", GeneratorUse)):
        parser = commands[command]
        for settings_field, declared in knobs(settings_type):
            action = next(a for a in parser._actions if a.dest == settings_field.name)
            assert action.default == default_of(settings_field) and declared.help in action.help, (command, action)
    train = commands["generator train"].parse_args(["--images", "x", "-o", "y", "--steps", "1", "--crop", "64",
                                                    "--against", "comfyui"])
    assert knob_values(train, TrainingSettings) == TrainingSettings(crop=64, editors=("comfyui",))
    assert GeneratorUse().refine == 0 and EvaluationSettings().refine == 5


def test_the_editors_page_gets_its_table_from_the_declarations_and_refuses_to_lose_it():
    from types import SimpleNamespace

    from editors_table import MARKER, PAGE, editors_table_markdown, on_page_markdown

    from guardpaint.core.editor.editors import DEFAULT_EDITORS, EDITORS

    table = editors_table_markdown()
    for spec in EDITORS.values():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{spec.name}`"))
        assert spec.source.split(":")[0] in row and row.endswith("| yes |") == (spec.name in DEFAULT_EDITORS)
    page = Path(__file__).resolve().parent.parent / "docs" / PAGE
    assert MARKER in page.read_text()
    made = on_page_markdown(page.read_text(), SimpleNamespace(file=SimpleNamespace(src_uri=PAGE)), None, None)
    assert MARKER not in made and table in made
    with pytest.raises(RuntimeError, match="lost its marker"):
        on_page_markdown("# Editors\n", SimpleNamespace(file=SimpleNamespace(src_uri=PAGE)), None, None)


def test_every_argument_of_every_command_says_what_it_is():
    for name, parser in _commands(build_parser()).items():
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, (name, action.dest)


def test_the_references_usage_blocks_have_no_copy_button_over_them():
    """mkdocs-material's copy button sits over a code block's first line: usage lines are not for copying."""
    reference = cli_reference_markdown()
    assert reference.count("```text") == 0 and reference.count("``` { .text .no-copy }") >= 10
