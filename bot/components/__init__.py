"""Custom Rasa NLU components and the plain rules they apply."""
