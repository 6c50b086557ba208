"""`python -m sandbox` is the `minted-sandbox` command."""

import sys

from sandbox.cli import main

sys.exit(main())
