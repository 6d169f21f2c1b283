"""Train the bundled demo LaMa-family generator the way LaMa is trained, without downloaded networks.

Losses: L1 reconstruction (hole and known pixels), a masked patch discriminator
(non-saturating, R1 on real images) and discriminator feature matching.
Seeded; settings are written beside the weights.

    python training/train_demo.py --minutes 60 --out runs/demo
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

from guardpaint.models.lama import FFCResNetGenerator, LamaConfig

from data import TRAIN_IMAGES, VALIDATION_IMAGES, CropSampler, load_photo


@dataclass
class TrainSettings:
    ngf: int = 32
    n_blocks: int = 5
    crop: int = 128
    batch: int = 8
    lr_g: float = 1e-3
    lr_d: float = 1e-4
    weight_l1_hole: float = 10.0
    weight_l1_known: float = 2.0
    weight_adv: float = 1.0
    weight_fm: float = 10.0
    weight_r1: float = 0.001
    r1_every: int = 8  # lazy R1 regularisation (applied every n steps, scaled by n)
    gan_start_step: int = 300
    minutes: float = 60.0
    steps: int = 0  # stop after this many steps as well (0: only the time limit); fixes the run exactly
    seed: int = 0
    threads: int = 2
    device: str = "cpu"  # "cuda" trains on a GPU; the weights are saved for the CPU either way
    precision: str = "fp32"  # "bf16": autocast for both networks (LaMa's FFTs stay fp32), GPU training


class PatchDiscriminator(nn.Module):
    """A small PatchGAN returning per-patch logits and its intermediate features."""

    def __init__(self, ndf: int = 32) -> None:
        super().__init__()
        chans = [3, ndf, ndf * 2, ndf * 4, ndf * 8]
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(chans[i], chans[i + 1], 4, 2 if i < 3 else 1, 1),
                          nn.BatchNorm2d(chans[i + 1]) if i else nn.Identity(), nn.LeakyReLU(0.2, True))
            for i in range(4)
        )
        self.head = nn.Conv2d(chans[-1], 1, 4, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return self.head(x), features


def patch_mask(mask: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """The hole mask at the discriminator's patch resolution (a patch touching the hole is fake)."""
    return F.adaptive_max_pool2d(mask, logits.shape[-2:])


def save_weights(generator: nn.Module, path: Path, meta: dict) -> None:
    """fp16 safetensors (the loader converts to fp32); atomic rename."""
    state = {k: (v.half() if v.is_floating_point() else v).cpu().contiguous()
             for k, v in generator.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp), metadata={k: str(v) for k, v in meta.items()})
    tmp.chmod(0o644)
    tmp.replace(path)


def train(settings: TrainSettings, out: Path, resume: Path | None = None) -> None:
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = np.random.default_rng(settings.seed)
    out.mkdir(parents=True, exist_ok=True)
    sampler = CropSampler([load_photo(n) for n in TRAIN_IMAGES], settings.crop)
    generator = FFCResNetGenerator(LamaConfig(ngf=settings.ngf, n_blocks=settings.n_blocks))
    if resume is not None:  # continue from saved generator weights (the discriminator restarts)
        from safetensors.torch import load_file

        generator.load_state_dict({k: v.float() if v.is_floating_point() else v
                                   for k, v in load_file(str(resume)).items()})
    device = torch.device(settings.device)
    if device.type == "cuda":  # fixed shapes: let cuDNN pick its fastest kernels; TF32 for fp32 work
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    mixed = torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.precision == "bf16")
    generator.to(device)
    discriminator = PatchDiscriminator().to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=settings.lr_g, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=settings.lr_d, betas=(0.9, 0.999))
    lineage = {"resumed_from": str(resume)} if resume is not None else {}
    meta = {"settings": json.dumps(asdict(settings)), "train_images": ",".join(TRAIN_IMAGES),
            "validation_images": ",".join(VALIDATION_IMAGES), **lineage}
    (out / "settings.json").write_text(json.dumps({**asdict(settings), **lineage, "train_images": TRAIN_IMAGES,
                                                   "validation_images": VALIDATION_IMAGES}, indent=2))
    log = (out / "log.jsonl").open("a")
    start = time.time()
    step = 0
    while time.time() - start < settings.minutes * 60 and not (settings.steps and step >= settings.steps):
        images, masks = (torch.from_numpy(a).to(device) for a in sampler.batch(settings.batch, rng))
        with mixed:
            predicted = generator(torch.cat([images * (1 - masks), masks], 1)).float()
        composite = masks * predicted + (1 - masks) * images
        hole = masks.sum().clamp_min(1) * 3
        known = (1 - masks).sum().clamp_min(1) * 3
        l1_hole = ((predicted - images).abs() * masks).sum() / hole
        l1_known = ((predicted - images).abs() * (1 - masks)).sum() / known
        loss_g = settings.weight_l1_hole * l1_hole + settings.weight_l1_known * l1_known
        use_gan = step >= settings.gan_start_step
        adv = fm = torch.zeros((), device=device)
        if use_gan:
            with mixed:
                fake_logits, fake_features = discriminator(composite)
                with torch.no_grad():
                    _, real_features = discriminator(images)
            fake_logits, fake_features = fake_logits.float(), [f.float() for f in fake_features]
            real_features = [f.float() for f in real_features]
            adv = F.softplus(-fake_logits).mean()
            fm = sum(F.l1_loss(f, r) for f, r in zip(fake_features, real_features, strict=True)) / len(fake_features)
            loss_g = loss_g + settings.weight_adv * adv + settings.weight_fm * fm
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        loss_d = torch.zeros((), device=device)
        if use_gan:
            lazy_r1 = step % settings.r1_every == 0
            real = images.requires_grad_(lazy_r1)
            with mixed:
                real_logits = discriminator(real)[0].float()
            r1 = torch.zeros((), device=device)
            if lazy_r1:
                (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
                r1 = grad.float().pow(2).sum(dim=(1, 2, 3)).mean() * settings.r1_every
            with mixed:
                fake_logits = discriminator(composite.detach())[0].float()
            fake_target = patch_mask(masks, fake_logits)
            loss_d = (F.softplus(-real_logits).mean() + settings.weight_r1 * r1
                      + (fake_target * F.softplus(fake_logits) + (1 - fake_target) * F.softplus(-fake_logits)).mean())
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        step += 1
        if step % 25 == 0:
            record = {"step": step, "minutes": round((time.time() - start) / 60, 2), "l1_hole": l1_hole.item(),
                      "l1_known": l1_known.item(), "adv": adv.item(), "fm": fm.item(), "d": loss_d.item()}
            log.write(json.dumps(record) + "\n")
            log.flush()
        if step % 250 == 0:
            save_weights(generator.eval(), out / "demo-lama.safetensors", {**meta, "step": step})
            generator.train()
    save_weights(generator.eval(), out / "demo-lama.safetensors", {**meta, "step": step})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = TrainSettings()
    for name, value in asdict(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--out", type=Path, default=Path("runs/demo"))
    parser.add_argument("--resume", type=Path, help="generator weights (.safetensors) to continue from")
    args = vars(parser.parse_args())
    if args["precision"] not in ("fp32", "bf16"):
        parser.error(f"--precision must be fp32 or bf16, got {args['precision']!r}")
    out, resume = args.pop("out"), args.pop("resume")
    train(TrainSettings(**args), out, resume)


if __name__ == "__main__":
    main()
