"""The `marquee` command line."""
