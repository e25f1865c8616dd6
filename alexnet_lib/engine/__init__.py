"""Training: the loop (`loop.fit`), the one-call run (`run.train`), recipes, precision, profiles, budgets, records."""
