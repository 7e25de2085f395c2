"""music package."""
