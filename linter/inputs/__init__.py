"""Reading inputs: migration files, runner layouts, framework migrations, configuration."""
