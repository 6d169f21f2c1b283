"""Optimising the protective noise: settings, noise windows, loss terms, budgets, the JPEG model, the loop."""
