"""What every group may use: messages to the user (the interaction), the window's remembered state, and image
conversion for Qt."""
from guardpaint.gui.support.interaction import Interaction
from guardpaint.gui.support.qimage import (
    checkerboard,
    mask_from_overlay,
    noise_visual,
    overlay_from_mask,
    rgb_to_qimage,
    rgba_to_qimage,
)
from guardpaint.gui.support.window_state import (
    DEFAULT_SIZE,
    fit_on_screen,
    restore_window,
    save_window,
    settings_file_problem,
    stored_list,
    unreadable_settings,
)

__all__ = [
    "DEFAULT_SIZE", "Interaction", "checkerboard", "fit_on_screen", "mask_from_overlay", "noise_visual",
    "overlay_from_mask", "restore_window", "rgb_to_qimage", "rgba_to_qimage", "save_window",
    "settings_file_problem", "stored_list", "unreadable_settings"
]
