"""The message backbone: CloudEvents envelopes, topology, outbox relay, consumer and
dead-letter tools over RabbitMQ (kombu; py-amqp directly where windowed confirms pay)."""
