"""Prometheus metrics of the bus, served by each worker's ``/metrics``: what the relay
published, what the consumer handled, retried and parked, how long handling took, and the
gauges the alerts in deploy/prometheus/alerts.yml watch: how old the outbox's oldest unsent
event is, how many messages wait in the service's inbox and dead-letter queue, and (from
``shared.worker``) each readiness check of the worker.

Gauges are measured by every copy of a worker (they read shared state: the outbox, the
queues), so dashboards and alerts take ``max by (service)``, never a sum."""
from prometheus_client import Counter, Gauge, Histogram

OUTBOX_PUBLISHED = Counter("alumnet_outbox_published_total", "Outbox events confirmed by the broker", ["service"])
OUTBOX_DEFERRED = Counter("alumnet_outbox_deferred_total", "Outbox events the broker returned or nacked", ["service"])
OUTBOX_UNSENT = Gauge("alumnet_outbox_unsent", "Outbox events the broker has not confirmed yet, by status (new, deferred)",
                      ["service", "status"])
OUTBOX_OLDEST_AGE = Gauge("alumnet_outbox_oldest_unsent_age_seconds",
                          "Age of the oldest outbox event not confirmed yet, by status (new: the relay is behind; "
                          "deferred: the broker keeps refusing it); 0 when there is none", ["service", "status"])
EVENTS_HANDLED = Counter("alumnet_events_handled_total", "Events whose effects were stored", ["service"])
EVENTS_RETRIED = Counter("alumnet_events_retried_total", "Events sent to a delay queue after a failure", ["service"])
EVENTS_PARKED = Counter("alumnet_events_parked_total", "Events parked in the dead-letter queue", ["service"])
QUEUE_MESSAGES = Gauge("alumnet_queue_messages", "Messages ready in the service's queues (inbox, dead), as the "
                       "consumer last measured them", ["service", "queue"])
BATCH_SECONDS = Histogram("alumnet_consumer_batch_seconds", "Time to handle one batch of events", ["service"],
                          buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30))
WORKER_READY = Gauge("alumnet_worker_ready", "1 while a readiness check of the worker passes (store, broker, "
                     "consumer: attached to its inbox, outbox-relay: following its outbox), else 0",
                     ["service", "check"])
