"""Prices: the pure cost engine (`engine`) and everything built on price periods."""
