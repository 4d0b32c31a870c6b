"""The analysis: the engine parses each file once, folds every statement into the migration
state and runs the rules on it (engine), pointing each finding at the part of the statement
it is about (spans); the registry loads the built-in and plugin rules (registry)."""
