"""One module per `marquee` subcommand; each exposes register(subparsers) and sets a `handler`."""
