"""The user guide, shipped with the app (as ``guardpaint.guide``) for Help > User Guide, which shows it offline."""
