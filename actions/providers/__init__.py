"""The companies: the service-desk client (`client`, built of the `desk_*` modules), the provider
directory, webhooks as they arrive, subscriptions, and the log masking of their secrets."""
