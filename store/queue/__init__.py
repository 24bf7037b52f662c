"""The queue: pause reasons, the log of pauses and sessions, and the simulated PBX's state."""
