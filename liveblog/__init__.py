"""Liveblog: a live-updating developing-story tracker."""
