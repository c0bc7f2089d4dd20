"""Test harness helpers shared by llmreg's test suites (not a test package itself)."""
