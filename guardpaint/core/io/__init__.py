"""Files in and out: reading images and masks of any common mode, output formats, atomic writes."""
