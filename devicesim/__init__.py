"""A device simulator: telemetry streams for the owner's seeded devices and meters.

`devicesim.scenarios` builds the streams (pure, no network); `devicesim.sender` posts them to
Stand-in's telemetry endpoint and can keep the reference service desk's simulated clock up
with them; `python -m devicesim` is the command line.
"""
