"""Writers: files sqlsafe writes for you (scaffolds and plans in each runner's idiom)."""
