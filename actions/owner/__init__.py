"""The owner: profile, what counts as the owner speaking, form answers, quiet hours."""
