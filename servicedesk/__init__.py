"""Stand-in's reference service desk: a simulated customer-service organisation for machines."""

__version__ = "0.1.0"
