"""Alerts that reach the owner of the part that failed.

``enqueue(store, project, alert)`` puts a firing or resolved :class:`telltale.types.Alert`
into a durable outbox; ``deliver_due(store, now)`` is the tick that groups, silences,
routes and delivers (the server's background loop calls it). Receivers: a signed JSON
webhook, Slack, PagerDuty Events v2 and Prometheus Alertmanager (docs/alerts.md).
"""

from telltale.alerts.fingerprint import fingerprint
from telltale.alerts.notification import Notification
from telltale.alerts.outbox import TICK_S, deliver_due, enqueue, flush, send_due
from telltale.alerts.silences import Silence, SilenceRequest, new_silence

__all__ = ["TICK_S", "Notification", "Silence", "SilenceRequest", "deliver_due", "enqueue", "fingerprint", "flush",
           "new_silence", "send_due"]
