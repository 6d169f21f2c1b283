"""The noise generator: a small fully convolutional network that, given the editor's view of a window (the
image, the protection mask, the noise budget and the target colour), returns protective noise within the
budget in one pass. Trained against one or more inpainting models (``guardpaint generator train``); it
protects only against those.

One module per job: :mod:`.network` (the architecture), :mod:`.inputs` (its input planes),
:mod:`.generator` (a trained generator and its model check), :mod:`.file_format` (the file) and
:mod:`.reader` (reading a file safely).
"""
from guardpaint.models.noise_generator.generator import NONE_SHIPS, NoiseGenerator
from guardpaint.models.noise_generator.inputs import generator_inputs
from guardpaint.models.noise_generator.network import GeneratorConfig, NoiseNetwork
from guardpaint.models.noise_generator.reader import read_generator

__all__ = ["NONE_SHIPS", "GeneratorConfig", "NoiseGenerator", "NoiseNetwork", "generator_inputs", "read_generator"]
