"""core/v1 types, split by topic: pod (Pod and what it embeds) and cluster (everything else)."""
