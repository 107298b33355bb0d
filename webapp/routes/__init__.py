"""One router per area of the web app: subscriber chat, sign-in, agent console, marketing API."""
