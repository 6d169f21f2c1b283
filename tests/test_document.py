"""The document model alone (no Qt): the one truth the app shows and exports."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from guardpaint.core.io.images import LoadedImage
from guardpaint.document import PROTECTION, Document
from guardpaint.errors import InputError

from conftest import make_photo, save_tiny_weights


def test_a_walk_through_the_document_needs_no_qt(tmp_path):
    Image.fromarray(make_photo(64, 80)).save(tmp_path / "photo.png")
    save_tiny_weights(tmp_path / "tiny.pth", seed=0)
    save_tiny_weights(tmp_path / "other.pth", seed=1)
    walk = Path(__file__).with_name("document_walk.py")
    done = subprocess.run([sys.executable, str(walk), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"Qt imported: {done.stdout}"


def test_a_mask_of_another_size_is_refused_and_the_old_one_kept():
    document = Document()
    document.open(LoadedImage(np.zeros((10, 12, 3), np.uint8)), Path("photo.png"))
    with pytest.raises(InputError, match="5x5 but the image is 12x10"):
        document.set_mask(PROTECTION, np.ones((5, 5), bool))
    assert not document.mask(PROTECTION).any()
