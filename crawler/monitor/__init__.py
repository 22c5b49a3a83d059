"""Monitoring rules, pure: source health judged from run history, adaptive poll plans."""
