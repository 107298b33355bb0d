"""Customer-support actions (issue 5): thin rasa-sdk actions and form validators over accountdb.services.

The dialogue contract (intents, entities, slots, forms, rules, action names) is docs/support-dialogue.md and
the domain fragment docs/support-domain.yml. Every action here:

- takes the account and profile from the signed token in the message metadata, and from nowhere else
  (`caller.identify_caller`); without a valid token it asks the user to sign in and shows nothing private;
- acts as `Actor("subscriber:<account id>", conversation_id=<sender id>)` towards the services;
- warns about card numbers and passwords typed into chat and clears any slot holding one (`disclosures`);
- changes data only after a form showed a preview and the user confirmed it, passing a confirmation id
  derived from that preview (`confirmation`), so a retried confirmation never applies a change twice.

rasa-sdk imports this package with the rest of `actions` (`register_package` recurses), so the action
server needs no extra import to serve these actions.
"""
