"""Exit statuses of the ``guardpaint`` command."""

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2  # bad input or usage: one ``error: ...`` line, no output file
EXIT_NOT_PROTECTED = 3  # ``protect --require-protected`` and the protection does not hold
EXIT_INTERRUPTED = 130
