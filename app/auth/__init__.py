"""Accounts: users, password hashing, browser sessions with CSRF, API tokens, login limits."""
