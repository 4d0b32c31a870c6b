"""What a run leaves behind: findings rendered for people and CI (reporters, explain), the
baseline of accepted findings (baseline), the result cache and the replay of a cached run
(cache, replay, checksum), and the rule and lock-model docs (docs)."""
