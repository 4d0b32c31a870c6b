"""What a run reads before any analysis: migration files and directory trees (tree, source),
each migration tool's layout (layouts), framework migrations written in Python
(frameworks), changed files from git (gitdiff), suppression comments (directives), and the
configuration (configsearch, config, settings)."""
