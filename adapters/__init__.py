"""Source adapters: one module per source kind, each turning API answers into the model."""
