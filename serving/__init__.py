"""Serving side: the request contract, model loading, micro-batching and the HTTP client."""
