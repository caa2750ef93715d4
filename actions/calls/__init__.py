"""Phone calls: the call actions, the tracker, dialers, menu navigation and the hold monitor."""
