"""Domain services: the database work behind the routes, one module per domain."""
