"""The companies: the service-desk client, the provider directory, webhooks and subscriptions."""
