"""The card catalog: deck YAML schema, the loader that upserts decks, and read queries."""
