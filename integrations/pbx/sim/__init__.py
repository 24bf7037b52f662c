"""The simulated PBX (the embedded default) and its traffic generator."""
