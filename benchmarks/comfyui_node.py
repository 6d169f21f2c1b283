"""The attacker's side of ``comfyui_parity.py``: ComfyUI's "Inpaint (using Model)" node with LaMa loaded by spandrel.

Runs in an environment of its own, with spandrel (and the torchvision it imports) and kornia, which
comfyui-inpaint-nodes' ``util.py`` imports; GuardPaint is not needed here. The node's helpers are read
from a checkout of comfyui-inpaint-nodes (``--node-util``: its ``util.py``), so what runs is the node's
own code; the few lines of ``InpaintWithModel.execute`` that call them are restated below for one image.
Images are read as ComfyUI's LoadImage reads them (8-bit RGB / 255, float32) and written as its SaveImage
writes them (``clip(255 * x).astype(uint8)``).

    python comfyui_node.py --node-util CHECKOUT/util.py --weights W.pth --image I.png --mask M.png -o OUT.png
"""
from __future__ import annotations

import argparse
import importlib.util

import numpy as np
import torch
from PIL import Image
from spandrel import ModelLoader

#: The node's ``required_size`` for LaMa (nodes.py, InpaintWithModel.execute).
LAMA_SIZE = 256


def load_node_util(path: str):
    spec = importlib.util.spec_from_file_location("inpaint_nodes_util", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-util", required=True, help="util.py of a comfyui-inpaint-nodes checkout")
    parser.add_argument("--weights", required=True, help="a LaMa state dict (generator.* keys), read weights_only")
    parser.add_argument("--image", required=True)
    parser.add_argument("--mask", required=True, help="white (> 127) = the region to fill")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    util = load_node_util(args.node_util)
    model = ModelLoader().load_from_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True)).eval()
    image = torch.from_numpy(np.array(Image.open(args.image).convert("RGB")).astype(np.float32) / 255.0)[None]
    mask = torch.from_numpy((np.array(Image.open(args.mask).convert("L")) > 127).astype(np.float32))[None]
    with torch.inference_mode():  # InpaintWithModel.execute for one image, as the node does it
        image, mask = util.to_torch(image, mask)
        work_image, work_mask, original_size = util.resize_square(image[0:1], mask[0:1], LAMA_SIZE)
        work_mask = util.mask_floor(work_mask)
        torch.manual_seed(0)
        work_image = model(work_image, work_mask)
        work_image = util.undo_resize_square(work_image, original_size)
        work_image = image[0] + (work_image - image[0]) * util.mask_floor(mask[0])
        result = util.to_comfy(work_image)
    Image.fromarray(np.clip(255.0 * result[0].numpy(), 0, 255).astype(np.uint8)).save(args.output)
    print(f"{model.architecture.id} via spandrel, {type(model).__name__}")


if __name__ == "__main__":
    main()
