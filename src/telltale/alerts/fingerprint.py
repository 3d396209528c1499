"""Stable alert fingerprints: the same problem always gets the same name.

Alertmanager names an alert by a hash of its label set; telltale does the same over the
service, what raised the alert and its identifying labels, so a re-sent or resolved
alert updates the one already known instead of starting another.

>>> fingerprint("eta", "rule:unit-change", {"feature": "prep_time_s"})
'eta/927445e4af5b9c37'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def fingerprint(service: str, source: str, labels: Mapping[str, str] | None = None) -> str:
    """``<service>/<16 hex>`` from the service, the source and the sorted labels."""
    parts = [service, source, *(f"{k}={v}" for k, v in sorted((labels or {}).items()))]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{service}/{digest}"
