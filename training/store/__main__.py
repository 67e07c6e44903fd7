"""``python3 -m training.store``: the one command (see cli.py and docs/own-data.md)."""
import sys

from .cli import main

sys.exit(main())
