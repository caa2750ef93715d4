"""The owner's journeys: requests, follow-up, appointments, parts, readings, and the rest."""
