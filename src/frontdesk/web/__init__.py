"""The HTTP layer: thin routers over the domain services, and error mapping."""
