"""``python -m telltale.server --db sqlite:///telltale.db --port 8000``."""

import sys

from telltale.server.run import main

sys.exit(main())
