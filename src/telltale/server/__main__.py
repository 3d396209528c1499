"""``python -m telltale.server --db sqlite:///telltale.db --port 8000``."""

import sys

from telltale.extras import MissingExtra, require

try:
    require("server", what="python -m telltale.server")
except MissingExtra as e:
    sys.exit(str(e))

from telltale.server.run import main  # noqa: E402  (only once the server's extra is known to be there)

sys.exit(main())
