"""``python -m bot.cli`` runs the same command line as ``switchboard``."""

import sys

from bot.cli.main import main

sys.exit(main())
