"""`python -m verify`: the full verification report."""

import sys

from verify.report import main

if __name__ == "__main__":
    sys.exit(main())
