"""`python -m verify`: the verification report; `python -m verify check FILE.md`: check a derivation."""

import sys

from verify.report import main

if __name__ == "__main__":
    sys.exit(main())
