"""Reply → platform payload: Google Chat cardsV2 (google), Block Kit (slack), plain text."""
