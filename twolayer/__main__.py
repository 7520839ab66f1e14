"""``python -m twolayer``: the ``twolayer`` command (:mod:`twolayer.cli`)."""
import sys

from .cli import main

sys.exit(main())
