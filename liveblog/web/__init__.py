"""Routes, split by who uses them."""
