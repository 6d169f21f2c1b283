"""How GuardPaint's files are named and read, as plain values (the command line shows them without
loading the image stack): output formats and their suffixes, the mask threshold, and the names and
roles of mask files."""

#: Output suffixes per format; the first is the one GuardPaint writes.
SUFFIXES = {"png": (".png",), "webp": (".webp",), "jpeg": (".jpg", ".jpeg")}
DEFAULT_JPEG_QUALITY = 90
#: A mask pixel whose grey value is above this is masked (white = the region).
MASK_THRESHOLD = 127
#: A mask's role, recorded in the PNG the app saves: the region to protect, or a mask that only tries edits.
PROTECTION, TEST = "protection", "test"
ROLE_KEY = "GuardPaint mask role"
#: The file name a mask of each role gets beside its image (``photo.mask.png``): the batch reads the first,
#: and never takes a test mask for an image or a mask.
MASK_SUFFIXES = {PROTECTION: ".mask.png", TEST: ".test-mask.png"}
#: The images a folder batch protects.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
