"""Prometheus metrics of the bus, served by each worker's ``/metrics``: what the relay
published, what the consumer handled, retried and parked, and how long handling took."""
from prometheus_client import Counter, Histogram

OUTBOX_PUBLISHED = Counter("alumnet_outbox_published_total", "Outbox events confirmed by the broker", ["service"])
OUTBOX_DEFERRED = Counter("alumnet_outbox_deferred_total", "Outbox events the broker returned or nacked", ["service"])
EVENTS_HANDLED = Counter("alumnet_events_handled_total", "Events whose effects were stored", ["service"])
EVENTS_RETRIED = Counter("alumnet_events_retried_total", "Events sent to a delay queue after a failure", ["service"])
EVENTS_PARKED = Counter("alumnet_events_parked_total", "Events parked in the dead-letter queue", ["service"])
BATCH_SECONDS = Histogram("alumnet_consumer_batch_seconds", "Time to handle one batch of events", ["service"],
                          buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30))
