"""What runs by itself: the deadline engine, the outbox relay, the event fan-out, geo indexes."""
