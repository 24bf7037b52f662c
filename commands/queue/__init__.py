"""The PBX queue: /pause and /resume, /queue, membership, breaks, offline agents, over-long
pauses."""
