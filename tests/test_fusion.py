"""BatchNorm folding keeps the function; precision and device choices are explicit."""
import pytest
import torch

from guardpaint.core.editor.differentiable import edit
from guardpaint.errors import InputError
from guardpaint.models.device import resolve_precision, select_device
from guardpaint.models.fusion import fold_batchnorm
from guardpaint.models.lama import LamaConfig
from guardpaint.models.lama_family import LamaInpainter

from conftest import make_tiny_generator


@pytest.mark.parametrize("config", [LamaConfig(ngf=8, n_blocks=1), LamaConfig(ngf=12, n_blocks=2, global_ratio=0.5)])
def test_folded_generator_computes_the_same_edit(config):
    model = make_tiny_generator(config=config)
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # original untouched
    x = torch.rand(2, 3, 40, 56)
    k = (torch.rand(2, 1, 40, 56) > 0.6).float()
    with torch.no_grad():
        reference = edit(LamaInpainter(model, "bn"), x, k)
        torch.testing.assert_close(edit(LamaInpainter(folded, "folded"), x, k), reference, atol=2e-6, rtol=1e-5)
        # The statistics matter: dropping the BatchNorms instead of folding them changes the edit.
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.zero_(), module.running_var.fill_(1), module.weight.fill_(1), module.bias.zero_()
        dropped = fold_batchnorm(model)
        assert (edit(LamaInpainter(dropped, "dropped"), x, k) - reference).abs().max() > 1e-2


def test_folded_gradients_match():
    model = make_tiny_generator().requires_grad_(False)
    folded = fold_batchnorm(model)
    image = torch.rand(1, 3, 32, 32)
    k = torch.zeros(1, 1, 32, 32)
    k[..., 8:20, 10:24] = 1
    grads = []
    for net in (model, folded):
        x = image.clone().requires_grad_(True)
        edit(LamaInpainter(net, "net"), x, k).sum().backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[1], grads[0], atol=1e-5, rtol=1e-4)
    assert grads[0].abs().sum() > 0


def test_precision_resolution_and_device_errors():
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == "fp32"
    assert resolve_precision("auto", cpu) in ("fp32", "bf16")
    assert select_device("cpu") == cpu
    with pytest.raises(InputError):
        select_device("quantum")
