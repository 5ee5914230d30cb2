"""Small datasets the course ships, with loaders that validate every row."""
