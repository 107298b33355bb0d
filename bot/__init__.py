"""Marquee's Rasa 3.6 assistant: config, domain, endpoints, credentials and custom NLU components."""
