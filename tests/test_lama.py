"""The native generator: official layout, config inference, computation details."""
import pytest
import torch

from guardpaint.models.lama import FFCResNetGenerator, FourierUnit, LamaConfig, infer_config

from conftest import TINY, make_tiny_generator


def test_big_lama_layout_matches_official_state_dict():
    model = FFCResNetGenerator(LamaConfig())
    state = model.state_dict()
    assert len(state) == 989
    assert sum(p.numel() for p in model.parameters()) == 50_975_875
    for key in ["model.1.ffc.convl2l.weight", "model.1.bn_l.running_var", "model.4.ffc.convl2g.weight",
                "model.4.bn_g.weight", "model.5.conv1.ffc.convg2g.conv1.0.weight",
                "model.5.conv1.ffc.convg2g.conv1.1.running_mean", "model.5.conv1.ffc.convg2g.fu.conv_layer.weight",
                "model.5.conv1.ffc.convg2g.fu.bn.weight", "model.5.conv1.ffc.convg2g.conv2.weight",
                "model.22.conv2.bn_g.bias", "model.24.weight", "model.25.running_mean", "model.34.weight",
                "model.34.bias"]:
        assert key in state, key
    assert state["model.4.ffc.convl2g.weight"].shape == (384, 256, 3, 3)
    assert state["model.24.weight"].shape == (512, 256, 3, 3)  # ConvTranspose2d(512 -> 256)
    assert state["model.34.weight"].shape == (3, 64, 7, 7)
    assert not any(k.startswith(("model.0.", "model.23.", "model.35.")) for k in state)
    assert infer_config(state) == LamaConfig()


@pytest.mark.parametrize("config", [
    TINY,
    LamaConfig(ngf=16, n_downsampling=2, n_blocks=3),
    LamaConfig(ngf=32, n_downsampling=3, n_blocks=2, max_features=128),
    LamaConfig(ngf=12, n_downsampling=3, n_blocks=2, global_ratio=0.5),
])
def test_config_is_inferred_from_tensor_shapes(config):
    state = FFCResNetGenerator(config).state_dict()
    inferred = infer_config(state)
    rebuilt = FFCResNetGenerator(inferred)
    rebuilt.load_state_dict(state, strict=True)
    assert inferred.ngf == config.ngf and inferred.n_blocks == config.n_blocks
    assert inferred.n_downsampling == config.n_downsampling


def test_infer_config_rejects_other_networks():
    with pytest.raises(ValueError, match="not a LaMa generator"):
        infer_config({"conv.weight": torch.zeros(3, 3, 3, 3)})


@pytest.mark.parametrize("size", [(64, 64), (40, 72), (56, 48)])
def test_output_is_rgb_in_unit_range_and_same_size(size):
    model = make_tiny_generator()
    out = model(torch.rand(2, 4, *size))
    assert out.shape == (2, 3, *size)
    assert out.min() >= 0 and out.max() <= 1


def test_fourier_unit_interleaves_real_and_imaginary_channels():
    """Channel 2c is the real and 2c+1 the imaginary part of input channel c (official layout)."""
    unit = FourierUnit(2).eval()
    with torch.no_grad():
        unit.conv_layer.weight.zero_()
        unit.conv_layer.weight[1, 0] = 1.0  # output imag of ch0 <- real of ch0
        unit.bn.bias.fill_(0.0)
    x = torch.randn(1, 2, 8, 8)
    spec = torch.fft.rfftn(x, dim=(-2, -1), norm="ortho")
    expected = torch.fft.irfftn(torch.complex(torch.zeros_like(spec.real[:, :1]), spec.real[:, :1].relu()),
                                s=(8, 8), dim=(-2, -1), norm="ortho")
    out = unit(x)
    torch.testing.assert_close(out[:, :1], expected, atol=1e-5, rtol=1e-5)
    assert out[:, 1:].abs().max() == 0


def test_gradients_reach_the_input():
    model = make_tiny_generator().requires_grad_(False)
    x = torch.rand(1, 4, 32, 32, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
