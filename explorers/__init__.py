"""One module per tab. Each has build(settings) that lays out its tab and wires its own events."""
